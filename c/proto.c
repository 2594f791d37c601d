/* libminnow: the library's side of the protocol: sending calls, reading
 * replies and progress, file streams, cancellation, and noticing that the
 * daemon went away.  The order in which a generated stub calls these is
 * in docs/internals.md, "The library". */

#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "minnow-internal.h"

/* File streams are sent in chunks of this size. */
#define SEND_CHUNK_SIZE (256 * 1024)

static const char *
state_name (enum minnow_state state)
{
  switch (state) {
  case STATE_CONFIG: return "config";
  case STATE_LAUNCHING: return "launching";
  case STATE_READY: return "ready";
  case STATE_BUSY: return "busy";
  }
  return "unknown";
}

int
minnow_int_check_ready (minnow_h *g, const char *name)
{
  switch (g->state) {
  case STATE_READY:
    return 0;
  case STATE_CONFIG:
    minnow_int_error (g, "%s: call launch before using this function "
                      "(the handle is in the config state)", name);
    break;
  case STATE_LAUNCHING:
    minnow_int_error (g, "%s: the handle is still launching", name);
    break;
  case STATE_BUSY:
    minnow_int_error (g, "%s: the handle is busy: another call is in "
                      "progress", name);
    break;
  }
  return -1;
}

void
minnow_int_end_busy (minnow_h *g)
{
  g->transfer_fd_active = 0;
  g->transfer_cancel_sent = 0;
  if (g->state == STATE_BUSY)
    g->state = STATE_READY;
}

void
minnow_user_cancel (minnow_h *g)
{
  /* Only a flag and a signal: async-signal-safe.  The flag is checked
   * between chunks of a file transfer; the daemon stops any other call
   * (cancel.c). */
  g->user_cancel = 1;
  minnow_int_cancel_daemon (g);
}

/* Keep the last bytes the daemon wrote on stderr for error messages, and
 * pass them on as APPLIANCE events when verbose. */
void
minnow_int_drain_stderr (minnow_h *g)
{
  char buf[4096];

  while (g->stderr_fd >= 0) {
    ssize_t n = read (g->stderr_fd, buf, sizeof buf);
    size_t keep, tail_cap = sizeof g->stderr_tail;

    if (n == -1 && errno == EINTR)
      continue;
    if (n == -1 && errno == EAGAIN)
      return;
    if (n <= 0) {
      close (g->stderr_fd);
      g->stderr_fd = -1;
      return;
    }
    if (g->verbose)
      minnow_int_call_callbacks_message (g, MINNOW_EVENT_APPLIANCE, buf, n);
    keep = (size_t) n < tail_cap ? (size_t) n : tail_cap;
    if (g->stderr_tail_len + keep > tail_cap) {
      size_t drop = g->stderr_tail_len + keep - tail_cap;

      memmove (g->stderr_tail, g->stderr_tail + drop,
               g->stderr_tail_len - drop);
      g->stderr_tail_len -= drop;
    }
    memcpy (g->stderr_tail + g->stderr_tail_len, buf + n - keep, keep);
    g->stderr_tail_len += keep;
  }
}

/* Waits until the socket is readable.  Returns 1 when it is, 0 on
 * timeout (timeout_ms >= 0), -1 on error (errno). */
static int
wait_readable (minnow_h *g, int timeout_ms)
{
  for (;;) {
    struct pollfd pfd[2];
    int n = 1, r, t = timeout_ms;

    /* A transfer through a passed descriptor: the daemon does all the
     * work while we wait, so user_cancel (from another thread or a
     * callback) is noticed here and passed on. */
    if (g->transfer_fd_active) {
      if (g->user_cancel && !g->transfer_cancel_sent) {
        g->transfer_cancel_sent = 1;
        if (minnow_send_flag (g->sock, MINNOW_CANCEL_FLAG) == -1)
          return -1;
      }
      if (!g->transfer_cancel_sent && (t < 0 || t > 20))
        t = 20;
    }

    /* The reply of a short call comes within microseconds: wait for it
     * awake (minnow_spin_readable) before sleeping in poll. */
    if (!g->transfer_fd_active && t != 0
        && minnow_spin_readable (g->sock, minnow_spin_us ()))
      return 1;

    pfd[0].fd = g->sock;
    pfd[0].events = POLLIN;
    pfd[0].revents = 0;
    if (g->stderr_fd >= 0) {
      pfd[1].fd = g->stderr_fd;
      pfd[1].events = POLLIN;
      pfd[1].revents = 0;
      n = 2;
    }
    r = poll (pfd, n, t);
    if (r == -1) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    if (r == 0) {
      if (t != timeout_ms)
        continue;               /* only our own short wait ended */
      return 0;
    }
    if (n == 2 && pfd[1].revents)
      minnow_int_drain_stderr (g);
    if (pfd[0].revents)
      return 1;
  }
}

/* The daemon closed the connection or died: reap it and say so. */
static void
connection_lost (minnow_h *g, const char *name, int errnum)
{
  char detail[600] = "", how[64];
  size_t n;

  minnow_int_drain_stderr (g);
  minnow_int_daemon_gone (g);
  n = g->stderr_tail_len;
  while (n > 0 && (g->stderr_tail[n - 1] == '\n' || g->stderr_tail[n - 1] == '\r'))
    n--;
  if (n > 0) {
    const char *p = memrchr (g->stderr_tail, '\n', n);
    size_t start = p ? (size_t) (p - g->stderr_tail) + 1 : 0;

    snprintf (detail, sizeof detail, " (its last message: %.*s)",
              (int) (n - start), g->stderr_tail + start);
  }
  if (g->exit_status != -1 && WIFSIGNALED (g->exit_status))
    snprintf (how, sizeof how, "it was killed by signal %d",
              WTERMSIG (g->exit_status));
  else if (g->exit_status != -1 && WIFEXITED (g->exit_status))
    snprintf (how, sizeof how, "it exited with status %d",
              WEXITSTATUS (g->exit_status));
  else
    snprintf (how, sizeof how, "it went away");
  minnow_int_error_errno (g, errnum ? errnum : EPIPE,
                          "%s: the daemon closed the connection "
                          "unexpectedly: %s%s", name, how, detail);
}

/* Fills the read buffer, waiting up to timeout_ms (-1: forever).
 * Returns 1 with new bytes, 0 on timeout, -1 on error (set; the handle
 * is back in CONFIG when the connection was lost). */
static int
fill (minnow_h *g, const char *name, int timeout_ms)
{
  for (;;) {
    ssize_t r;
    int w = wait_readable (g, timeout_ms);

    if (w == 0)
      return 0;
    if (w == -1) {
      minnow_int_perrorf (g, "%s: poll", name);
      return -1;
    }
    r = minnow_rbuf_fill (&g->rbuf, g->sock, MSG_DONTWAIT);
    if (r > 0)
      return 1;
    if (r == -1 && errno == EAGAIN)
      continue;
    connection_lost (g, name, r == -1 ? errno : 0);
    return -1;
  }
}

static void
protocol_error (minnow_h *g, const char *name, const char *what)
{
  minnow_int_error_errno (g, EPROTO, "%s: protocol error: %s", name, what);
  /* The stream cannot be trusted any more. */
  minnow_int_daemon_gone (g);
}

static void
deliver_progress (minnow_h *g, const char *rec)
{
  uint64_t array[4];

  minnow_decode_progress (rec, array);
  if (minnow_int_has_callback (g, MINNOW_EVENT_PROGRESS))
    minnow_int_call_callbacks_array (g, MINNOW_EVENT_PROGRESS, array, 4);
}

/* Takes the next item that is not a progress record (delivered on the
 * way) or a stray launch flag. */
static int
next_item (minnow_h *g, const char *name, enum minnow_wire_kind *kind,
           const char **msg, uint32_t *len)
{
  for (;;) {
    int r = minnow_rbuf_next (&g->rbuf, kind, msg, len);

    if (r == -1) {
      protocol_error (g, name, "message length exceeds the 4 MiB limit");
      return -1;
    }
    if (r == 1) {
      if (*kind == MINNOW_WIRE_PROGRESS) {
        deliver_progress (g, *msg);
        continue;
      }
      if (*kind == MINNOW_WIRE_LAUNCH)
        continue;
      return 0;
    }
    if (fill (g, name, -1) == -1)
      return -1;
  }
}

int
minnow_int_wait_launch_flag (minnow_h *g, int timeout_ms)
{
  int64_t deadline = minnow_int_now_ns () + (int64_t) timeout_ms * 1000000;

  for (;;) {
    enum minnow_wire_kind kind;
    const char *msg;
    uint32_t len;
    int64_t left;
    int r = minnow_rbuf_next (&g->rbuf, &kind, &msg, &len);

    if (r == 1 && kind == MINNOW_WIRE_LAUNCH)
      return 0;
    if (r != 0) {
      protocol_error (g, "launch", "expected the daemon's launch flag");
      return -1;
    }
    left = (deadline - minnow_int_now_ns ()) / 1000000;
    if (left < 0)
      left = 0;
    r = fill (g, "launch", (int) left);
    if (r == -1)
      return -1;
    if (r == 0) {
      minnow_int_error_errno (g, ETIMEDOUT, "launch: the daemon did not "
                              "start within %d ms", timeout_ms);
      return -1;
    }
  }
}

int
minnow_int_send_with_fd (minnow_h *g, int proc, unsigned progress_hint,
                         uint64_t optargs_bitmask, int fd,
                         xdrproc_t xdrp, char *args)
{
  minnow_message_header hdr;
  size_t len;

  if (g->state != STATE_READY) {
    minnow_int_error (g, "send: the handle is %s, not ready",
                      state_name (g->state));
    return -1;
  }
  memset (&hdr, 0, sizeof hdr);
  hdr.prog = MINNOW_PROGRAM;
  hdr.vers = MINNOW_PROTOCOL_VERSION;
  hdr.proc = proc;
  hdr.direction = MINNOW_DIRECTION_CALL;
  hdr.serial = ++g->serial;
  hdr.status = MINNOW_STATUS_OK;
  hdr.progress_hint = progress_hint;
  hdr.optargs_bitmask = optargs_bitmask;
  hdr.fd_count = fd >= 0 ? 1 : 0;
  len = minnow_encode_message (g->wbuf, MINNOW_RBUF_SIZE, &hdr, xdrp, args);
  if (len == 0) {
    minnow_int_error_errno (g, EMSGSIZE, "procedure %d: the call's "
                            "arguments exceed the protocol's 4 MiB limit",
                            proc);
    return -1;
  }
  g->user_cancel = 0;
  g->state = STATE_BUSY;
  if (minnow_send_all (g->sock, g->wbuf, len, fd) == -1) {
    connection_lost (g, "send", errno);
    return -1;
  }
  return (int) hdr.serial;
}

int
minnow_int_send (minnow_h *g, int proc, unsigned progress_hint,
                 uint64_t optargs_bitmask, xdrproc_t xdrp, char *args)
{
  return minnow_int_send_with_fd (g, proc, progress_hint, optargs_bitmask,
                                  -1, xdrp, args);
}

int
minnow_int_recv (minnow_h *g, const char *name, minnow_message_header *hdr,
                 minnow_message_error *err, xdrproc_t xdrp, char *ret)
{
  enum minnow_wire_kind kind;
  const char *msg;
  uint32_t len;
  int pos;

  for (;;) {
    if (next_item (g, name, &kind, &msg, &len) == -1)
      return -1;
    if (kind == MINNOW_WIRE_MESSAGE)
      break;
    /* A cancel flag that crossed the end of a FileIn stream: harmless. */
  }
  pos = minnow_decode_header (msg, len, hdr);
  if (pos == -1) {
    protocol_error (g, name, "cannot decode the reply header");
    return -1;
  }
  if (hdr->status == MINNOW_STATUS_ERROR) {
    memset (err, 0, sizeof *err);
    if (minnow_decode_body (msg, len, pos,
                            (xdrproc_t) xdr_minnow_message_error,
                            err) == -1) {
      protocol_error (g, name, "cannot decode the error reply");
      return -1;
    }
    return 0;
  }
  if (xdrp != NULL &&
      minnow_decode_body (msg, len, pos, xdrp, ret) == -1) {
    protocol_error (g, name, "cannot decode the reply");
    return -1;
  }
  return 0;
}

int
minnow_int_check_reply_header (minnow_h *g, const minnow_message_header *hdr,
                               unsigned proc, unsigned serial)
{
  if (hdr->prog != MINNOW_PROGRAM || hdr->vers != MINNOW_PROTOCOL_VERSION ||
      hdr->direction != MINNOW_DIRECTION_REPLY) {
    minnow_int_error_errno (g, EPROTO, "protocol error: bad reply header "
                            "(program 0x%x, version %u, direction %d)",
                            hdr->prog, hdr->vers, (int) hdr->direction);
    minnow_int_daemon_gone (g);   /* the stream cannot be trusted */
    return -1;
  }
  if ((unsigned) hdr->proc != proc || hdr->serial != serial) {
    minnow_int_error_errno (g, EPROTO, "protocol error: reply to procedure "
                            "%u serial %u, expected procedure %u serial %u",
                            (unsigned) hdr->proc, hdr->serial, proc, serial);
    minnow_int_daemon_gone (g);
    return -1;
  }
  return 0;
}

void
minnow_int_reply_error (minnow_h *g, const char *name,
                        minnow_message_error *err)
{
  int errnum = minnow_string_to_errno (err->errno_name);
  size_t n = strlen (name);
  const char *msg = err->error_message ? err->error_message : "";
  /* A drive whose qemu-nbd died fails with a bare EIO or ENOTCONN in
   * the daemon: say why. */
  char *note = minnow_int_fuse_dead_note (g, errnum);

  /* Daemon messages do not name the action; add it unless it is there. */
  if (strncmp (msg, name, n) == 0 && msg[n] == ':')
    minnow_int_error_errno (g, errnum, "%s%s", msg, note ? note : "");
  else
    minnow_int_error_errno (g, errnum, "%s: %s%s", name, msg,
                            note ? note : "");
  free (note);
  xdr_free ((xdrproc_t) xdr_minnow_message_error, (char *) err);
}

/* Reads the reply after a FileIn stream we cancelled, and throws it
 * away, keeping the error already set. */
static void
discard_reply (minnow_h *g, const char *name)
{
  minnow_message_header hdr;
  minnow_message_error err;
  struct minnow_saved_error saved;

  memset (&err, 0, sizeof err);
  minnow_int_quiet_errors_begin (g, &saved);
  if (minnow_int_recv (g, name, &hdr, &err, NULL, NULL) == 0 &&
      hdr.status == MINNOW_STATUS_ERROR)
    xdr_free ((xdrproc_t) xdr_minnow_message_error, (char *) &err);
  minnow_int_quiet_errors_end (g, &saved);
}

static void
progress_cb (void *opaque, const char *rec)
{
  deliver_progress (opaque, rec);
}

/* ---------------------------------------------------------------- */
/* Transfers as the generated stubs use them.                        */

static int
fd_transfer_allowed (void)
{
  const char *e = getenv ("MINNOW_NO_FD_TRANSFER");

  return e == NULL || *e == '\0' || strcmp (e, "0") == 0;
}

int
minnow_int_file_in_open (minnow_h *g, const char *filename, int *pass_r)
{
  struct stat st;
  int fd;

  fd = open (filename, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd == -1) {
    minnow_int_perrorf (g, "%s", filename);
    return -1;
  }
  *pass_r = fd_transfer_allowed () && fstat (fd, &st) == 0 &&
    S_ISREG (st.st_mode);
  return fd;
}

/* PROGRESS of a stream we send ourselves: the daemon cannot know the
 * total. */
static void
local_progress (minnow_h *g, int proc, unsigned serial, uint64_t pos,
                uint64_t total, int64_t *last_ns)
{
  uint64_t array[4];
  int64_t now;

  if (!minnow_int_has_callback (g, MINNOW_EVENT_PROGRESS))
    return;
  now = minnow_int_now_ns ();
  if (pos < total && now - *last_ns < 100 * 1000000LL)
    return;
  *last_ns = now;
  array[0] = proc;
  array[1] = serial;
  array[2] = pos;
  array[3] = total;
  minnow_int_call_callbacks_array (g, MINNOW_EVENT_PROGRESS, array, 4);
}

int
minnow_int_file_in_send (minnow_h *g, int fd, int pass, int proc,
                         unsigned serial, const char *filename)
{
  struct stat st;
  uint64_t total = 0, pos = 0;
  int64_t last_ns = minnow_int_now_ns ();
  char *buf;
  int ret = 0;

  if (pass) {
    close (fd);
    g->transfer_fd_active = 1;
    return 0;
  }
  if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode))
    total = st.st_size;
  buf = minnow_int_safe_malloc (g, SEND_CHUNK_SIZE);
  for (;;) {
    ssize_t n = read (fd, buf, SEND_CHUNK_SIZE);

    if (n == -1 && errno == EINTR)
      continue;
    if (n == -1) {
      minnow_int_perrorf (g, "%s: read", filename);
      ret = -1;
      break;
    }
    if (g->user_cancel) {
      minnow_int_error_errno (g, EINTR, "%s: operation cancelled by the user",
                              filename);
      ret = -1;
      break;
    }
    if (minnow_rbuf_poll_cancel (&g->rbuf, g->sock, progress_cb, g)) {
      ret = -2;
      break;
    }
    /* A regular file that ends before its size at the start was
     * truncated while we read it: fail rather than store it short. */
    if (n == 0 && pos < total && fstat (fd, &st) == 0 &&
        (uint64_t) st.st_size < total) {
      minnow_int_error_errno (g, EIO, "%s: the host file shrank while it "
                              "was being read (%" PRIu64 " of %" PRIu64
                              " bytes)", filename, pos, total);
      ret = -1;
      break;
    }
    if (minnow_send_chunk (g->sock, 0, buf, n) == -1) {
      free (buf);
      close (fd);
      connection_lost (g, "send_file", errno);
      return -1;
    }
    if (n == 0) {               /* the end-of-stream chunk went */
      free (buf);
      close (fd);
      local_progress (g, proc, serial, pos, pos, &last_ns);
      return 0;
    }
    pos += n;
    local_progress (g, proc, serial, pos, total > pos ? total : pos,
                    &last_ns);
  }
  free (buf);
  close (fd);
  if (minnow_send_chunk (g->sock, 1, NULL, 0) == -1) {
    connection_lost (g, "send_file", errno);
    return -1;
  }
  if (ret == -1)
    discard_reply (g, "send_file");
  return ret;
}

int
minnow_int_file_out_open (minnow_h *g, const char *filename, int *pass_r,
                          int *created_r)
{
  struct stat st;
  int fd;

  *created_r = 0;
  fd = open (filename, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY,
             0666);
  if (fd >= 0)
    *created_r = 1;
  else if (errno == EEXIST)
    fd = open (filename, O_WRONLY | O_CLOEXEC | O_NOCTTY);
  if (fd == -1) {
    minnow_int_perrorf (g, "%s", filename);
    return -1;
  }
  *pass_r = fd_transfer_allowed () && fstat (fd, &st) == 0 &&
    S_ISREG (st.st_mode);
  if (*pass_r)
    g->transfer_fd_active = 1;
  return fd;
}

/* Writes a chunk of a stream, leaving holes for aligned zero blocks of
 * a regular file. */
static int
write_sparse (int fd, int sparse, const char *p, size_t len, uint64_t *pos)
{
  static const char zero[4096];

  while (len > 0) {
    size_t n = len;
    ssize_t w;

    if (sparse && *pos % 4096 == 0 && len >= 4096 &&
        memcmp (p, zero, 4096) == 0) {
      *pos += 4096;
      p += 4096;
      len -= 4096;
      continue;
    }
    if (sparse) {
      n = 4096 - *pos % 4096;
      if (n > len)
        n = len;
    }
    w = pwrite (fd, p, n, *pos);
    if (w == -1 && errno == ESPIPE && !sparse)
      w = write (fd, p, n);
    if (w == -1 && errno == EINTR)
      continue;
    if (w == -1)
      return -1;
    *pos += w;
    p += w;
    len -= w;
  }
  return 0;
}

int
minnow_int_file_out_finish (minnow_h *g, int fd, int pass,
                            const char *filename)
{
  struct stat st;
  int ret = 0, cancel_sent = 0, sparse;
  uint64_t pos = 0;

  if (pass)
    return 0;
  sparse = fstat (fd, &st) == 0 && S_ISREG (st.st_mode);
  if (sparse && ftruncate (fd, 0) == -1) {
    minnow_int_perrorf (g, "%s: truncate", filename);
    ret = -1;
  }
  for (;;) {
    enum minnow_wire_kind kind;
    const char *msg, *data;
    uint32_t len;
    size_t data_len;
    int cancel;

    if ((ret == -1 || g->user_cancel) && !cancel_sent) {
      if (ret == 0)
        minnow_int_error_errno (g, EINTR, "%s: operation cancelled by the "
                                "user", filename);
      ret = -1;
      cancel_sent = 1;
      if (minnow_send_flag (g->sock, MINNOW_CANCEL_FLAG) == -1) {
        connection_lost (g, "receive_file", errno);
        return -1;
      }
    }
    if (next_item (g, "receive_file", &kind, &msg, &len) == -1)
      return -1;
    if (kind != MINNOW_WIRE_MESSAGE ||
        minnow_decode_chunk (msg, len, &cancel, &data, &data_len) == -1) {
      protocol_error (g, "receive_file", "expected a file chunk");
      return -1;
    }
    if (cancel) {
      if (ret == 0)
        minnow_int_error_errno (g, EIO, "%s: the daemon cancelled the "
                                "transfer", filename);
      return -1;
    }
    if (data_len == 0)
      break;
    if (ret == 0 && write_sparse (fd, sparse, data, data_len, &pos) == -1) {
      minnow_int_perrorf (g, "%s: write", filename);
      ret = -1;
    }
  }
  if (ret == 0 && sparse && ftruncate (fd, pos) == -1) {
    minnow_int_perrorf (g, "%s: truncate", filename);
    ret = -1;
  }
  return ret;
}

int
minnow_int_file_out_close (minnow_h *g, int fd, int failed, int created,
                           const char *filename)
{
  if (close (fd) == -1 && !failed) {
    minnow_int_perrorf (g, "%s: close", filename);
    return -1;
  }
  if (failed && created)
    unlink (filename);
  return 0;
}
