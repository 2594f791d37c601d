/* libminnow: passing the user's cancel on to the daemon.
 *
 * minnow_user_cancel may be called from a signal handler or from
 * another thread while a call runs, so this only reads the handle and
 * sends a signal: no lock, no allocation.  The daemon of the local
 * backend is our child; SIGUSR1 asks it to stop the running call (see
 * daemon/lifeline.c), which then fails with EINTR.  A daemon reached
 * through unix:PATH is nobody's child here: only transfers can be
 * cancelled there, by the cancel flag on their stream (proto.c). */

#include <config.h>

#include <signal.h>
#include <sys/types.h>

#include "minnow-internal.h"

void
minnow_int_cancel_daemon (minnow_h *g)
{
  pid_t pid = g->pid;

  if (g->state == STATE_BUSY && pid > 0 && g->ops == &minnow_backend_local)
    (void) kill (pid, SIGUSR1);
}
