/* minnow storage: mount_loop — a filesystem image that is a file inside
 * a mounted filesystem, mounted through the engines.
 *
 * The image's range sits behind a backend (range-io.c) whose reads and
 * writes are the outer filesystem's pread and pwrite on the file's
 * inode.  The outer mount is remembered by its mount point, not by a
 * pointer (the table moves, and storage_mount_offline reopens a
 * filesystem in place); every I/O finds it again and checks that the
 * inode is still the same regular file, so that a file removed by a
 * path that did not ask (EBUSY is the answer to those that do) turns
 * into EIO instead of a write into a freed or reused inode. */

#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "storage.h"

struct storage_loop {
  char *parent_mp;              /* canonical mount point of the outer fs */
  uint64_t ino;
  uint32_t generation;          /* the file's identity when mounted */
  int64_t crtime_sec, crtime_nsec;
  unsigned number;              /* N of /dev/loopN */
};

struct mount *
storage_loop_parent (struct storage_loop *l)
{
  size_t i;

  for (i = 0; i < mount_count; i++)
    if (strcmp (mount_table[i].mountpoint, l->parent_mp) == 0
        && mount_table[i].loop != l)
      return &mount_table[i];
  return NULL;
}

void
storage_loop_free (struct storage_loop *l)
{
  if (l) {
    free (l->parent_mp);
    free (l);
  }
}

int
storage_loop_pins (const struct mount *m, uint64_t ino)
{
  size_t i;

  for (i = 0; i < mount_count; i++) {
    struct storage_loop *l = mount_table[i].loop;

    if (l && l->ino == ino && strcmp (l->parent_mp, m->mountpoint) == 0)
      return 1;
  }
  return 0;
}

/* The outer filesystem, if the image file is still the one mounted. */
static struct engine_fs *
outer (struct storage_loop *l)
{
  struct mount *m = storage_loop_parent (l);
  struct engine_stat st;

  if (m == NULL || m->fs == NULL) {
    engine_note ("the filesystem holding the image file is gone");
    return NULL;
  }
  if (m->fs->ops->getattr (m->fs, l->ino, &st) < 0 || !S_ISREG (st.mode)
      || st.nlink == 0 || st.generation != l->generation
      || st.crtime_sec != l->crtime_sec || st.crtime_nsec != l->crtime_nsec) {
    engine_note ("the image file of the loop mount was removed or replaced");
    return NULL;
  }
  return m->fs;
}

static ssize_t
loop_pread (void *handle, void *buf, size_t count, uint64_t off)
{
  struct storage_loop *l = handle;
  struct engine_fs *fs = outer (l);

  if (fs == NULL)
    return -EIO;
  return fs->ops->pread (fs, l->ino, buf, count, off);
}

static ssize_t
loop_pwrite (void *handle, const void *buf, size_t count, uint64_t off)
{
  struct storage_loop *l = handle;
  struct engine_fs *fs = outer (l);

  if (fs == NULL)
    return -EIO;
  if (fs->readonly)
    return -EROFS;
  return fs->ops->pwrite (fs, l->ino, buf, count, off);
}

static int
loop_flush (void *handle)
{
  struct storage_loop *l = handle;
  struct engine_fs *fs = outer (l);

  if (fs == NULL)
    return -EIO;
  return fs->ops->sync (fs);
}

static const struct range_backend loop_backend = {
  .pread = loop_pread,
  .pwrite = loop_pwrite,
  .flush = loop_flush,
};

/* The smallest N with no /dev/loopN in the table. */
static unsigned
free_number (void)
{
  unsigned n;
  size_t i;

  for (n = 0;; n++) {
    for (i = 0; i < mount_count; i++)
      if (mount_table[i].loop && mount_table[i].loop->number == n)
        break;
    if (i == mount_count)
      return n;
  }
}

int
storage_mount_loop (const char *file, const char *mountpoint,
                    char **error_r)
{
  struct resolved res;
  struct engine_stat st;
  struct engine_range range = { .fd = -1 };
  struct storage_loop *l;
  char device[32];
  int r;

  if (error_r)
    *error_r = NULL;
  r = resolve_path (file, 0, &res);
  if (r < 0) {
    storage_set_error (error_r, "%s: %s", file, strerror (-r));
    return r;
  }
  r = res.m->fs->ops->getattr (res.m->fs, res.ino, &st);
  if (r == 0 && !S_ISREG (st.mode))
    r = -EINVAL;
  if (r < 0) {
    storage_set_error (error_r, "%s: %s", file, r == -EINVAL
                       ? "not a regular file (mount_loop mounts a "
                         "filesystem image that is a file)" : strerror (-r));
    resolved_free (&res);
    return r;
  }
  if (storage_loop_pins (res.m, res.ino)) {
    storage_set_error (error_r, "%s: the image is already mounted", file);
    resolved_free (&res);
    return -EBUSY;
  }
  l = calloc (1, sizeof *l);
  if (l == NULL || (l->parent_mp = strdup (res.m->mountpoint)) == NULL) {
    free (l);
    resolved_free (&res);
    return -ENOMEM;
  }
  l->ino = res.ino;
  l->generation = st.generation;
  l->crtime_sec = st.crtime_sec;
  l->crtime_nsec = st.crtime_nsec;
  l->number = free_number ();
  range.length = st.size;
  range.readonly = res.m->readonly || res.m->fs->readonly;
  range.backend = &loop_backend;
  range.handle = l;
  resolved_free (&res);
  snprintf (device, sizeof device, "/dev/loop%u", l->number);
  return storage_mount_range (&range, device, mountpoint, l, error_r);
}
