/* minnow: the ISO 9660 engine's volume descriptors and engine_ops.
 *
 * Volume descriptors start at sector 16, one per 2048-byte sector, and
 * end with a terminator (type 255).  The primary one (type 1) gives
 * the plain tree; a supplementary one (type 2) with a Joliet escape
 * sequence ("%/@", "%/C", "%/E" at byte 88) gives the Joliet tree.
 * As the Linux kernel does by default, the mount shows Rock Ridge when
 * the primary tree has it, else Joliet, else the plain names.
 *
 * Every writing operation fails with EROFS: the engine is read-only
 * whatever the range says, and a read-write mount becomes read-only
 * (as mount(8) falls back to for iso9660).
 */

#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>

#include "iso9660.h"

static uint32_t
le32 (const unsigned char *p)
{
  return p[0] | (p[1] << 8) | (p[2] << 16) | ((uint32_t) p[3] << 24);
}

int
iso_fail (struct iso_fs *fs, int err, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (fs->base.last_error, sizeof fs->base.last_error, fmt, ap);
  va_end (ap);
  return -err;
}

int
iso_read (struct iso_fs *fs, uint64_t off, void *buf, size_t len)
{
  int r = range_read (&fs->range, buf, len, off);

  if (r == -ENODATA)
    r = -EIO;                   /* the image file ends early */
  if (r == -ERANGE)
    return iso_fail (fs, EIO, "%zu bytes at byte %llu lie beyond the end "
                     "of the filesystem (%llu bytes)", len,
                     (unsigned long long) off,
                     (unsigned long long) fs->range.length);
  if (r < 0)
    return iso_fail (fs, -r, "read at byte %llu: %s",
                     (unsigned long long) off, strerror (-r));
  return 0;
}

/* ---------------------------------------------------------------- */
/* Volume descriptors.                                                */

static void
copy_text (char *dst, const unsigned char *src, size_t len)
{
  memcpy (dst, src, len);
  dst[len] = '\0';
  while (len > 0 && (dst[len - 1] == ' ' || dst[len - 1] == '\0'))
    dst[--len] = '\0';
}

static int64_t
vd_time (const unsigned char *p)
{
  int valid;
  int64_t t = iso_time17 ((const char *) p, &valid);

  return valid ? t : -1;
}

static void
parse_pvd (const unsigned char *vd, struct iso_voldesc *d)
{
  memset (d, 0, sizeof *d);
  copy_text (d->system_id, vd + 8, 32);
  copy_text (d->volume_id, vd + 40, 32);
  d->volume_space_size = le32 (vd + 80);
  d->volume_set_size = vd[120] | (vd[121] << 8);
  d->volume_sequence_number = vd[124] | (vd[125] << 8);
  d->logical_block_size = vd[128] | (vd[129] << 8);
  copy_text (d->volume_set_id, vd + 190, 128);
  copy_text (d->publisher_id, vd + 318, 128);
  copy_text (d->data_preparer_id, vd + 446, 128);
  copy_text (d->application_id, vd + 574, 128);
  copy_text (d->copyright_file_id, vd + 702, 37);
  copy_text (d->abstract_file_id, vd + 739, 37);
  copy_text (d->bibliographic_file_id, vd + 776, 37);
  d->creation_t = vd_time (vd + 813);
  d->modification_t = vd_time (vd + 830);
  d->expiration_t = vd_time (vd + 847);
  d->effective_t = vd_time (vd + 864);
  memcpy (d->uuid_date, vd + 830, 16);  /* blkid: modification date ... */
  if (d->modification_t == -1)
    memcpy (d->uuid_date, vd + 813, 16); /* ... else creation date */
  d->uuid_date[16] = '\0';
}

int
iso_parse_pvd (const unsigned char *vd, struct iso_voldesc *d)
{
  if (vd[0] != 1 || memcmp (vd + 1, "CD001", 5) != 0)
    return -EINVAL;
  parse_pvd (vd, d);
  return 0;
}

static int
is_joliet (const unsigned char *vd)
{
  return vd[0] == 2 && vd[88] == '%' && vd[89] == '/'
    && (vd[90] == '@' || vd[90] == 'C' || vd[90] == 'E');
}

/* Scans the volume descriptors: the primary one into *pvd (when pvd is
 * not NULL); the sector of the Joliet one, or 0, into *joliet_r; its
 * volume id (UTF-8) into *joliet_label_r when asked.  Returns 0, or a
 * negative errno with *error_r set. */
static int
scan_vds (const struct engine_range *range, struct iso_voldesc *pvd,
          uint64_t *pvd_sector_r, uint64_t *joliet_r, char **joliet_label_r,
          char **error_r)
{
  unsigned char vd[ISO_SECTOR];
  char *label = NULL;
  int found_pvd = 0, i, r = 0;

  *joliet_r = 0;
  for (i = 0; i < ISO_MAX_VDS; i++) {
    uint64_t off = ISO_VD_START + (uint64_t) i * ISO_SECTOR;

    r = range_read (range, vd, sizeof vd, off);
    if (r == -ERANGE || r == -ENODATA) {
      if (asprintf (error_r, "volume descriptor %d lies beyond the end of "
                    "the image", i) == -1)
        *error_r = NULL;
      r = -EUCLEAN;
      goto out;
    }
    if (r < 0) {
      if (asprintf (error_r, "cannot read volume descriptor %d: %s", i,
                    strerror (-r)) == -1)
        *error_r = NULL;
      goto out;
    }
    if (memcmp (vd + 1, "CD001", 5) != 0) {
      if (asprintf (error_r, "volume descriptor %d has no CD001 "
                    "signature (no terminator before it)", i) == -1)
        *error_r = NULL;
      r = -EUCLEAN;
      goto out;
    }
    if (vd[0] == 255)
      break;
    if (vd[0] == 1 && !found_pvd) {
      found_pvd = 1;
      if (pvd)
        parse_pvd (vd, pvd);
      *pvd_sector_r = off / ISO_SECTOR;
    } else if (is_joliet (vd) && *joliet_r == 0) {
      *joliet_r = off / ISO_SECTOR;
      label = iso_joliet_string (vd + 40, 32);
    }
  }
  if (!found_pvd) {
    if (asprintf (error_r, "no primary volume descriptor") == -1)
      *error_r = NULL;
    r = -EUCLEAN;
  }
 out:
  if (r == 0 && joliet_label_r)
    *joliet_label_r = label;
  else
    free (label);
  return r;
}

/* ---------------------------------------------------------------- */
/* engine_ops.                                                        */

static int
iso_probe (const struct engine_range *range, const char **type)
{
  unsigned char sig[6];

  if (range_read (range, sig, sizeof sig, ISO_VD_START) < 0)
    return 0;
  if (memcmp (sig + 1, "CD001", 5) != 0)
    return 0;
  *type = "iso9660";
  return 1;
}

static int
iso_open (const struct engine_range *range, struct engine_fs **fs_r,
          char **error_r)
{
  struct iso_fs *fs;
  uint64_t pvd_sector = 0, joliet = 0;
  char *joliet_label = NULL;
  unsigned skip;
  int r;

  *error_r = NULL;
  fs = calloc (1, sizeof *fs);
  if (fs == NULL)
    return -ENOMEM;
  fs->base.ops = &engine_iso9660_ops;
  fs->base.readonly = 1;
  fs->range = *range;
  r = scan_vds (range, &fs->pvd,
                &pvd_sector, &joliet, &joliet_label, error_r);
  if (r < 0)
    goto fail;
  fs->joliet_label = joliet_label;
  fs->block_size = fs->pvd.logical_block_size;
  if (fs->block_size != 2048 && fs->block_size != 1024
      && fs->block_size != 512) {
    r = -EUCLEAN;
    if (asprintf (error_r, "logical block size %u is not 512, 1024 or 2048",
                  fs->block_size) == -1)
      *error_r = NULL;
    goto fail;
  }

  /* Rock Ridge lives in the primary tree. */
  fs->tree = ISO_TREE_PLAIN;
  r = iso_root_has_susp (fs, pvd_sector * ISO_SECTOR + 156, &skip);
  if (r < 0)
    goto fail_msg;
  if (r > 0) {
    fs->tree = ISO_TREE_ROCKRIDGE;
    fs->susp_skip = skip;
    r = iso_make_root (fs, pvd_sector * ISO_SECTOR + 156);
  } else if (joliet) {
    fs->tree = ISO_TREE_JOLIET;
    r = iso_make_root (fs, joliet * ISO_SECTOR + 156);
  } else
    r = iso_make_root (fs, pvd_sector * ISO_SECTOR + 156);
  if (r < 0)
    goto fail_msg;
  *fs_r = &fs->base;
  return 0;

 fail_msg:
  if (asprintf (error_r, "%s", fs->base.last_error[0] ? fs->base.last_error
                : strerror (-r)) == -1)
    *error_r = NULL;
 fail:
  iso_free_nodes (fs);
  free (fs->joliet_label);
  free (fs);
  return r;
}

static int
iso_close (struct engine_fs *efs)
{
  struct iso_fs *fs = ISO (efs);

  iso_free_nodes (fs);
  free (fs->joliet_label);
  free (fs->zcache);
  free (fs);
  return 0;
}

static int
iso_sync (struct engine_fs *efs)
{
  (void) efs;
  return 0;
}

static uint64_t
iso_root (struct engine_fs *efs)
{
  return ISO (efs)->root_ino;
}

static struct iso_node *
node_of (struct iso_fs *fs, uint64_t ino)
{
  struct iso_node *n = iso_node_get (fs, ino);

  if (n == NULL)
    iso_fail (fs, ESTALE, "unknown inode %llu", (unsigned long long) ino);
  return n;
}

static int
iso_lookup (struct engine_fs *efs, uint64_t dir, const char *name,
            uint64_t *ino_r)
{
  struct iso_fs *fs = ISO (efs);
  struct iso_node *d = node_of (fs, dir);
  struct iso_dirent key, *hit;
  int r;

  if (d == NULL)
    return -ESTALE;
  if (!S_ISDIR (d->st.mode))
    return -ENOTDIR;
  if (strcmp (name, ".") == 0) {
    *ino_r = d->ino;
    return 0;
  }
  if (strcmp (name, "..") == 0) {
    *ino_r = d->parent;
    return 0;
  }
  if ((r = iso_load_dir (fs, d)) < 0)
    return r;
  if (d->n_children == 0)
    return -ENOENT;
  key.name = (char *) name;
  hit = bsearch (&key, d->children, d->n_children, sizeof *d->children,
                 iso_dirent_cmp);
  if (hit == NULL && fs->tree == ISO_TREE_JOLIET) {
    /* The kernel's default for Joliet (check=relaxed): names match
     * whatever their case. */
    size_t i;
    for (i = 0; i < d->n_children && hit == NULL; i++)
      if (strcasecmp (d->children[i].name, name) == 0)
        hit = &d->children[i];
  }
  if (hit == NULL)
    return -ENOENT;
  *ino_r = hit->ino;
  return 0;
}

static int
iso_getattr (struct engine_fs *efs, uint64_t ino, struct engine_stat *st)
{
  struct iso_node *n = node_of (ISO (efs), ino);

  if (n == NULL)
    return -ESTALE;
  *st = n->st;
  return 0;
}

static int
iso_readlink (struct engine_fs *efs, uint64_t ino, char **target_r)
{
  struct iso_node *n = node_of (ISO (efs), ino);

  if (n == NULL)
    return -ESTALE;
  if (n->symlink == NULL)
    return -EINVAL;
  *target_r = strdup (n->symlink);
  if (*target_r == NULL)
    return -ENOMEM;
  return strlen (n->symlink);
}

/* The stored bytes of a file: its extents in record order. */
static ssize_t
raw_read (struct iso_fs *fs, const struct iso_node *n, void *buf,
          size_t count, uint64_t offset)
{
  size_t done = 0, i;
  uint64_t ext_base = 0;

  for (i = 0; i < n->n_extents && done < count; i++) {
    const struct iso_extent *e = &n->extents[i];
    uint64_t pos = offset + done;

    if (pos < ext_base + e->len) {
      uint64_t in = pos - ext_base;
      size_t len = e->len - in < count - done ? e->len - in : count - done;
      int r = iso_read (fs, e->start + in, (char *) buf + done, len);
      if (r < 0)
        return r;
      done += len;
    }
    ext_base += e->len;
  }
  return done;
}

static uint64_t
stored_size (const struct iso_node *n)
{
  uint64_t size = 0;
  size_t i;

  for (i = 0; i < n->n_extents; i++)
    size += n->extents[i].len;
  return size;
}

/* zisofs (RRIP ZF, "pz"): a 16-byte header (magic, size, header size
 * / 4, log2 of the block size), then one 32-bit LE pointer per block
 * and one past the last; each block is a zlib stream, or nothing for a
 * block of zeros.  One decompressed block is cached per filesystem. */
static const unsigned char zisofs_magic[8] = {
  0x37, 0xe4, 0x53, 0x96, 0xc9, 0xdb, 0xd6, 0x07
};

static int
zisofs_block (struct iso_fs *fs, struct iso_node *n, uint64_t block,
              unsigned char **data_r, size_t *len_r)
{
  unsigned char hdr[16], ptrs[8], *in = NULL;
  unsigned log2, hsize;
  uint64_t bsize, nblocks, clen;
  uLongf out_len;
  ssize_t r;
  int zr;

  if (fs->zcache && fs->zcache_ino == n->ino && fs->zcache_block == block) {
    *data_r = fs->zcache;
    *len_r = fs->zcache_len;
    return 0;
  }
  r = raw_read (fs, n, hdr, sizeof hdr, 0);
  if (r < 0)
    return r;
  log2 = hdr[13];
  hsize = hdr[12] * 4;
  if (r != sizeof hdr || memcmp (hdr, zisofs_magic, 8) != 0
      || log2 < 15 || log2 > 17 || hsize < 16)
    return iso_fail (fs, EUCLEAN, "bad zisofs header");
  bsize = (uint64_t) 1 << log2;
  nblocks = (n->zisofs_size + bsize - 1) / bsize;
  if (block >= nblocks)
    return iso_fail (fs, EUCLEAN, "zisofs block %llu of %llu",
                     (unsigned long long) block,
                     (unsigned long long) nblocks);
  r = raw_read (fs, n, ptrs, sizeof ptrs, hsize + block * 4);
  if (r < 0)
    return r;
  if (r != sizeof ptrs || le32 (ptrs + 4) < le32 (ptrs)
      || le32 (ptrs + 4) > stored_size (n))
    return iso_fail (fs, EUCLEAN, "bad zisofs block pointers");
  clen = le32 (ptrs + 4) - le32 (ptrs);
  if (clen > 2 * bsize + 64)
    return iso_fail (fs, EUCLEAN, "zisofs block of %llu bytes",
                     (unsigned long long) clen);
  if (fs->zcache == NULL || fs->zcache_size < bsize) {
    unsigned char *c = realloc (fs->zcache, bsize);
    if (c == NULL)
      return -ENOMEM;
    fs->zcache = c;
    fs->zcache_size = bsize;
  }
  fs->zcache_ino = 0;           /* invalid until filled */
  out_len = bsize;
  if (clen == 0)
    memset (fs->zcache, 0, bsize);
  else {
    in = malloc (clen);
    if (in == NULL)
      return -ENOMEM;
    r = raw_read (fs, n, in, clen, le32 (ptrs));
    if (r >= 0 && (uint64_t) r != clen)
      r = iso_fail (fs, EUCLEAN, "zisofs block beyond the file");
    if (r < 0) {
      free (in);
      return r;
    }
    zr = uncompress (fs->zcache, &out_len, in, clen);
    free (in);
    if (zr != Z_OK)
      return iso_fail (fs, EUCLEAN, "zisofs block %llu does not "
                       "decompress (zlib error %d)",
                       (unsigned long long) block, zr);
  }
  fs->zcache_ino = n->ino;
  fs->zcache_block = block;
  fs->zcache_len = out_len;
  *data_r = fs->zcache;
  *len_r = out_len;
  return 0;
}

static ssize_t
zisofs_read (struct iso_fs *fs, struct iso_node *n, void *buf, size_t count,
             uint64_t offset)
{
  unsigned char hdr[16];
  size_t done = 0;
  ssize_t r;
  unsigned log2;

  r = raw_read (fs, n, hdr, sizeof hdr, 0);
  if (r < 0)
    return r;
  log2 = hdr[13];
  if (r != sizeof hdr || log2 < 15 || log2 > 17)
    return iso_fail (fs, EUCLEAN, "bad zisofs header");
  while (done < count && offset + done < n->zisofs_size) {
    uint64_t pos = offset + done, block = pos >> log2;
    unsigned char *data = NULL;
    size_t len = 0, in, want;

    r = zisofs_block (fs, n, block, &data, &len);
    if (r < 0)
      return r;
    in = pos - (block << log2);
    if (in >= len)
      break;                    /* a short block: the file ends here */
    want = len - in < count - done ? len - in : count - done;
    if (pos + want > n->zisofs_size)
      want = n->zisofs_size - pos;
    memcpy ((char *) buf + done, data + in, want);
    done += want;
  }
  return done;
}

static ssize_t
iso_pread (struct engine_fs *efs, uint64_t ino, void *buf, size_t count,
           uint64_t offset)
{
  struct iso_fs *fs = ISO (efs);
  struct iso_node *n = node_of (fs, ino);

  if (n == NULL)
    return -ESTALE;
  if (S_ISDIR (n->st.mode))
    return -EISDIR;
  if (!S_ISREG (n->st.mode))
    return -EINVAL;
  if (n->zisofs)
    return zisofs_read (fs, n, buf, count, offset);
  return raw_read (fs, n, buf, count, offset);
}

static int
iso_readdir (struct engine_fs *efs, uint64_t dir, engine_readdir_cb cb,
             void *opaque)
{
  static const enum engine_dtype types[16] = {
    [S_IFIFO >> 12] = ENGINE_DT_FIFO, [S_IFCHR >> 12] = ENGINE_DT_CHR,
    [S_IFDIR >> 12] = ENGINE_DT_DIR, [S_IFBLK >> 12] = ENGINE_DT_BLK,
    [S_IFREG >> 12] = ENGINE_DT_REG, [S_IFLNK >> 12] = ENGINE_DT_LNK,
    [S_IFSOCK >> 12] = ENGINE_DT_SOCK,
  };
  struct iso_fs *fs = ISO (efs);
  struct iso_node *d = node_of (fs, dir);
  size_t i;
  int r;

  if (d == NULL)
    return -ESTALE;
  if ((r = iso_load_dir (fs, d)) < 0)
    return r;
  if ((r = cb (opaque, ".", 1, d->ino, ENGINE_DT_DIR)) != 0)
    return r;
  if ((r = cb (opaque, "..", 2, d->parent, ENGINE_DT_DIR)) != 0)
    return r;
  for (i = 0; i < d->n_children; i++) {
    struct iso_node *c = iso_node_get (fs, d->children[i].ino);
    enum engine_dtype t = c ? types[(c->st.mode & S_IFMT) >> 12]
      : ENGINE_DT_UNKNOWN;
    r = cb (opaque, d->children[i].name, strlen (d->children[i].name),
            d->children[i].ino, t);
    if (r != 0)
      return r;
  }
  return 0;
}

static int
iso_listxattr (struct engine_fs *efs, uint64_t ino, engine_xattr_cb cb,
               void *opaque)
{
  (void) cb;
  (void) opaque;
  return node_of (ISO (efs), ino) ? 0 : -ESTALE;
}

static int
iso_getxattr (struct engine_fs *efs, uint64_t ino, const char *name,
              void **value_r, size_t *len_r)
{
  (void) name;
  (void) value_r;
  (void) len_r;
  return node_of (ISO (efs), ino) ? -ENODATA : -ESTALE;
}

static int
iso_statvfs (struct engine_fs *efs, struct engine_statvfs *sv)
{
  struct iso_fs *fs = ISO (efs);

  memset (sv, 0, sizeof *sv);
  sv->bsize = sv->frsize = fs->block_size;
  sv->blocks = fs->pvd.volume_space_size;
  sv->flag = 1;                 /* ST_RDONLY */
  sv->namemax = fs->tree == ISO_TREE_PLAIN ? 37
    : fs->tree == ISO_TREE_JOLIET ? 206 : 255;
  return 0;
}

static int
iso_get_label (struct engine_fs *efs, char **label_r)
{
  struct iso_fs *fs = ISO (efs);

  const char *j = fs->joliet_label, *p = fs->pvd.volume_id;

  /* As blkid: the Joliet volume id (Unicode) when there is one; but it
   * holds 16 characters where the primary one holds 32, so a Joliet id
   * that fills its field and starts the primary one (ignoring case) is
   * completed from the primary one. */
  if (j == NULL || j[0] == '\0')
    *label_r = strdup (p);
  else if (strlen (j) == 16 && strlen (p) > 16 && strncasecmp (j, p, 16) == 0) {
    if (asprintf (label_r, "%s%s", j, p + 16) == -1)
      *label_r = NULL;
  } else
    *label_r = strdup (j);
  return *label_r ? 0 : -ENOMEM;
}

/* ISO 9660 has no UUID: blkid makes one of the volume's date. */
static int
iso_get_uuid (struct engine_fs *efs, unsigned char uuid[16])
{
  memcpy (uuid, ISO (efs)->pvd.uuid_date, 16);
  return 0;
}

static int
iso_get_uuid_string (struct engine_fs *efs, char **uuid_r)
{
  const char *d = ISO (efs)->pvd.uuid_date;

  if (asprintf (uuid_r, "%.4s-%.2s-%.2s-%.2s-%.2s-%.2s-%.2s", d, d + 4,
                d + 6, d + 8, d + 10, d + 12, d + 14) == -1)
    return -ENOMEM;
  return 0;
}

/* Every writing call. */
static int
rofs_setattr (struct engine_fs *efs, uint64_t ino,
              const struct engine_setattr *sa)
{
  (void) efs; (void) ino; (void) sa;
  return -EROFS;
}

static ssize_t
rofs_pwrite (struct engine_fs *efs, uint64_t ino, const void *buf,
             size_t count, uint64_t offset)
{
  (void) efs; (void) ino; (void) buf; (void) count; (void) offset;
  return -EROFS;
}

static int
rofs_truncate (struct engine_fs *efs, uint64_t ino, uint64_t size)
{
  (void) efs; (void) ino; (void) size;
  return -EROFS;
}

static int
rofs_fallocate (struct engine_fs *efs, uint64_t ino, uint64_t offset,
                uint64_t len)
{
  (void) efs; (void) ino; (void) offset; (void) len;
  return -EROFS;
}

static int
rofs_mknod (struct engine_fs *efs, uint64_t dir, const char *name,
            uint32_t mode, uint64_t rdev, uint32_t uid, uint32_t gid,
            uint64_t *ino_r)
{
  (void) efs; (void) dir; (void) name; (void) mode; (void) rdev;
  (void) uid; (void) gid; (void) ino_r;
  return -EROFS;
}

static int
rofs_mkdir (struct engine_fs *efs, uint64_t dir, const char *name,
            uint32_t mode, uint32_t uid, uint32_t gid, uint64_t *ino_r)
{
  (void) efs; (void) dir; (void) name; (void) mode; (void) uid;
  (void) gid; (void) ino_r;
  return -EROFS;
}

static int
rofs_symlink (struct engine_fs *efs, uint64_t dir, const char *name,
              const char *target, uint32_t uid, uint32_t gid,
              uint64_t *ino_r)
{
  (void) efs; (void) dir; (void) name; (void) target; (void) uid;
  (void) gid; (void) ino_r;
  return -EROFS;
}

static int
rofs_link (struct engine_fs *efs, uint64_t dir, const char *name,
           uint64_t ino)
{
  (void) efs; (void) dir; (void) name; (void) ino;
  return -EROFS;
}

static int
rofs_unlink (struct engine_fs *efs, uint64_t dir, const char *name)
{
  (void) efs; (void) dir; (void) name;
  return -EROFS;
}

static int
rofs_remove_tree (struct engine_fs *efs, uint64_t dir)
{
  (void) efs; (void) dir;
  return -EROFS;
}

static int
rofs_rename (struct engine_fs *efs, uint64_t olddir, const char *oldname,
             uint64_t newdir, const char *newname)
{
  (void) efs; (void) olddir; (void) oldname; (void) newdir; (void) newname;
  return -EROFS;
}

static int
rofs_setxattr (struct engine_fs *efs, uint64_t ino, const char *name,
               const void *value, size_t len)
{
  (void) efs; (void) ino; (void) name; (void) value; (void) len;
  return -EROFS;
}

static int
rofs_removexattr (struct engine_fs *efs, uint64_t ino, const char *name)
{
  (void) efs; (void) ino; (void) name;
  return -EROFS;
}

static int
rofs_set_label (struct engine_fs *efs, const char *label)
{
  (void) efs; (void) label;
  return -EROFS;
}

static const char *const iso9660_mount_types[] = { "iso9660", NULL };

const struct engine_ops engine_iso9660_ops = {
  .name = "iso9660",
  .mount_types = iso9660_mount_types,
  .probe = iso_probe,
  .open = iso_open,
  .close = iso_close,
  .sync = iso_sync,
  .root = iso_root,
  .lookup = iso_lookup,
  .getattr = iso_getattr,
  .setattr = rofs_setattr,
  .readlink = iso_readlink,
  .pread = iso_pread,
  .pwrite = rofs_pwrite,
  .truncate = rofs_truncate,
  .fallocate = rofs_fallocate,
  .mknod = rofs_mknod,
  .mkdir = rofs_mkdir,
  .symlink = rofs_symlink,
  .link = rofs_link,
  .unlink = rofs_unlink,
  .rmdir = rofs_unlink,
  .remove_tree = rofs_remove_tree,
  .rename = rofs_rename,
  .readdir = iso_readdir,
  .listxattr = iso_listxattr,
  .getxattr = iso_getxattr,
  .setxattr = rofs_setxattr,
  .removexattr = rofs_removexattr,
  .statvfs = iso_statvfs,
  .get_label = iso_get_label,
  .get_uuid = iso_get_uuid,
  .get_uuid_string = iso_get_uuid_string,
  .set_label = rofs_set_label,
  .read_run = NULL,
  .write_run = NULL,
};
