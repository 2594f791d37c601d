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

#include "protocol-helpers.h"
#include "tap.h"

static const char *daemon_path;

static int
start (struct daemon *d)
{
  return daemon_start (d, daemon_path, NULL, 0);
}

static int
stop (struct daemon *d)
{
  return daemon_stop (d);
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
  tap_plan (41);

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
   * internal_test_daemon (five optargs: bit 40 is unknown). */
  send_call (&d, MINNOW_PROGRAM, MINNOW_PROTOCOL_VERSION, MINNOW_PROC_SYNC,
             MINNOW_DIRECTION_CALL, 1, NULL, NULL);
  expect_error_then_alive (&d, "optargs bitmask on sync", "");
  {
    struct minnow_internal_test_daemon_args args;
    char *empty[] = { NULL };

    memset (&args, 0, sizeof args);
    args.str = args.device = args.mountable = args.pathname = "";
    args.devorpath = args.key = args.ostring = "";
    args.strlist.strlist_val = empty;
    args.devicelist.devicelist_val = empty;
    args.ostringlist.ostringlist_val = empty;
    args.bufferin.bufferin_val = "";
    send_call (&d, MINNOW_PROGRAM, MINNOW_PROTOCOL_VERSION,
               MINNOW_PROC_INTERNAL_TEST_DAEMON, MINNOW_DIRECTION_CALL,
               UINT64_C(1) << 40, (xdrproc_t) xdr_minnow_internal_test_daemon_args,
               &args);
    expect_error_then_alive (&d, "unknown optarg bit 40 on internal_test_daemon",
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

  /* 19. A string whose length claims 2 GiB, in a 44-byte call (found by
   * fuzz/fuzz-protocol): refused before anything is allocated for it. */
  start (&d);
  {
    minnow_message_header hdr;
    size_t len;
    uint32_t be = htonl (0x80000000u);
    long peak_kb = -1;
    char path[64], line[256];
    FILE *fp;

    memset (&hdr, 0, sizeof hdr);
    hdr.prog = MINNOW_PROGRAM;
    hdr.vers = MINNOW_PROTOCOL_VERSION;
    hdr.proc = MINNOW_PROC_MKDIR_P;
    len = minnow_encode_message (buf, sizeof buf, &hdr, NULL, NULL);
    memcpy (buf + len, &be, 4);
    put32 (buf, len + 4 - 4);
    send_bytes (&d, buf, len + 4);
    expect_error_then_alive (&d, "a string claiming 2 GiB", "");
    snprintf (path, sizeof path, "/proc/%d/status",
              (int) command_get_pid (d.cmd));
    fp = fopen (path, "r");
    while (fp && fgets (line, sizeof line, fp))
      if (sscanf (line, "VmPeak: %ld", &peak_kb) == 1)
        break;
    if (fp)
      fclose (fp);
    if (!tap_ok (peak_kb > 0 && peak_kb < 1024 * 1024, "a string claiming "
                 "2 GiB: the daemon never mapped a gigabyte"))
      tap_diag ("VmPeak: %ld kB", peak_kb);
  }
  expect_clean_exit (&d, "a string claiming 2 GiB");

  return tap_done ();
}
