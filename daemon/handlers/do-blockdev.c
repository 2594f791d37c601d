/* minnow: whole devices: list_devices, the blockdev_* calls,
 * pread_device, pwrite_device, sync, and the device catalogue
 * (device_name, nr_devices, is_whole_device, drop_caches).
 *
 * There is no kernel block layer: a device is a byte range of a drive
 * the daemon was given.  Read-only flags are the daemon's own (see
 * devices.c); readahead and the kernel's buffer cache do not exist, and
 * the calls about them say so in their documentation. */

#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage-actions.h"
#include "actions.h"

static int
lookup (const char *device, struct storage_device *range)
{
  if (storage_device_lookup (device, range) == -1) {
    reply_with_error_errno (ENOENT, "%s: no such device", device);
    return -1;
  }
  return 0;
}

/* Largest pread_device: the reply must fit in one message. */
#define MAX_PREAD (2 * 1024 * 1024)

char **
do_list_devices (void)
{
  size_t i, n = storage_drive_count ();
  char **list;

  list = calloc (n + 1, sizeof (char *));
  if (list == NULL) {
    reply_with_perror ("malloc");
    return NULL;
  }
  for (i = 0; i < n; ++i) {
    list[i] = storage_drive_name (i);
    if (list[i] == NULL) {
      reply_with_perror ("malloc");
      while (i > 0)
        free (list[--i]);
      free (list);
      return NULL;
    }
  }
  return list;
}

int64_t
do_blockdev_getsize64 (const char *device)
{
  struct storage_device range;

  if (lookup (device, &range) == -1)
    return -1;
  return (int64_t) range.length;
}

int
do_blockdev_getss (const char *device)
{
  struct storage_device range;

  if (lookup (device, &range) == -1)
    return -1;
  /* Images are read and written in user space: 512-byte sectors. */
  return 512;
}

char *
do_pread_device (const char *device, int count, int64_t offset,
                 size_t *size_r)
{
  struct storage_device range;
  size_t done = 0;
  char *buf;

  if (lookup (device, &range) == -1)
    return NULL;
  if (count < 0 || count > MAX_PREAD) {
    reply_with_error_errno (EINVAL, "%s: count %d: must be between 0 and %d",
                            device, count, MAX_PREAD);
    return NULL;
  }
  if (offset < 0) {
    reply_with_error_errno (EINVAL, "%s: offset %lld is negative", device,
                            (long long) offset);
    return NULL;
  }
  /* Reads stop at the end of the device. */
  if ((uint64_t) offset >= range.length)
    count = 0;
  else if ((uint64_t) count > range.length - offset)
    count = (int) (range.length - offset);

  buf = malloc (count ? count : 1);
  if (buf == NULL) {
    reply_with_perror ("malloc");
    return NULL;
  }
  while (done < (size_t) count) {
    ssize_t n = pread (range.fd, buf + done, count - done,
                       range.offset + offset + done);

    if (n == -1 && errno == EINTR)
      continue;
    if (n == -1) {
      reply_with_perror ("pread: %s", device);
      free (buf);
      return NULL;
    }
    if (n == 0)
      break;
    done += n;
  }
  *size_r = done;
  return buf;
}

int
do_pwrite_device (const char *device, const char *content,
                  size_t content_size, int64_t offset)
{
  struct storage_device range;
  size_t done = 0, count = content_size;

  if (lookup (device, &range) == -1)
    return -1;
  if (range.readonly) {
    reply_with_error_errno (EROFS, "%s: the device is read-only (added "
                            "read-only, or blockdev_setro)", device);
    return -1;
  }
  if (offset < 0) {
    reply_with_error_errno (EINVAL, "%s: offset %lld is negative", device,
                            (long long) offset);
    return -1;
  }
  if (count > 0 && (uint64_t) offset >= range.length) {
    reply_with_error_errno (ENOSPC, "%s: offset %lld is beyond the end of "
                            "the device", device, (long long) offset);
    return -1;
  }
  /* Like a block device, never grow: a write is cut at the end. */
  if (count > range.length - offset)
    count = range.length - offset;
  while (done < count) {
    ssize_t n = pwrite (range.fd, content + done, count - done,
                        range.offset + offset + done);

    if (n == -1 && errno == EINTR)
      continue;
    if (n == -1) {
      reply_with_perror ("pwrite: %s", device);
      return -1;
    }
    done += n;
  }
  return (int) done;
}

int
do_sync (void)
{
  size_t i;
  int r = storage_sync_all ();

  if (r < 0) {
    reply_with_perror_errno (-r, "sync");
    return -1;
  }
  for (i = 0; i < storage_drive_count (); ++i) {
    if (storage_drive_added_readonly (i))
      continue;
    if (fsync (storage_drive_fd (i)) == -1 && errno != EINVAL) {
      char *name = storage_drive_name (i);

      reply_with_perror ("fsync: %s", name ? name : "drive");
      free (name);
      return -1;
    }
  }
  return 0;
}

int
do_blockdev_getbsz (const char *device)
{
  struct storage_device range;

  if (lookup (device, &range) == -1)
    return -1;
  /* What Linux reports for an unmounted disk with 4 KiB pages. */
  return 4096;
}

int
do_blockdev_getro (const char *device)
{
  struct storage_device range;

  if (lookup (device, &range) == -1)
    return -1;
  return range.readonly;
}

static int
set_ro (const char *device, int ro)
{
  struct storage_device range;
  struct mount *m;

  if (lookup (device, &range) == -1)
    return -1;
  if (!ro && storage_drive_added_readonly (range.drive)) {
    reply_with_error_errno (EROFS, "%s: the drive was added read-only",
                            device);
    return -1;
  }
  /* A filesystem mounted read-write keeps its own writable handle: make
   * the caller unmount it rather than pretend it became read-only. */
  m = device_in_use (device);
  if (ro && m && !m->readonly) {
    reply_with_error_errno (EBUSY, "%s: %s is mounted read-write on %s "
                            "(unmount it first)", device, m->device,
                            m->mountpoint);
    return -1;
  }
  if (storage_device_set_readonly (range.drive, range.partnum, ro) == -1) {
    reply_with_error_errno (EINVAL, "%s: cannot change its read-only flag",
                            device);
    return -1;
  }
  return 0;
}

int
do_blockdev_setro (const char *device)
{
  return set_ro (device, 1);
}

int
do_blockdev_setrw (const char *device)
{
  return set_ro (device, 0);
}

int
do_blockdev_rereadpt (const char *device)
{
  size_t index;
  int partnum;

  if (device_drive (device, &index, &partnum, 1, 0) < 0)
    return -1;
  if (device_in_use (device)) {
    reply_with_error_errno (EBUSY, "%s: a filesystem on it is mounted",
                            device);
    return -1;
  }
  /* The table is read again by every call: nothing is kept to drop. */
  return 0;
}

int
do_blockdev_setra (const char *device, int sectors)
{
  struct storage_device range;

  if (lookup (device, &range) == -1)
    return -1;
  if (sectors < 0) {
    reply_with_error_errno (EINVAL, "%s: readahead %d: must not be negative",
                            device, sectors);
    return -1;
  }
  return 0;
}

char *
do_device_name (int index)
{
  char *name;

  if (index < 0 || (size_t) index >= storage_drive_count ()) {
    reply_with_error_errno (EINVAL, "%d: no such drive index (there are "
                            "%zu drives)", index, storage_drive_count ());
    return NULL;
  }
  name = storage_drive_name (index);
  if (name == NULL)
    reply_with_perror ("device_name");
  return name;
}

int
do_nr_devices (void)
{
  return (int) storage_drive_count ();
}

int
do_is_whole_device (const char *device)
{
  struct storage_device range;

  if (lookup (device, &range) == -1)
    return -1;
  return range.partnum == 0;
}

/* A no-op body for storage_mount_offline: closing and reopening is the
 * point. */
static int
nothing (void *opaque)
{
  (void) opaque;
  return 0;
}

int
do_drop_caches (int whattodrop)
{
  size_t i;
  char *msg = NULL;
  int r;

  if (whattodrop < 1 || whattodrop > 3) {
    reply_with_error_errno (EINVAL, "whattodrop %d: must be 1, 2 or 3 (as "
                            "/proc/sys/vm/drop_caches)", whattodrop);
    return -1;
  }
  /* Each mounted filesystem is flushed, closed and opened again: every
   * block and inode the engine held is read from the image afresh. */
  for (i = 0; i < mount_count; i++) {
    r = storage_mount_offline (&mount_table[i], nothing, NULL, &msg);
    if (r < 0) {
      reply_errno_msg (r, "drop_caches", msg);
      return -1;
    }
    free (msg);
    msg = NULL;
  }
  return 0;
}
