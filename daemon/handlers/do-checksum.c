/* minnow: checksums of a file or a device, computed in the daemon
 * (digest.c): the bytes are read inside the image in large runs, and
 * no process is started. */

#include <config.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "storage-actions.h"
#include "actions.h"
#include "digest.h"
#include "transfer.h"

/* Reads at most len bytes at off; the count, 0 at the end, or a
 * negative errno. */
typedef ssize_t (*reader) (void *opaque, void *buf, size_t len,
                           uint64_t off);

/* Digests size bytes (or fewer if the input ends first) from read_fn.
 * 0 or a negative errno. */
static int
digest_stream (struct digest *d, uint64_t size, reader read_fn, void *opaque)
{
  size_t cap = size < XFER_WRITE_RUN ? (size_t) size : XFER_WRITE_RUN;
  uint64_t off = 0;
  char *buf;
  int r = 0;

  if (size == 0)
    return 0;
  buf = malloc (cap);
  if (buf == NULL)
    return -ENOMEM;
  while (off < size) {
    size_t want = size - off < cap ? (size_t) (size - off) : cap;
    ssize_t n;

    if (storage_stop_requested ()) {
      r = -EINTR;
      break;
    }
    n = read_fn (opaque, buf, want, off);
    if (n < 0) {
      r = (int) n;
      break;
    }
    if (n == 0)
      break;
    digest_update (d, buf, n);
    off += n;
  }
  free (buf);
  return r;
}

struct file_reader {
  struct engine_fs *fs;
  uint64_t ino;
};

static ssize_t
read_file (void *opaque, void *buf, size_t len, uint64_t off)
{
  struct file_reader *f = opaque;

  return f->fs->ops->read_run
    ? f->fs->ops->read_run (f->fs, f->ino, buf, len, off)
    : f->fs->ops->pread (f->fs, f->ino, buf, len, off);
}

int
checksum_file_text (const char *csumtype, const char *path,
                    char text[DIGEST_TEXT_MAX])
{
  struct digest d;
  struct resolved res;
  struct engine_stat st;
  struct file_reader f;
  int r;

  r = digest_init (&d, csumtype);
  if (r < 0)
    return r;
  r = resolve_path (path, 0, &res);
  if (r < 0)
    return r;
  f.fs = res.m->fs;
  f.ino = res.ino;
  r = f.fs->ops->getattr (f.fs, f.ino, &st);
  if (r == 0 && !S_ISREG (st.mode))
    r = S_ISDIR (st.mode) ? -EISDIR : -EINVAL;
  if (r == 0)
    r = digest_stream (&d, st.size, read_file, &f);
  resolved_free (&res);
  if (r == 0)
    digest_text (&d, text);
  return r;
}

static void
reply_unknown_type (const char *csumtype)
{
  reply_with_error_errno (EINVAL, "%s: unknown checksum type (%s)",
                          csumtype, DIGEST_NAMES);
}

char *
do_checksum (const char *csumtype, const char *path)
{
  char text[DIGEST_TEXT_MAX];
  struct digest d;
  char *ret;
  int r;

  if (digest_init (&d, csumtype) < 0) {
    reply_unknown_type (csumtype);
    return NULL;
  }
  r = checksum_file_text (csumtype, path, text);
  if (r < 0) {
    reply_errno_path (r, path);
    return NULL;
  }
  ret = strdup (text);
  if (ret == NULL)
    reply_with_perror ("strdup");
  return ret;
}

static ssize_t
read_range (void *opaque, void *buf, size_t len, uint64_t off)
{
  const struct engine_range *range = opaque;
  ssize_t n;

  do
    n = pread (range->fd, buf, len, range->offset + off);
  while (n == -1 && errno == EINTR);
  return n == -1 ? -errno : n;
}

char *
do_checksum_device (const char *csumtype, const char *device)
{
  char text[DIGEST_TEXT_MAX];
  struct engine_range range;
  struct digest d;
  char *msg = NULL, *ret;
  int r;

  if (digest_init (&d, csumtype) < 0) {
    reply_unknown_type (csumtype);
    return NULL;
  }
  r = storage_device_range (device, &range, &msg);
  if (r < 0) {
    reply_errno_msg (r, device, msg);
    return NULL;
  }
  free (msg);
  /* A mounted filesystem's changes are in the daemon's cache. */
  if (device_in_use (device) && storage_sync_all () < 0) {
    reply_with_perror ("%s: sync", device);
    return NULL;
  }
  r = digest_stream (&d, range.length, read_range, &range);
  if (r == 0 && d.length != range.length)
    r = -EIO;                   /* the device ended before its size */
  if (r < 0) {
    reply_errno_path (r, device);
    return NULL;
  }
  digest_text (&d, text);
  ret = strdup (text);
  if (ret == NULL)
    reply_with_perror ("strdup");
  return ret;
}
