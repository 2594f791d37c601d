/* Helpers shared by the raw-protocol tests: see protocol-helpers.h. */

#include <config.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>

#include "protocol-helpers.h"
#include "tap.h"

int
daemon_start (struct daemon *d, const char *path,
              const int *drives, int nr_drives)
{
  int sv[2], i;
  enum minnow_wire_kind kind;
  const char *msg;
  uint32_t len;

  memset (d, 0, sizeof *d);
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
    return -1;
  d->cmd = command_new (path);
  command_add_arg_format (d->cmd, "--drives=%d", nr_drives);
  command_add_arg_format (d->cmd, "--socket=%d", 3 + nr_drives);
  command_add_env_pass_common (d->cmd);
  for (i = 0; i < nr_drives; ++i)
    command_pass_fd (d->cmd, drives[i], 0);
  command_pass_fd (d->cmd, sv[1], COMMAND_PASS_FD_CLOSE_PARENT);
  command_set_renumber_fds (d->cmd);
  command_set_error_pipe (d->cmd, &d->err_fd);
  command_raw_status (d->cmd);
  if (command_run_async (d->cmd, NULL) == -1) {
    /* Nothing else can be tested. */
    printf ("Bail out! cannot start %s: %s\n", path,
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
    if (poll (&p, 1, PROTO_TIMEOUT_MS) != 1 ||
        minnow_rbuf_fill (&d->rbuf, d->sock, 0) <= 0)
      return -1;
  }
}

int
daemon_stop (struct daemon *d)
{
  int status = -1;
  char buf[4096];

  if (d->sock >= 0)
    close (d->sock);
  d->sock = -1;
  for (;;) {
    struct pollfd p = { .fd = d->err_fd, .events = POLLIN };
    ssize_t n;

    if (poll (&p, 1, PROTO_TIMEOUT_MS) != 1) {
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

int
send_bytes (struct daemon *d, const void *buf, size_t len)
{
  return minnow_send_all (d->sock, buf, len, -1);
}

int
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

int
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
    if (poll (&p, 1, PROTO_TIMEOUT_MS) != 1)
      return -1;
    got = minnow_rbuf_fill (&d->rbuf, d->sock, 0);
    if (got == 0 || (got == -1 && errno == ECONNRESET))
      return 0;
    if (got == -1)
      return -1;
  }
}

void
put32 (char *p, uint32_t v)
{
  v = htonl (v);
  memcpy (p, &v, 4);
}
