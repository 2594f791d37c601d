/* libminnow: passing the user's cancel on to the daemon.
 *
 * minnow_user_cancel may be called from a signal handler or from
 * another thread while a call runs, so this only reads the handle and
 * sends a signal: no lock, no allocation.  SIGUSR1 asks the daemon to
 * stop the running call (see daemon/lifeline.c), which then fails with
 * EINTR.  The daemon is the local backend's child, or the minnowd of
 * our user at the other end of a unix:PATH socket (backend-unix.c); for
 * any other peer cancel_pid is 0 and only transfers can be cancelled,
 * by the cancel flag on their stream (proto.c). */

#include <config.h>

#include <signal.h>
#include <sys/types.h>

#include "minnow-internal.h"

void
minnow_int_cancel_daemon (minnow_h *g)
{
  pid_t pid = g->cancel_pid;
  union sigval which = { .sival_int = (int) g->serial };

  /* With the call's serial: a signal that arrives late cannot stop the
   * next call. */
  if (g->state == STATE_BUSY && pid > 0)
    (void) sigqueue (pid, SIGUSR1, which);
}
