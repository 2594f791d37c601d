/* libminnow: the unix:PATH backend: connect to a daemon that is already
 * running, started as `minnowd --listen PATH [IMAGE…]`.  That daemon
 * opened its own drives, so drives added to the handle are not used.
 *
 * user_cancel signals the daemon (see cancel.c) when the peer of the
 * socket (SO_PEERCRED) runs as our user and is a minnowd: anything else
 * listening there is never signalled. */

#include <config.h>

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "minnow-internal.h"

/* The daemon's pid if the peer of sock is a minnowd of our user, else 0. */
static pid_t
peer_daemon (int sock)
{
  struct ucred cred;
  socklen_t len = sizeof cred;
  char link[64], exe[PATH_MAX];
  const char *base;
  ssize_t n;

  if (getsockopt (sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
      cred.pid <= 0 || cred.uid != geteuid ())
    return 0;
  snprintf (link, sizeof link, "/proc/%d/exe", (int) cred.pid);
  n = readlink (link, exe, sizeof exe - 1);
  if (n <= 0)
    return 0;
  exe[n] = '\0';
  base = strrchr (exe, '/');
  base = base ? base + 1 : exe;
  if (strcmp (base, "minnowd") != 0 && strcmp (base, "lt-minnowd") != 0)
    return 0;
  return cred.pid;
}

static int
unix_launch (minnow_h *g, const char *path)
{
  struct sockaddr_un addr;
  int sock;

  if (strlen (path) >= sizeof addr.sun_path) {
    minnow_int_error_errno (g, ENAMETOOLONG, "launch: %s: socket path too "
                            "long", path);
    return -1;
  }
  if (g->nr_drives > 0)
    minnow_int_warning (g, "launch: the unix: backend ignores the %zu "
                        "drive(s) added: the daemon at %s has its own",
                        g->nr_drives, path);
  sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock == -1) {
    minnow_int_perrorf (g, "launch: socket");
    return -1;
  }
  memset (&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  strcpy (addr.sun_path, path);
  if (connect (sock, (struct sockaddr *) &addr, sizeof addr) == -1) {
    minnow_int_perrorf (g, "launch: connect: %s", path);
    close (sock);
    return -1;
  }
  g->sock = sock;
  g->pid = 0;
  g->cancel_pid = peer_daemon (sock);
  debug (g, "launch: unix: the daemon %s be cancelled (pid %d)",
         g->cancel_pid ? "can" : "cannot", (int) g->cancel_pid);
  return 0;
}

static void
unix_shutdown (minnow_h *g, int *exit_status)
{
  if (g->sock >= 0) {
    close (g->sock);
    g->sock = -1;
  }
  *exit_status = -1;           /* not ours: unknown */
  g->cancel_pid = 0;
  minnow_rbuf_reset (&g->rbuf);
}

const struct backend_ops minnow_backend_unix = {
  .name = "unix",
  .launch = unix_launch,
  .shutdown = unix_shutdown,
};
