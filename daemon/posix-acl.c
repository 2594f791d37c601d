/* minnow: POSIX ACLs between libarchive and the xattr value.  See
 * posix-acl.h.
 *
 * The value: a 4-byte version (2), then 8-byte entries {tag, perm (2
 * bytes each), id (4 bytes)}, little-endian, sorted by tag and, for
 * named users and groups, by id. */

#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>

#include "posix-acl.h"

#define XATTR_VERSION 2
#define TAG_USER_OBJ  0x01
#define TAG_USER      0x02
#define TAG_GROUP_OBJ 0x04
#define TAG_GROUP     0x08
#define TAG_MASK      0x10
#define TAG_OTHER     0x20
#define NO_ID         0xffffffffu

struct acl_ent {
  uint16_t tag, perm;
  uint32_t id;
};

static const struct { int archive; uint16_t posix; } tags[] = {
  { ARCHIVE_ENTRY_ACL_USER_OBJ, TAG_USER_OBJ },
  { ARCHIVE_ENTRY_ACL_USER, TAG_USER },
  { ARCHIVE_ENTRY_ACL_GROUP_OBJ, TAG_GROUP_OBJ },
  { ARCHIVE_ENTRY_ACL_GROUP, TAG_GROUP },
  { ARCHIVE_ENTRY_ACL_MASK, TAG_MASK },
  { ARCHIVE_ENTRY_ACL_OTHER, TAG_OTHER },
};

static int
compare_ent (const void *a, const void *b)
{
  const struct acl_ent *x = a, *y = b;

  if (x->tag != y->tag)
    return x->tag < y->tag ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

static void
put16 (char *p, uint16_t v)
{
  p[0] = v & 0xff;
  p[1] = v >> 8;
}

static void
put32 (char *p, uint32_t v)
{
  put16 (p, v & 0xffff);
  put16 (p + 2, v >> 16);
}

static uint32_t
get32 (const unsigned char *p)
{
  return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t) p[3] << 24;
}

int
posix_acl_from_archive (struct archive_entry *e, int type, char *buf,
                        size_t cap, size_t *len_r)
{
  struct acl_ent ents[64];
  size_t n = 0, i, j;
  int etype, perm, tag, id;
  const char *name;

  *len_r = 0;
  if (archive_entry_acl_reset (e, type) <= 0)
    return 0;
  while (archive_entry_acl_next (e, type, &etype, &perm, &tag, &id,
                                 &name) == ARCHIVE_OK) {
    uint16_t ptag = 0;

    for (j = 0; j < sizeof tags / sizeof tags[0]; j++)
      if (tags[j].archive == tag)
        ptag = tags[j].posix;
    if (ptag == 0 || n == 64)
      return -1;
    ents[n].tag = ptag;
    ents[n].perm = perm & 7;
    ents[n].id = (ptag == TAG_USER || ptag == TAG_GROUP) ? (uint32_t) id
      : NO_ID;
    n++;
  }
  if (n == 0)
    return 0;
  if (4 + n * 8 > cap)
    return -1;
  qsort (ents, n, sizeof ents[0], compare_ent);
  put32 (buf, XATTR_VERSION);
  for (i = 0; i < n; i++) {
    put16 (buf + 4 + i * 8, ents[i].tag);
    put16 (buf + 6 + i * 8, ents[i].perm);
    put32 (buf + 8 + i * 8, ents[i].id);
  }
  *len_r = 4 + n * 8;
  return 0;
}

int
posix_acl_to_archive (struct archive_entry *e, int type, const void *value,
                      size_t len)
{
  const unsigned char *p = value;
  size_t i, j, n;

  if (len < 4 || (len - 4) % 8 != 0 || get32 (p) != XATTR_VERSION)
    return -1;
  n = (len - 4) / 8;
  for (i = 0; i < n; i++) {
    uint16_t tag = p[4 + i * 8] | p[5 + i * 8] << 8;
    int known = 0;

    for (j = 0; j < sizeof tags / sizeof tags[0]; j++)
      known |= tags[j].posix == tag;
    if (!known)
      return -1;
  }
  for (i = 0; i < n; i++) {
    const unsigned char *q = p + 4 + i * 8;
    uint16_t tag = q[0] | q[1] << 8, perm = q[2] | q[3] << 8;
    int atag = 0;

    for (j = 0; j < sizeof tags / sizeof tags[0]; j++)
      if (tags[j].posix == tag)
        atag = tags[j].archive;
    archive_entry_acl_add_entry (e, type, perm & 7, atag,
                                 (tag == TAG_USER || tag == TAG_GROUP)
                                 ? (int) get32 (q + 4) : -1, NULL);
  }
  return 0;
}
