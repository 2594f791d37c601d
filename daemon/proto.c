/* minnowd: the daemon's side of the protocol: the main loop, replies,
 * file streams and progress.
 *
 * Whatever arrives, the daemon answers with an error reply or ends the
 * connection cleanly: a length over the limit or a broken stream ends
 * the connection (there is no way to find the next message); a header
 * that does not decode, a wrong program or version, a reply sent to us,
 * an unknown procedure or arguments that do not decode get an error reply
 * and the loop goes on. */

#include <config.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "daemon.h"

/* Progress messages: at most one per interval, and the final one. */
#define PROGRESS_INTERVAL_NS (100 * 1000000LL)

uint64_t optargs_bitmask;
unsigned proc_nr, serial;

static int sock = -1;
static struct minnow_rbuf rbuf;
static char *wbuf;
static int replied;             /* the current call has its reply */
static int conn_dead;           /* the client went away or broke the stream */
static int conn_broken;         /* ... by breaking the protocol */
static int call_fd = -1;        /* descriptor passed with the current call */
static int64_t progress_last_ns;

/* FileOut with the host file's descriptor (the fast path): the daemon
 * writes the file itself, and the OK reply that do_X sends before the
 * data is held back until send_file_end (0), so that an error on the
 * way is a real error reply. */
static int out_fd = -1;         /* the host file, or -1: chunk stream */
static int out_reply_held;      /* do_X's reply (NULL, NULL) is held */
static uint64_t out_pos;        /* where the next byte goes */
static int out_sparse;          /* zero blocks become holes */
static int out_started;         /* the host file has been truncated */

/* Transfers through a descriptor move this much per read or write. */
#define XFER_BUF_SIZE (2 * 1024 * 1024)
/* Zero runs of this size (aligned in the file) become holes. */
#define HOLE_BLOCK 4096

static int64_t
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
send_or_die (const void *buf, size_t len)
{
  if (conn_dead)
    return;
  if (minnow_send_all (sock, buf, len, -1) == -1) {
    if (verbose)
      fprintf (stderr, "minnowd: write to the library: %m\n");
    conn_dead = 1;
  }
}

static void
send_reply (minnow_message_status status, xdrproc_t xdrp, const void *body)
{
  minnow_message_header hdr;
  size_t len;

  memset (&hdr, 0, sizeof hdr);
  hdr.prog = MINNOW_PROGRAM;
  hdr.vers = MINNOW_PROTOCOL_VERSION;
  hdr.proc = proc_nr;
  hdr.direction = MINNOW_DIRECTION_REPLY;
  hdr.serial = serial;
  hdr.status = status;
  len = minnow_encode_message (wbuf, MINNOW_RBUF_SIZE, &hdr, xdrp, body);
  if (len == 0) {
    if (status == MINNOW_STATUS_OK) {
      reply_with_error_errno (EMSGSIZE, "the reply exceeds the protocol's "
                              "4 MiB limit");
      return;
    }
    fprintf (stderr, "minnowd: cannot encode an error reply\n");
    conn_dead = 1;
    return;
  }
  send_or_die (wbuf, len);
}

static void
send_error (int err, const char *msg)
{
  minnow_message_error e;
  const char *name = minnow_errno_to_string (err);
  char truncated[1024];

  e.errno_name = (char *) (name ? name : "");
  e.error_message = (char *) msg;
  if (strlen (msg) >= MINNOW_ERROR_LEN) {
    snprintf (truncated, sizeof truncated, "%.1000s…", msg);
    e.error_message = truncated;
  }
  if (verbose)
    fprintf (stderr, "minnowd: proc %u serial %u: error: %s%s%s\n",
             proc_nr, serial, msg, name ? " " : "", name ? name : "");
  send_reply (MINNOW_STATUS_ERROR, (xdrproc_t) xdr_minnow_message_error, &e);
}

void
reply (xdrproc_t xdrp, char *ret)
{
  if (out_fd >= 0 && xdrp == NULL && !replied) {
    out_reply_held = 1;
    return;
  }
  if (replied) {
    fprintf (stderr, "minnowd: proc %u: a second reply was dropped\n",
             proc_nr);
    return;
  }
  replied = 1;
  send_reply (MINNOW_STATUS_OK, xdrp, ret);
}

static void
vreply_error (int err, int append_strerror, const char *fs, va_list args)
{
  char *msg, *full;

  if (replied) {
    fprintf (stderr, "minnowd: proc %u: a second reply was dropped: ",
             proc_nr);
    vfprintf (stderr, fs, args);
    fputc ('\n', stderr);
    return;
  }
  replied = 1;
  /* Whatever step noticed the user's cancel, the call was cancelled. */
  if (lifeline_cancelled ()) {
    send_error (EINTR, "operation cancelled by the user");
    return;
  }
  if (vasprintf (&msg, fs, args) == -1) {
    send_error (ENOMEM, "out of memory");
    return;
  }
  if (append_strerror) {
    if (asprintf (&full, "%s: %s", msg, strerror (err)) == -1) {
      free (msg);
      send_error (ENOMEM, "out of memory");
      return;
    }
    free (msg);
    msg = full;
  }
  send_error (err, msg);
  free (msg);
}

void
reply_with_error_errno (int err, const char *fs, ...)
{
  va_list args;

  va_start (args, fs);
  vreply_error (err, 0, fs, args);
  va_end (args);
}

void
reply_with_perror_errno (int err, const char *fs, ...)
{
  va_list args;

  va_start (args, fs);
  vreply_error (err, 1, fs, args);
  va_end (args);
}

/* Progress in the middle of a stream whose size may be unknown (total 0
 * or already passed: reported as position of position).  Unlike
 * notify_progress, always at most one message per interval: a stream of
 * unknown size would otherwise send one for every chunk. */
static int action_progress;     /* do_X reported progress in this call */
static uint64_t out_sent;       /* bytes of this call's FileOut stream */

static void
progress_send (uint64_t position, uint64_t total, int limited)
{
  int64_t now = now_ns ();

  if (limited && now - progress_last_ns < PROGRESS_INTERVAL_NS)
    return;
  progress_last_ns = now;
  if (conn_dead)
    return;
  if (minnow_send_progress (sock, proc_nr, serial, position, total) == -1)
    conn_dead = 1;
}

static void
notify_progress_step (uint64_t position, uint64_t total)
{
  progress_send (position, total > position ? total : position, 1);
}

int
received_fd (void)
{
  int fd = call_fd;

  call_fd = -1;
  return fd;
}

void
notify_progress (uint64_t position, uint64_t total)
{
  action_progress = 1;
  progress_send (position, total, position < total);
}

/* A FileOut stream whose action reports no progress of its own (tar_out,
 * checksums_out, …): its bytes so far, size unknown. */
static void
out_progress (size_t len)
{
  out_sent += len;
  if (!action_progress)
    notify_progress_step (out_sent, 0);
}

/* Blocks until the next item.  Returns 1, or 0 when the stream ended or
 * broke (conn_dead is then set). */
static int
next_item (enum minnow_wire_kind *kind, const char **msg, uint32_t *len)
{
  for (;;) {
    ssize_t n;
    int r;

    if (conn_dead)
      return 0;
    r = minnow_rbuf_next (&rbuf, kind, msg, len);
    if (r == 1)
      return 1;
    if (r == -1) {
      if (verbose)
        fprintf (stderr, "minnowd: message length %u exceeds the limit\n",
                 *len);
      proc_nr = 0;
      serial = 0;
      replied = 0;
      reply_with_error_errno (EMSGSIZE, "message length %u exceeds the "
                              "protocol's limit of %u bytes: closing the "
                              "connection", *len, MINNOW_MESSAGE_MAX);
      conn_dead = conn_broken = 1;
      return 0;
    }
    minnow_spin_readable (sock, minnow_spin_us ());
    n = minnow_rbuf_fill (&rbuf, sock, 0);
    if (n <= 0) {
      if (n == -1 && verbose)
        fprintf (stderr, "minnowd: read from the library: %m\n");
      if (n == 0 && minnow_rbuf_pending (&rbuf) && verbose)
        fprintf (stderr, "minnowd: the library closed the connection in "
                 "the middle of a message\n");
      conn_dead = 1;
      return 0;
    }
  }
}

/* Reads chunks to the end of the stream.  Returns 0 at the end, -2 on a
 * cancel chunk, -1 when the stream broke. */
static int
drain_chunks (int (*cb) (void *opaque, const void *buf, size_t len),
              void *opaque, int *cb_failed, int *cb_errno)
{
  for (;;) {
    enum minnow_wire_kind kind;
    const char *msg, *data;
    uint32_t len;
    size_t data_len;
    int cancel;

    if (!next_item (&kind, &msg, &len))
      return -1;
    if (kind == MINNOW_WIRE_CANCEL)
      continue;                 /* crossed our own cancel: nothing to do */
    if (kind != MINNOW_WIRE_MESSAGE ||
        minnow_decode_chunk (msg, len, &cancel, &data, &data_len) == -1) {
      fprintf (stderr, "minnowd: expected a file chunk: closing the "
               "connection\n");
      conn_dead = conn_broken = 1;
      return -1;
    }
    if (cancel)
      return -2;
    if (data_len == 0)
      return 0;
    if (cb && !*cb_failed && cb (opaque, data, data_len) == -1) {
      *cb_errno = errno;
      *cb_failed = 1;
      /* Tell the library to stop sending, then read what is in flight. */
      if (minnow_send_flag (sock, MINNOW_CANCEL_FLAG) == -1)
        conn_dead = 1;
    }
  }
}

/* Whether the client sent a cancel flag (without blocking). */
static int
client_cancelled (void)
{
  if (conn_dead)
    return 0;
  return minnow_rbuf_poll_cancel (&rbuf, sock, NULL, NULL);
}

/* A regular host file that is now shorter than the expected bytes: it
 * was truncated while the daemon read it.  The transfer fails (errno
 * HOST_FILE_SHRANK) rather than store a file that is silently short or,
 * with hole detection, padded with zeroes. */
static int
shrank (int fd, uint64_t expected)
{
  struct stat st;

  return fstat (fd, &st) == 0 && (uint64_t) st.st_size < expected;
}

/* The fast path of receive_file: the host file's descriptor came with
 * the call.  Holes of a regular file are skipped without being read
 * (SEEK_DATA/SEEK_HOLE) and given to hole_cb when there is one. */
static int
receive_from_fd (int fd,
                 int (*cb) (void *opaque, const void *buf, size_t len),
                 int (*hole_cb) (void *opaque, uint64_t len),
                 void *opaque)
{
  struct stat st;
  uint64_t pos = 0, total = 0;
  int regular, ret = 0;
  char *buf;

  if (fstat (fd, &st) == -1)
    return -1;
  regular = S_ISREG (st.st_mode);
  if (regular)
    total = st.st_size;
  posix_fadvise (fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  buf = malloc (XFER_BUF_SIZE);
  if (buf == NULL)
    return -1;
  for (;;) {
    size_t want = XFER_BUF_SIZE;
    ssize_t n;

    if (client_cancelled ()) {
      ret = -2;
      break;
    }
    if (regular && hole_cb) {
      off_t data = lseek (fd, pos, SEEK_DATA), hole;

      if (data == -1 && errno == ENXIO) {
        /* At pos == total everything the file held at the start has
         * been read: a shrink now lost nothing (as at n == 0 below). */
        if (pos < total && shrank (fd, total)) {
          errno = HOST_FILE_SHRANK;
          ret = -1;
          break;
        }
        data = total > pos ? (off_t) total : (off_t) pos;
      }
      if (data >= 0 && (uint64_t) data > pos) {
        if (hole_cb (opaque, data - pos) == -1) {
          ret = -1;
          break;
        }
        pos = data;
        notify_progress_step (pos, total);
      }
      hole = lseek (fd, pos, SEEK_HOLE);
      if (hole > (off_t) pos && (uint64_t) (hole - pos) < want)
        want = hole - pos;
    }
    n = regular ? pread (fd, buf, want, pos) : read (fd, buf, want);
    if (n == -1 && errno == EINTR)
      continue;
    if (n == -1) {
      ret = -1;
      break;
    }
    if (n == 0) {
      if (regular && pos < total && shrank (fd, total)) {
        errno = HOST_FILE_SHRANK;
        ret = -1;
      }
      break;
    }
    if (cb (opaque, buf, n) == -1) {
      ret = -1;
      break;
    }
    pos += n;
    notify_progress_step (pos, total);
  }
  if (ret == 0)
    notify_progress (pos, pos);
  {
    int saved = errno;
    free (buf);
    errno = saved;
  }
  return ret;
}

int
receive_file_sparse (int (*cb) (void *opaque, const void *buf, size_t len),
                     int (*hole_cb) (void *opaque, uint64_t len),
                     void *opaque)
{
  int cb_failed = 0, cb_errno = 0, r;

  if (call_fd >= 0) {
    int fd = received_fd ();

    r = receive_from_fd (fd, cb, hole_cb, opaque);
    {
      int saved = errno;
      close (fd);
      errno = saved;
    }
    return r;
  }
  r = drain_chunks (cb, opaque, &cb_failed, &cb_errno);

  if (cb_failed) {
    errno = cb_errno;
    return -1;
  }
  if (r == -1)
    errno = EPIPE;
  return r;
}

int
receive_file (int (*cb) (void *opaque, const void *buf, size_t len),
              void *opaque)
{
  return receive_file_sparse (cb, NULL, opaque);
}

/* The pull interface.  Fast path: reads of the passed descriptor into
 * in_buf; stream: the chunks themselves, straight from the read
 * buffer. */
static int in_fd = -1;
static char *in_buf;
static uint64_t in_pos, in_total;
static int in_done;

int
file_in_begin (void)
{
  struct stat st;

  in_done = 0;
  in_pos = in_total = 0;
  in_fd = received_fd ();
  if (in_fd >= 0) {
    if (fstat (in_fd, &st) == 0 && S_ISREG (st.st_mode))
      in_total = st.st_size;
    posix_fadvise (in_fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    if (in_buf == NULL && (in_buf = malloc (XFER_BUF_SIZE)) == NULL)
      return -1;
  }
  return 0;
}

int
file_in_next (const void **data, size_t *len)
{
  if (in_done)
    return 0;
  if (in_fd >= 0) {
    ssize_t n;

    if (client_cancelled ())
      return -2;
    do
      n = read (in_fd, in_buf, XFER_BUF_SIZE);
    while (n == -1 && errno == EINTR);
    if (n == -1)
      return -1;
    if (n == 0) {
      in_done = 1;
      if (in_pos < in_total && shrank (in_fd, in_total)) {
        errno = HOST_FILE_SHRANK;
        return -1;
      }
      notify_progress (in_pos, in_pos);
      return 0;
    }
    in_pos += n;
    notify_progress_step (in_pos, in_total);
    *data = in_buf;
    *len = n;
    return 1;
  }
  for (;;) {
    enum minnow_wire_kind kind;
    const char *msg, *p;
    uint32_t mlen;
    size_t plen;
    int cancel;

    if (!next_item (&kind, &msg, &mlen)) {
      in_done = 1;
      errno = EPIPE;
      return -1;
    }
    if (kind == MINNOW_WIRE_CANCEL)
      continue;
    if (kind != MINNOW_WIRE_MESSAGE ||
        minnow_decode_chunk (msg, mlen, &cancel, &p, &plen) == -1) {
      fprintf (stderr, "minnowd: expected a file chunk: closing the "
               "connection\n");
      conn_dead = conn_broken = 1;
      in_done = 1;
      errno = EPIPE;
      return -1;
    }
    in_done = cancel || plen == 0;
    if (cancel)
      return -2;
    if (plen == 0)
      return 0;
    *data = p;
    *len = plen;
    return 1;
  }
}

void
file_in_end (void)
{
  if (in_fd >= 0) {
    close (in_fd);
    in_fd = -1;
  }
  else if (!in_done) {
    in_done = 1;
    cancel_receive ();
  }
}

int
cancel_receive (void)
{
  int cb_failed = 0, cb_errno = 0;

  if (call_fd >= 0) {
    /* The fast path: there is no stream to drain. */
    close (received_fd ());
    return 0;
  }

  if (minnow_send_flag (sock, MINNOW_CANCEL_FLAG) == -1) {
    conn_dead = 1;
    return -1;
  }
  return drain_chunks (NULL, NULL, &cb_failed, &cb_errno) == -1 ? -1 : 0;
}

void
file_out_prepare (void)
{
  struct stat st;

  out_fd = received_fd ();
  out_reply_held = 0;
  out_pos = 0;
  out_sparse = 0;
  out_started = 0;
  if (out_fd >= 0 && fstat (out_fd, &st) == 0 && S_ISREG (st.st_mode))
    out_sparse = 1;
}

/* The library does not truncate an existing file before the call: when
 * the call fails before its data, the file is left as it was. */
static int
out_start (void)
{
  if (out_started)
    return 0;
  out_started = 1;
  if (out_sparse && ftruncate (out_fd, 0) == -1)
    return -1;
  return 0;
}

int
file_out_is_fd (void)
{
  return out_fd >= 0;
}

static int
is_zero (const char *p, size_t n)
{
  static const char zero[HOLE_BLOCK];

  return memcmp (p, zero, n) == 0;
}

static int
out_fd_write (const char *p, size_t len)
{
  while (len > 0) {
    size_t n = len;
    ssize_t w;

    /* A whole aligned zero block is skipped: the file keeps a hole. */
    if (out_sparse && out_pos % HOLE_BLOCK == 0 && len >= HOLE_BLOCK &&
        is_zero (p, HOLE_BLOCK)) {
      out_pos += HOLE_BLOCK;
      p += HOLE_BLOCK;
      len -= HOLE_BLOCK;
      continue;
    }
    if (out_sparse) {
      /* Up to the next zero block. */
      size_t k = HOLE_BLOCK - out_pos % HOLE_BLOCK;
      if (k > len)
        k = len;
      while (k < len && !(len - k >= HOLE_BLOCK &&
                          is_zero (p + k, HOLE_BLOCK)))
        k += len - k >= HOLE_BLOCK ? HOLE_BLOCK : len - k;
      n = k;
    }
    w = out_sparse ? pwrite (out_fd, p, n, out_pos) : write (out_fd, p, n);
    if (w == -1 && errno == EINTR)
      continue;
    if (w == -1)
      return -1;
    out_pos += w;
    p += w;
    len -= w;
  }
  return 0;
}

static void
out_fd_done (void)
{
  if (out_fd >= 0)
    close (out_fd);
  out_fd = -1;
  out_reply_held = 0;
}

int
send_file_write (const void *buf, size_t len)
{
  const char *p = buf;

  if (out_fd >= 0) {
    if (client_cancelled ()) {
      out_fd_done ();
      reply_with_error_errno (EINTR, "operation cancelled by the user");
      return -2;
    }
    if (out_start () == -1 || out_fd_write (buf, len) == -1) {
      int err = errno;
      out_fd_done ();
      reply_with_perror_errno (err, "write to the host file");
      return -1;
    }
    out_progress (len);
    return 0;
  }

  while (len > 0) {
    size_t n = len < MINNOW_CHUNK_MAX ? len : MINNOW_CHUNK_MAX;

    if (conn_dead)
      return -1;
    if (minnow_rbuf_poll_cancel (&rbuf, sock, NULL, NULL)) {
      send_file_end (1);
      return -2;
    }
    if (minnow_send_chunk (sock, 0, p, n) == -1) {
      conn_dead = 1;
      return -1;
    }
    p += n;
    len -= n;
    out_progress (n);
  }
  return 0;
}

int
send_file_end (int cancel)
{
  if (out_fd >= 0) {
    int held = out_reply_held;

    /* Holes at the end: the size is set by ftruncate. */
    if (!cancel && (out_start () == -1 ||
                    (out_sparse && ftruncate (out_fd, out_pos) == -1))) {
      int err = errno;
      out_fd_done ();
      reply_with_perror_errno (err, "write to the host file");
      return -1;
    }
    out_fd_done ();
    if (cancel) {
      if (!replied)
        reply_with_error_errno (EIO, "the daemon cancelled the transfer");
      return 0;
    }
    if (held)
      reply (NULL, NULL);
    return 0;
  }
  if (conn_dead)
    return -1;
  if (minnow_send_chunk (sock, cancel, NULL, 0) == -1) {
    conn_dead = 1;
    return -1;
  }
  return 0;
}

static void
serve_message (const char *msg, uint32_t len)
{
  minnow_message_header hdr;
  XDR xdr;
  int pos;

  replied = 0;
  proc_nr = 0;
  serial = 0;
  optargs_bitmask = 0;
  lifeline_call_begin (0);
  pos = minnow_decode_header (msg, len, &hdr);
  if (pos == -1) {
    reply_with_error_errno (EPROTO, "cannot decode the message header");
    return;
  }
  proc_nr = hdr.proc;
  serial = hdr.serial;
  lifeline_call_begin (serial);
  if (hdr.prog != MINNOW_PROGRAM || hdr.vers != MINNOW_PROTOCOL_VERSION) {
    reply_with_error_errno (EPROTO, "wrong program (0x%x) or protocol "
                            "version (%u): this daemon speaks program 0x%x "
                            "version %u", hdr.prog, hdr.vers,
                            MINNOW_PROGRAM, MINNOW_PROTOCOL_VERSION);
    return;
  }
  if (hdr.direction != MINNOW_DIRECTION_CALL ||
      hdr.status != MINNOW_STATUS_OK) {
    reply_with_error_errno (EPROTO, "expected a call (direction %d, "
                            "status %d)", (int) hdr.direction,
                            (int) hdr.status);
    return;
  }
  if (hdr.fd_count > 1) {
    reply_with_error_errno (EPROTO, "at most one descriptor per call, not %u",
                            hdr.fd_count);
    return;
  }
  if (hdr.fd_count == 1) {
    call_fd = minnow_rbuf_take_fd (&rbuf);
    if (call_fd == -1) {
      reply_with_error_errno (EPROTO, "the call announced a descriptor that "
                              "did not arrive");
      return;
    }
  }
  optargs_bitmask = hdr.optargs_bitmask;
  progress_last_ns = now_ns ();
  action_progress = 0;
  out_sent = 0;

  xdrmem_create (&xdr, (char *) msg + pos, len - pos, XDR_DECODE);
  dispatch_incoming_message (&xdr);
  xdr_destroy (&xdr);

  if (out_fd >= 0) {
    /* do_X returned without ending its FileOut transfer. */
    int held = out_reply_held;
    out_fd_done ();
    if (held && !replied)
      reply_with_error_errno (EIO, "the transfer ended before its end");
  }
  if (!replied && !conn_dead)
    reply_with_error_errno (ENOSYS, "procedure %u did not reply", proc_nr);
  if (call_fd >= 0) {
    close (call_fd);
    call_fd = -1;
  }
}

int
serve_connection (int fd, int exit_if_stuck)
{
  sock = fd;
  conn_dead = conn_broken = 0;
  if (wbuf == NULL) {
    wbuf = malloc (MINNOW_RBUF_SIZE);
    if (wbuf == NULL || minnow_rbuf_init (&rbuf) == -1) {
      perror ("minnowd: malloc");
      return -1;
    }
  }
  minnow_rbuf_reset (&rbuf);

  if (minnow_send_flag (sock, MINNOW_LAUNCH_FLAG) == -1) {
    perror ("minnowd: sending the launch flag");
    return -1;
  }
  lifeline_start (sock, exit_if_stuck);
  for (;;) {
    enum minnow_wire_kind kind;
    const char *msg;
    uint32_t len;

    if (!next_item (&kind, &msg, &len))
      break;
    /* Stray flags (a cancel that crossed the end of a stream) are
     * ignored; only messages are calls. */
    if (kind == MINNOW_WIRE_MESSAGE)
      serve_message (msg, len);
  }
  lifeline_stop ();
  storage_shutdown ();
  minnow_rbuf_reset (&rbuf);
  sock = -1;
  return conn_broken ? -1 : 0;
}
