/* minnowd: whole devices: list_devices, blockdev_getsize64,
 * blockdev_getss, pread_device, pwrite_device, sync. */

#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "actions.h"

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

static int
lookup (const char *device, struct storage_device *range)
{
  if (storage_device_lookup (device, range) == -1) {
    reply_with_error_errno (ENOENT, "%s: no such device", device);
    return -1;
  }
  return 0;
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
