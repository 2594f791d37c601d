/* minnow: free space and erasing (fstrim, blkdiscard, blkdiscardzeroes,
 * is_zero, is_zero_device, zero_free_space, zerofree, scrub_file,
 * scrub_device, scrub_freespace).
 *
 * The free blocks of an ext filesystem come from its block bitmap
 * (engine_ext2_free_extents); what is done to them is done directly on
 * the drive (storage_free_space in mount.c), after which the engine's
 * copy of the filesystem is closed and opened again so that nothing it
 * cached can be stale. */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "storage-actions.h"
#include "actions.h"

static int
nothing (void *opaque)
{
  (void) opaque;
  return 0;
}

/* The mount that path is on (root: must be its mount point);
 * replies on failure. */
static struct mount *
mount_of (const char *path, int root)
{
  struct resolved r;
  struct mount *m;
  int ret = resolve_path (path, 0, &r);

  if (ret == 0 && !r.exists)
    ret = -ENOENT;
  if (ret < 0) {
    resolved_free (&r);
    reply_errno_path (ret, path);
    return NULL;
  }
  m = r.m;
  if (root && !r.is_mountpoint) {
    resolved_free (&r);
    reply_with_error_errno (EINVAL, "%s: not a mount point", path);
    return NULL;
  }
  resolved_free (&r);
  if (m->readonly) {
    reply_with_error_errno (EROFS, "%s: the filesystem is mounted "
                            "read-only", path);
    return NULL;
  }
  if (strcmp (m->fs->ops->name, "ext2") != 0) {
    reply_with_error_errno (ENOTSUP, "%s: not an ext2/3/4 filesystem", path);
    return NULL;
  }
  return m;
}

/* Applies op to the free space of mount m, then drops its caches. */
static int
mounted_free_space (struct mount *m, const char *what, int op,
                    uint64_t offset, uint64_t length, uint64_t minextent)
{
  struct engine_range range;
  char *msg = NULL;
  int r;

  r = storage_device_range (m->device, &range, &msg);
  if (r < 0) {
    reply_errno_msg (r, what, msg);
    return -1;
  }
  free (msg);
  msg = NULL;
  r = storage_free_space (m->fs, &range, op, offset, length, minextent,
                          NULL);
  if (r == -EOPNOTSUPP) {
    reply_with_error_errno (EOPNOTSUPP, "%s: the drive cannot punch holes "
                            "(FALLOC_FL_PUNCH_HOLE)", what);
    storage_mount_offline (m, nothing, NULL, NULL);
    return -1;
  }
  if (r < 0) {
    reply_errno_path (r, what);
    storage_mount_offline (m, nothing, NULL, NULL);
    return -1;
  }
  r = storage_mount_offline (m, nothing, NULL, &msg);
  if (r < 0) {
    reply_errno_msg (r, what, msg);
    return -1;
  }
  free (msg);
  return 0;
}

/* optargs of fstrim. */
#define FSTRIM_OFFSET  (1 << 0)
#define FSTRIM_LENGTH  (1 << 1)
#define FSTRIM_MINIMUM (1 << 2)

int
do_fstrim (const char *mountpoint, int64_t offset, int64_t length,
           int64_t minimumfreeextent)
{
  struct mount *m;

  if (!(optargs_bitmask & FSTRIM_OFFSET))
    offset = 0;
  if (!(optargs_bitmask & FSTRIM_LENGTH))
    length = 0;
  if (!(optargs_bitmask & FSTRIM_MINIMUM))
    minimumfreeextent = 0;
  if (offset < 0 || length < 0 || minimumfreeextent < 0) {
    reply_with_error_errno (EINVAL, "offset, length and minimumfreeextent "
                            "must not be negative");
    return -1;
  }
  if ((optargs_bitmask & FSTRIM_LENGTH) && length == 0)
    return 0;                   /* an empty range: nothing to trim */
  m = mount_of (mountpoint, 1);
  if (m == NULL)
    return -1;
  return mounted_free_space (m, mountpoint, STORAGE_FREE_TRIM,
                             (uint64_t) offset, (uint64_t) length,
                             (uint64_t) minimumfreeextent);
}

int
do_zero_free_space (const char *directory)
{
  struct mount *m = mount_of (directory, 0);

  if (m == NULL)
    return -1;
  return mounted_free_space (m, directory, STORAGE_FREE_ZERO, 0, 0, 0);
}

int
do_scrub_freespace (const char *dir)
{
  struct mount *m;
  int r = fsop_exists (dir);
  char *parent, *slash;

  if (r == 1) {
    reply_with_error_errno (EEXIST, "%s: already exists", dir);
    return -1;
  }
  parent = strdup (dir);
  if (parent == NULL) {
    reply_with_perror ("strdup");
    return -1;
  }
  slash = strrchr (parent, '/');
  if (slash == parent)
    slash[1] = '\0';
  else if (slash)
    *slash = '\0';
  m = mount_of (parent, 0);
  free (parent);
  if (m == NULL)
    return -1;
  return mounted_free_space (m, dir, STORAGE_FREE_RANDOM, 0, 0, 0);
}

/* The (unmounted) filesystem on device, opened for writing. */
static int
unmounted_free_space (const char *device, int op)
{
  struct engine_range range;
  const struct engine_ops *ops;
  struct engine_fs *fs;
  const char *type;
  char *msg = NULL;
  int r, r2;

  if (device_in_use (device)) {
    reply_with_error_errno (EBUSY, "%s: device is mounted", device);
    return -1;
  }
  r = storage_device_range (device, &range, &msg);
  if (r < 0) {
    reply_errno_msg (r, device, msg);
    return -1;
  }
  free (msg);
  msg = NULL;
  if (range.readonly) {
    reply_with_error_errno (EROFS, "%s: device is read-only", device);
    return -1;
  }
  ops = engine_probe (&range, &type);
  if (ops == NULL || strcmp (ops->name, "ext2") != 0) {
    reply_with_error_errno (EINVAL, "%s: not an ext2/3/4 filesystem", device);
    return -1;
  }
  r = ops->open (&range, &fs, &msg);
  if (r < 0) {
    reply_with_error_errno (-r, "%s: %s", device, msg ? msg : strerror (-r));
    free (msg);
    return -1;
  }
  r = storage_free_space (fs, &range, op, 0, 0, 0, NULL);
  r2 = fs->ops->close (fs);
  if (r < 0 || r2 < 0) {
    reply_errno_path (r < 0 ? r : r2, device);
    return -1;
  }
  return 0;
}

int
do_zerofree (const char *device)
{
  return unmounted_free_space (device, STORAGE_FREE_ZERO);
}

/* ---------------------------------------------------------------- */
/* Whole devices.                                                     */

static int
device_for_writing (const char *device, struct engine_range *range)
{
  char *msg = NULL;
  int r = storage_device_range (device, range, &msg);

  if (r < 0) {
    reply_errno_msg (r, device, msg);
    return -1;
  }
  free (msg);
  if (range->readonly) {
    reply_with_error_errno (EROFS, "%s: device is read-only", device);
    return -1;
  }
  if (device_in_use (device)) {
    reply_with_error_errno (EBUSY, "%s: device is mounted", device);
    return -1;
  }
  return 0;
}

int
do_blkdiscard (const char *device)
{
  struct engine_range range;

  if (device_for_writing (device, &range) < 0)
    return -1;
  if (range.length > 0 && !range.no_discard
      && fallocate (range.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                    (off_t) range.offset, (off_t) range.length) == -1) {
    reply_with_perror ("%s: discard (FALLOC_FL_PUNCH_HOLE)", device);
    return -1;
  }
  return 0;
}

int
do_blkdiscardzeroes (const char *device)
{
  struct engine_range range;
  char *msg = NULL;
  int r = storage_device_range (device, &range, &msg);

  if (r < 0) {
    reply_errno_msg (r, device, msg);
    return -1;
  }
  free (msg);
  /* blkdiscard punches holes, which read back as zeroes; on a drive
   * added with discard "disable" it leaves the bytes as they were. */
  return !range.no_discard;
}

/* Writes random bytes over [off, off+len) of fd. */
static int
scrub_range (int fd, uint64_t off, uint64_t len)
{
  char *buf = malloc (1 << 20);
  int ur = open ("/dev/urandom", O_RDONLY | O_CLOEXEC), r = 0;

  if (buf == NULL || ur == -1) {
    r = buf == NULL ? -ENOMEM : -errno;
    goto out;
  }
  while (len > 0 && r == 0) {
    size_t n = len < (1 << 20) ? len : (1 << 20), have = 0, done = 0;
    while (have < n) {
      ssize_t got = read (ur, buf + have, n - have);
      if (got <= 0 && errno != EINTR) {
        r = got == 0 ? -EIO : -errno;
        goto out;
      }
      if (got > 0)
        have += got;
    }
    while (done < n) {
      ssize_t w = pwrite (fd, buf + done, n - done, (off_t) (off + done));
      if (w == -1 && errno == EINTR)
        continue;
      if (w == -1) {
        r = -errno;
        goto out;
      }
      done += w;
    }
    off += n;
    len -= n;
  }
 out:
  if (ur >= 0)
    close (ur);
  free (buf);
  return r;
}

int
do_scrub_device (const char *device)
{
  struct engine_range range;
  int r;

  if (device_for_writing (device, &range) < 0)
    return -1;
  r = scrub_range (range.fd, range.offset, range.length);
  if (r < 0) {
    reply_errno_path (r, device);
    return -1;
  }
  return 0;
}

int
do_scrub_file (const char *file)
{
  struct engine_stat st;
  char *buf = NULL;
  uint64_t off = 0;
  int ur = -1, r;

  r = fsop_stat (file, 0, &st);
  if (r == 0 && !S_ISREG (st.mode))
    r = S_ISDIR (st.mode) ? -EISDIR : -EINVAL;
  if (r < 0) {
    reply_errno_path (r, file);
    return -1;
  }
  buf = malloc (1 << 20);
  ur = open ("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (buf == NULL || ur == -1) {
    r = buf == NULL ? -ENOMEM : -errno;
    goto out;
  }
  /* Over the file's own blocks (through the engine), then it goes. */
  while (off < st.size) {
    size_t n = st.size - off < (1 << 20) ? st.size - off : (1 << 20);
    ssize_t got = read (ur, buf, n), w;
    if (got <= 0) {
      r = got == 0 ? -EIO : -errno;
      goto out;
    }
    w = fsop_pwrite (file, buf, (size_t) got, (int64_t) off);
    if (w < 0) {
      r = (int) w;
      goto out;
    }
    off += (uint64_t) w;
  }
  r = fsop_unlink (file);
 out:
  if (ur >= 0)
    close (ur);
  free (buf);
  if (r < 0) {
    reply_errno_path (r, file);
    return -1;
  }
  /* The overwritten blocks reach the image before the call returns. */
  storage_sync_all ();
  return 0;
}

/* ---------------------------------------------------------------- */
/* is_zero, is_zero_device.                                           */

static int
all_zero (const char *buf, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (buf[i])
      return 0;
  return 1;
}

int
do_is_zero (const char *path)
{
  char *buf = malloc (1 << 20);
  int64_t off = 0;
  ssize_t n = 0;
  int zero = 1;

  if (buf == NULL) {
    reply_with_perror ("malloc");
    return -1;
  }
  while (zero && (n = fsop_pread (path, buf, 1 << 20, off)) > 0) {
    zero = all_zero (buf, (size_t) n);
    off += n;
  }
  free (buf);
  if (zero && n < 0) {
    reply_errno_path ((int) n, path);
    return -1;
  }
  return zero;
}

int
do_is_zero_device (const char *device)
{
  struct engine_range range;
  char *msg = NULL, *buf;
  uint64_t off = 0;
  int r, zero = 1;

  r = storage_device_range (device, &range, &msg);
  if (r < 0) {
    reply_errno_msg (r, device, msg);
    return -1;
  }
  free (msg);
  if (device_in_use (device))
    storage_sync_all ();
  buf = malloc (1 << 20);
  if (buf == NULL) {
    reply_with_perror ("malloc");
    return -1;
  }
  while (zero && off < range.length) {
    size_t want = range.length - off < (1 << 20) ? range.length - off
      : (1 << 20);
    ssize_t n = pread (range.fd, buf, want, (off_t) (range.offset + off));
    if (n == -1 && errno == EINTR)
      continue;
    if (n <= 0) {
      r = n == 0 ? -EIO : -errno;
      free (buf);
      reply_errno_path (r, device);
      return -1;
    }
    zero = all_zero (buf, (size_t) n);
    off += (uint64_t) n;
  }
  free (buf);
  return zero;
}
