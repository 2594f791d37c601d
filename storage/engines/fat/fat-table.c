/* minnow: the FAT engine — boot sector, geometry and the FAT itself.
 *
 * The BPB is checked before anything is trusted: the sector and
 * cluster sizes, the reserved area, the FATs and the data area must
 * all fit in the range, and the FAT must have room for every cluster.
 * The type follows from the cluster count alone, as the specification
 * says (below 4085 FAT12, below 65525 FAT16, else FAT32).
 *
 * One copy of the FAT is read at open and kept in memory (its size is
 * bounded by the range, since it lies inside it); writes mark the FAT's
 * sectors dirty, and a flush writes those sectors to every copy, then
 * FAT32's FSInfo free count and next-free hint.
 */

#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fat.h"

int
fat_error (struct fat_fs *fs, int err, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (fs->hdr.last_error, sizeof fs->hdr.last_error, fmt, ap);
  va_end (ap);
  if (err == EUCLEAN || err == EIO)
    engine_note (fs->hdr.last_error);
  return -err;
}

/* ---------------------------------------------------------------- */
/* Reading and writing the range (storage/range-io.c), with messages.  */

int
fat_read (struct fat_fs *fs, void *buf, size_t len, uint64_t off)
{
  int r = range_read (&fs->range, buf, len, off);

  if (r == -ENODATA)            /* a short image file: zeroes past its end */
    return 0;
  if (r == -ERANGE)
    return fat_error (fs, EIO, "read of %zu bytes at %llu lies outside the "
                      "filesystem", len, (unsigned long long) off);
  if (r < 0)
    return fat_error (fs, -r, "read at %llu: %s", (unsigned long long) off,
                      strerror (-r));
  return 0;
}

int
fat_write (struct fat_fs *fs, const void *buf, size_t len, uint64_t off)
{
  int r = range_write (&fs->range, buf, len, off);

  if (r == -EROFS)
    return r;
  if (r == -ERANGE)
    return fat_error (fs, EIO, "write of %zu bytes at %llu lies outside the "
                      "filesystem", len, (unsigned long long) off);
  if (r < 0)
    return fat_error (fs, -r, "write at %llu: %s", (unsigned long long) off,
                      strerror (-r));
  return 0;
}

uint64_t
fat_cluster_offset (struct fat_fs *fs, uint32_t cluster)
{
  return fs->data_offset + (uint64_t) (cluster - 2) * fs->cluster_size;
}

/* ---------------------------------------------------------------- */
/* The boot sector.                                                   */

struct geometry {
  int bits;
  uint32_t sector_size, cluster_size, nfats, root_entries, nclusters;
  uint32_t root_cluster, fsinfo_sector, backup_boot;
  uint64_t fat_offset, fat_bytes, root_offset, data_offset;
};

static int
is_pow2 (uint32_t v)
{
  return v != 0 && (v & (v - 1)) == 0;
}

/* Checks the BPB of boot sector b against a range of len bytes; on
 * failure returns -1 with the reason in msg. */
static int
parse_bpb (const unsigned char *b, uint64_t len, struct geometry *g,
           char *msg, size_t msglen)
{
  uint32_t bps = fat_le16 (b + 11), spc = b[13];
  uint32_t reserved = fat_le16 (b + 14), nfats = b[16];
  uint32_t root_ent = fat_le16 (b + 17);
  uint64_t total = fat_le16 (b + 19) ? fat_le16 (b + 19) : fat_le32 (b + 32);
  uint64_t fatsz = fat_le16 (b + 22) ? fat_le16 (b + 22) : fat_le32 (b + 36);
  uint64_t root_sectors, data_start, capacity;

  memset (g, 0, sizeof *g);
#define BAD(...) do { snprintf (msg, msglen, __VA_ARGS__); return -1; } while (0)
  if (bps != 512 && bps != 1024 && bps != 2048 && bps != 4096)
    BAD ("bad boot sector: %u bytes per sector (512, 1024, 2048 or 4096)",
         bps);
  if (!is_pow2 (spc))
    BAD ("bad boot sector: %u sectors per cluster (a power of two)", spc);
  if (reserved == 0)
    BAD ("bad boot sector: no reserved sectors");
  if (nfats == 0 || nfats > 4)
    BAD ("bad boot sector: %u FATs", nfats);
  if (fatsz == 0)
    BAD ("bad boot sector: the FAT has no sectors");
  if (total == 0)
    BAD ("bad boot sector: no sectors in the filesystem");
  if (total * bps > len)
    BAD ("bad boot sector: %llu sectors of %u bytes do not fit in the "
         "%llu-byte device", (unsigned long long) total, bps,
         (unsigned long long) len);
  root_sectors = ((uint64_t) root_ent * 32 + bps - 1) / bps;
  data_start = reserved + nfats * fatsz + root_sectors;
  if (data_start >= total)
    BAD ("bad boot sector: the FATs and root directory (%llu sectors) "
         "leave no data area in %llu sectors",
         (unsigned long long) data_start, (unsigned long long) total);
  g->nclusters = (total - data_start) / spc;
  if (g->nclusters == 0)
    BAD ("bad boot sector: no data clusters");
  if (g->nclusters > 0x0ffffff5)
    BAD ("bad boot sector: %u clusters is too many", g->nclusters);
  g->bits = g->nclusters < 4085 ? 12 : g->nclusters < 65525 ? 16 : 32;
  capacity = fatsz * bps * 8 / g->bits;
  if (capacity < (uint64_t) g->nclusters + 2)
    BAD ("bad boot sector: a FAT of %llu sectors cannot hold %u clusters",
         (unsigned long long) fatsz, g->nclusters);
  if (g->bits == 32) {
    if (root_ent != 0 || fat_le16 (b + 22) != 0)
      BAD ("bad boot sector: FAT32 with a FAT16 root directory");
    g->root_cluster = fat_le32 (b + 44);
    if (g->root_cluster < 2 || g->root_cluster > g->nclusters + 1)
      BAD ("bad boot sector: root directory cluster %u is outside the "
           "filesystem", g->root_cluster);
    g->fsinfo_sector = fat_le16 (b + 48);
    if (g->fsinfo_sector >= reserved)
      g->fsinfo_sector = 0;
    g->backup_boot = fat_le16 (b + 50);
    if (g->backup_boot >= reserved)
      g->backup_boot = 0;
  } else if (root_ent == 0)
    BAD ("bad boot sector: FAT%d without a root directory", g->bits);
#undef BAD
  g->sector_size = bps;
  g->cluster_size = bps * spc;
  g->nfats = nfats;
  g->root_entries = root_ent;
  g->fat_offset = (uint64_t) reserved * bps;
  g->fat_bytes = fatsz * bps;
  g->root_offset = g->fat_offset + nfats * g->fat_bytes;
  g->data_offset = data_start * bps;
  return 0;
}

/* A FAT boot sector: the jump, the signature, and "FAT" where the
 * FAT12/16 or FAT32 extended BPB keeps the type string. */
static int
looks_like_fat (const unsigned char *b)
{
  if (b[0] != 0xeb && b[0] != 0xe9)
    return 0;
  if (b[510] != 0x55 || b[511] != 0xaa)
    return 0;
  return memcmp (b + 54, "FAT", 3) == 0 || memcmp (b + 82, "FAT32", 5) == 0;
}

int
fat_probe (const struct engine_range *range, const char **type)
{
  unsigned char b[512];
  struct geometry g;
  char msg[160];

  if (range->length < 512 || range_read (range, b, sizeof b, 0) < 0)
    return 0;
  /* A damaged BPB is still recognised, so that open can say what is
   * wrong with it. */
  if (!looks_like_fat (b)) {
    if (b[510] != 0x55 || b[511] != 0xaa || (b[0] != 0xeb && b[0] != 0xe9)
        || parse_bpb (b, range->length, &g, msg, sizeof msg) < 0)
      return 0;
  }
  *type = "vfat";
  return 1;
}

/* ---------------------------------------------------------------- */
/* The FAT.                                                           */

uint32_t
fat_get (struct fat_fs *fs, uint32_t c)
{
  uint64_t off;
  uint32_t v;

  switch (fs->bits) {
  case 12:
    off = c + c / 2;
    v = fs->fat[off];
    if (off + 1 < fs->fat_bytes)
      v |= fs->fat[off + 1] << 8;
    return (c & 1) ? v >> 4 : v & 0xfff;
  case 16:
    return fat_le16 (fs->fat + 2 * (uint64_t) c);
  default:
    return fat_le32 (fs->fat + 4 * (uint64_t) c) & 0x0fffffff;
  }
}

static void
mark_dirty (struct fat_fs *fs, uint64_t off, size_t len)
{
  uint64_t s;

  for (s = off / fs->sector_size; s <= (off + len - 1) / fs->sector_size;
       s++)
    if (s < fs->fat_bytes / fs->sector_size)
      fs->fat_dirty[s] = 1;
  fs->any_dirty = 1;
}

static int
is_cluster (struct fat_fs *fs, uint32_t v)
{
  return v >= 2 && v <= fs->nclusters + 1;
}

void
fat_set (struct fat_fs *fs, uint32_t c, uint32_t v)
{
  uint64_t off;
  unsigned char *p;
  uint32_t old = fat_get (fs, c);

  if (is_cluster (fs, old))
    fs->linked[old / 8] &= ~(1 << (old % 8));
  if (is_cluster (fs, v))
    fs->linked[v / 8] |= 1 << (v % 8);

  switch (fs->bits) {
  case 12:
    off = c + c / 2;
    p = fs->fat + off;
    if (c & 1) {
      p[0] = (p[0] & 0x0f) | ((v & 0x0f) << 4);
      if (off + 1 < fs->fat_bytes)
        p[1] = (v >> 4) & 0xff;
    } else {
      p[0] = v & 0xff;
      if (off + 1 < fs->fat_bytes)
        p[1] = (p[1] & 0xf0) | ((v >> 8) & 0x0f);
    }
    mark_dirty (fs, off, off + 1 < fs->fat_bytes ? 2 : 1);
    break;
  case 16:
    off = 2 * (uint64_t) c;
    fat_put16 (fs->fat + off, v);
    mark_dirty (fs, off, 2);
    break;
  default:
    off = 4 * (uint64_t) c;
    /* The top four bits are reserved and kept. */
    fat_put32 (fs->fat + off, (fat_le32 (fs->fat + off) & 0xf0000000)
               | (v & 0x0fffffff));
    mark_dirty (fs, off, 4);
  }
}

uint32_t
fat_eoc (struct fat_fs *fs)
{
  return fs->bits == 12 ? 0xfff : fs->bits == 16 ? 0xffff : 0x0fffffff;
}

int
fat_is_eoc (struct fat_fs *fs, uint32_t v)
{
  return v >= (fat_eoc (fs) & ~7u);
}

static int
is_bad_cluster (struct fat_fs *fs, uint32_t v)
{
  return v == (fat_eoc (fs) & ~7u) - 1;
}

void
fat_chain_forget (struct fat_fs *fs)
{
  fs->chain_first = 0;
  fs->chain_len = 0;
}

static int
chain_append (struct fat_fs *fs, uint32_t c)
{
  if (fs->chain_len == fs->chain_cap) {
    size_t cap = fs->chain_cap ? fs->chain_cap * 2 : 64;
    uint32_t *p = realloc (fs->chain, cap * sizeof *p);

    if (p == NULL)
      return -ENOMEM;
    fs->chain = p;
    fs->chain_cap = cap;
  }
  fs->chain[fs->chain_len++] = c;
  return 0;
}

int
fat_chain (struct fat_fs *fs, uint32_t first, const uint32_t **chain_r,
           size_t *len_r)
{
  uint32_t c = first, max = fs->nclusters + 1;
  int r;

  if (first != 0 && first == fs->chain_first) {
    *chain_r = fs->chain;
    *len_r = fs->chain_len;
    return 0;
  }
  fat_chain_forget (fs);
  *chain_r = fs->chain;
  *len_r = 0;
  if (first == 0)
    return 0;
  for (;;) {
    uint32_t next;

    if (c < 2 || c > max)
      return fat_error (fs, EUCLEAN, "cluster chain starting at %u links "
                        "to cluster %u, outside the filesystem", first, c);
    if (fs->chain_len >= fs->nclusters)
      return fat_error (fs, EUCLEAN, "cluster chain starting at %u is "
                        "longer than the filesystem: it loops", first);
    r = chain_append (fs, c);
    if (r < 0)
      return r;
    next = fat_get (fs, c);
    if (fat_is_eoc (fs, next))
      break;
    if (next == 0)
      return fat_error (fs, EUCLEAN, "cluster chain starting at %u runs "
                        "into free cluster %u", first, c);
    if (is_bad_cluster (fs, next))
      return fat_error (fs, EUCLEAN, "cluster chain starting at %u runs "
                        "into a bad cluster after %u", first, c);
    c = next;
  }
  /* Checked after the walk, so that a loop back to the start is called
   * a loop. */
  if (fs->linked[first / 8] & (1 << (first % 8))) {
    fat_chain_forget (fs);
    return fat_error (fs, EUCLEAN, "cross-linked cluster chains: a chain "
                      "starts at cluster %u, which another chain links to "
                      "(run fsck.fat)", first);
  }
  fs->chain_first = first;
  *chain_r = fs->chain;
  *len_r = fs->chain_len;
  return 0;
}

static int
zero_cluster (struct fat_fs *fs, uint32_t c)
{
  static const unsigned char zeros[65536];
  uint64_t off = fat_cluster_offset (fs, c);
  uint32_t done = 0;
  int r;

  while (done < fs->cluster_size) {
    uint32_t n = fs->cluster_size - done;

    if (n > sizeof zeros)
      n = sizeof zeros;
    r = fat_write (fs, zeros, n, off + done);
    if (r < 0)
      return r;
    done += n;
  }
  return 0;
}

static uint32_t
find_free (struct fat_fs *fs)
{
  uint32_t i, c, max = fs->nclusters + 1;

  if (fs->next_free < 2 || fs->next_free > max)
    fs->next_free = 2;
  for (i = 0, c = fs->next_free; i < fs->nclusters; i++) {
    if (fat_get (fs, c) == 0) {
      fs->next_free = c + 1;
      return c;
    }
    c = c == max ? 2 : c + 1;
  }
  return 0;
}

int
fat_resize_chain (struct fat_fs *fs, uint32_t *first, size_t n, int zero)
{
  const uint32_t *chain;
  size_t len, i;
  int r;

  if (fs->range.readonly)
    return -EROFS;
  r = fat_chain (fs, *first, &chain, &len);
  if (r < 0)
    return r;
  if (n == len)
    return 0;
  if (n < len) {
    for (i = n; i < len; i++) {
      fat_set (fs, fs->chain[i], 0);
      fs->free_count++;
      if (fs->chain[i] < fs->next_free)
        fs->next_free = fs->chain[i];
    }
    if (n == 0) {
      *first = 0;
      fat_chain_forget (fs);
    } else {
      fat_set (fs, fs->chain[n - 1], fat_eoc (fs));
      fs->chain_len = n;
    }
    return 0;
  }
  if (n - len > fs->free_count)
    return fat_error (fs, ENOSPC, "no space left: %zu clusters needed, %u "
                      "free", n - len, fs->free_count);
  for (i = len; i < n; i++) {
    uint32_t c = find_free (fs);

    if (c == 0)
      return fat_error (fs, ENOSPC, "no free cluster left");
    if (zero) {
      r = zero_cluster (fs, c);
      if (r < 0)
        return r;
    }
    fat_set (fs, c, fat_eoc (fs));
    fs->free_count--;
    if (fs->chain_len == 0) {
      *first = c;
      fs->chain_first = c;
    } else
      fat_set (fs, fs->chain[fs->chain_len - 1], c);
    r = chain_append (fs, c);
    if (r < 0) {
      fat_chain_forget (fs);
      return r;
    }
  }
  return 0;
}

/* ---------------------------------------------------------------- */
/* Open, flush, close.                                                */

static int
check_cross_links (struct fat_fs *fs)
{
  uint32_t c, v, max = fs->nclusters + 1;
  unsigned char *seen = calloc ((max + 8) / 8, 1);

  if (seen == NULL)
    return -ENOMEM;
  fs->linked = seen;
  fs->free_count = 0;
  for (c = 2; c <= max; c++) {
    v = fat_get (fs, c);
    if (v == 0)
      fs->free_count++;
    else if (v >= 2 && v <= max) {
      if (seen[v / 8] & (1 << (v % 8)))
        return fat_error (fs, EUCLEAN, "cross-linked cluster chains: "
                          "cluster %u is linked from two chains "
                          "(run fsck.fat)", v);
      seen[v / 8] |= 1 << (v % 8);
    }
  }
  return 0;
}

int
fat_open (const struct engine_range *range, struct engine_fs **fs_r,
          char **error_r)
{
  struct fat_fs *fs;
  struct geometry g;
  char msg[200];
  int r;

  *error_r = NULL;
  *fs_r = NULL;
  fs = calloc (1, sizeof *fs);
  if (fs == NULL)
    return -ENOMEM;
  fs->hdr.ops = &engine_fat_ops;
  fs->hdr.readonly = range->readonly;
  fs->range = *range;
  r = fat_read (fs, fs->boot, sizeof fs->boot, 0);
  if (r < 0)
    goto error;
  if (parse_bpb (fs->boot, range->length, &g, msg, sizeof msg) < 0) {
    r = fat_error (fs, EUCLEAN, "%s", msg);
    goto error;
  }
  fs->bits = g.bits;
  fs->sector_size = g.sector_size;
  fs->cluster_size = g.cluster_size;
  fs->nfats = g.nfats;
  fs->fat_offset = g.fat_offset;
  fs->fat_bytes = g.fat_bytes;
  fs->root_offset = g.root_offset;
  fs->root_entries = g.root_entries;
  fs->data_offset = g.data_offset;
  fs->nclusters = g.nclusters;
  fs->root_cluster = g.root_cluster;
  fs->fsinfo_sector = g.fsinfo_sector;
  fs->backup_boot = g.backup_boot;
  fs->fat = malloc (fs->fat_bytes);
  fs->fat_dirty = calloc (fs->fat_bytes / fs->sector_size + 1, 1);
  if (fs->fat == NULL || fs->fat_dirty == NULL) {
    r = fat_error (fs, ENOMEM, "no memory for a FAT of %llu bytes",
                   (unsigned long long) fs->fat_bytes);
    goto error;
  }
  r = fat_read (fs, fs->fat, fs->fat_bytes, fs->fat_offset);
  if (r < 0)
    goto error;
  r = check_cross_links (fs);
  if (r < 0)
    goto error;
  fs->next_free = 2;
  if (fs->bits == 32) {
    const uint32_t *chain;
    size_t len;

    /* The root directory's chain must be sound before anything else. */
    r = fat_chain (fs, fs->root_cluster, &chain, &len);
    if (r < 0)
      goto error;
  }
  *fs_r = &fs->hdr;
  return 0;

 error:
  *error_r = strdup (fs->hdr.last_error[0] ? fs->hdr.last_error
                     : strerror (-r));
  free (fs->fat);
  free (fs->fat_dirty);
  free (fs->linked);
  free (fs->chain);
  free (fs);
  return r;
}

static int
write_fsinfo (struct fat_fs *fs)
{
  unsigned char s[512];
  uint64_t off = (uint64_t) fs->fsinfo_sector * fs->sector_size;
  int r;

  r = fat_read (fs, s, sizeof s, off);
  if (r < 0)
    return r;
  if (fat_le32 (s) != 0x41615252 || fat_le32 (s + 484) != 0x61417272)
    return 0;                   /* no valid FSInfo: nothing to keep */
  fat_put32 (s + 488, fs->free_count);
  fat_put32 (s + 492, fs->next_free);
  return fat_write (fs, s, sizeof s, off);
}

int
fat_flush (struct fat_fs *fs)
{
  uint64_t nsec = fs->fat_bytes / fs->sector_size, s, e;
  uint32_t k;
  int r;

  if (fs->range.readonly)
    return 0;
  if (fs->boot_dirty) {
    r = fat_write (fs, fs->boot, sizeof fs->boot, 0);
    if (r == 0 && fs->backup_boot)
      r = fat_write (fs, fs->boot, sizeof fs->boot,
                     (uint64_t) fs->backup_boot * fs->sector_size);
    if (r < 0)
      return r;
    fs->boot_dirty = 0;
  }
  if (!fs->any_dirty)
    return 0;
  for (s = 0; s < nsec; s = e) {
    if (!fs->fat_dirty[s]) {
      e = s + 1;
      continue;
    }
    for (e = s; e < nsec && fs->fat_dirty[e]; e++)
      fs->fat_dirty[e] = 0;
    for (k = 0; k < fs->nfats; k++) {
      r = fat_write (fs, fs->fat + s * fs->sector_size,
                     (e - s) * fs->sector_size,
                     fs->fat_offset + k * fs->fat_bytes + s * fs->sector_size);
      if (r < 0)
        return r;
    }
  }
  fs->any_dirty = 0;
  if (fs->bits == 32 && fs->fsinfo_sector)
    return write_fsinfo (fs);
  return 0;
}

int
fat_sync (struct engine_fs *efs)
{
  return fat_flush (FAT (efs));
}

int
fat_close (struct engine_fs *efs)
{
  struct fat_fs *fs = FAT (efs);
  int r = fat_flush (fs);

  free (fs->fat);
  free (fs->fat_dirty);
  free (fs->linked);
  free (fs->chain);
  free (fs);
  return r;
}

/* ---------------------------------------------------------------- */
/* statvfs, label, serial number.                                     */

static uint32_t
serial (struct fat_fs *fs)
{
  return fat_le32 (fs->boot + (fs->bits == 32 ? 67 : 39));
}

int
fat_statvfs (struct engine_fs *efs, struct engine_statvfs *sv)
{
  struct fat_fs *fs = FAT (efs);

  memset (sv, 0, sizeof *sv);
  sv->bsize = sv->frsize = fs->cluster_size;
  sv->blocks = fs->nclusters;
  sv->bfree = sv->bavail = fs->free_count;
  sv->fsid = serial (fs);
  sv->flag = efs->readonly ? 1 /* ST_RDONLY */ : 0;
  /* As the kernel's vfat: 255 UTF-16 units, up to 6 bytes each. */
  sv->namemax = 255 * 6;
  return 0;
}

/* The boot sector's label field, when its extended BPB has one. */
static unsigned char *
boot_label (struct fat_fs *fs)
{
  unsigned char *b = fs->boot + (fs->bits == 32 ? 28 : 0);

  return b[38] == 0x29 ? b + 43 : NULL;
}

int
fat_get_label (struct engine_fs *efs, char **label_r)
{
  struct fat_fs *fs = FAT (efs);
  unsigned char de[32];
  const unsigned char *l = NULL;
  uint64_t pos;
  size_t n;
  int r;

  r = fat_find_volume_entry (fs, &pos);
  if (r < 0)
    return r;
  if (r == 1) {
    r = fat_read (fs, de, sizeof de, pos);
    if (r < 0)
      return r;
    l = de;
  } else if ((l = boot_label (fs)) != NULL && memcmp (l, "NO NAME    ", 11) == 0)
    l = NULL;
  n = 11;
  while (l && n > 0 && (l[n - 1] == ' ' || l[n - 1] == 0))
    n--;
  *label_r = strndup (l ? (const char *) l : "", l ? n : 0);
  if (l && *label_r && (*label_r)[0] == 0x05)
    (*label_r)[0] = (char) 0xe5;
  return *label_r ? 0 : -ENOMEM;
}

/* The volume serial number as blkid shows it: "1234-ABCD". */
int
fat_get_uuid_string (struct engine_fs *efs, char **uuid_r)
{
  uint32_t s = serial (FAT (efs));

  if (asprintf (uuid_r, "%04X-%04X", s >> 16, s & 0xffff) == -1)
    return -ENOMEM;
  return 0;
}

int
fat_get_uuid (struct engine_fs *efs, unsigned char uuid[16])
{
  uint32_t s = serial (FAT (efs));

  memset (uuid, 0, 16);
  uuid[0] = s >> 24;
  uuid[1] = s >> 16;
  uuid[2] = s >> 8;
  uuid[3] = s;
  return 0;
}

int
fat_set_label (struct engine_fs *efs, const char *label)
{
  struct fat_fs *fs = FAT (efs);
  unsigned char name[11], *bl;
  uint64_t pos;
  size_t i, len = strlen (label);
  int r;

  if (efs->readonly)
    return -EROFS;
  if (len > 11)
    return fat_error (fs, ERANGE, "label \"%s\" is too long (FAT labels "
                      "hold 11 bytes)", label);
  for (i = 0; i < len; i++)
    if ((unsigned char) label[i] < 0x20 || strchr ("\"*+,./:;<=>?[\\]|",
                                                   label[i]))
      return fat_error (fs, EINVAL, "label \"%s\": FAT labels cannot hold "
                        "'%c'", label, label[i]);
  memset (name, ' ', sizeof name);
  memcpy (name, label, len);
  if (len > 0 && name[0] == 0xe5)
    name[0] = 0x05;
  bl = boot_label (fs);
  if (bl) {
    memcpy (bl, len ? name : (const unsigned char *) "NO NAME    ", 11);
    fs->boot_dirty = 1;
  }
  r = fat_find_volume_entry (fs, &pos);
  if (r < 0)
    return r;
  if (r == 1) {
    unsigned char de[32];

    r = fat_read (fs, de, sizeof de, pos);
    if (r < 0)
      return r;
    if (len == 0)
      de[0] = 0xe5;
    else {
      memcpy (de, name, 11);
      fat_stamp_modified (de);
    }
    r = fat_write (fs, de, sizeof de, pos);
  } else if (len > 0)
    r = fat_create_volume_entry (fs, name);
  if (r < 0)
    return r;
  return fat_flush (fs);
}
