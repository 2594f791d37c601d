/* minnow: files in and out of the image (upload, download and their
 * _offset forms), with libguestfs's semantics.
 *
 * The data comes from (or goes to) the host file's descriptor when the
 * library passed it, else the chunk stream: receive_file_sparse and
 * send_file_write hide the difference.  Writes into the filesystem go
 * through the engine in runs of WRITE_RUN bytes, so that a file is
 * allocated in large pieces; the daemon's memory stays bounded by a few
 * such buffers whatever the file's size. */

#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "storage-actions.h"
#include "transfer.h"
#include "actions.h"

int
xfer_target_open (struct xfer_target *t, const char *where, int create,
                  int truncate)
{
  memset (t, 0, sizeof *t);
  t->where = where;
  if (strncmp (where, "/dev/", 5) == 0) {
    char *msg = NULL;
    int r = storage_device_range (where, &t->range, &msg);

    if (r < 0) {
      reply_errno_msg (r, where, msg);
      return -1;
    }
    free (msg);
    t->is_device = 1;
    return 0;
  }
  {
    int r = 0;
    struct engine_stat st;

    if (truncate)
      r = fsop_write (where, "", 0, 0);
    else if (create)
      r = fsop_exists (where) == 0 ? fsop_write (where, "", 0, 0) : 0;
    if (r == 0)
      r = resolve_path (where, 0, &t->res);
    if (r == 0) {
      t->resolved = 1;
      r = t->res.m->fs->ops->getattr (t->res.m->fs, t->res.ino, &st);
      if (r == 0 && !S_ISREG (st.mode))
        r = S_ISDIR (st.mode) ? -EISDIR : -EINVAL;
    }
    if (r < 0) {
      xfer_target_close (t);
      reply_errno_path (r, where);
      return -1;
    }
  }
  return 0;
}

void
xfer_target_close (struct xfer_target *t)
{
  if (t->resolved)
    resolved_free (&t->res);
  t->resolved = 0;
}

int
xfer_target_check_write (struct xfer_target *t)
{
  if (!t->is_device) {
    if (t->res.m->readonly) {
      reply_with_error_errno (EROFS, "%s: the filesystem is mounted "
                              "read-only", t->where);
      return -1;
    }
    return 0;
  }
  if (t->range.readonly) {
    reply_with_error_errno (EROFS, "%s: device is read-only", t->where);
    return -1;
  }
  if (device_in_use (t->where)) {
    reply_with_error_errno (EBUSY, "%s: device is mounted", t->where);
    return -1;
  }
  return 0;
}

/* Writes len bytes at off; a negative errno on failure. */
static int
target_pwrite (struct xfer_target *t, const char *p, size_t len, uint64_t off)
{
  if (t->is_device) {
    if (off > t->range.length || len > t->range.length - off)
      return -ENOSPC;
    while (len > 0) {
      ssize_t n = pwrite (t->range.fd, p, len, t->range.offset + off);

      if (n == -1 && errno == EINTR)
        continue;
      if (n == -1)
        return -errno;
      p += n;
      off += n;
      len -= n;
    }
    return 0;
  }
  /* Refuse a run that cannot fit before the engine starts on it: the
   * engine's own ENOSPC in the middle of a write leaves the filesystem
   * damaged (found with fill: a later rm fails with EIO and e2fsck
   * reports bitmap differences).  The margin covers extent blocks. */
  {
    struct engine_fs *fs = t->res.m->fs;
    struct engine_statvfs sv;
    int r = fs->ops->statvfs (fs, &sv);

    if (r == 0 && sv.bsize > 0) {
      uint64_t need = (len + sv.bsize - 1) / sv.bsize;
      need += need / 256 + 8;
      if (need > sv.bfree)
        return -ENOSPC;
    }
  }
  while (len > 0) {
    struct engine_fs *fs = t->res.m->fs;
    ssize_t n = fs->ops->write_run
      ? fs->ops->write_run (fs, t->res.ino, p, len, off)
      : fs->ops->pwrite (fs, t->res.ino, p, len, off);

    if (n < 0)
      return (int) n;
    if (n == 0)
      return -ENOSPC;
    p += n;
    off += n;
    len -= n;
  }
  return 0;
}

static int
is_zero (const char *p, size_t n)
{
  static const char zero[XFER_HOLE_BLOCK];

  while (n > 0) {
    size_t k = n < sizeof zero ? n : sizeof zero;
    if (memcmp (p, zero, k) != 0)
      return 0;
    p += k;
    n -= k;
  }
  return 1;
}

/* Writes len bytes at off, leaving holes for aligned zero blocks when
 * the target was empty. */
static int
write_run (struct xfer_writer *w, const char *p, size_t len, uint64_t off)
{
  int r;

  while (len > 0) {
    size_t n = len;

    if (w->sparse) {
      size_t k = XFER_HOLE_BLOCK - off % XFER_HOLE_BLOCK;

      if (k > len)
        k = len;
      if (off % XFER_HOLE_BLOCK == 0 && k == XFER_HOLE_BLOCK &&
          is_zero (p, k)) {
        p += k;
        off += k;
        len -= k;
        continue;
      }
      /* Extend the run up to the next aligned zero block. */
      n = k;
      while (n < len) {
        size_t b = len - n < XFER_HOLE_BLOCK ? len - n : XFER_HOLE_BLOCK;
        if (b == XFER_HOLE_BLOCK && is_zero (p + n, b))
          break;
        n += b;
      }
    }
    r = target_pwrite (w->t, p, n, off);
    if (r < 0)
      return r;
    p += n;
    off += n;
    len -= n;
  }
  return 0;
}

/* Writes the pending run. */
static int
flush_run (struct xfer_writer *w)
{
  size_t len = w->buf_len;
  uint64_t off = w->buf_off;

  w->buf_len = 0;
  w->buf_off = w->pos;
  return write_run (w, w->buf, len, off);
}

int
xfer_writer_init (struct xfer_writer *w, struct xfer_target *t,
                  uint64_t start, int sparse)
{
  memset (w, 0, sizeof *w);
  w->t = t;
  w->pos = w->buf_off = start;
  w->sparse = sparse;
  w->buf = malloc (XFER_WRITE_RUN);
  if (w->buf == NULL) {
    reply_with_perror ("malloc");
    return -1;
  }
  return 0;
}

int
xfer_writer_data (void *opaque, const void *data, size_t len)
{
  struct xfer_writer *w = opaque;
  const char *p = data;

  if (w->err)
    return -1;
  /* Whole runs straight from the caller's buffer: no copy. */
  if (w->buf_len == 0 && len >= XFER_WRITE_RUN) {
    size_t n = len / XFER_WRITE_RUN * XFER_WRITE_RUN;
    int r = write_run (w, p, n, w->pos);

    if (r < 0) {
      w->err = r;
      errno = -r;
      return -1;
    }
    w->pos += n;
    w->buf_off = w->pos;
    p += n;
    len -= n;
  }
  while (len > 0) {
    size_t n = XFER_WRITE_RUN - w->buf_len;
    if (n > len)
      n = len;
    memcpy (w->buf + w->buf_len, p, n);
    w->buf_len += n;
    w->pos += n;
    p += n;
    len -= n;
    if (w->buf_len == XFER_WRITE_RUN) {
      int r = flush_run (w);
      if (r < 0) {
        w->err = r;
        errno = -r;
        return -1;
      }
    }
  }
  return 0;
}

int
xfer_writer_hole (void *opaque, uint64_t len)
{
  struct xfer_writer *w = opaque;
  int r;

  if (w->err)
    return -1;
  r = flush_run (w);
  if (r < 0) {
    w->err = r;
    errno = -r;
    return -1;
  }
  w->pos += len;
  w->buf_off = w->pos;
  return 0;
}

void
xfer_writer_reset (struct xfer_writer *w, struct xfer_target *t,
                   uint64_t start, int sparse)
{
  w->t = t;
  w->pos = w->buf_off = start;
  w->sparse = sparse;
  w->buf_len = 0;
  w->err = 0;
}

int
xfer_writer_flush (struct xfer_writer *w)
{
  int r = w->err;

  if (r == 0)
    r = flush_run (w);
  /* Holes at the end of a file: its size says where it ends. */
  if (r == 0 && !w->t->is_device && w->t->res.m) {
    struct engine_fs *fs = w->t->res.m->fs;
    struct engine_stat st;
    r = fs->ops->getattr (fs, w->t->res.ino, &st);
    if (r == 0 && st.size < w->pos)
      r = fs->ops->truncate (fs, w->t->res.ino, w->pos);
  }
  if (r < 0 && w->err == 0)
    w->err = r;
  return r;
}

int
xfer_writer_finish (struct xfer_writer *w)
{
  int r = w->buf ? xfer_writer_flush (w) : w->err;

  free (w->buf);
  w->buf = NULL;
  return r;
}

/* After receive_file_sparse: replies with the right error. */
static int
upload_result (struct xfer_writer *w, int rf, const char *where)
{
  int r = xfer_writer_finish (w);

  if (rf == -2) {
    reply_with_error_errno (EINTR, "%s: operation cancelled by the user",
                            where);
    return -1;
  }
  if (w->err) {
    reply_errno_path (w->err, where);
    return -1;
  }
  if (rf == -1 && errno == HOST_FILE_SHRANK) {
    reply_with_error_errno (EIO, "%s: %s", where, HOST_FILE_SHRANK_TEXT);
    return -1;
  }
  if (rf == -1) {
    reply_with_perror ("%s: reading the host file", where);
    return -1;
  }
  if (r < 0) {
    reply_errno_path (r, where);
    return -1;
  }
  return 0;
}

static int
upload_at (const char *where, int64_t offset, int whole)
{
  struct xfer_target t;
  struct xfer_writer w;
  int rf;

  if (offset < 0) {
    cancel_receive ();
    reply_with_error_errno (EINVAL, "%s: offset %" PRId64 " is negative",
                            where, offset);
    return -1;
  }
  if (xfer_target_open (&t, where, 1, whole) < 0) {
    cancel_receive ();
    return -1;
  }
  if (xfer_target_check_write (&t) < 0) {
    xfer_target_close (&t);
    cancel_receive ();
    return -1;
  }
  /* Holes are kept only in a file that was just emptied: elsewhere the
   * zeroes must overwrite what is there. */
  if (xfer_writer_init (&w, &t, offset, whole && !t.is_device) < 0) {
    xfer_target_close (&t);
    cancel_receive ();
    return -1;
  }
  rf = receive_file_sparse (xfer_writer_data,
                            w.sparse ? xfer_writer_hole : NULL, &w);
  rf = upload_result (&w, rf, where);
  xfer_target_close (&t);
  return rf;
}

int
do_upload (const char *remotefilename)
{
  return upload_at (remotefilename, 0, 1);
}

int
do_upload_offset (const char *remotefilename, int64_t offset)
{
  return upload_at (remotefilename, offset, 0);
}

int
xfer_target_size (struct xfer_target *t, uint64_t *size_r)
{
  struct engine_stat st;
  int r;

  if (t->is_device) {
    /* A mounted device may hold blocks in the engine's cache. */
    if (device_in_use (t->where) && storage_sync_all () < 0) {
      reply_with_error_errno (EIO, "%s: flushing the mounted filesystem",
                              t->where);
      return -1;
    }
    *size_r = t->range.length;
    return 0;
  }
  r = t->res.m->fs->ops->getattr (t->res.m->fs, t->res.ino, &st);
  if (r < 0) {
    reply_errno_path (r, t->where);
    return -1;
  }
  *size_r = st.size;
  return 0;
}

ssize_t
xfer_target_pread (struct xfer_target *t, void *buf, size_t len,
                   uint64_t off)
{
  if (t->is_device) {
    ssize_t n;

    if (off >= t->range.length)
      return 0;
    if (len > t->range.length - off)
      len = t->range.length - off;
    do
      n = pread (t->range.fd, buf, len, t->range.offset + off);
    while (n == -1 && errno == EINTR);
    return n == -1 ? -errno : n;
  }
  {
    struct engine_fs *fs = t->res.m->fs;
    return fs->ops->read_run
      ? fs->ops->read_run (fs, t->res.ino, buf, len, off)
      : fs->ops->pread (fs, t->res.ino, buf, len, off);
  }
}

int
xfer_send_range (struct xfer_target *t, uint64_t offset, uint64_t size)
{
  char *buf;
  uint64_t done = 0;
  int r = 0;

  buf = malloc (XFER_WRITE_RUN);
  if (buf == NULL) {
    reply_with_perror ("malloc");
    return -1;
  }
  reply (NULL, NULL);
  /* From here errors end the stream (or, on the fast path, are the
   * call's error reply). */
  while (done < size) {
    size_t want = size - done < XFER_WRITE_RUN ? size - done : XFER_WRITE_RUN;
    ssize_t n = xfer_target_pread (t, buf, want, offset + done);

    if (n <= 0) {
      int err = n == 0 ? EIO : (int) -n;

      if (file_out_is_fd ())
        reply_with_error_errno (err, "%s: %s", t->where,
                                n == 0 ? "unexpected end of file"
                                : strerror (err));
      else if (verbose)
        fprintf (stderr, "minnowd: %s: read failed: %s\n", t->where,
                 strerror (err));
      send_file_end (1);
      free (buf);
      return -1;
    }
    r = send_file_write (buf, n);
    if (r < 0) {
      free (buf);
      return -1;
    }
    done += n;
    notify_progress (done, size);
  }
  free (buf);
  if (send_file_end (0) < 0)
    return -1;
  return 0;
}

int
do_download (const char *remotefilename)
{
  struct xfer_target t;
  uint64_t size;

  int r;

  if (xfer_target_open (&t, remotefilename, 0, 0) < 0)
    return -1;
  r = xfer_target_size (&t, &size) < 0 ? -1 : xfer_send_range (&t, 0, size);
  xfer_target_close (&t);
  return r;
}

int
do_download_offset (const char *remotefilename, int64_t offset, int64_t size)
{
  struct xfer_target t;
  uint64_t total;

  if (offset < 0 || size < 0) {
    reply_with_error_errno (EINVAL, "%s: offset and size must not be "
                            "negative", remotefilename);
    return -1;
  }
  int r;

  if (xfer_target_open (&t, remotefilename, 0, 0) < 0)
    return -1;
  if (xfer_target_size (&t, &total) < 0) {
    xfer_target_close (&t);
    return -1;
  }
  if ((uint64_t) offset > total || (uint64_t) size > total - offset) {
    xfer_target_close (&t);
    reply_with_error_errno (EINVAL, "%s: the region at offset %" PRId64
                            " of %" PRId64 " bytes goes beyond its end "
                            "(%" PRIu64 " bytes)", remotefilename, offset,
                            size, total);
    return -1;
  }
  r = xfer_send_range (&t, offset, size);
  xfer_target_close (&t);
  return r;
}
