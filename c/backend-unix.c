/* libminnow: the unix:PATH backend: connect to a daemon that is already
 * running, started as `minnowd --listen PATH [IMAGE…]`.  That daemon
 * opened its own drives, so drives added to the handle are not used. */

#include <config.h>

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "minnow-internal.h"

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
  minnow_rbuf_reset (&g->rbuf);
}

const struct backend_ops minnow_backend_unix = {
  .name = "unix",
  .launch = unix_launch,
  .shutdown = unix_shutdown,
};
