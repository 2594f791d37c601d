/* minnow: the smaller transfer actions, with libguestfs's semantics:
 * base64_in/out, checksums_out, find0, ls0, fill_dir, copy_attributes,
 * copy_file_to_device, copy_device_to_file.  (compress_out and cpio_out
 * use libarchive: do-tar.c.) */

#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "storage-actions.h"
#include "transfer.h"
#include "actions.h"
#include "digest.h"

/* A FileOut of small pieces, sent in runs. */
struct out_buf {
  char *buf;
  size_t len;
  int failed;                   /* the stream already ended (error sent) */
};

#define OUT_RUN (256 * 1024)

static int
out_add (struct out_buf *o, const void *p, size_t n)
{
  if (o->failed)
    return -1;
  if (o->len + n > OUT_RUN) {
    if (o->len > 0 && send_file_write (o->buf, o->len) < 0) {
      o->failed = 1;
      return -1;
    }
    o->len = 0;
    if (n > OUT_RUN) {
      if (send_file_write (p, n) < 0) {
        o->failed = 1;
        return -1;
      }
      return 0;
    }
  }
  memcpy (o->buf + o->len, p, n);
  o->len += n;
  return 0;
}

/* Ends the stream: the rest and the end, or (err != 0) the error. */
static int
out_end (struct out_buf *o, int err, const char *msg)
{
  int r = 0;

  if (!o->failed && err == 0) {
    if (o->len > 0 && send_file_write (o->buf, o->len) < 0)
      r = -1;
    else if (send_file_end (0) < 0)
      r = -1;
  }
  else if (!o->failed) {
    if (file_out_is_fd ())
      reply_with_error_errno (err, "%s", msg);
    else if (verbose)
      fprintf (stderr, "minnowd: %s\n", msg);
    send_file_end (1);
    r = -1;
  }
  else
    r = -1;
  free (o->buf);
  o->buf = NULL;
  return r;
}

static int
out_begin (struct out_buf *o)
{
  memset (o, 0, sizeof *o);
  o->buf = malloc (OUT_RUN);
  if (o->buf == NULL) {
    reply_with_perror ("malloc");
    return -1;
  }
  reply (NULL, NULL);
  return 0;
}

/* ---------------------------------------------------------------- */
/* base64                                                             */

static const char b64[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

struct b64_in {
  struct xfer_writer w;
  unsigned acc;                 /* bits not yet written */
  int nbits;
  int pad;                      /* '=' seen: only padding may follow */
  int bad;                      /* data after the padding */
};

static int
b64_decode_cb (void *opaque, const void *data, size_t len)
{
  struct b64_in *d = opaque;
  const unsigned char *p = data;
  char out[4096];
  size_t n = 0, i;

  for (i = 0; i < len; i++) {
    const char *q;
    unsigned c = p[i];

    if (c == '=') {
      d->pad = 1;
      continue;
    }
    /* Like base64 -d -i: what is not in the alphabet is skipped. */
    if (c == 0 || (q = strchr (b64, c)) == NULL)
      continue;
    if (d->pad) {
      d->bad = 1;
      continue;
    }
    d->acc = (d->acc << 6) | (unsigned) (q - b64);
    d->nbits += 6;
    if (d->nbits >= 8) {
      d->nbits -= 8;
      out[n++] = (char) (d->acc >> d->nbits);
      d->acc &= (1u << d->nbits) - 1;
      if (n == sizeof out) {
        if (xfer_writer_data (&d->w, out, n) < 0)
          return -1;
        n = 0;
      }
    }
  }
  if (n > 0 && xfer_writer_data (&d->w, out, n) < 0)
    return -1;
  return 0;
}

int
do_base64_in (const char *filename)
{
  struct xfer_target t;
  struct b64_in d;
  int rf, r;

  if (xfer_target_open (&t, filename, 1, 1) < 0) {
    cancel_receive ();
    return -1;
  }
  if (xfer_target_check_write (&t) < 0) {
    xfer_target_close (&t);
    cancel_receive ();
    return -1;
  }
  memset (&d, 0, sizeof d);
  if (xfer_writer_init (&d.w, &t, 0, !t.is_device) < 0) {
    xfer_target_close (&t);
    cancel_receive ();
    return -1;
  }
  rf = receive_file (b64_decode_cb, &d);
  r = xfer_writer_finish (&d.w);
  xfer_target_close (&t);
  if (rf == -2) {
    reply_with_error_errno (EINTR, "%s: operation cancelled by the user",
                            filename);
    return -1;
  }
  if (d.w.err || r < 0) {
    reply_errno_path (d.w.err ? d.w.err : r, filename);
    return -1;
  }
  if (rf == -1 && errno == HOST_FILE_SHRANK) {
    reply_with_error_errno (EIO, "%s: %s", filename, HOST_FILE_SHRANK_TEXT);
    return -1;
  }
  if (rf == -1) {
    reply_with_perror ("%s: reading the host file", filename);
    return -1;
  }
  if (d.bad || d.nbits >= 6) {
    reply_with_error_errno (EINVAL, "%s: the input is not valid base64 "
                            "(data after the padding, or a lone "
                            "character at the end)", filename);
    return -1;
  }
  return 0;
}

int
do_base64_out (const char *filename)
{
  struct xfer_target t;
  struct out_buf o;
  uint64_t size, off = 0;
  char *in = NULL;
  int col = 0, err = 0;
  char msg[512] = "";

  if (xfer_target_open (&t, filename, 0, 0) < 0)
    return -1;
  if (xfer_target_size (&t, &size) < 0) {
    xfer_target_close (&t);
    return -1;
  }
  in = malloc (3 * 65536);
  if (in == NULL) {
    reply_with_perror ("malloc");
    xfer_target_close (&t);
    return -1;
  }
  if (out_begin (&o) < 0) {
    free (in);
    xfer_target_close (&t);
    return -1;
  }
  while (off < size && !o.failed) {
    size_t want = size - off < 3 * 65536 ? size - off : 3 * 65536, i;
    ssize_t n = xfer_target_pread (&t, in, want, off);
    char line[80];
    size_t ln = 0;

    if (n <= 0) {
      err = n == 0 ? EIO : (int) -n;
      snprintf (msg, sizeof msg, "%s: %s", filename,
                n == 0 ? "the file shrank" : strerror (err));
      break;
    }
    /* Whole groups of 3 except at the very end. */
    if (off + n < size)
      n -= n % 3;
    if (n == 0) {
      err = EIO;
      snprintf (msg, sizeof msg, "%s: short read", filename);
      break;
    }
    for (i = 0; i < (size_t) n; i += 3) {
      unsigned v = (unsigned char) in[i] << 16;
      size_t k = n - i < 3 ? n - i : 3;
      if (k > 1) v |= (unsigned char) in[i + 1] << 8;
      if (k > 2) v |= (unsigned char) in[i + 2];
      line[ln++] = b64[v >> 18];
      line[ln++] = b64[(v >> 12) & 63];
      line[ln++] = k > 1 ? b64[(v >> 6) & 63] : '=';
      line[ln++] = k > 2 ? b64[v & 63] : '=';
      col += 4;
      if (col == 76) {
        line[ln++] = '\n';
        col = 0;
      }
      if (ln >= sizeof line - 5) {
        out_add (&o, line, ln);
        ln = 0;
      }
    }
    if (ln > 0)
      out_add (&o, line, ln);
    off += n;
    notify_progress (off, size);
  }
  if (err == 0 && col > 0)
    out_add (&o, "\n", 1);
  free (in);
  xfer_target_close (&t);
  return out_end (&o, err, msg);
}

/* ---------------------------------------------------------------- */
/* Listings                                                           */

static int
walk (struct out_buf *o, const char *dir, const char *rel, int recurse,
      int depth, int *err, char *msg, size_t msgcap)
{
  struct fsop_dirent *ents;
  size_t n, i;
  int r;

  if (depth > 2048) {
    *err = ELOOP;
    snprintf (msg, msgcap, "%s: too deep", dir);
    return -1;
  }
  r = fsop_readdir (dir, &ents, &n);
  if (r < 0) {
    *err = -r;
    snprintf (msg, msgcap, "%s: %s", dir, strerror (-r));
    return -1;
  }
  for (i = 0; i < n && !o->failed; i++) {
    char *crel, *cpath;

    if (asprintf (&crel, "%s%s%s", rel, *rel ? "/" : "", ents[i].name) == -1
        || asprintf (&cpath, "%s/%s", strcmp (dir, "/") ? dir : "",
                     ents[i].name) == -1) {
      *err = ENOMEM;
      snprintf (msg, msgcap, "out of memory");
      fsop_dirents_free (ents, n);
      return -1;
    }
    out_add (o, recurse ? crel : ents[i].name,
             strlen (recurse ? crel : ents[i].name) + 1);
    r = 0;
    if (recurse && ents[i].type == ENGINE_DT_DIR)
      r = walk (o, cpath, crel, 1, depth + 1, err, msg, msgcap);
    free (crel);
    free (cpath);
    if (r < 0) {
      fsop_dirents_free (ents, n);
      return -1;
    }
  }
  fsop_dirents_free (ents, n);
  return 0;
}

static int
listing (const char *directory, int recurse)
{
  struct engine_stat st;
  struct out_buf o;
  char msg[512] = "";
  int err = 0, r;

  r = fsop_stat (directory, 0, &st);
  if (r == 0 && !S_ISDIR (st.mode))
    r = -ENOTDIR;
  if (r < 0) {
    reply_errno_path (r, directory);
    return -1;
  }
  if (out_begin (&o) < 0)
    return -1;
  walk (&o, directory, "", recurse, 0, &err, msg, sizeof msg);
  return out_end (&o, err, msg);
}

int
do_ls0 (const char *dir)
{
  return listing (dir, 0);
}

int
do_find0 (const char *directory)
{
  return listing (directory, 1);
}

/* checksums_out: "HASH  ./path" per regular file, as sha256sum and its
 * kin print them after `cd directory; find -type f`. */
static int
checksum_walk (struct out_buf *o, const char *csumtype, const char *dir,
               const char *rel, int depth, int *err, char *msg,
               size_t msgcap)
{
  struct fsop_dirent *ents;
  size_t n, i;
  int r;

  if (depth > 2048) {
    *err = ELOOP;
    snprintf (msg, msgcap, "%s: too deep", dir);
    return -1;
  }
  r = fsop_readdir (dir, &ents, &n);
  if (r < 0) {
    *err = -r;
    snprintf (msg, msgcap, "%s: %s", dir, strerror (-r));
    return -1;
  }
  for (i = 0; i < n && !o->failed && r == 0; i++) {
    char *crel = NULL, *cpath = NULL, *line = NULL;

    if (asprintf (&crel, "%s/%s", rel, ents[i].name) == -1 ||
        asprintf (&cpath, "%s/%s", strcmp (dir, "/") ? dir : "",
                  ents[i].name) == -1) {
      *err = ENOMEM;
      r = -1;
    }
    else if (ents[i].type == ENGINE_DT_DIR)
      r = checksum_walk (o, csumtype, cpath, crel, depth + 1, err, msg,
                         msgcap);
    else if (ents[i].type == ENGINE_DT_REG) {
      char sum[DIGEST_TEXT_MAX];
      int rc = checksum_file_text (csumtype, cpath, sum);

      if (rc < 0) {
        *err = -rc;
        snprintf (msg, msgcap, "%s: %s", cpath, strerror (-rc));
        r = -1;
      }
      else if (asprintf (&line, "%s  %s\n", sum, crel) == -1) {
        *err = ENOMEM;
        r = -1;
      }
      else
        out_add (o, line, strlen (line));
      free (line);
    }
    free (crel);
    free (cpath);
  }
  fsop_dirents_free (ents, n);
  return r;
}

int
do_checksums_out (const char *csumtype, const char *directory)
{
  struct digest d;
  struct engine_stat st;
  struct out_buf o;
  char msg[512] = "";
  int err = 0, r;

  if (digest_init (&d, csumtype) < 0) {
    reply_with_error_errno (EINVAL, "%s: unknown checksum type (%s)",
                            csumtype, DIGEST_NAMES);
    return -1;
  }
  r = fsop_stat (directory, 0, &st);
  if (r == 0 && !S_ISDIR (st.mode))
    r = -ENOTDIR;
  if (r < 0) {
    reply_errno_path (r, directory);
    return -1;
  }
  if (out_begin (&o) < 0)
    return -1;
  checksum_walk (&o, csumtype, directory, ".", 0, &err, msg, sizeof msg);
  return out_end (&o, err, msg);
}

/* ---------------------------------------------------------------- */

int
do_fill_dir (const char *dir, int nr)
{
  struct engine_stat st;
  int i, r;

  if (nr < 0) {
    reply_with_error_errno (EINVAL, "%d: the number of files must not be "
                            "negative", nr);
    return -1;
  }
  r = fsop_stat (dir, 0, &st);
  if (r == 0 && !S_ISDIR (st.mode))
    r = -ENOTDIR;
  if (r < 0) {
    reply_errno_path (r, dir);
    return -1;
  }
  for (i = 0; i < nr; i++) {
    char path[PATH_MAX];

    if (storage_stop_requested ()) {
      reply_with_error_errno (EINTR, "%s: stopped after %d files", dir, i);
      return -1;
    }
    snprintf (path, sizeof path, "%s/%08d", strcmp (dir, "/") ? dir : "", i);
    r = fsop_write (path, "", 0, 0);
    if (r < 0) {
      reply_errno_path (r, path);
      return -1;
    }
    notify_progress (i + 1, nr);
  }
  return 0;
}

/* optargs of copy_attributes: all, mode, xattributes, ownership. */
#define CA_ALL    (1 << 0)
#define CA_MODE   (1 << 1)
#define CA_XATTRS (1 << 2)
#define CA_OWNER  (1 << 3)

int
do_copy_attributes (const char *src, const char *dest, int all, int mode,
                    int xattributes, int ownership)
{
  struct engine_stat st, dst;
  int r;

  all = (optargs_bitmask & CA_ALL) && all;
  mode = all || ((optargs_bitmask & CA_MODE) && mode);
  xattributes = all || ((optargs_bitmask & CA_XATTRS) && xattributes);
  ownership = all || ((optargs_bitmask & CA_OWNER) && ownership);
  r = fsop_stat (src, 0, &st);
  if (r < 0) {
    reply_errno_path (r, src);
    return -1;
  }
  r = fsop_stat (dest, 0, &dst);
  if (r < 0) {
    reply_errno_path (r, dest);
    return -1;
  }
  if (ownership && (r = fsop_chown (dest, 0, st.uid, st.gid)) < 0) {
    reply_errno_path (r, dest);
    return -1;
  }
  if (mode && (r = fsop_chmod (dest, st.mode & 07777)) < 0) {
    reply_errno_path (r, dest);
    return -1;
  }
  if (xattributes) {
    struct fsop_xattr *xs;
    size_t n, i;

    r = fsop_listxattrs (src, 0, &xs, &n);
    if (r < 0) {
      reply_errno_path (r, src);
      return -1;
    }
    for (i = 0; i < n && r == 0; i++)
      r = fsop_setxattr (dest, 0, xs[i].name, xs[i].value, xs[i].len);
    fsop_xattrs_free (xs, n);
    if (r < 0) {
      reply_errno_path (r, dest);
      return -1;
    }
  }
  return 0;
}

/* optargs of copy_file_to_device / copy_device_to_file. */
#define CP_SRCOFFSET  (1 << 0)
#define CP_DESTOFFSET (1 << 1)
#define CP_SIZE       (1 << 2)
#define CP_SPARSE     (1 << 3)

static int
copy_between (const char *src, const char *dest, int64_t srcoffset,
              int64_t destoffset, int64_t size, int sparse)
{
  struct xfer_target s, d;
  struct xfer_writer w;
  uint64_t total, done = 0, want;
  char *buf;
  int r = 0;

  if (!(optargs_bitmask & CP_SRCOFFSET)) srcoffset = 0;
  if (!(optargs_bitmask & CP_DESTOFFSET)) destoffset = 0;
  sparse = (optargs_bitmask & CP_SPARSE) && sparse;
  if (srcoffset < 0 || destoffset < 0 ||
      ((optargs_bitmask & CP_SIZE) && size < 0)) {
    reply_with_error_errno (EINVAL, "offsets and size must not be negative");
    return -1;
  }
  if (xfer_target_open (&s, src, 0, 0) < 0)
    return -1;
  if (xfer_target_size (&s, &total) < 0) {
    xfer_target_close (&s);
    return -1;
  }
  if ((uint64_t) srcoffset > total) {
    xfer_target_close (&s);
    reply_with_error_errno (EINVAL, "%s: offset %" PRId64 " is beyond its "
                            "end", src, srcoffset);
    return -1;
  }
  want = (optargs_bitmask & CP_SIZE) ? (uint64_t) size : total - srcoffset;
  if (want > total - srcoffset) {
    xfer_target_close (&s);
    reply_with_error_errno (EINVAL, "%s: the region goes beyond its end",
                            src);
    return -1;
  }
  /* A file destination is created when missing, never truncated. */
  if (xfer_target_open (&d, dest, 1, 0) < 0) {
    xfer_target_close (&s);
    return -1;
  }
  if (xfer_target_check_write (&d) < 0)
    r = -1;
  else if (d.is_device && (uint64_t) destoffset + want > d.range.length) {
    reply_with_error_errno (ENOSPC, "%s: the copy does not fit the device",
                            dest);
    r = -1;
  }
  else if (xfer_writer_init (&w, &d, destoffset, sparse) < 0)
    r = -1;
  if (r < 0) {
    xfer_target_close (&s);
    xfer_target_close (&d);
    return -1;
  }
  buf = malloc (XFER_WRITE_RUN);
  if (buf == NULL) {
    reply_with_perror ("malloc");
    r = -1;
  }
  while (r == 0 && done < want) {
    size_t n = want - done < XFER_WRITE_RUN ? want - done : XFER_WRITE_RUN;
    ssize_t got;

    if (storage_stop_requested ()) {
      reply_with_error_errno (EINTR, "copy %s to %s: stopped", src, dest);
      r = -1;
      break;
    }
    got = xfer_target_pread (&s, buf, n, srcoffset + done);
    if (got <= 0) {
      reply_with_error_errno (got == 0 ? EIO : (int) -got, "%s: %s", src,
                              got == 0 ? "unexpected end of file"
                              : strerror ((int) -got));
      r = -1;
      break;
    }
    if (xfer_writer_data (&w, buf, got) < 0) {
      reply_errno_path (w.err, dest);
      r = -1;
      break;
    }
    done += got;
    notify_progress (done, want);
  }
  free (buf);
  if (r == 0 && (r = xfer_writer_finish (&w)) < 0) {
    reply_errno_path (r, dest);
    r = -1;
  }
  else if (r < 0)
    xfer_writer_finish (&w);
  xfer_target_close (&s);
  xfer_target_close (&d);
  return r;
}

int
do_copy_file_to_device (const char *src, const char *dest, int64_t srcoffset,
                        int64_t destoffset, int64_t size, int sparse)
{
  return copy_between (src, dest, srcoffset, destoffset, size, sparse);
}

int
do_copy_device_to_file (const char *src, const char *dest, int64_t srcoffset,
                        int64_t destoffset, int64_t size, int sparse)
{
  return copy_between (src, dest, srcoffset, destoffset, size, sparse);
}
