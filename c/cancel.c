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
  /* Read without the handle's lock (which the running call holds):
   * a cancel that races with the start of a call may name the previous
   * serial, and the daemon then ignores it, as it would a late one. */
  pid_t pid = __atomic_load_n (&g->cancel_pid, __ATOMIC_RELAXED);
  unsigned serial = __atomic_load_n (&g->serial, __ATOMIC_RELAXED);
  enum minnow_state state = __atomic_load_n (&g->state, __ATOMIC_RELAXED);
  union sigval which = { .sival_int = (int) serial };

  /* With the call's serial: a signal that arrives late cannot stop the
   * next call. */
  if (state == STATE_BUSY && pid > 0)
    (void) sigqueue (pid, SIGUSR1, which);
}
