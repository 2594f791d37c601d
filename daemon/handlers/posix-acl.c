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
    ents[n].id = NO_ID;
    if (ptag == TAG_USER || ptag == TAG_GROUP) {
      /* A name alone (GNU tar stores names) is usable when it is a
       * number: the daemon has no user database to look names up in. */
      if (id == -1 && name && *name) {
        char *end;
        unsigned long v = strtoul (name, &end, 10);
        if (*end != '\0' || v >= NO_ID)
          return -2;
        id = (int) v;
      }
      if (id < 0)
        return -2;
      ents[n].id = id;
    }
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

/* Entries of a value: the VFS format (version 2, 8-byte entries) or
 * ext4's on-disk one (version 1; the entries without an id are 4 bytes),
 * which is what libext2fs's xattr iteration hands back.  Returns the
 * count, or -1 when malformed; fills ents (up to max). */
static int
parse_value (const unsigned char *p, size_t len, struct acl_ent *ents,
             size_t max)
{
  size_t off = 4, n = 0, j;
  uint32_t version;

  if (len < 4)
    return -1;
  version = get32 (p);
  if (version != 1 && version != XATTR_VERSION)
    return -1;
  while (off < len) {
    uint16_t tag, perm;
    uint32_t id = NO_ID;
    int known = 0;

    if (off + 4 > len || n == max)
      return -1;
    tag = p[off] | p[off + 1] << 8;
    perm = p[off + 2] | p[off + 3] << 8;
    if (version == XATTR_VERSION || tag == TAG_USER || tag == TAG_GROUP) {
      if (off + 8 > len)
        return -1;
      id = get32 (p + off + 4);
      off += 8;
    }
    else
      off += 4;
    for (j = 0; j < sizeof tags / sizeof tags[0]; j++)
      known |= tags[j].posix == tag;
    if (!known)
      return -1;
    ents[n].tag = tag;
    ents[n].perm = perm;
    ents[n].id = id;
    n++;
  }
  return (int) n;
}

int
posix_acl_to_archive (struct archive_entry *e, int type, const void *value,
                      size_t len)
{
  struct acl_ent ents[64];
  int n = parse_value (value, len, ents, 64), i;
  size_t j;

  if (n < 0)
    return -1;
  for (i = 0; i < n; i++) {
    int atag = 0;

    for (j = 0; j < sizeof tags / sizeof tags[0]; j++)
      if (tags[j].posix == ents[i].tag)
        atag = tags[j].archive;
    archive_entry_acl_add_entry (e, type, ents[i].perm & 7, atag,
                                 (ents[i].tag == TAG_USER ||
                                  ents[i].tag == TAG_GROUP)
                                 ? (int) ents[i].id : -1, NULL);
  }
  return 0;
}
