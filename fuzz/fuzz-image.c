/* Fuzz target: a filesystem image, as the ext engine sees it.
 *
 * The input is an image (a seed made by mke2fs, mutated); it becomes the
 * contents of a memfd that stands in for a drive.  The engine probes it,
 * opens it read-only and walks every directory (lookup, stat, read,
 * readlink, xattrs), then opens it read-write and creates, writes,
 * renames and removes.  A crash, a hang or a memory error (AddressSanitizer)
 * is a bug: a hostile image may only give errors. */

#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "engine.h"

struct walk {
  struct engine_fs *fs;
  int depth;
  unsigned budget;              /* entries left to visit */
};

static int visit_dir (struct walk *w, uint64_t dir);

static int
xattr_cb (void *opaque, const char *name, const void *value, size_t len)
{
  (void) opaque; (void) name; (void) value; (void) len;
  return 0;
}

static int
entry_cb (void *opaque, const char *name, size_t namelen, uint64_t ino,
          enum engine_dtype type)
{
  struct walk *w = opaque;
  const struct engine_ops *ops = w->fs->ops;
  struct engine_stat st;
  char buf[4096], *target = NULL;

  (void) type;
  if (w->budget == 0)
    return 1;
  w->budget--;
  if ((namelen == 1 && name[0] == '.') ||
      (namelen == 2 && name[0] == '.' && name[1] == '.'))
    return 0;
  if (ops->getattr (w->fs, ino, &st) < 0)
    return 0;
  if (S_ISDIR (st.mode) && w->depth < 8) {
    w->depth++;
    visit_dir (w, ino);
    w->depth--;
  }
  else if (S_ISREG (st.mode)) {
    ops->pread (w->fs, ino, buf, sizeof buf, 0);
    if (st.size > sizeof buf)
      ops->pread (w->fs, ino, buf, sizeof buf, st.size - sizeof buf);
  }
  else if (S_ISLNK (st.mode) && ops->readlink (w->fs, ino, &target) >= 0)
    free (target);
  ops->listxattr (w->fs, ino, xattr_cb, NULL);
  return 0;
}

static int
visit_dir (struct walk *w, uint64_t dir)
{
  uint64_t ino;

  w->fs->ops->lookup (w->fs, dir, "lost+found", &ino);
  return w->fs->ops->readdir (w->fs, dir, entry_cb, w);
}

static void
exercise (const struct engine_ops *ops, const struct engine_range *range)
{
  struct engine_fs *fs = NULL;
  struct engine_statvfs sv;
  char *msg = NULL;
  uint64_t root, ino, dir;

  if (ops->open (range, &fs, &msg) < 0) {
    free (msg);
    return;
  }
  root = ops->root (fs);
  if (!range->readonly) {
    if (ops->mknod (fs, root, "fuzz-new", S_IFREG | 0644, 0, 0, 0, &ino) == 0)
      ops->pwrite (fs, ino, "data", 4, 70000);
    if (ops->mkdir (fs, root, "fuzz-dir", 0755, 0, 0, &dir) == 0) {
      ops->symlink (fs, dir, "l", "../fuzz-new", 0, 0, &ino);
      ops->rename (fs, root, "fuzz-new", dir, "moved");
      ops->remove_tree (fs, dir);
      ops->rmdir (fs, root, "fuzz-dir");
    }
  }
  else {
    struct walk w = { .fs = fs, .budget = 2000 };
    visit_dir (&w, root);
  }
  ops->statvfs (fs, &sv);
  ops->close (fs);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct engine_range range = { .fd = -1 };
  const struct engine_ops *ops;
  const char *type;
  int fd;

  if (size < 2048 || size > (64 << 20))
    return 0;
  fd = memfd_create ("fuzz-image", MFD_CLOEXEC);
  if (fd == -1 || write (fd, data, size) != (ssize_t) size)
    abort ();
  range.fd = fd;
  range.offset = 0;
  range.length = size;
  range.readonly = 1;
  ops = engine_probe (&range, &type);
  if (ops) {
    exercise (ops, &range);
    range.readonly = 0;
    exercise (ops, &range);
  }
  close (fd);
  return 0;
}
