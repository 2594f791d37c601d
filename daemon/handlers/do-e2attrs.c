/* minnow: ext2/3/4 inode attributes as lsattr/chattr show them
 * (get_e2attrs, set_e2attrs) and inode generation numbers
 * (get_e2generation, set_e2generation). */

#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "storage-actions.h"
#include "engine-ext.h"
#include "actions.h"

/* lsattr's letters, in the order it prints them; settable: what Linux
 * lets chattr change on ext4 without further work. */
static const struct {
  char letter;
  uint32_t flag;
  int settable;
} attrs[] = {
  { 's', 0x00000001, 1 }, { 'u', 0x00000002, 1 }, { 'S', 0x00000008, 1 },
  { 'D', 0x00010000, 1 }, { 'i', 0x00000010, 1 }, { 'a', 0x00000020, 1 },
  { 'd', 0x00000040, 1 }, { 'A', 0x00000080, 1 }, { 'c', 0x00000004, 1 },
  { 'E', 0x00000800, 0 }, { 'j', 0x00004000, 1 }, { 'I', 0x00001000, 0 },
  { 't', 0x00008000, 1 }, { 'T', 0x00020000, 1 }, { 'e', 0x00080000, 0 },
  { 'C', 0x00800000, 0 }, { 'x', 0x02000000, 0 }, { 'F', 0x40000000, 0 },
  { 'N', 0x10000000, 0 }, { 'P', 0x20000000, 1 }, { 'V', 0x00100000, 0 },
  { 'm', 0x00000400, 0 },
};
#define NATTRS (sizeof attrs / sizeof attrs[0])

/* The ext filesystem and inode of path (symlinks followed); replies on
 * failure. */
static int
ext_inode (const char *path, struct mount **m_r, uint64_t *ino_r,
           struct engine_stat *st)
{
  struct resolved r;
  int ret;

  ret = resolve_path (path, 0, &r);
  if (ret == 0 && !r.exists)
    ret = -ENOENT;
  if (ret < 0) {
    resolved_free (&r);
    reply_errno_path (ret, path);
    return -1;
  }
  *m_r = r.m;
  *ino_r = r.ino;
  resolved_free (&r);
  if (strcmp ((*m_r)->fs->ops->name, "ext2") != 0) {
    reply_with_error_errno (ENOTSUP, "%s: not on an ext2/3/4 filesystem",
                            path);
    return -1;
  }
  ret = (*m_r)->fs->ops->getattr ((*m_r)->fs, *ino_r, st);
  if (ret < 0) {
    reply_errno_path (ret, path);
    return -1;
  }
  return 0;
}

char *
do_get_e2attrs (const char *file)
{
  struct engine_stat st;
  struct mount *m;
  uint64_t ino;
  char *ret;
  size_t i, n = 0;

  if (ext_inode (file, &m, &ino, &st) < 0)
    return NULL;
  ret = malloc (NATTRS + 1);
  if (ret == NULL) {
    reply_with_perror ("malloc");
    return NULL;
  }
  for (i = 0; i < NATTRS; i++)
    if (st.flags & attrs[i].flag)
      ret[n++] = attrs[i].letter;
  ret[n] = '\0';
  return ret;
}

/* optargs of set_e2attrs. */
#define SET_E2ATTRS_CLEAR (1 << 0)

int
do_set_e2attrs (const char *file, const char *letters, int clear)
{
  struct engine_stat st;
  struct mount *m;
  uint64_t ino;
  uint32_t flags;
  const char *p;
  size_t i;
  int r;

  clear = (optargs_bitmask & SET_E2ATTRS_CLEAR) && clear;
  if (ext_inode (file, &m, &ino, &st) < 0)
    return -1;
  flags = st.flags;
  for (p = letters; *p; p++) {
    for (i = 0; i < NATTRS && attrs[i].letter != *p; i++)
      ;
    if (i == NATTRS) {
      reply_with_error_errno (EINVAL, "%s: '%c' is not an attribute letter "
                              "(see chattr(1))", file, *p);
      return -1;
    }
    /* Asking for what is already so is fine, whatever the letter. */
    if (!!(st.flags & attrs[i].flag) == !clear)
      continue;
    if (!attrs[i].settable) {
      reply_with_error_errno (EINVAL, "%s: attribute '%c' cannot be %s "
                              "here", file, *p, clear ? "cleared" : "set");
      return -1;
    }
    if (clear)
      flags &= ~attrs[i].flag;
    else
      flags |= attrs[i].flag;
  }
  if (flags == st.flags)
    return 0;
  r = engine_ext2_set_inode_flags (m->fs, ino, flags);
  if (r < 0) {
    reply_errno_path (r, file);
    return -1;
  }
  return 0;
}

int64_t
do_get_e2generation (const char *file)
{
  struct engine_stat st;
  struct mount *m;
  uint64_t ino;

  if (ext_inode (file, &m, &ino, &st) < 0)
    return -1;
  return st.generation;
}

int
do_set_e2generation (const char *file, int64_t generation)
{
  struct engine_stat st;
  struct mount *m;
  uint64_t ino;
  int r;

  if (generation < 0 || generation > UINT32_MAX) {
    reply_with_error_errno (EINVAL, "%s: generation %" PRIi64 " is not a "
                            "32-bit unsigned number", file, generation);
    return -1;
  }
  if (ext_inode (file, &m, &ino, &st) < 0)
    return -1;
  r = engine_ext2_set_generation (m->fs, ino, (uint32_t) generation);
  if (r == -ENOTTY) {
    reply_with_error_errno (ENOTTY, "%s: the generation cannot change on a "
                            "filesystem with metadata_csum (as in Linux)",
                            file);
    return -1;
  }
  if (r < 0) {
    reply_errno_path (r, file);
    return -1;
  }
  return 0;
}
