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
#include <sys/socket.h>

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
  int64_t now = now_ns ();

  if (position < total && now - progress_last_ns < PROGRESS_INTERVAL_NS)
    return;
  progress_last_ns = now;
  if (conn_dead)
    return;
  if (minnow_send_progress (sock, proc_nr, serial, position, total) == -1)
    conn_dead = 1;
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

int
receive_file (int (*cb) (void *opaque, const void *buf, size_t len),
              void *opaque)
{
  int cb_failed = 0, cb_errno = 0;
  int r = drain_chunks (cb, opaque, &cb_failed, &cb_errno);

  if (cb_failed) {
    errno = cb_errno;
    return -1;
  }
  if (r == -1)
    errno = EPIPE;
  return r;
}

int
cancel_receive (void)
{
  int cb_failed = 0, cb_errno = 0;

  if (minnow_send_flag (sock, MINNOW_CANCEL_FLAG) == -1) {
    conn_dead = 1;
    return -1;
  }
  return drain_chunks (NULL, NULL, &cb_failed, &cb_errno) == -1 ? -1 : 0;
}

int
send_file_write (const void *buf, size_t len)
{
  const char *p = buf;

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
  }
  return 0;
}

int
send_file_end (int cancel)
{
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
  pos = minnow_decode_header (msg, len, &hdr);
  if (pos == -1) {
    reply_with_error_errno (EPROTO, "cannot decode the message header");
    return;
  }
  proc_nr = hdr.proc;
  serial = hdr.serial;
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

  xdrmem_create (&xdr, (char *) msg + pos, len - pos, XDR_DECODE);
  dispatch_incoming_message (&xdr);
  xdr_destroy (&xdr);

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
  if (storage_shutdown)
    storage_shutdown ();
  minnow_rbuf_reset (&rbuf);
  sock = -1;
  return conn_broken ? -1 : 0;
}
