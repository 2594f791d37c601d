/* minnow: the free space of a filesystem, treated directly on its
 * device (core, no replies): holes punched (fstrim), zeroes
 * (zero_free_space, zerofree) or random bytes (scrub_freespace) over
 * the runs of free blocks the engine reports. */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage.h"
#include "engine-ext.h"

/* ---------------------------------------------------------------- */
/* Free space of a filesystem, written directly on its device.        */

struct free_space {
  const struct engine_range *range;
  int op;
  uint64_t lo, hi, minextent, done;
  char *buf;
  int urandom;
};

static int
write_all_at (int fd, const char *buf, size_t len, uint64_t off)
{
  while (len > 0) {
    ssize_t n = pwrite (fd, buf, len, (off_t) off);
    if (n == -1 && errno == EINTR)
      continue;
    if (n == -1)
      return -errno;
    buf += n;
    len -= n;
    off += n;
  }
  return 0;
}

#define FREE_SPACE_CHUNK (1024 * 1024)

static int
free_space_run (void *opaque, uint64_t off, uint64_t len)
{
  struct free_space *s = opaque;
  uint64_t end = off + len;

  if (off < s->lo)
    off = s->lo;
  if (end > s->hi)
    end = s->hi;
  if (end <= off || end - off < s->minextent)
    return 0;
  len = end - off;
  if (s->op == STORAGE_FREE_TRIM) {
    if (s->range->no_discard)
      return 0;
    if (fallocate (s->range->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                   (off_t) (s->range->offset + off), (off_t) len) == -1)
      return -errno;
    s->done += len;
    return 0;
  }
  while (len > 0) {
    size_t n = len < FREE_SPACE_CHUNK ? len : FREE_SPACE_CHUNK, i;
    uint64_t at = s->range->offset + off;
    ssize_t got;
    int r;

    if (s->op == STORAGE_FREE_ZERO) {
      /* As zerofree: write only where something is not zero, so that
       * holes stay holes. */
      do
        got = pread (s->range->fd, s->buf, n, (off_t) at);
      while (got == -1 && errno == EINTR);
      if (got == -1)
        return -errno;
      for (i = 0; i < (size_t) got && s->buf[i] == 0; i++)
        ;
      if (i < (size_t) got) {
        memset (s->buf, 0, n);
        if ((r = write_all_at (s->range->fd, s->buf, n, at)) < 0)
          return r;
        s->done += n;
      }
    } else {
      size_t have = 0;
      while (have < n) {
        got = read (s->urandom, s->buf + have, n - have);
        if (got == -1 && errno == EINTR)
          continue;
        if (got <= 0)
          return got == 0 ? -EIO : -errno;
        have += got;
      }
      if ((r = write_all_at (s->range->fd, s->buf, n, at)) < 0)
        return r;
      s->done += n;
    }
    off += n;
    len -= n;
  }
  return 0;
}

int
storage_free_space (struct engine_fs *fs, const struct engine_range *range,
                    int op, uint64_t offset, uint64_t length,
                    uint64_t minextent, uint64_t *done_r)
{
  struct free_space s = { range, op, offset, 0, minextent, 0, NULL, -1 };
  int r;

  if (range->readonly || fs->readonly)
    return -EROFS;
  s.hi = length == 0 || offset + length < offset ? UINT64_MAX
    : offset + length;
  r = fs->ops->sync (fs);
  if (r < 0)
    return r;
  if (op != STORAGE_FREE_TRIM) {
    s.buf = malloc (FREE_SPACE_CHUNK);
    if (s.buf == NULL)
      return -ENOMEM;
  }
  if (op == STORAGE_FREE_RANDOM) {
    s.urandom = open ("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (s.urandom == -1) {
      free (s.buf);
      return -errno;
    }
  }
  r = engine_ext2_free_extents (fs, free_space_run, &s);
  if (s.urandom >= 0)
    close (s.urandom);
  free (s.buf);
  if (done_r)
    *done_r = s.done;
  return r;
}
