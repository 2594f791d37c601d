/* minnow storage: the range I/O every engine reads and writes through.
 *
 * One loop for all engines: bounds against the range (a corrupt
 * superblock or FAT cannot make an engine touch a neighbouring
 * partition), read-only refused below the engines, short reads of a
 * truncated image filled with zeroes, EINTR retried, and either a
 * descriptor or a backend (a file of a mounted filesystem) behind. */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"

static int
inside (const struct engine_range *r, size_t len, uint64_t off)
{
  return off <= r->length && len <= r->length - off;
}

static ssize_t
read_some (const struct engine_range *r, void *buf, size_t len,
           uint64_t pos)
{
  ssize_t n;

  if (r->backend)
    return r->backend->pread (r->handle, buf, len, pos);
  do
    n = pread (r->fd, buf, len, (off_t) pos);
  while (n == -1 && errno == EINTR);
  return n == -1 ? -errno : n;
}

static ssize_t
write_some (const struct engine_range *r, const void *buf, size_t len,
            uint64_t pos)
{
  ssize_t n;

  if (r->backend)
    return r->backend->pwrite (r->handle, buf, len, pos);
  do
    n = pwrite (r->fd, buf, len, (off_t) pos);
  while (n == -1 && errno == EINTR);
  return n == -1 ? -errno : n;
}

int
range_read (const struct engine_range *r, void *buf, size_t len,
            uint64_t off)
{
  char *p = buf;

  if (!inside (r, len, off))
    return -ERANGE;
  while (len > 0) {
    ssize_t n = read_some (r, p, len, r->offset + off);

    if (n < 0)
      return (int) n;
    if (n == 0) {
      memset (p, 0, len);
      return -ENODATA;
    }
    p += n;
    len -= (size_t) n;
    off += (uint64_t) n;
  }
  return 0;
}

int
range_write (const struct engine_range *r, const void *buf, size_t len,
             uint64_t off)
{
  const char *p = buf;

  if (r->readonly)
    return -EROFS;
  if (!inside (r, len, off))
    return -ERANGE;
  while (len > 0) {
    ssize_t n = write_some (r, p, len, r->offset + off);

    if (n < 0)
      return (int) n;
    if (n == 0)
      return -EIO;
    p += n;
    len -= (size_t) n;
    off += (uint64_t) n;
  }
  return 0;
}

void
range_readahead (const struct engine_range *r, uint64_t off, uint64_t len)
{
  if (r->backend == NULL && inside (r, 0, off))
    posix_fadvise (r->fd, (off_t) (r->offset + off), (off_t) len,
                   POSIX_FADV_WILLNEED);
}

int
range_flush (const struct engine_range *r)
{
  if (r->backend)
    return r->backend->flush ? r->backend->flush (r->handle) : 0;
  if (fdatasync (r->fd) == -1 && errno != EINVAL && errno != EROFS)
    return -errno;
  return 0;
}
