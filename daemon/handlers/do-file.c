/* minnow: file contents (cat, write, pread, head, wc_l, fill, cp, mv …),
 * with libguestfs's semantics. */

#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "storage-actions.h"
#include "actions.h"

/* Whole-file replies must fit in one message. */
#define REPLY_MAX (4 * 1024 * 1024 - 4096)
#define CHUNK (1024 * 1024)

static int
read_all (const char *path, char **buf, size_t *len, size_t max)
{
  int r = fsop_read_all (path, buf, len, max);

  if (r == -EFBIG)
    reply_with_error_errno (EFBIG, "%s: file is too large for this call "
                            "(the limit is %zu bytes)", path, max);
  else if (r < 0)
    reply_errno_path (r, path);
  return r < 0 ? -1 : 0;
}

int
do_touch (const char *path)
{
  int r = fsop_touch (path);

  if (r < 0) {
    reply_errno_path (r, path);
    return -1;
  }
  return 0;
}

char *
do_cat (const char *path)
{
  char *buf;
  size_t len;

  if (read_all (path, &buf, &len, REPLY_MAX) < 0)
    return NULL;
  return buf;
}

char *
do_read_file (const char *path, size_t *size_r)
{
  char *buf;
  size_t len;

  if (read_all (path, &buf, &len, REPLY_MAX) < 0)
    return NULL;
  *size_r = len;
  return buf;
}

/* Splits buf into lines without their LF or CRLF; the last line counts
 * even without a final newline. */
static char **
split_lines (char *buf, size_t len)
{
  size_t n = 0, i, start = 0, k = 0;
  char **list;

  for (i = 0; i < len; i++)
    if (buf[i] == '\n')
      n++;
  if (len > 0 && buf[len - 1] != '\n')
    n++;
  list = strlist_new (n);
  if (list == NULL)
    return NULL;
  for (i = 0; i <= len && k < n; i++)
    if (i == len || buf[i] == '\n') {
      size_t end = i;
      if (end > start && buf[end - 1] == '\r')
        end--;
      list[k] = strndup (buf + start, end - start);
      if (list[k++] == NULL) {
        strlist_free (list);
        reply_with_perror ("strndup");
        return NULL;
      }
      start = i + 1;
    }
  return list;
}

static char **
lines_of (const char *path)
{
  char *buf, **list;
  size_t len;

  if (read_all (path, &buf, &len, 64 * 1024 * 1024) < 0)
    return NULL;
  list = split_lines (buf, len);
  free (buf);
  return list;
}

char **
do_read_lines (const char *path)
{
  return lines_of (path);
}

/* Keeps lines [from, to) of list and frees the rest. */
static char **
keep (char **list, long from, long to)
{
  long n = 0, i;

  while (list[n])
    n++;
  if (from < 0) from = 0;
  if (to > n) to = n;
  if (to < from) to = from;
  for (i = 0; i < n; i++)
    if (i < from || i >= to)
      free (list[i]);
  memmove (list, list + from, (to - from) * sizeof *list);
  list[to - from] = NULL;
  return list;
}

static long
count (char **list)
{
  long n = 0;

  while (list[n])
    n++;
  return n;
}

char **
do_head_n (int nrlines, const char *path)
{
  char **list = lines_of (path);

  if (list == NULL)
    return NULL;
  if (nrlines >= 0)
    return keep (list, 0, nrlines);
  return keep (list, 0, count (list) + nrlines);      /* all but the last */
}

char **
do_head (const char *path)
{
  return do_head_n (10, path);
}

char **
do_tail_n (int nrlines, const char *path)
{
  char **list = lines_of (path);

  if (list == NULL)
    return NULL;
  if (nrlines >= 0)
    return keep (list, count (list) - nrlines, count (list));
  return keep (list, -nrlines - 1, count (list));    /* from line -N on */
}

char **
do_tail (const char *path)
{
  return do_tail_n (10, path);
}

static int
write_common (const char *path, const char *content, size_t size, int append)
{
  int r = fsop_write (path, content, size, append);

  if (r < 0) {
    reply_errno_path (r, path);
    return -1;
  }
  return 0;
}

int
do_write (const char *path, const char *content, size_t content_size)
{
  return write_common (path, content, content_size, 0);
}

int
do_write_append (const char *path, const char *content, size_t content_size)
{
  return write_common (path, content, content_size, 1);
}

int
do_pwrite (const char *path, const char *content, size_t content_size,
           int64_t offset)
{
  ssize_t n;

  if (offset < 0) {
    reply_with_error_errno (EINVAL, "%s: offset is negative", path);
    return -1;
  }
  n = fsop_pwrite (path, content, content_size, offset);
  if (n < 0) {
    reply_errno_path ((int) n, path);
    return -1;
  }
  return (int) n;
}

char *
do_pread (const char *path, int count_, int64_t offset, size_t *size_r)
{
  char *buf;
  ssize_t n;

  if (count_ < 0 || offset < 0) {
    reply_with_error_errno (EINVAL, "%s: count and offset must not be "
                            "negative", path);
    return NULL;
  }
  if (count_ > REPLY_MAX) {
    reply_with_error_errno (EINVAL, "%s: count %d is larger than the "
                            "protocol allows", path, count_);
    return NULL;
  }
  buf = malloc (count_ + 1);
  if (buf == NULL) {
    reply_with_perror ("malloc");
    return NULL;
  }
  n = fsop_pread (path, buf, count_, offset);
  if (n < 0) {
    free (buf);
    reply_errno_path ((int) n, path);
    return NULL;
  }
  *size_r = n;
  return buf;
}

int
do_truncate_size (const char *path, int64_t size)
{
  int r;

  if (size < 0) {
    reply_with_error_errno (EINVAL, "%s: size is negative", path);
    return -1;
  }
  r = fsop_truncate (path, size);
  if (r < 0) {
    reply_errno_path (r, path);
    return -1;
  }
  return 0;
}

int
do_truncate (const char *path)
{
  return do_truncate_size (path, 0);
}

int
do_fallocate64 (const char *path, int64_t len)
{
  int r;

  if (len <= 0) {
    reply_with_error_errno (EINVAL, "%s: length must be positive", path);
    return -1;
  }
  r = fsop_fallocate (path, len);
  if (r < 0) {
    reply_errno_path (r, path);
    return -1;
  }
  return 0;
}

int64_t
do_filesize (const char *path)
{
  struct engine_stat st;
  int r = fsop_stat (path, 0, &st);

  if (r < 0) {
    reply_errno_path (r, path);
    return -1;
  }
  return st.size;
}

/* Calls cb on the file's contents, chunk by chunk. */
static int
stream (const char *path, void (*cb) (void *, const char *, size_t),
        void *opaque)
{
  char *buf = malloc (CHUNK);
  int64_t off = 0;
  ssize_t n;

  if (buf == NULL) {
    reply_with_perror ("malloc");
    return -1;
  }
  while ((n = fsop_pread (path, buf, CHUNK, off)) > 0) {
    cb (opaque, buf, n);
    off += n;
  }
  free (buf);
  if (n < 0) {
    reply_errno_path ((int) n, path);
    return -1;
  }
  return 0;
}

struct wc { long lines, words, bytes; int in_word; };

static void
wc_chunk (void *opaque, const char *buf, size_t len)
{
  struct wc *w = opaque;
  size_t i;

  w->bytes += len;
  for (i = 0; i < len; i++) {
    if (buf[i] == '\n')
      w->lines++;
    if (isspace ((unsigned char) buf[i]))
      w->in_word = 0;
    else if (!w->in_word) {
      w->in_word = 1;
      w->words++;
    }
  }
}

static int
wc (const char *path, int which)
{
  struct wc w = { 0 };

  if (stream (path, wc_chunk, &w) < 0)
    return -1;
  return (int) (which == 'l' ? w.lines : which == 'w' ? w.words : w.bytes);
}

int
do_wc_l (const char *path) { return wc (path, 'l'); }
int
do_wc_w (const char *path) { return wc (path, 'w'); }
int
do_wc_c (const char *path) { return wc (path, 'c'); }

int
do_equal (const char *file1, const char *file2)
{
  char *a = malloc (CHUNK), *b = malloc (CHUNK);
  int64_t off = 0;
  int ret = 1;

  if (a == NULL || b == NULL) {
    free (a);
    free (b);
    reply_with_perror ("malloc");
    return -1;
  }
  for (;;) {
    ssize_t n = fsop_pread (file1, a, CHUNK, off);
    ssize_t m = n < 0 ? 0 : fsop_pread (file2, b, CHUNK, off);
    if (n < 0 || m < 0) {
      reply_errno_path (n < 0 ? (int) n : (int) m, n < 0 ? file1 : file2);
      ret = -1;
      break;
    }
    if (n != m || memcmp (a, b, n) != 0) {
      ret = 0;
      break;
    }
    if (n == 0)
      break;
    off += n;
  }
  free (a);
  free (b);
  return ret;
}

static int
fill_with (const char *pattern, size_t plen, int64_t len, const char *path)
{
  char *buf;
  int64_t off = 0;
  size_t i;
  int r;

  if (len < 0 || plen == 0) {
    reply_with_error_errno (EINVAL, "%s: bad length or empty pattern", path);
    return -1;
  }
  r = fsop_write (path, "", 0, 0);
  if (r < 0) {
    reply_errno_path (r, path);
    return -1;
  }
  buf = malloc (CHUNK);
  if (buf == NULL) {
    reply_with_perror ("malloc");
    return -1;
  }
  while (off < len) {
    size_t n = len - off < CHUNK ? len - off : CHUNK;
    ssize_t w;
    for (i = 0; i < n; i++)
      buf[i] = pattern[(off + i) % plen];
    w = fsop_pwrite (path, buf, n, off);
    if (w < 0) {
      free (buf);
      reply_errno_path ((int) w, path);
      return -1;
    }
    off += n;
  }
  free (buf);
  return 0;
}

int
do_fill (int c, int len, const char *path)
{
  char ch = (char) c;

  if (c < 0 || c > 255) {
    reply_with_error_errno (EINVAL, "%d: not a byte value", c);
    return -1;
  }
  return fill_with (&ch, 1, len, path);
}

int
do_fill_pattern (const char *pattern, int len, const char *path)
{
  return fill_with (pattern, strlen (pattern), len, path);
}

/* optargs of copy_*_to_*. */
#define COPY_SRCOFFSET  (1 << 0)
#define COPY_DESTOFFSET (1 << 1)
#define COPY_SIZE       (1 << 2)
#define COPY_APPEND     (1 << 3)

int
do_copy_file_to_file (const char *src, const char *dest, int64_t srcoffset,
                      int64_t destoffset, int64_t size, int append)
{
  struct engine_stat st;
  int64_t done = 0, want;
  char *buf;
  int r;

  if (!(optargs_bitmask & COPY_SRCOFFSET)) srcoffset = 0;
  if (!(optargs_bitmask & COPY_DESTOFFSET)) destoffset = 0;
  append = (optargs_bitmask & COPY_APPEND) && append;
  if (srcoffset < 0 || destoffset < 0
      || ((optargs_bitmask & COPY_SIZE) && size < 0)) {
    reply_with_error_errno (EINVAL, "offsets and size must not be negative");
    return -1;
  }
  if (append && (optargs_bitmask & COPY_DESTOFFSET)) {
    reply_with_error_errno (EINVAL, "append and destoffset cannot be "
                            "used together");
    return -1;
  }
  r = fsop_stat (src, 0, &st);
  if (r < 0) {
    reply_errno_path (r, src);
    return -1;
  }
  want = (optargs_bitmask & COPY_SIZE) ? size
    : (int64_t) st.size > srcoffset ? (int64_t) st.size - srcoffset : 0;
  /* The destination is created when missing, never truncated. */
  if (fsop_exists (dest) == 0 && (r = fsop_write (dest, "", 0, 1)) < 0) {
    reply_errno_path (r, dest);
    return -1;
  }
  if (append) {
    struct engine_stat dst;
    r = fsop_stat (dest, 0, &dst);
    if (r < 0) {
      reply_errno_path (r, dest);
      return -1;
    }
    destoffset = dst.size;
  }
  buf = malloc (CHUNK);
  if (buf == NULL) {
    reply_with_perror ("malloc");
    return -1;
  }
  while (done < want) {
    size_t n = want - done < CHUNK ? want - done : CHUNK;
    ssize_t got = fsop_pread (src, buf, n, srcoffset + done), w;
    if (got < 0) {
      free (buf);
      reply_errno_path ((int) got, src);
      return -1;
    }
    if (got == 0) {
      if (optargs_bitmask & COPY_SIZE) {
        free (buf);
        reply_with_error_errno (EIO, "%s: input truncated before size "
                                "bytes were read", src);
        return -1;
      }
      break;
    }
    w = fsop_pwrite (dest, buf, got, destoffset + done);
    if (w < 0) {
      free (buf);
      reply_errno_path ((int) w, dest);
      return -1;
    }
    done += got;
    notify_progress (done, want);
  }
  free (buf);
  return 0;
}

int
do_copy_device_to_device (const char *src, const char *dest,
                          int64_t srcoffset, int64_t destoffset,
                          int64_t size, int append)
{
  struct engine_range s, d;
  char *msg = NULL, *buf;
  int64_t done = 0, want;
  int r;

  if (!(optargs_bitmask & COPY_SRCOFFSET)) srcoffset = 0;
  if (!(optargs_bitmask & COPY_DESTOFFSET)) destoffset = 0;
  if ((optargs_bitmask & COPY_APPEND) && append) {
    reply_with_error_errno (EINVAL, "append is not possible on a device");
    return -1;
  }
  if ((r = storage_device_range (src, &s, &msg)) < 0) {
    reply_errno_msg (r, src, msg);
    return -1;
  }
  if ((r = storage_device_range (dest, &d, &msg)) < 0) {
    reply_errno_msg (r, dest, msg);
    return -1;
  }
  if (d.readonly) {
    reply_with_error_errno (EROFS, "%s: device is read-only", dest);
    return -1;
  }
  if (device_in_use (dest)) {
    reply_with_error_errno (EBUSY, "%s: device is mounted", dest);
    return -1;
  }
  /* A mounted source may hold blocks in the engine's cache: flush them. */
  if (device_in_use (src) && storage_sync_all () < 0) {
    reply_with_error_errno (EIO, "%s: flushing the mounted filesystem", src);
    return -1;
  }
  if (srcoffset < 0 || destoffset < 0 || (uint64_t) srcoffset > s.length) {
    reply_with_error_errno (EINVAL, "offset out of range");
    return -1;
  }
  want = (optargs_bitmask & COPY_SIZE) ? size : (int64_t) s.length - srcoffset;
  if (want < 0 || (uint64_t) (srcoffset + want) > s.length
      || (uint64_t) (destoffset + want) > d.length) {
    reply_with_error_errno (ENOSPC, "the copy does not fit the devices");
    return -1;
  }
  buf = malloc (CHUNK);
  if (buf == NULL) {
    reply_with_perror ("malloc");
    return -1;
  }
  while (done < want) {
    size_t n = want - done < CHUNK ? want - done : CHUNK;
    ssize_t got;

    if (storage_stop_requested ()) {
      free (buf);
      reply_with_error_errno (EINTR, "copy %s to %s: the client went away",
                              src, dest);
      return -1;
    }
    got = pread (s.fd, buf, n, s.offset + srcoffset + done);
    if (got <= 0 || pwrite (d.fd, buf, got, d.offset + destoffset + done)
        != got) {
      free (buf);
      reply_with_perror ("copy %s to %s", src, dest);
      return -1;
    }
    done += got;
    notify_progress (done, want);
  }
  free (buf);
  return 0;
}

int
do_cp (const char *src, const char *dest)
{
  int r = fsop_copy_file (src, dest);

  if (r < 0) {
    reply_with_perror_errno (-r, "cp %s %s", src, dest);
    return -1;
  }
  return 0;
}

static int
cp_tree (const char *src, const char *dest, int archive)
{
  int r = fsop_copy_tree (src, dest, archive);

  if (r < 0) {
    reply_with_perror_errno (-r, "cp -%s %s %s", archive ? "a" : "r", src,
                             dest);
    return -1;
  }
  return 0;
}

int
do_cp_a (const char *src, const char *dest) { return cp_tree (src, dest, 1); }
int
do_cp_r (const char *src, const char *dest) { return cp_tree (src, dest, 0); }

int
do_rename (const char *oldpath, const char *newpath)
{
  int r = fsop_rename (oldpath, newpath);

  if (r < 0) {
    reply_with_perror_errno (-r, "rename %s %s", oldpath, newpath);
    return -1;
  }
  return 0;
}

/* mv: into dest when dest is a directory, as mv(1). */
int
do_mv (const char *src, const char *dest)
{
  struct engine_stat st;
  char *target = NULL;
  int r;

  if (fsop_stat (dest, 0, &st) == 0 && S_ISDIR (st.mode)) {
    const char *base = strrchr (src, '/');
    if (asprintf (&target, "%s/%s", dest, base ? base + 1 : src) == -1) {
      reply_with_perror ("asprintf");
      return -1;
    }
  }
  r = fsop_rename (src, target ? target : dest);
  if (r == -EXDEV) {
    /* Another filesystem: copy everything, then remove the original, as
     * mv(1) does. */
    r = fsop_copy_tree (src, target ? target : dest, 1);
    if (r == 0)
      r = fsop_rm_rf (src);
  }
  free (target);
  if (r < 0) {
    reply_with_perror_errno (-r, "mv %s %s", src, dest);
    return -1;
  }
  return 0;
}
