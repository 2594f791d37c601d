/* minnow: the FAT engine — directories and names.
 *
 * A directory is loaded whole (it is at most 2 MiB) with the list of
 * its clusters, so that a slot's byte position is known; changes are
 * written slot by slot.  Long names are runs of 0x0f entries before
 * the short entry, last part first, each carrying the short name's
 * checksum; a run with a wrong sequence or checksum is ignored and the
 * short name is shown, as the kernel does.
 *
 * Names are UTF-8 outside and UTF-16 in long entries.  Lookup is
 * case-insensitive (ASCII and Latin-1 letters) and matches either the
 * long or the short name.  New names follow the kernel's vfat with
 * shortname=mixed: a name that is a valid upper-case 8.3 name is stored
 * as a short entry alone; any other name gets a long name and a short
 * alias, the name itself upper-cased when it fits 8.3, else a basis
 * name with a "~N" tail that no other entry of the directory uses.
 */

#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fat.h"

/* How deep remove_tree recurses before it calls the tree a loop. */
#define FAT_MAX_DEPTH 256

struct dir {
  uint32_t first;               /* 0: the fixed FAT12/16 root */
  unsigned char *data;
  size_t nslots;
  uint32_t *clusters;
  size_t nclusters;
};

/* One name found in a directory. */
struct name_rec {
  uint32_t slot, first_slot;
  unsigned char *de;            /* points into the directory's data */
  char name[FAT_MAX_LFN * 3 + 1];
  size_t namelen;
  uint16_t lfn[FAT_MAX_LFN + 1];
  int lfn_len;                  /* -1: no valid long name */
};

uint32_t
fat_de_cluster (struct fat_fs *fs, const unsigned char *de)
{
  uint32_t c = fat_le16 (de + 26);

  if (fs->bits == 32)
    c |= (uint32_t) fat_le16 (de + 20) << 16;
  return c;
}

void
fat_de_set_cluster (struct fat_fs *fs, unsigned char *de, uint32_t c)
{
  fat_put16 (de + 26, c & 0xffff);
  fat_put16 (de + 20, fs->bits == 32 ? c >> 16 : 0);
}

static uint64_t
ino_pos (uint64_t ino)
{
  return (ino - FAT_INO_BASE) * 32;
}

int
fat_read_entry (struct fat_fs *fs, uint64_t ino, unsigned char de[32])
{
  int r;

  if (ino < FAT_INO_BASE || ino_pos (ino) + 32 > fs->range.length)
    return fat_error (fs, ESTALE, "inode %llu does not exist",
                      (unsigned long long) ino);
  r = fat_read (fs, de, 32, ino_pos (ino));
  if (r < 0)
    return r;
  if (de[0] == 0 || de[0] == 0xe5 || (de[11] & FAT_ATTR_VOLUME))
    return fat_error (fs, ESTALE, "inode %llu is no longer a directory "
                      "entry", (unsigned long long) ino);
  return 0;
}

int
fat_write_entry (struct fat_fs *fs, uint64_t ino, const unsigned char de[32])
{
  return fat_write (fs, de, 32, ino_pos (ino));
}

int
fat_dir_cluster (struct fat_fs *fs, uint64_t ino, uint32_t *cluster_r)
{
  unsigned char de[32];
  int r;

  if (ino == FAT_ROOT_INO) {
    *cluster_r = fs->bits == 32 ? fs->root_cluster : 0;
    return 0;
  }
  r = fat_read_entry (fs, ino, de);
  if (r < 0)
    return r;
  if (!(de[11] & FAT_ATTR_DIR))
    return -ENOTDIR;
  *cluster_r = fat_de_cluster (fs, de);
  if (*cluster_r == 0)
    return fat_error (fs, EUCLEAN, "directory entry at %llu has no cluster",
                      (unsigned long long) ino_pos (ino));
  return 0;
}

/* ---------------------------------------------------------------- */
/* Loading and writing directories.                                   */

static void
dir_free (struct dir *d)
{
  free (d->data);
  free (d->clusters);
  memset (d, 0, sizeof *d);
}

/* Loads the directory whose first cluster is first (0: the root). */
static int
dir_load_cluster (struct fat_fs *fs, uint32_t first, struct dir *d)
{
  const uint32_t *chain;
  size_t len, i;
  int r;

  memset (d, 0, sizeof *d);
  if (first == 0 && fs->bits == 32)
    first = fs->root_cluster;
  d->first = first;
  if (first == 0) {
    d->nslots = fs->root_entries;
    d->data = malloc (d->nslots * 32);
    if (d->data == NULL)
      return -ENOMEM;
    r = fat_read (fs, d->data, d->nslots * 32, fs->root_offset);
    if (r < 0)
      dir_free (d);
    return r;
  }
  r = fat_chain (fs, first, &chain, &len);
  if (r < 0)
    return r;
  if (len * fs->cluster_size > FAT_MAX_DIR_BYTES)
    return fat_error (fs, EUCLEAN, "directory at cluster %u is larger than "
                      "2 MiB", first);
  d->clusters = malloc (len * sizeof *d->clusters);
  d->data = malloc (len * fs->cluster_size);
  if (d->clusters == NULL || d->data == NULL) {
    dir_free (d);
    return -ENOMEM;
  }
  memcpy (d->clusters, chain, len * sizeof *chain);
  d->nclusters = len;
  d->nslots = len * fs->cluster_size / 32;
  for (i = 0; i < len; i++) {
    r = fat_read (fs, d->data + i * fs->cluster_size, fs->cluster_size,
                  fat_cluster_offset (fs, d->clusters[i]));
    if (r < 0) {
      dir_free (d);
      return r;
    }
  }
  return 0;
}

static int
dir_load (struct fat_fs *fs, uint64_t ino, struct dir *d)
{
  uint32_t c;
  int r = fat_dir_cluster (fs, ino, &c);

  if (r < 0)
    return r;
  return dir_load_cluster (fs, c, d);
}

static uint64_t
slot_pos (struct fat_fs *fs, const struct dir *d, uint32_t slot)
{
  uint64_t byte = (uint64_t) slot * 32;

  if (d->first == 0)
    return fs->root_offset + byte;
  return fat_cluster_offset (fs, d->clusters[byte / fs->cluster_size])
    + byte % fs->cluster_size;
}

static uint64_t
slot_ino (struct fat_fs *fs, const struct dir *d, uint32_t slot)
{
  return slot_pos (fs, d, slot) / 32 + FAT_INO_BASE;
}

static int
dir_write_slots (struct fat_fs *fs, const struct dir *d, uint32_t from,
                 uint32_t n)
{
  uint32_t i;
  int r;

  for (i = from; i < from + n; i++) {
    r = fat_write (fs, d->data + (size_t) i * 32, 32, slot_pos (fs, d, i));
    if (r < 0)
      return r;
  }
  return 0;
}

/* The first slot of the end marker (0x00), or nslots. */
static uint32_t
dir_end (const struct dir *d)
{
  uint32_t i;

  for (i = 0; i < d->nslots; i++)
    if (d->data[(size_t) i * 32] == 0)
      return i;
  return d->nslots;
}

/* Finds n consecutive free slots, growing the directory when needed. */
static int
dir_find_free (struct fat_fs *fs, struct dir *d, uint32_t n, uint32_t *slot_r)
{
  uint32_t end, i, run = 0;
  int r;

  for (;;) {
    end = dir_end (d);
    for (i = 0; i < d->nslots; i++) {
      if (i >= end || d->data[(size_t) i * 32] == 0xe5) {
        if (++run == n) {
          *slot_r = i + 1 - n;
          /* Past the end marker, old bytes may follow the run: keep
           * them out of sight. */
          if (i + 1 < d->nslots && i + 1 > end
              && d->data[(size_t) (i + 1) * 32] != 0) {
            d->data[(size_t) (i + 1) * 32] = 0;
            r = dir_write_slots (fs, d, i + 1, 1);
            if (r < 0)
              return r;
          }
          return 0;
        }
      } else
        run = 0;
    }
    if (d->first == 0)
      return fat_error (fs, ENOSPC, "the root directory is full (%u entries)",
                        fs->root_entries);
    if ((d->nclusters + 1) * (uint64_t) fs->cluster_size > FAT_MAX_DIR_BYTES)
      return fat_error (fs, ENOSPC, "directory full (2 MiB)");
    {
      uint32_t first = d->first;
      unsigned char *p;
      uint32_t *cl;

      r = fat_resize_chain (fs, &first, d->nclusters + 1, 1);
      if (r < 0)
        return r;
      p = realloc (d->data, (d->nclusters + 1) * fs->cluster_size);
      if (p == NULL)
        return -ENOMEM;
      d->data = p;
      cl = realloc (d->clusters, (d->nclusters + 1) * sizeof *cl);
      if (cl == NULL)
        return -ENOMEM;
      d->clusters = cl;
      d->clusters[d->nclusters] = fs->chain[fs->chain_len - 1];
      memset (d->data + d->nclusters * fs->cluster_size, 0,
              fs->cluster_size);
      d->nclusters++;
      d->nslots = d->nclusters * fs->cluster_size / 32;
    }
    run = 0;
  }
}

/* ---------------------------------------------------------------- */
/* Names.                                                             */

static int
utf8_to_utf16 (const char *s, size_t slen, uint16_t *out, size_t max,
               size_t *len_r)
{
  const unsigned char *p = (const unsigned char *) s, *e = p + slen;
  size_t n = 0;

  while (p < e) {
    uint32_t c;
    int extra;

    if (*p < 0x80) {
      c = *p++;
      extra = 0;
    } else if ((*p & 0xe0) == 0xc0) {
      c = *p++ & 0x1f;
      extra = 1;
    } else if ((*p & 0xf0) == 0xe0) {
      c = *p++ & 0x0f;
      extra = 2;
    } else if ((*p & 0xf8) == 0xf0) {
      c = *p++ & 0x07;
      extra = 3;
    } else
      return -EINVAL;
    while (extra--) {
      if (p >= e || (*p & 0xc0) != 0x80)
        return -EINVAL;
      c = (c << 6) | (*p++ & 0x3f);
    }
    if ((c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
      return -EINVAL;
    if (c >= 0x10000) {
      if (n + 2 > max)
        return -ENAMETOOLONG;
      c -= 0x10000;
      out[n++] = 0xd800 | (c >> 10);
      out[n++] = 0xdc00 | (c & 0x3ff);
    } else {
      if (n + 1 > max)
        return -ENAMETOOLONG;
      out[n++] = c;
    }
  }
  *len_r = n;
  return 0;
}

/* out has room for 3 bytes per unit (4 per surrogate pair) plus NUL. */
static int
utf16_to_utf8 (const uint16_t *in, size_t len, char *out, size_t *outlen)
{
  size_t i, n = 0;

  for (i = 0; i < len; i++) {
    uint32_t c = in[i];

    if (c >= 0xd800 && c <= 0xdbff) {
      if (i + 1 >= len || in[i + 1] < 0xdc00 || in[i + 1] > 0xdfff)
        return -1;
      c = 0x10000 + ((c - 0xd800) << 10) + (in[++i] - 0xdc00);
    } else if (c >= 0xdc00 && c <= 0xdfff)
      return -1;
    if (c == 0)
      return -1;
    if (c < 0x80)
      out[n++] = c;
    else if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 0x3f);
    } else if (c < 0x10000) {
      out[n++] = 0xe0 | (c >> 12);
      out[n++] = 0x80 | ((c >> 6) & 0x3f);
      out[n++] = 0x80 | (c & 0x3f);
    } else {
      out[n++] = 0xf0 | (c >> 18);
      out[n++] = 0x80 | ((c >> 12) & 0x3f);
      out[n++] = 0x80 | ((c >> 6) & 0x3f);
      out[n++] = 0x80 | (c & 0x3f);
    }
  }
  out[n] = 0;
  *outlen = n;
  return 0;
}

static uint16_t
fold (uint16_t c)
{
  if (c >= 'a' && c <= 'z')
    return c - 32;
  if (c >= 0xe0 && c <= 0xfe && c != 0xf7)
    return c - 32;
  return c;
}

static int
same_name16 (const uint16_t *a, size_t alen, const uint16_t *b, size_t blen)
{
  size_t i;

  if (alen != blen)
    return 0;
  for (i = 0; i < alen; i++)
    if (fold (a[i]) != fold (b[i]))
      return 0;
  return 1;
}

static unsigned char
lfn_checksum (const unsigned char *sn)
{
  unsigned char sum = 0;
  int i;

  for (i = 0; i < 11; i++)
    sum = ((sum & 1) << 7) + (sum >> 1) + sn[i];
  return sum;
}

/* The short name as shown: "BASE.EXT", lower-cased where the entry's
 * case bits (0x08 base, 0x10 extension) say so. */
static size_t
short_display (const unsigned char *de, char *out)
{
  size_t n = 0;
  int i, blen = 8, elen = 3;

  while (blen > 0 && de[blen - 1] == ' ')
    blen--;
  while (elen > 0 && de[8 + elen - 1] == ' ')
    elen--;
  for (i = 0; i < blen + elen; i++) {
    unsigned char c = i < blen ? de[i] : de[8 + i - blen];
    int lower = i < blen ? (de[12] & 0x08) : (de[12] & 0x10);

    if (i == blen)
      out[n++] = '.';
    if (i == 0 && c == 0x05)
      c = 0xe5;
    if (lower && c >= 'A' && c <= 'Z')
      c += 32;
    if (c >= 0x80) {            /* shown as Latin-1 */
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 0x3f);
    } else
      out[n++] = c;
  }
  out[n] = 0;
  return n;
}

typedef int (*dir_cb) (struct fat_fs *fs, struct dir *d,
                       struct name_rec *rec, void *opaque);

/* Calls cb for each name of the directory ("." "..", labels, deleted
 * and orphaned long-name entries left out); a non-zero return stops. */
static int
dir_iterate (struct fat_fs *fs, struct dir *d, dir_cb cb, void *opaque)
{
  struct name_rec *rec = malloc (sizeof *rec);
  uint32_t i, lfn_start = 0;
  int expect = 0, nparts = 0, ret = 0;
  unsigned char sum = 0;

  if (rec == NULL)
    return -ENOMEM;
  for (i = 0; i < d->nslots && ret == 0; i++) {
    unsigned char *de = d->data + (size_t) i * 32;

    if (de[0] == 0)
      break;
    if (de[0] == 0xe5) {
      expect = 0;
      continue;
    }
    if (de[11] == FAT_ATTR_LFN) {
      int seq = de[0] & 0x3f, k, base;
      static const int off[13] = { 1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24,
                                   28, 30 };

      if (de[0] & 0x40) {
        if (seq < 1 || seq > 20) {
          expect = 0;
          continue;
        }
        nparts = seq;
        sum = de[13];
        lfn_start = i;
        for (k = 0; k <= FAT_MAX_LFN; k++)
          rec->lfn[k] = 0;
      } else if (expect == 0 || seq != expect || de[13] != sum) {
        expect = 0;
        continue;
      }
      base = (seq - 1) * 13;
      for (k = 0; k < 13; k++)
        if (base + k < FAT_MAX_LFN)
          rec->lfn[base + k] = fat_le16 (de + off[k]);
      expect = seq - 1;
      if (expect == 0)
        expect = -1;            /* complete: the short entry is next */
      continue;
    }
    if (de[11] & FAT_ATTR_VOLUME) {
      expect = 0;
      continue;
    }
    rec->slot = i;
    rec->first_slot = i;
    rec->de = de;
    rec->lfn_len = -1;
    if (expect == -1 && lfn_checksum (de) == sum) {
      int k;

      for (k = 0; k < nparts * 13 && k < FAT_MAX_LFN && rec->lfn[k] != 0; k++)
        ;
      if (k > 0 && utf16_to_utf8 (rec->lfn, k, rec->name, &rec->namelen) == 0) {
        rec->lfn_len = k;
        rec->first_slot = lfn_start;
      }
    }
    expect = 0;
    if (rec->lfn_len < 0)
      rec->namelen = short_display (de, rec->name);
    if (de[0] == '.' && (!strcmp (rec->name, ".") || !strcmp (rec->name, "..")))
      continue;
    ret = cb (fs, d, rec, opaque);
  }
  free (rec);
  return ret;
}

/* Checks a new or looked-up name and converts it, dropping trailing
 * dots as the kernel's vfat does. */
static int
check_name (struct fat_fs *fs, const char *name, uint16_t *u, size_t *len_r)
{
  size_t len = strlen (name), i;
  int r;

  while (len > 0 && name[len - 1] == '.')
    len--;
  if (len == 0)
    return fat_error (fs, EINVAL, "\"%s\": not a valid FAT name", name);
  for (i = 0; i < len; i++)
    if ((unsigned char) name[i] < 0x20 || strchr ("\"*/:<>?\\|", name[i]))
      return fat_error (fs, EINVAL, "\"%s\": FAT names cannot hold '%c'",
                        name, name[i] < 0x20 ? '?' : name[i]);
  r = utf8_to_utf16 (name, len, u, FAT_MAX_LFN, len_r);
  if (r == -EINVAL)
    return fat_error (fs, EINVAL, "\"%s\": not valid UTF-8", name);
  if (r == -ENAMETOOLONG)
    return fat_error (fs, ENAMETOOLONG, "\"%s\": longer than 255 UTF-16 "
                      "units", name);
  return r;
}

struct find_ctx {
  const uint16_t *u;
  size_t len;
  const char *ascii;            /* the name, when pure ASCII */
  uint32_t slot, first_slot;
  int found;
};

static int
find_one (struct fat_fs *fs, struct dir *d, struct name_rec *rec,
          void *opaque)
{
  struct find_ctx *c = opaque;
  char sn[32];

  (void) fs;
  (void) d;
  if (rec->lfn_len >= 0 && same_name16 (rec->lfn, rec->lfn_len, c->u, c->len))
    goto found;
  if (c->ascii) {
    short_display (rec->de, sn);
    if (strcasecmp (sn, c->ascii) == 0)
      goto found;
  }
  return 0;
 found:
  c->slot = rec->slot;
  c->first_slot = rec->first_slot;
  c->found = 1;
  return 1;
}

/* Finds name in the loaded directory: 0 found, -ENOENT, or an error. */
static int
dir_find (struct fat_fs *fs, struct dir *d, const char *name,
          uint32_t *slot_r, uint32_t *first_r)
{
  uint16_t u[FAT_MAX_LFN + 1];
  char ascii[FAT_MAX_LFN + 1];
  struct find_ctx c = { .u = u };
  size_t i;
  int r;

  r = check_name (fs, name, u, &c.len);
  if (r < 0)
    return r == -EINVAL ? -ENOENT : r;
  c.ascii = ascii;
  for (i = 0; i < c.len; i++) {
    if (u[i] >= 0x80) {
      c.ascii = NULL;
      break;
    }
    ascii[i] = u[i];
  }
  ascii[c.len] = 0;
  r = dir_iterate (fs, d, find_one, &c);
  if (r < 0)
    return r;
  if (!c.found)
    return -ENOENT;
  *slot_r = c.slot;
  if (first_r)
    *first_r = c.first_slot;
  return 0;
}

/* ---------------------------------------------------------------- */
/* Short names for new entries.                                       */

static int
short_char_ok (uint16_t c)
{
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
    || (c < 0x80 && c > 0x20 && strchr ("$%'-_@~`!(){}^#&", c));
}

static int
short_name_used (const struct dir *d, const unsigned char *sn)
{
  uint32_t i;

  for (i = 0; i < d->nslots; i++) {
    const unsigned char *de = d->data + (size_t) i * 32;

    if (de[0] == 0)
      break;
    if (de[0] != 0xe5 && de[11] != FAT_ATTR_LFN && memcmp (de, sn, 11) == 0)
      return 1;
  }
  return 0;
}

/* Makes the 11-byte short name for u; *need_lfn says whether a long
 * name must go with it. */
static int
make_short_name (struct fat_fs *fs, const struct dir *d, const uint16_t *u,
                 size_t len, unsigned char sn[11], int *need_lfn)
{
  char base[9], ext[4];
  size_t blen = 0, elen = 0, i, start = 0, dot = len;
  int lossy = 0, lower = 0;
  unsigned n;

  while (start < len && u[start] == '.')
    start++;
  if (start > 0)
    lossy = 1;
  for (i = len; i > start; i--)
    if (u[i - 1] == '.') {
      dot = i - 1;
      break;
    }
  for (i = start; i < dot; i++) {
    uint16_t c = u[i];

    if (c == ' ' || c == '.') {
      lossy = 1;
      continue;
    }
    if (c >= 'a' && c <= 'z')
      lower = 1;
    c = (c >= 'a' && c <= 'z') ? c - 32 : c;
    if (!short_char_ok (c)) {
      c = '_';
      lossy = 1;
    }
    if (blen < 8)
      base[blen++] = c;
    else
      lossy = 1;
  }
  for (i = dot + 1; i < len; i++) {
    uint16_t c = u[i];

    if (c == ' ') {
      lossy = 1;
      continue;
    }
    if (c >= 'a' && c <= 'z')
      lower = 1;
    c = (c >= 'a' && c <= 'z') ? c - 32 : c;
    if (!short_char_ok (c)) {
      c = '_';
      lossy = 1;
    }
    if (elen < 3)
      ext[elen++] = c;
    else
      lossy = 1;
  }
  if (blen == 0) {
    base[blen++] = '_';
    lossy = 1;
  }
  memset (sn, ' ', 11);
  memcpy (sn, base, blen);
  memcpy (sn + 8, ext, elen);
  *need_lfn = lossy || lower;
  if (!lossy && !short_name_used (d, sn))
    return 0;
  *need_lfn = 1;
  for (n = 1; n < 1000000; n++) {
    char tail[9];
    int tlen = snprintf (tail, sizeof tail, "~%u", n);
    size_t keep = blen < (size_t) (8 - tlen) ? blen : (size_t) (8 - tlen);

    memset (sn, ' ', 8);
    memcpy (sn, base, keep);
    memcpy (sn + keep, tail, tlen);
    if (!short_name_used (d, sn))
      return 0;
  }
  return fat_error (fs, ENOSPC, "no free short name left in the directory");
}

/* Adds name to directory dirino with the short entry tmpl (attributes,
 * times, cluster, size); returns the new inode number. */
static int
dir_add (struct fat_fs *fs, uint64_t dirino, const char *name,
         const unsigned char *tmpl, uint64_t *ino_r)
{
  static const int off[13] = { 1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28,
                               30 };
  uint16_t u[FAT_MAX_LFN + 1];
  unsigned char sn[11];
  struct dir d;
  uint32_t slot, s, nlfn = 0, k;
  size_t len;
  int r, need_lfn;

  r = check_name (fs, name, u, &len);
  if (r < 0)
    return r;
  r = dir_load (fs, dirino, &d);
  if (r < 0)
    return r;
  r = dir_find (fs, &d, name, &s, NULL);
  if (r == 0)
    r = -EEXIST;
  if (r != -ENOENT)
    goto out;
  r = make_short_name (fs, &d, u, len, sn, &need_lfn);
  if (r < 0)
    goto out;
  if (need_lfn)
    nlfn = (len + 12) / 13;
  r = dir_find_free (fs, &d, nlfn + 1, &slot);
  if (r < 0)
    goto out;
  for (k = 0; k < nlfn; k++) {
    unsigned char *de = d.data + (size_t) (slot + k) * 32;
    uint32_t seq = nlfn - k, j;

    memset (de, 0, 32);
    de[0] = seq | (k == 0 ? 0x40 : 0);
    de[11] = FAT_ATTR_LFN;
    de[13] = lfn_checksum (sn);
    for (j = 0; j < 13; j++) {
      size_t at = (seq - 1) * 13 + j;
      uint16_t c = at < len ? u[at] : at == len ? 0 : 0xffff;

      fat_put16 (de + off[j], c);
    }
  }
  memcpy (d.data + (size_t) (slot + nlfn) * 32, tmpl, 32);
  memcpy (d.data + (size_t) (slot + nlfn) * 32, sn, 11);
  d.data[(size_t) (slot + nlfn) * 32 + 12] = 0;
  r = dir_write_slots (fs, &d, slot, nlfn + 1);
  if (r == 0 && ino_r)
    *ino_r = slot_ino (fs, &d, slot + nlfn);
 out:
  dir_free (&d);
  return r;
}

static int
dir_remove_slots (struct fat_fs *fs, struct dir *d, uint32_t first,
                  uint32_t last)
{
  uint32_t i;

  for (i = first; i <= last; i++)
    d->data[(size_t) i * 32] = 0xe5;
  return dir_write_slots (fs, d, first, last - first + 1);
}

/* ---------------------------------------------------------------- */
/* The engine's directory calls.                                      */

int
fat_lookup (struct engine_fs *efs, uint64_t dir, const char *name,
            uint64_t *ino_r)
{
  struct fat_fs *fs = FAT (efs);
  struct dir d;
  uint32_t slot;
  int r;

  r = dir_load (fs, dir, &d);
  if (r < 0)
    return r;
  r = dir_find (fs, &d, name, &slot, NULL);
  if (r == 0)
    *ino_r = slot_ino (fs, &d, slot);
  dir_free (&d);
  return r;
}

/* The inode number of the directory whose first cluster is c, found in
 * its parent (through its ".." entry); the root when unsure. */
static uint64_t
ino_of_dir_cluster (struct fat_fs *fs, uint32_t c)
{
  struct dir d, p;
  uint32_t parent, i;
  uint64_t ino = FAT_ROOT_INO;

  if (c == 0 || (fs->bits == 32 && c == fs->root_cluster))
    return FAT_ROOT_INO;
  if (dir_load_cluster (fs, c, &d) < 0)
    return FAT_ROOT_INO;
  parent = d.nslots > 1 ? fat_de_cluster (fs, d.data + 32) : 0;
  dir_free (&d);
  if (dir_load_cluster (fs, parent, &p) < 0)
    return FAT_ROOT_INO;
  for (i = 0; i < p.nslots; i++) {
    const unsigned char *de = p.data + (size_t) i * 32;

    if (de[0] == 0)
      break;
    if (de[0] != 0xe5 && de[0] != '.' && de[11] != FAT_ATTR_LFN
        && (de[11] & FAT_ATTR_DIR) && fat_de_cluster (fs, de) == c) {
      ino = slot_ino (fs, &p, i);
      break;
    }
  }
  dir_free (&p);
  return ino;
}

struct readdir_ctx {
  engine_readdir_cb cb;
  void *opaque;
};

static int
readdir_one (struct fat_fs *fs, struct dir *d, struct name_rec *rec,
             void *opaque)
{
  struct readdir_ctx *c = opaque;

  return c->cb (c->opaque, rec->name, rec->namelen,
                slot_ino (fs, d, rec->slot),
                (rec->de[11] & FAT_ATTR_DIR) ? ENGINE_DT_DIR : ENGINE_DT_REG);
}

int
fat_readdir (struct engine_fs *efs, uint64_t dir, engine_readdir_cb cb,
             void *opaque)
{
  struct fat_fs *fs = FAT (efs);
  struct readdir_ctx c = { cb, opaque };
  struct dir d;
  uint64_t parent = FAT_ROOT_INO;
  int r;

  r = dir_load (fs, dir, &d);
  if (r < 0)
    return r;
  if (dir != FAT_ROOT_INO && d.nslots > 1 && d.data[32] == '.')
    parent = ino_of_dir_cluster (fs, fat_de_cluster (fs, d.data + 32));
  r = cb (opaque, ".", 1, dir, ENGINE_DT_DIR);
  if (r == 0)
    r = cb (opaque, "..", 2, parent, ENGINE_DT_DIR);
  if (r == 0)
    r = dir_iterate (fs, &d, readdir_one, &c);
  dir_free (&d);
  return r;
}

static int
count_one (struct fat_fs *fs, struct dir *d, struct name_rec *rec,
           void *opaque)
{
  (void) fs;
  (void) d;
  if (rec->de[11] & FAT_ATTR_DIR)
    ++*(uint32_t *) opaque;
  return 0;
}

int
fat_count_subdirs (struct fat_fs *fs, uint64_t ino, uint32_t *n_r)
{
  struct dir d;
  int r;

  *n_r = 0;
  r = dir_load (fs, ino, &d);
  if (r < 0)
    return r;
  r = dir_iterate (fs, &d, count_one, n_r);
  dir_free (&d);
  return r;
}

static int
nonempty_one (struct fat_fs *fs, struct dir *d, struct name_rec *rec,
              void *opaque)
{
  (void) fs;
  (void) d;
  (void) rec;
  (void) opaque;
  return 1;
}

/* 1 when directory ino holds nothing but "." and "..". */
static int
dir_is_empty (struct fat_fs *fs, uint64_t ino)
{
  struct dir d;
  int r;

  r = dir_load (fs, ino, &d);
  if (r < 0)
    return r;
  r = dir_iterate (fs, &d, nonempty_one, NULL);
  dir_free (&d);
  return r < 0 ? r : r == 0;
}

int
fat_find_volume_entry (struct fat_fs *fs, uint64_t *pos_r)
{
  struct dir d;
  uint32_t i;
  int r, found = 0;

  r = dir_load (fs, FAT_ROOT_INO, &d);
  if (r < 0)
    return r;
  for (i = 0; i < d.nslots; i++) {
    const unsigned char *de = d.data + (size_t) i * 32;

    if (de[0] == 0)
      break;
    if (de[0] != 0xe5 && de[11] != FAT_ATTR_LFN
        && (de[11] & (FAT_ATTR_VOLUME | FAT_ATTR_DIR)) == FAT_ATTR_VOLUME) {
      *pos_r = slot_pos (fs, &d, i);
      found = 1;
      break;
    }
  }
  dir_free (&d);
  return found;
}

int
fat_create_volume_entry (struct fat_fs *fs, const unsigned char name[11])
{
  struct dir d;
  uint32_t slot;
  unsigned char *de;
  int r;

  r = dir_load (fs, FAT_ROOT_INO, &d);
  if (r < 0)
    return r;
  r = dir_find_free (fs, &d, 1, &slot);
  if (r == 0) {
    de = d.data + (size_t) slot * 32;
    memset (de, 0, 32);
    memcpy (de, name, 11);
    de[11] = FAT_ATTR_VOLUME;
    fat_stamp_modified (de);
    r = dir_write_slots (fs, &d, slot, 1);
  }
  dir_free (&d);
  return r;
}

int
fat_mknod (struct engine_fs *efs, uint64_t dir, const char *name,
           uint32_t mode, uint64_t rdev, uint32_t uid, uint32_t gid,
           uint64_t *ino_r)
{
  struct fat_fs *fs = FAT (efs);
  unsigned char de[32];

  (void) rdev;
  if (efs->readonly)
    return -EROFS;
  if (!S_ISREG (mode))
    return fat_error (fs, EPERM, "FAT cannot hold device nodes, FIFOs or "
                      "sockets");
  (void) uid;                   /* everything belongs to uid 0, gid 0 */
  (void) gid;
  memset (de, 0, sizeof de);
  de[11] = FAT_ATTR_ARCHIVE;
  fat_stamp_new (de);
  return dir_add (fs, dir, name, de, ino_r);
}

int
fat_mkdir (struct engine_fs *efs, uint64_t dir, const char *name,
           uint32_t mode, uint32_t uid, uint32_t gid, uint64_t *ino_r)
{
  struct fat_fs *fs = FAT (efs);
  unsigned char de[32], dots[64];
  uint32_t c = 0, parent;
  struct dir d;
  uint32_t s;
  int r;

  (void) mode;
  (void) uid;
  (void) gid;
  if (efs->readonly)
    return -EROFS;
  r = fat_dir_cluster (fs, dir, &parent);
  if (r < 0)
    return r;
  /* Refuse an existing name before allocating anything. */
  r = dir_load (fs, dir, &d);
  if (r < 0)
    return r;
  r = dir_find (fs, &d, name, &s, NULL);
  dir_free (&d);
  if (r == 0)
    return -EEXIST;
  if (r != -ENOENT)
    return r;
  memset (de, 0, sizeof de);
  de[11] = FAT_ATTR_DIR;
  fat_stamp_new (de);
  r = fat_resize_chain (fs, &c, 1, 1);
  if (r < 0)
    return r;
  fat_de_set_cluster (fs, de, c);
  memcpy (dots, de, 32);
  memcpy (dots, ".          ", 11);
  memcpy (dots + 32, de, 32);
  memcpy (dots + 32, "..         ", 11);
  fat_de_set_cluster (fs, dots + 32,
                      dir == FAT_ROOT_INO ? 0 : parent);
  r = fat_write (fs, dots, sizeof dots, fat_cluster_offset (fs, c));
  if (r == 0)
    r = dir_add (fs, dir, name, de, ino_r);
  if (r < 0)
    fat_resize_chain (fs, &c, 0, 0);
  return r;
}

/* Finds name in dir: loads the directory into d (the caller frees it),
 * the entry's slots and a copy of its short entry. */
static int
find_entry (struct fat_fs *fs, uint64_t dir, const char *name, struct dir *d,
            uint32_t *slot_r, uint32_t *first_r, unsigned char de[32])
{
  int r;

  r = dir_load (fs, dir, d);
  if (r < 0)
    return r;
  r = dir_find (fs, d, name, slot_r, first_r);
  if (r < 0) {
    dir_free (d);
    return r;
  }
  memcpy (de, d->data + (size_t) *slot_r * 32, 32);
  return 0;
}

/* Frees the clusters of the entry and removes it. */
static int
remove_entry (struct fat_fs *fs, struct dir *d, uint32_t slot, uint32_t first,
              unsigned char *de)
{
  uint32_t c = fat_de_cluster (fs, de);
  int r = 0;

  if (c != 0)
    r = fat_resize_chain (fs, &c, 0, 0);
  if (r == 0)
    r = dir_remove_slots (fs, d, first, slot);
  return r;
}

int
fat_unlink (struct engine_fs *efs, uint64_t dir, const char *name)
{
  struct fat_fs *fs = FAT (efs);
  unsigned char de[32];
  struct dir d;
  uint32_t slot, first;
  int r;

  if (efs->readonly)
    return -EROFS;
  r = find_entry (fs, dir, name, &d, &slot, &first, de);
  if (r < 0)
    return r;
  if (de[11] & FAT_ATTR_DIR)
    r = -EISDIR;
  else
    r = remove_entry (fs, &d, slot, first, de);
  dir_free (&d);
  return r;
}

int
fat_rmdir (struct engine_fs *efs, uint64_t dir, const char *name)
{
  struct fat_fs *fs = FAT (efs);
  unsigned char de[32];
  struct dir d;
  uint32_t slot, first;
  int r;

  if (efs->readonly)
    return -EROFS;
  r = find_entry (fs, dir, name, &d, &slot, &first, de);
  if (r < 0)
    return r;
  if (!(de[11] & FAT_ATTR_DIR))
    r = -ENOTDIR;
  else {
    r = dir_is_empty (fs, slot_ino (fs, &d, slot));
    if (r == 0)
      r = -ENOTEMPTY;
    else if (r == 1)
      r = remove_entry (fs, &d, slot, first, de);
  }
  dir_free (&d);
  return r;
}

static int
remove_tree (struct fat_fs *fs, uint64_t dir, int depth);

struct tree_ctx {
  int depth;
  int ret;
};

static int
remove_one (struct fat_fs *fs, struct dir *d, struct name_rec *rec,
            void *opaque)
{
  struct tree_ctx *c = opaque;
  int r = 0;

  if (rec->de[11] & FAT_ATTR_DIR)
    r = remove_tree (fs, slot_ino (fs, d, rec->slot), c->depth + 1);
  if (r == 0)
    r = remove_entry (fs, d, rec->slot, rec->first_slot, rec->de);
  if (r < 0) {
    c->ret = r;
    return 1;
  }
  return 0;
}

static int
remove_tree (struct fat_fs *fs, uint64_t dir, int depth)
{
  struct tree_ctx c = { depth, 0 };
  struct dir d;
  int r;

  if (depth > FAT_MAX_DEPTH)
    return fat_error (fs, EUCLEAN, "directories nested more than %d deep: "
                      "a directory loop?", FAT_MAX_DEPTH);
  r = dir_load (fs, dir, &d);
  if (r < 0)
    return r;
  r = dir_iterate (fs, &d, remove_one, &c);
  dir_free (&d);
  return r < 0 ? r : c.ret;
}

int
fat_remove_tree (struct engine_fs *efs, uint64_t dir)
{
  if (efs->readonly)
    return -EROFS;
  return remove_tree (FAT (efs), dir, 0);
}

struct ino_ctx {
  uint64_t ino;
  uint32_t slot, first_slot;
  int found;
};

static int
find_ino (struct fat_fs *fs, struct dir *d, struct name_rec *rec,
          void *opaque)
{
  struct ino_ctx *c = opaque;

  if (slot_ino (fs, d, rec->slot) != c->ino)
    return 0;
  c->slot = rec->slot;
  c->first_slot = rec->first_slot;
  c->found = 1;
  return 1;
}

int
fat_rename (struct engine_fs *efs, uint64_t olddir, const char *oldname,
            uint64_t newdir, const char *newname)
{
  struct fat_fs *fs = FAT (efs);
  unsigned char de[32], nde[32];
  struct dir od, nd;
  uint32_t oslot, ofirst, nslot, nfirst, newdir_cluster;
  uint64_t oino, ino;
  int r, isdir;

  if (efs->readonly)
    return -EROFS;
  r = fat_dir_cluster (fs, newdir, &newdir_cluster);
  if (r < 0)
    return r;
  r = find_entry (fs, olddir, oldname, &od, &oslot, &ofirst, de);
  if (r < 0)
    return r;
  oino = slot_ino (fs, &od, oslot);
  dir_free (&od);
  isdir = (de[11] & FAT_ATTR_DIR) != 0;
  r = find_entry (fs, newdir, newname, &nd, &nslot, &nfirst, nde);
  if (r == 0) {
    if (slot_ino (fs, &nd, nslot) == oino) {
      /* The same entry: a change of case (or nothing). */
      dir_free (&nd);
      if (strcmp (oldname, newname) == 0)
        return 0;
      r = find_entry (fs, olddir, oldname, &od, &oslot, &ofirst, de);
      if (r < 0)
        return r;
      r = dir_remove_slots (fs, &od, ofirst, oslot);
      dir_free (&od);
      if (r == 0)
        r = dir_add (fs, newdir, newname, de, NULL);
      return r;
    }
    if (isdir && !(nde[11] & FAT_ATTR_DIR))
      r = -ENOTDIR;
    else if (!isdir && (nde[11] & FAT_ATTR_DIR))
      r = -EISDIR;
    else if (isdir) {
      r = dir_is_empty (fs, slot_ino (fs, &nd, nslot));
      r = r == 0 ? -ENOTEMPTY : r < 0 ? r : 0;
    }
    if (r == 0)
      r = remove_entry (fs, &nd, nslot, nfirst, nde);
    dir_free (&nd);
    if (r < 0)
      return r;
  } else if (r != -ENOENT)
    return r;
  r = dir_add (fs, newdir, newname, de, &ino);
  if (r < 0)
    return r;
  /* The old entry, by its position: the new name's short alias could
   * match the old name. */
  r = dir_load (fs, olddir, &od);
  if (r < 0)
    return r;
  {
    struct ino_ctx c = { .ino = oino };

    r = dir_iterate (fs, &od, find_ino, &c);
    if (r >= 0 && !c.found)
      r = fat_error (fs, EIO, "the renamed entry moved");
    if (r >= 0)
      r = dir_remove_slots (fs, &od, c.first_slot, c.slot);
  }
  dir_free (&od);
  if (r == 0 && isdir && olddir != newdir) {
    uint32_t c = fat_de_cluster (fs, de);
    unsigned char dd[32];
    uint64_t pos = fat_cluster_offset (fs, c) + 32;

    r = fat_read (fs, dd, sizeof dd, pos);
    if (r == 0 && memcmp (dd, "..         ", 11) == 0) {
      fat_de_set_cluster (fs, dd, newdir == FAT_ROOT_INO ? 0
                          : newdir_cluster);
      r = fat_write (fs, dd, sizeof dd, pos);
    }
  }
  return r;
}
