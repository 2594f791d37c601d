/* Protocol robustness: speak raw bytes to minnowd and check that every
 * malformed message gets an error reply (and the daemon goes on serving)
 * or ends the connection cleanly -- never a crash, never a hang.
 *
 * Each case spawns a fresh `minnowd --drives=0 --socket=3` through the
 * spawning core, with our end of a socketpair as its descriptor 3. */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>

#include "protocol.h"
#include "command.h"
#include "tap.h"

/* No case may take longer than this to answer or to exit. */
#define TIMEOUT_MS 10000

struct daemon {
  struct command *cmd;
  int sock;
  int err_fd;
  struct minnow_rbuf rbuf;
};

static const char *daemon_path;

static int
start (struct daemon *d)
{
  int sv[2];
  enum minnow_wire_kind kind;
  const char *msg;
  uint32_t len;

  memset (d, 0, sizeof *d);
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
    return -1;
  d->cmd = command_new (daemon_path);
  command_add_arg (d->cmd, "--drives=0");
  command_add_arg (d->cmd, "--socket=3");
  command_add_env_pass_common (d->cmd);
  command_pass_fd (d->cmd, sv[1], COMMAND_PASS_FD_CLOSE_PARENT);
  command_set_renumber_fds (d->cmd);
  command_set_error_pipe (d->cmd, &d->err_fd);
  command_raw_status (d->cmd);
  if (command_run_async (d->cmd, NULL) == -1) {
    /* Nothing else can be tested. */
    printf ("Bail out! cannot start %s: %s\n", daemon_path,
            command_get_error (d->cmd));
    exit (EXIT_FAILURE);
  }
  d->sock = sv[0];
  minnow_rbuf_init (&d->rbuf);
  /* The launch flag comes first. */
  for (;;) {
    struct pollfd p = { .fd = d->sock, .events = POLLIN };
    int r = minnow_rbuf_next (&d->rbuf, &kind, &msg, &len);

    if (r == 1)
      return kind == MINNOW_WIRE_LAUNCH ? 0 : -1;
    if (poll (&p, 1, TIMEOUT_MS) != 1 ||
        minnow_rbuf_fill (&d->rbuf, d->sock, 0) <= 0)
      return -1;
  }
}

/* Closes our end and waits for the daemon to exit (its stderr reaching
 * end of file).  Returns the raw wait status, or -1 when it hung. */
static int
stop (struct daemon *d)
{
  int status = -1;
  char buf[4096];

  if (d->sock >= 0)
    close (d->sock);
  for (;;) {
    struct pollfd p = { .fd = d->err_fd, .events = POLLIN };
    ssize_t n;

    if (poll (&p, 1, TIMEOUT_MS) != 1) {
      tap_diag ("the daemon did not exit");
      command_free (d->cmd);     /* kills it */
      close (d->err_fd);
      minnow_rbuf_free (&d->rbuf);
      return -1;
    }
    n = read (d->err_fd, buf, sizeof buf);
    if (n <= 0)
      break;
    if (getenv ("VERBOSE"))
      fprintf (stderr, "%.*s", (int) n, buf);
  }
  close (d->err_fd);
  if (command_wait (d->cmd, &status) == -1)
    status = -1;
  command_free (d->cmd);
  minnow_rbuf_free (&d->rbuf);
  return status;
}

static int
send_bytes (struct daemon *d, const void *buf, size_t len)
{
  return minnow_send_all (d->sock, buf, len, -1);
}

static int
send_call (struct daemon *d, unsigned prog, unsigned vers, int proc,
           int direction, uint64_t bitmask, xdrproc_t xdrp, void *args)
{
  static char buf[65536];
  minnow_message_header hdr;
  size_t len;

  memset (&hdr, 0, sizeof hdr);
  hdr.prog = prog;
  hdr.vers = vers;
  hdr.proc = proc;
  hdr.direction = direction;
  hdr.serial = 42;
  hdr.optargs_bitmask = bitmask;
  len = minnow_encode_message (buf, sizeof buf, &hdr, xdrp, args);
  return len ? send_bytes (d, buf, len) : -1;
}

/* Waits for the next reply.  Returns 1 with *status and the error's
 * errno name (static) filled, 0 at end of stream, -1 on timeout or
 * garbage. */
static int
read_reply (struct daemon *d, int *status, char *errno_name, size_t n)
{
  for (;;) {
    enum minnow_wire_kind kind;
    const char *msg;
    uint32_t len;
    struct pollfd p = { .fd = d->sock, .events = POLLIN };
    int r = minnow_rbuf_next (&d->rbuf, &kind, &msg, &len);
    ssize_t got;

    if (r == 1 && kind == MINNOW_WIRE_MESSAGE) {
      minnow_message_header hdr;
      minnow_message_error err;
      int pos = minnow_decode_header (msg, len, &hdr);

      if (pos == -1 || hdr.direction != MINNOW_DIRECTION_REPLY)
        return -1;
      *status = hdr.status;
      errno_name[0] = '\0';
      if (hdr.status == MINNOW_STATUS_ERROR) {
        memset (&err, 0, sizeof err);
        if (minnow_decode_body (msg, len, pos,
                                (xdrproc_t) xdr_minnow_message_error,
                                &err) == -1)
          return -1;
        snprintf (errno_name, n, "%s", err.errno_name);
        if (getenv ("VERBOSE"))
          tap_diag ("error reply: %s (%s)", err.error_message, err.errno_name);
        xdr_free ((xdrproc_t) xdr_minnow_message_error, (char *) &err);
      }
      return 1;
    }
    if (r != 0)
      continue;                 /* progress or flags: skip */
    if (poll (&p, 1, TIMEOUT_MS) != 1)
      return -1;
    got = minnow_rbuf_fill (&d->rbuf, d->sock, 0);
    if (got == 0 || (got == -1 && errno == ECONNRESET))
      return 0;
    if (got == -1)
      return -1;
  }
}

/* After a malformed message: an error reply (errno name `want`, "" for
 * any), then a no-op call still answered OK. */
static void
expect_error_then_alive (struct daemon *d, const char *what, const char *want)
{
  char name[64];
  int status = -1, r;

  r = read_reply (d, &status, name, sizeof name);
  if (!tap_ok (r == 1 && status == MINNOW_STATUS_ERROR &&
               (want[0] == '\0' || strcmp (name, want) == 0),
               "%s: error reply", what)) {
    tap_diag ("expected: an error reply %s", want);
    tap_diag ("got: read_reply %d, status %d, errno name \"%s\"",
              r, status, r == 1 ? name : "");
  }
  send_call (d, MINNOW_PROGRAM, MINNOW_PROTOCOL_VERSION,
             MINNOW_PROC_INTERNAL_TEST_NOOP, MINNOW_DIRECTION_CALL, 0,
             NULL, NULL);
  r = read_reply (d, &status, name, sizeof name);
  if (!tap_ok (r == 1 && status == MINNOW_STATUS_OK,
               "%s: daemon still serves calls", what))
    tap_diag ("got: read_reply %d, status %d", r, status);
}

static void
expect_clean_exit (struct daemon *d, const char *what)
{
  int status = stop (d);

  if (!tap_ok (status != -1 && WIFEXITED (status),
               "%s: daemon exits cleanly", what)) {
    tap_diag ("expected: an exit, no signal, no hang");
    if (status == -1)
      tap_diag ("got: hung");
    else if (WIFSIGNALED (status))
      tap_diag ("got: killed by signal %d", WTERMSIG (status));
  }
}

static void
put32 (char *p, uint32_t v)
{
  v = htonl (v);
  memcpy (p, &v, 4);
}

int
main (void)
{
  struct daemon d;
  char buf[256], name[64];
  int status, r;

  daemon_path = getenv ("MINNOW_DAEMON");
  if (daemon_path == NULL) {
    printf ("1..0 # SKIP MINNOW_DAEMON not set (run through ./run)\n");
    return 0;
  }
  signal (SIGPIPE, SIG_IGN);
  tap_plan (37);

  /* 1. A length over 4 MiB: error reply, then the connection ends. */
  tap_ok (start (&d) == 0, "daemon starts and sends its launch flag");
  put32 (buf, MINNOW_MESSAGE_MAX + 1);
  send_bytes (&d, buf, 4);
  r = read_reply (&d, &status, name, sizeof name);
  if (!tap_ok (r == 1 && status == MINNOW_STATUS_ERROR &&
               strcmp (name, "EMSGSIZE") == 0, "oversized length: error reply"))
    tap_diag ("got: read_reply %d status %d errno \"%s\"", r, status,
              r == 1 ? name : "");
  r = read_reply (&d, &status, name, sizeof name);
  tap_ok (r == 0, "oversized length: then the connection ends");
  expect_clean_exit (&d, "oversized length");

  /* 2. A message shorter than its length says, then EOF. */
  start (&d);
  put32 (buf, 100);
  memset (buf + 4, 0, 10);
  send_bytes (&d, buf, 14);
  shutdown (d.sock, SHUT_WR);
  expect_clean_exit (&d, "truncated message then EOF");

  /* 3. Half a length word, then EOF. */
  start (&d);
  send_bytes (&d, "\0\0", 2);
  expect_clean_exit (&d, "disconnect in the middle of a length word");

  /* 4. A message too short to hold a header. */
  start (&d);
  put32 (buf, 4);
  memset (buf + 4, 0xff, 4);
  send_bytes (&d, buf, 8);
  expect_error_then_alive (&d, "undecodable header", "EPROTO");
  expect_clean_exit (&d, "undecodable header");

  /* 5. An empty message. */
  start (&d);
  put32 (buf, 0);
  send_bytes (&d, buf, 4);
  expect_error_then_alive (&d, "zero-length message", "EPROTO");
  expect_clean_exit (&d, "zero-length message");

  /* 6, 7. Wrong program, wrong version. */
  start (&d);
  send_call (&d, 0x12345678, MINNOW_PROTOCOL_VERSION,
             MINNOW_PROC_INTERNAL_TEST_NOOP, MINNOW_DIRECTION_CALL, 0,
             NULL, NULL);
  expect_error_then_alive (&d, "bad program", "EPROTO");
  send_call (&d, MINNOW_PROGRAM, 99, MINNOW_PROC_INTERNAL_TEST_NOOP,
             MINNOW_DIRECTION_CALL, 0, NULL, NULL);
  expect_error_then_alive (&d, "bad version", "EPROTO");

  /* 8. A reply sent to the daemon. */
  send_call (&d, MINNOW_PROGRAM, MINNOW_PROTOCOL_VERSION,
             MINNOW_PROC_INTERNAL_TEST_NOOP, MINNOW_DIRECTION_REPLY, 0,
             NULL, NULL);
  expect_error_then_alive (&d, "reply sent to the daemon", "EPROTO");

  /* 9. An unknown procedure. */
  send_call (&d, MINNOW_PROGRAM, MINNOW_PROTOCOL_VERSION, 777,
             MINNOW_DIRECTION_CALL, 0, NULL, NULL);
  expect_error_then_alive (&d, "unknown procedure", "");

  /* 10. Arguments that do not decode (internal_test_sleep without its
   * Int). */
  send_call (&d, MINNOW_PROGRAM, MINNOW_PROTOCOL_VERSION,
             MINNOW_PROC_INTERNAL_TEST_SLEEP, MINNOW_DIRECTION_CALL, 0,
             NULL, NULL);
  expect_error_then_alive (&d, "undecodable arguments", "");

  /* 11. Unknown optarg bits on an action without optargs (sync) and on
   * internal_test (five optargs: bit 40 is unknown). */
  send_call (&d, MINNOW_PROGRAM, MINNOW_PROTOCOL_VERSION, MINNOW_PROC_SYNC,
             MINNOW_DIRECTION_CALL, 1, NULL, NULL);
  expect_error_then_alive (&d, "optargs bitmask on sync", "");
  {
    struct minnow_internal_test_args args;
    char *empty[] = { NULL };

    memset (&args, 0, sizeof args);
    args.str = args.device = args.mountable = args.pathname = "";
    args.devorpath = args.key = args.ostring = "";
    args.strlist.strlist_val = empty;
    args.devicelist.devicelist_val = empty;
    args.ostringlist.ostringlist_val = empty;
    args.bufferin.bufferin_val = "";
    send_call (&d, MINNOW_PROGRAM, MINNOW_PROTOCOL_VERSION,
               MINNOW_PROC_INTERNAL_TEST, MINNOW_DIRECTION_CALL,
               UINT64_C(1) << 40, (xdrproc_t) xdr_minnow_internal_test_args,
               &args);
    expect_error_then_alive (&d, "unknown optarg bit 40 on internal_test",
                             "");
  }

  /* 12. A stray cancel flag between calls is ignored. */
  put32 (buf, MINNOW_CANCEL_FLAG);
  send_bytes (&d, buf, 4);
  send_call (&d, MINNOW_PROGRAM, MINNOW_PROTOCOL_VERSION,
             MINNOW_PROC_INTERNAL_TEST_NOOP, MINNOW_DIRECTION_CALL, 0,
             NULL, NULL);
  r = read_reply (&d, &status, name, sizeof name);
  tap_ok (r == 1 && status == MINNOW_STATUS_OK,
          "stray cancel flag: ignored");
  expect_clean_exit (&d, "after the malformed calls");

  /* 13. A call announcing a descriptor that never came. */
  start (&d);
  {
    minnow_message_header hdr;
    size_t len;

    memset (&hdr, 0, sizeof hdr);
    hdr.prog = MINNOW_PROGRAM;
    hdr.vers = MINNOW_PROTOCOL_VERSION;
    hdr.proc = MINNOW_PROC_INTERNAL_TEST_NOOP;
    hdr.fd_count = 1;
    len = minnow_encode_message (buf, sizeof buf, &hdr, NULL, NULL);
    send_bytes (&d, buf, len);
    expect_error_then_alive (&d, "missing descriptor", "EPROTO");

    /* 14. One that did come (SCM_RIGHTS): accepted, and closed by the
     * daemon. */
    minnow_send_all (d.sock, buf, len, 0);
    r = read_reply (&d, &status, name, sizeof name);
    tap_ok (r == 1 && status == MINNOW_STATUS_OK,
            "call with a descriptor (SCM_RIGHTS): accepted");
  }
  expect_clean_exit (&d, "descriptor passing");

  /* 15. Disconnect in the middle of a FileIn stream. */
  start (&d);
  send_call (&d, MINNOW_PROGRAM, MINNOW_PROTOCOL_VERSION,
             MINNOW_PROC_INTERNAL_TEST_FILEIN, MINNOW_DIRECTION_CALL, 0,
             NULL, NULL);
  minnow_send_chunk (d.sock, 0, "some data", 9);
  expect_clean_exit (&d, "disconnect in the middle of a FileIn stream");

  /* 16. Garbage instead of a chunk in a FileIn stream. */
  start (&d);
  send_call (&d, MINNOW_PROGRAM, MINNOW_PROTOCOL_VERSION,
             MINNOW_PROC_INTERNAL_TEST_FILEIN, MINNOW_DIRECTION_CALL, 0,
             NULL, NULL);
  put32 (buf, 3);
  memcpy (buf + 4, "abc", 3);
  send_bytes (&d, buf, 7);
  shutdown (d.sock, SHUT_WR);
  expect_clean_exit (&d, "malformed chunk in a FileIn stream");

  /* 17. Disconnect while the daemon sends a FileOut stream. */
  start (&d);
  {
    struct minnow_internal_test_fileout_args args = { .size = 64 << 20 };

    send_call (&d, MINNOW_PROGRAM, MINNOW_PROTOCOL_VERSION,
               MINNOW_PROC_INTERNAL_TEST_FILEOUT, MINNOW_DIRECTION_CALL, 0,
               (xdrproc_t) xdr_minnow_internal_test_fileout_args, &args);
  }
  r = read_reply (&d, &status, name, sizeof name);
  tap_ok (r == 1 && status == MINNOW_STATUS_OK, "FileOut: reply first");
  expect_clean_exit (&d, "disconnect in the middle of a FileOut stream");

  /* 18. Disconnect in the middle of a call (the daemon is sleeping). */
  start (&d);
  {
    struct minnow_internal_test_sleep_args args = { .milliseconds = 200 };

    send_call (&d, MINNOW_PROGRAM, MINNOW_PROTOCOL_VERSION,
               MINNOW_PROC_INTERNAL_TEST_SLEEP, MINNOW_DIRECTION_CALL, 0,
               (xdrproc_t) xdr_minnow_internal_test_sleep_args, &args);
  }
  expect_clean_exit (&d, "disconnect while a call runs");

  return tap_done ();
}
