/* minnow: ISO 9660 directory records, SUSP / Rock Ridge entries, and
 * the node table (see iso9660.h for what an inode number is).
 *
 * A directory record (ECMA-119 9.1):
 *   0 length  1 extended attribute record length  2 extent (LE+BE)
 *   10 data length (LE+BE)  18 recording time (7 bytes)  25 flags
 *   32 identifier length  33 identifier  [pad to even]  system use area
 * Records never cross a sector; a zero length byte ends the sector.
 */

#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/sysmacros.h>

#include "iso9660.h"

#define DR_MIN 34                       /* 33 fixed bytes + 1 identifier */
#define FLAG_HIDDEN 0x01
#define FLAG_DIR 0x02
#define FLAG_ASSOC 0x04
#define FLAG_MULTI 0x80

static uint32_t
le32 (const unsigned char *p)
{
  return p[0] | (p[1] << 8) | (p[2] << 16) | ((uint32_t) p[3] << 24);
}

/* ---------------------------------------------------------------- */
/* Times.                                                             */

static int64_t
civil_to_epoch (int year, int mon, int day, int hour, int min, int sec,
                int gmtoff_15min)
{
  struct tm tm;

  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59
      || sec > 60)
    return 0;
  memset (&tm, 0, sizeof tm);
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  if (gmtoff_15min < -48 || gmtoff_15min > 52)
    gmtoff_15min = 0;           /* out of range: taken as UTC */
  return (int64_t) timegm (&tm) - (int64_t) gmtoff_15min * 15 * 60;
}

/* The 7-byte form of directory records and RR TF. */
int64_t
iso_time7 (const unsigned char *p)
{
  return civil_to_epoch (1900 + p[0], p[1], p[2], p[3], p[4], p[5],
                         (signed char) p[6]);
}

static int
digits (const char *p, int n)
{
  int v = 0, i;

  for (i = 0; i < n; i++) {
    if (p[i] < '0' || p[i] > '9')
      return -1;
    v = v * 10 + (p[i] - '0');
  }
  return v;
}

/* The 17-byte form of volume descriptors and RR TF (long form):
 * "YYYYMMDDHHMMSSCC" then the offset; all zeros means unset. */
int64_t
iso_time17 (const char *p, int *valid_r)
{
  int y = digits (p, 4), mo = digits (p + 4, 2), d = digits (p + 6, 2);
  int h = digits (p + 8, 2), mi = digits (p + 10, 2), s = digits (p + 12, 2);

  *valid_r = y > 0 && mo > 0 && d > 0 && h >= 0 && mi >= 0 && s >= 0;
  if (!*valid_r)
    return 0;
  return civil_to_epoch (y, mo, d, h, mi, s, (signed char) p[16]);
}

/* ---------------------------------------------------------------- */
/* The node table.                                                    */

static size_t
hash64 (uint64_t k, size_t size)
{
  k ^= k >> 33;
  k *= UINT64_C (0xff51afd7ed558ccd);
  k ^= k >> 33;
  return k & (size - 1);
}

struct iso_node *
iso_node_get (struct iso_fs *fs, uint64_t ino)
{
  size_t i;

  if (fs->table_size == 0)
    return NULL;
  for (i = hash64 (ino, fs->table_size); fs->table[i];
       i = (i + 1) & (fs->table_size - 1))
    if (fs->table[i]->ino == ino)
      return fs->table[i];
  return NULL;
}

static int
node_insert (struct iso_fs *fs, struct iso_node *n)
{
  size_t i;

  if (fs->n_nodes >= ISO_MAX_NODES)
    return iso_fail (fs, EUCLEAN, "more than %u files and directories",
                     ISO_MAX_NODES);
  if ((fs->n_nodes + 1) * 2 > fs->table_size) {
    size_t size = fs->table_size ? fs->table_size * 2 : 1024, j;
    struct iso_node **t = calloc (size, sizeof *t);

    if (t == NULL)
      return -ENOMEM;
    for (j = 0; j < fs->table_size; j++)
      if (fs->table[j]) {
        for (i = hash64 (fs->table[j]->ino, size); t[i]; i = (i + 1) & (size - 1))
          ;
        t[i] = fs->table[j];
      }
    free (fs->table);
    fs->table = t;
    fs->table_size = size;
  }
  for (i = hash64 (n->ino, fs->table_size); fs->table[i];
       i = (i + 1) & (fs->table_size - 1))
    ;
  fs->table[i] = n;
  fs->n_nodes++;
  return 0;
}

static void
node_free (struct iso_node *n)
{
  size_t i;

  if (n == NULL)
    return;
  for (i = 0; i < n->n_children; i++)
    free (n->children[i].name);
  free (n->children);
  free (n->extents);
  free (n->symlink);
  free (n);
}

/* Records that dir's records start at byte start; -EUCLEAN when another
 * directory already owns them. */
static int
claim_dir_extent (struct iso_fs *fs, uint64_t start, uint64_t ino)
{
  size_t i;

  if (start == 0)
    return 0;
  if ((fs->n_dirs + 1) * 2 > fs->dir_size) {
    size_t size = fs->dir_size ? fs->dir_size * 2 : 256, j;
    uint64_t *k = calloc (size, sizeof *k), *v = calloc (size, sizeof *v);

    if (k == NULL || v == NULL) {
      free (k);
      free (v);
      return -ENOMEM;
    }
    for (j = 0; j < fs->dir_size; j++)
      if (fs->dir_keys[j]) {
        for (i = hash64 (fs->dir_keys[j], size); k[i]; i = (i + 1) & (size - 1))
          ;
        k[i] = fs->dir_keys[j];
        v[i] = fs->dir_inos[j];
      }
    free (fs->dir_keys);
    free (fs->dir_inos);
    fs->dir_keys = k;
    fs->dir_inos = v;
    fs->dir_size = size;
  }
  for (i = hash64 (start, fs->dir_size); fs->dir_keys[i];
       i = (i + 1) & (fs->dir_size - 1))
    if (fs->dir_keys[i] == start) {
      if (fs->dir_inos[i] == ino)
        return 0;
      return iso_fail (fs, EUCLEAN, "two directories share the records at "
                       "byte %llu", (unsigned long long) start);
    }
  fs->dir_keys[i] = start;
  fs->dir_inos[i] = ino;
  fs->n_dirs++;
  return 0;
}

void
iso_free_nodes (struct iso_fs *fs)
{
  size_t i;

  for (i = 0; i < fs->table_size; i++)
    node_free (fs->table[i]);
  free (fs->table);
  fs->table = NULL;
  fs->table_size = fs->n_nodes = 0;
  free (fs->dir_keys);
  free (fs->dir_inos);
  fs->dir_keys = fs->dir_inos = NULL;
  fs->dir_size = fs->n_dirs = 0;
}

/* ---------------------------------------------------------------- */
/* SUSP and Rock Ridge.                                               */

struct rr_info {
  int has_rr, has_sp, has_px, has_pn, has_cl, relocated;
  unsigned sp_skip;
  uint32_t mode, nlink, uid, gid;
  uint64_t rdev;
  uint32_t cl_block;
  int has_time[4];              /* creation, modify, access, attributes */
  int64_t time[4];
  char *name;                   /* NM, NUL-terminated */
  size_t name_len;
  char *link;                   /* SL */
  size_t link_len;
  int link_need_sep, has_sl;
  int zisofs;                   /* ZF: data compressed by zisofs */
  uint32_t zisofs_size;         /* its uncompressed size */
};

static void
rr_free (struct rr_info *rr)
{
  free (rr->name);
  free (rr->link);
}

static int
append (struct iso_fs *fs, char **s, size_t *len, const void *p, size_t n,
        size_t max, const char *what)
{
  char *t;

  if (*len + n > max)
    return iso_fail (fs, EUCLEAN, "Rock Ridge %s longer than %zu bytes",
                     what, max);
  t = realloc (*s, *len + n + 1);
  if (t == NULL)
    return -ENOMEM;
  memcpy (t + *len, p, n);
  *len += n;
  t[*len] = '\0';
  *s = t;
  return 0;
}

static int
rr_symlink (struct iso_fs *fs, struct rr_info *rr, const unsigned char *e,
            size_t len)
{
  size_t pos = 5;               /* after the entry header and its flags */
  int r;

  rr->has_sl = 1;
  if (rr->link == NULL) {
    rr->link = strdup ("");
    if (rr->link == NULL)
      return -ENOMEM;
  }
  while (pos + 2 <= len) {
    unsigned cflags = e[pos], clen = e[pos + 1];
    const unsigned char *c = e + pos + 2;

    if (pos + 2 + clen > len)
      return iso_fail (fs, EUCLEAN, "Rock Ridge SL component beyond its entry");
    pos += 2 + clen;
    if (cflags & 0x08) {        /* the root */
      if (rr->link_len == 0 || rr->link[rr->link_len - 1] != '/')
        if ((r = append (fs, &rr->link, &rr->link_len, "/", 1,
                         ISO_MAX_SYMLINK, "symlink")) < 0)
          return r;
      rr->link_need_sep = 0;
      continue;
    }
    if (rr->link_need_sep
        && (r = append (fs, &rr->link, &rr->link_len, "/", 1,
                        ISO_MAX_SYMLINK, "symlink")) < 0)
      return r;
    if (cflags & 0x02)
      r = append (fs, &rr->link, &rr->link_len, ".", 1, ISO_MAX_SYMLINK,
                  "symlink");
    else if (cflags & 0x04)
      r = append (fs, &rr->link, &rr->link_len, "..", 2, ISO_MAX_SYMLINK,
                  "symlink");
    else
      r = append (fs, &rr->link, &rr->link_len, c, clen, ISO_MAX_SYMLINK,
                  "symlink");
    if (r < 0)
      return r;
    rr->link_need_sep = !(cflags & 0x01);
  }
  return 0;
}

static void
rr_times (struct rr_info *rr, const unsigned char *e, size_t len)
{
  unsigned flags = e[4], bit;
  size_t w = (flags & 0x80) ? 17 : 7, pos = 5;
  int slot;

  for (bit = 0; bit < 7; bit++) {
    if (!(flags & (1u << bit)))
      continue;
    if (pos + w > len)
      return;
    slot = bit < 4 ? (int) bit : -1;
    if (slot >= 0) {
      int valid = 1;
      rr->time[slot] = w == 17 ? iso_time17 ((const char *) e + pos, &valid)
        : iso_time7 (e + pos);
      rr->has_time[slot] = valid;
    }
    pos += w;
  }
}

/* Parses the system use area of the record at rec (reclen bytes), then
 * its continuation areas.  skip: SUSP LEN_SKP (0 when looking for SP). */
static int
parse_susp (struct iso_fs *fs, const unsigned char *rec, size_t reclen,
            unsigned skip, struct rr_info *rr)
{
  size_t start = 33 + rec[32] + !(rec[32] & 1) + skip;
  const unsigned char *area = rec + start;
  size_t area_len = start < reclen ? reclen - start : 0;
  unsigned char *ce_buf = NULL;
  size_t total = 0;
  int hops = 0, r = 0;

  for (;;) {
    uint64_t ce_off = 0, ce_len = 0;
    int has_ce = 0;
    size_t pos = 0;

    total += area_len;
    if (total > ISO_MAX_SUSP_BYTES) {
      r = iso_fail (fs, EUCLEAN, "system use entries longer than %u bytes",
                    ISO_MAX_SUSP_BYTES);
      break;
    }
    while (pos + 4 <= area_len) {
      const unsigned char *e = area + pos;
      unsigned len = e[2];

      if (len < 4 || pos + len > area_len)
        break;                  /* padding or a damaged entry: stop */
      pos += len;
      if (e[0] == 'S' && e[1] == 'T')
        break;
      else if (e[0] == 'C' && e[1] == 'E' && len >= 28) {
        has_ce = 1;
        ce_off = (uint64_t) le32 (e + 4) * fs->block_size + le32 (e + 12);
        ce_len = le32 (e + 20);
      } else if (e[0] == 'S' && e[1] == 'P' && len >= 7
                 && e[4] == 0xbe && e[5] == 0xef) {
        rr->has_sp = 1;
        rr->sp_skip = e[6];
      } else if (e[0] == 'E' && e[1] == 'R')
        rr->has_rr = 1;
      else if (e[0] == 'P' && e[1] == 'X' && len >= 36) {
        rr->has_rr = rr->has_px = 1;
        rr->mode = le32 (e + 4);
        rr->nlink = le32 (e + 12);
        rr->uid = le32 (e + 20);
        rr->gid = le32 (e + 28);
      } else if (e[0] == 'P' && e[1] == 'N' && len >= 20) {
        uint32_t hi = le32 (e + 4), lo = le32 (e + 12);
        rr->has_rr = rr->has_pn = 1;
        /* RRIP: high and low words of the number.  Writers put a
         * whole encoded number in the low word (libisofs: the
         * dev_t itself; old ones: major << 8 | minor), which Linux
         * reads as major << 8 | minor when the high word is 0 and the
         * low one above 255.  Decoding the low word as a dev_t gives
         * the kernel's answer for every 16-bit number and libisofs's
         * for the larger ones. */
        if (hi == 0 && (lo & ~0xffu))
          rr->rdev = lo;
        else
          rr->rdev = makedev (hi, lo);
      } else if (e[0] == 'S' && e[1] == 'L' && len >= 5) {
        rr->has_rr = 1;
        if ((r = rr_symlink (fs, rr, e, len)) < 0)
          break;
      } else if (e[0] == 'N' && e[1] == 'M' && len >= 5) {
        rr->has_rr = 1;
        if (!(e[4] & 0x06)
            && (r = append (fs, &rr->name, &rr->name_len, e + 5, len - 5,
                            ISO_MAX_NAME, "name")) < 0)
          break;
      } else if (e[0] == 'T' && e[1] == 'F' && len >= 5) {
        rr->has_rr = 1;
        rr_times (rr, e, len);
      } else if (e[0] == 'C' && e[1] == 'L' && len >= 12) {
        rr->has_rr = rr->has_cl = 1;
        rr->cl_block = le32 (e + 4);
      } else if (e[0] == 'R' && e[1] == 'E')
        rr->has_rr = rr->relocated = 1;
      else if (e[0] == 'R' && e[1] == 'R')
        rr->has_rr = 1;
      else if (e[0] == 'Z' && e[1] == 'F' && len >= 16) {
        rr->zisofs = 1;
        rr->zisofs_size = le32 (e + 8);
      }
    }
    if (r < 0 || !has_ce)
      break;
    if (++hops > ISO_MAX_CE) {
      r = iso_fail (fs, EUCLEAN, "more than %d SUSP continuation areas "
                    "(a CE loop?)", ISO_MAX_CE);
      break;
    }
    if (ce_len == 0)
      break;
    if (ce_len > ISO_MAX_SUSP_BYTES) {
      r = iso_fail (fs, EUCLEAN, "SUSP continuation area of %llu bytes",
                    (unsigned long long) ce_len);
      break;
    }
    free (ce_buf);
    ce_buf = malloc (ce_len);
    if (ce_buf == NULL) {
      r = -ENOMEM;
      break;
    }
    if ((r = iso_read (fs, ce_off, ce_buf, ce_len)) < 0)
      break;
    area = ce_buf;
    area_len = ce_len;
  }
  free (ce_buf);
  return r;
}

int
iso_root_has_susp (struct iso_fs *fs, uint64_t root_rec, unsigned *skip_r)
{
  unsigned char rec[DR_MIN];
  unsigned char dot[255];
  struct rr_info rr;
  uint64_t ext;
  int r;

  *skip_r = 0;
  if ((r = iso_read (fs, root_rec, rec, sizeof rec)) < 0)
    return r;
  ext = (uint64_t) (le32 (rec + 2) + rec[1]) * fs->block_size;
  if ((r = iso_read (fs, ext, dot, 1)) < 0)
    return r;
  if (dot[0] < DR_MIN)
    return 0;
  if ((r = iso_read (fs, ext, dot, dot[0])) < 0)
    return r;
  memset (&rr, 0, sizeof rr);
  r = parse_susp (fs, dot, dot[0], 0, &rr);
  rr_free (&rr);
  if (r < 0)
    return r;
  *skip_r = rr.sp_skip;
  return rr.has_sp && rr.has_rr;
}

/* ---------------------------------------------------------------- */
/* Nodes from directory records.                                      */

/* Fills n from one record (the first of a multi-extent file) and the
 * Rock Ridge entries; the extents are added by the caller. */
static int
node_from_record (struct iso_fs *fs, struct iso_node *n,
                  const unsigned char *rec, struct rr_info *rr)
{
  int64_t t = iso_time7 (rec + 18);
  int is_dir = (rec[25] & FLAG_DIR) != 0;

  n->st.ino = n->ino;
  n->st.blksize = ISO_SECTOR;
  n->st.mtime_sec = n->st.atime_sec = n->st.ctime_sec = n->st.crtime_sec = t;
  if (rr && rr->has_px) {
    n->st.mode = rr->mode;
    n->st.nlink = rr->nlink;
    n->st.uid = rr->uid;
    n->st.gid = rr->gid;
    /* A record's directory bit wins over a contradicting PX type. */
    if (is_dir != S_ISDIR (n->st.mode))
      n->st.mode = (is_dir ? S_IFDIR : S_IFREG) | (n->st.mode & 07777);
  } else {
    /* The kernel's defaults: r-x for everyone, root's, one link. */
    n->st.mode = (is_dir ? S_IFDIR : S_IFREG) | 0555;
    n->st.nlink = 1;
  }
  if (rr) {
    if (rr->has_time[0])
      n->st.crtime_sec = rr->time[0];
    if (rr->has_time[1])
      n->st.mtime_sec = rr->time[1];
    if (rr->has_time[2])
      n->st.atime_sec = rr->time[2];
    if (rr->has_time[3])
      n->st.ctime_sec = rr->time[3];
    if (rr->has_pn && (S_ISCHR (n->st.mode) || S_ISBLK (n->st.mode)))
      n->st.rdev = rr->rdev;
    if (rr->zisofs && S_ISREG (n->st.mode)) {
      n->zisofs = 1;
      n->zisofs_size = rr->zisofs_size;
    }
    if (rr->has_sl && S_ISLNK (n->st.mode)) {
      n->symlink = rr->link;
      rr->link = NULL;
    }
  }
  return 0;
}

static int
add_extent (struct iso_fs *fs, struct iso_node *n, const unsigned char *rec)
{
  uint64_t start = (uint64_t) (le32 (rec + 2) + rec[1]) * fs->block_size;
  uint64_t len = le32 (rec + 10);
  struct iso_extent *e;

  /* An extent beyond the end of the range is kept: reading it fails
   * (EIO, iso_read), listing its directory does not. */
  if (n->n_extents >= ISO_MAX_EXTENTS)
    return iso_fail (fs, EUCLEAN, "a file of more than %d extents",
                     ISO_MAX_EXTENTS);
  e = realloc (n->extents, (n->n_extents + 1) * sizeof *e);
  if (e == NULL)
    return -ENOMEM;
  n->extents = e;
  e[n->n_extents].start = start;
  e[n->n_extents].len = len;
  n->n_extents++;
  n->st.size += len;
  return 0;
}

static void
finish_sizes (struct iso_node *n)
{
  if (n->symlink)
    n->st.size = strlen (n->symlink);
  else if (n->zisofs)
    n->st.size = n->zisofs_size;
  else if (!S_ISREG (n->st.mode) && !S_ISDIR (n->st.mode))
    n->st.size = 0;
  n->st.blocks = (n->st.size + 511) / 512;
}

/* The directory whose "." record is at byte dot_off (the root, or a
 * directory relocated by Rock Ridge): its node, created from that
 * record. */
static int
node_from_dot (struct iso_fs *fs, uint64_t dot_off, struct iso_node **n_r)
{
  unsigned char rec[255];
  struct rr_info rr;
  struct iso_node *n;
  int r;

  if ((n = iso_node_get (fs, dot_off)) != NULL) {
    *n_r = n;
    return 0;
  }
  if ((r = iso_read (fs, dot_off, rec, 1)) < 0)
    return r;
  if (rec[0] < DR_MIN)
    return iso_fail (fs, EUCLEAN, "no directory record at byte %llu",
                     (unsigned long long) dot_off);
  if ((r = iso_read (fs, dot_off, rec, rec[0])) < 0)
    return r;
  if (!(rec[25] & FLAG_DIR) || DR_MIN + rec[32] - 1 > rec[0])
    return iso_fail (fs, EUCLEAN, "the record at byte %llu is not a "
                     "directory's", (unsigned long long) dot_off);
  memset (&rr, 0, sizeof rr);
  if (fs->tree == ISO_TREE_ROCKRIDGE
      && (r = parse_susp (fs, rec, rec[0], dot_off == fs->root_ino ? 0
                          : fs->susp_skip, &rr)) < 0) {
    rr_free (&rr);
    return r;
  }
  n = calloc (1, sizeof *n);
  if (n == NULL) {
    rr_free (&rr);
    return -ENOMEM;
  }
  n->ino = dot_off;
  r = node_from_record (fs, n, rec, fs->tree == ISO_TREE_ROCKRIDGE ? &rr : NULL);
  rr_free (&rr);
  if (r == 0)
    r = add_extent (fs, n, rec);
  if (r == 0) {
    finish_sizes (n);
    r = node_insert (fs, n);
  }
  if (r < 0) {
    node_free (n);
    return r;
  }
  *n_r = n;
  return 0;
}

int
iso_make_root (struct iso_fs *fs, uint64_t rec_off)
{
  unsigned char rec[DR_MIN];
  struct iso_node *root;
  int r;

  if ((r = iso_read (fs, rec_off, rec, sizeof rec)) < 0)
    return r;
  if (rec[0] < DR_MIN || !(rec[25] & FLAG_DIR))
    return iso_fail (fs, EUCLEAN, "the volume descriptor's root record is "
                     "not a directory");
  fs->root_ino = (uint64_t) (le32 (rec + 2) + rec[1]) * fs->block_size;
  r = node_from_dot (fs, fs->root_ino, &root);
  if (r < 0)
    return r;
  root->parent = root->ino;
  return 0;
}

/* Refuses to list a directory whose data is that of one of its
 * ancestors (a tree walk over it would never end) or that is nested
 * deeper than any real tree.  Checked when the directory is entered,
 * so that its parent can still be listed. */
static int
check_not_ancestor (struct iso_fs *fs, struct iso_node *dir)
{
  struct iso_node *a = dir;
  unsigned steps = 0;

  if (dir->depth > ISO_MAX_DEPTH)
    return iso_fail (fs, EUCLEAN, "directories nested more than %d deep",
                     ISO_MAX_DEPTH);
  while (a->parent != a->ino) {
    if (++steps > ISO_MAX_DEPTH)
      break;
    a = iso_node_get (fs, a->parent);
    if (a == NULL)
      break;
    if (a->n_extents && dir->n_extents
        && a->extents[0].start == dir->extents[0].start)
      return iso_fail (fs, EUCLEAN, "a directory whose records are its "
                       "ancestor's at byte %llu (a directory loop)",
                       (unsigned long long) dir->extents[0].start);
  }
  return 0;
}

int
iso_dirent_cmp (const void *a, const void *b)
{
  return strcmp (((const struct iso_dirent *) a)->name,
                 ((const struct iso_dirent *) b)->name);
}

static int
add_child (struct iso_node *dir, char *name, uint64_t ino, size_t *cap)
{
  if (dir->n_children == *cap) {
    size_t c = *cap ? *cap * 2 : 16;
    struct iso_dirent *d = realloc (dir->children, c * sizeof *d);
    if (d == NULL)
      return -ENOMEM;
    dir->children = d;
    *cap = c;
  }
  dir->children[dir->n_children].name = name;
  dir->children[dir->n_children].ino = ino;
  dir->n_children++;
  return 0;
}

/* One entry (rec, and for a multi-extent file the records after it,
 * given as recs[0..nrecs)) at byte offset off of dir: its name and
 * node.  *name_r is NULL for an entry that is not shown. */
static int
load_entry (struct iso_fs *fs, struct iso_node *dir, uint64_t off,
            const unsigned char *const *recs, size_t nrecs, char **name_r,
            uint64_t *ino_r)
{
  const unsigned char *rec = recs[0];
  struct rr_info rr;
  struct iso_node *n = NULL;
  char *name = NULL;
  size_t i;
  int r = 0;

  *name_r = NULL;
  memset (&rr, 0, sizeof rr);
  if (rec[25] & FLAG_ASSOC)
    return 0;                   /* associated files: hidden, as Linux does */
  if (fs->tree == ISO_TREE_ROCKRIDGE) {
    if ((r = parse_susp (fs, rec, rec[0], fs->susp_skip, &rr)) < 0)
      goto out;
    if (rr.relocated)
      goto out;                 /* shown where its CL entry stands */
  }
  if (rr.name)
    name = strdup (rr.name);
  else if (fs->tree == ISO_TREE_JOLIET)
    name = iso_joliet_name (rec + 33, rec[32]);
  else
    name = iso_plain_name (rec + 33, rec[32]);
  if (name == NULL) {
    r = -ENOMEM;
    goto out;
  }
  if (name[0] == '\0' || strcmp (name, ".") == 0 || strcmp (name, "..") == 0) {
    free (name);                /* never shadow "." or ".." */
    name = NULL;
    goto out;
  }

  if (rr.has_cl) {
    /* A directory moved elsewhere (deep trees): the real one starts
     * with its "." record at the CL block. */
    uint64_t dot = (uint64_t) rr.cl_block * fs->block_size;
    if ((r = node_from_dot (fs, dot, &n)) < 0)
      goto out;
    if (!n->loaded && n->parent == 0) {
      n->parent = dir->ino;
      n->depth = dir->depth + 1;
    }
  } else if ((n = iso_node_get (fs, off)) == NULL) {
    n = calloc (1, sizeof *n);
    if (n == NULL) {
      r = -ENOMEM;
      goto out;
    }
    n->ino = off;
    n->parent = dir->ino;
    n->depth = dir->depth + 1;
    r = node_from_record (fs, n, rec,
                          fs->tree == ISO_TREE_ROCKRIDGE ? &rr : NULL);
    for (i = 0; r == 0 && i < nrecs; i++)
      r = add_extent (fs, n, recs[i]);
    if (r == 0) {
      finish_sizes (n);
      r = node_insert (fs, n);
    }
    if (r < 0) {
      node_free (n);
      goto out;
    }
  }
  *name_r = name;
  name = NULL;
  *ino_r = n->ino;
 out:
  free (name);
  rr_free (&rr);
  return r;
}

/* Reads the directory's records once, making a node for each entry
 * and the sorted list of children. */
int
iso_load_dir (struct iso_fs *fs, struct iso_node *dir)
{
  unsigned char *buf = NULL;
  const unsigned char **recs = NULL;
  size_t nrecs = 0, cap_recs = 0, cap = 0, pos, i;
  uint64_t start, len, first_off = 0;
  int r = 0;

  if (dir->loaded)
    return 0;
  if (!S_ISDIR (dir->st.mode))
    return -ENOTDIR;
  if ((r = check_not_ancestor (fs, dir)) < 0)
    return r;
  if (dir->n_extents
      && (r = claim_dir_extent (fs, dir->extents[0].start, dir->ino)) < 0)
    return r;
  if (dir->n_extents == 0)
    goto done;
  start = dir->extents[0].start;
  len = dir->extents[0].len;
  if (len > ISO_MAX_DIR_BYTES)
    return iso_fail (fs, EUCLEAN, "a directory of %llu bytes (the limit is "
                     "%u)", (unsigned long long) len, ISO_MAX_DIR_BYTES);
  buf = malloc (len ? len : 1);
  if (buf == NULL)
    return -ENOMEM;
  if ((r = iso_read (fs, start, buf, len)) < 0)
    goto out;

  for (pos = 0; pos < len;) {
    size_t in_sector = ISO_SECTOR - pos % ISO_SECTOR;
    const unsigned char *rec = buf + pos;
    size_t rlen = rec[0];

    if (rlen == 0) {            /* rest of this sector is padding */
      pos += in_sector;
      continue;
    }
    if (rlen < DR_MIN || rlen > in_sector || pos + rlen > len
        || (size_t) 33 + rec[32] > rlen) {
      r = iso_fail (fs, EUCLEAN, "bad directory record at byte %llu",
                    (unsigned long long) (start + pos));
      goto out;
    }
    /* "." and "..": identifiers 0x00 and 0x01. */
    if (rec[32] == 1 && (rec[33] == 0 || rec[33] == 1)) {
      pos += rlen;
      continue;
    }
    if (nrecs == cap_recs) {
      size_t c = cap_recs ? cap_recs * 2 : 4;
      const unsigned char **t;
      if (c > ISO_MAX_EXTENTS + 1) {
        r = iso_fail (fs, EUCLEAN, "a file of more than %d extents",
                      ISO_MAX_EXTENTS);
        goto out;
      }
      t = realloc (recs, c * sizeof *t);
      if (t == NULL) {
        r = -ENOMEM;
        goto out;
      }
      recs = t;
      cap_recs = c;
    }
    if (nrecs == 0)
      first_off = start + pos;
    recs[nrecs++] = rec;
    pos += rlen;
    if (rec[25] & FLAG_MULTI)
      continue;                 /* more extents of this file follow */
    {
      char *name;
      uint64_t ino;
      r = load_entry (fs, dir, first_off, recs, nrecs, &name, &ino);
      nrecs = 0;
      if (r < 0)
        goto out;
      if (name && (r = add_child (dir, name, ino, &cap)) < 0) {
        free (name);
        goto out;
      }
    }
  }
  if (nrecs > 0) {
    r = iso_fail (fs, EUCLEAN, "the last extent of a multi-extent file "
                  "is missing");
    goto out;
  }
  if (dir->n_children > 1)
    qsort (dir->children, dir->n_children, sizeof *dir->children,
           iso_dirent_cmp);
 done:
  dir->loaded = 1;
 out:
  if (r < 0) {
    for (i = 0; i < dir->n_children; i++)
      free (dir->children[i].name);
    free (dir->children);
    dir->children = NULL;
    dir->n_children = 0;
  }
  free (recs);
  free (buf);
  return r;
}
