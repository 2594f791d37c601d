/* libminnow: launch and shutdown, whatever the backend. */

#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "minnow-internal.h"
#include "actions-internal.h"

/* How long launch waits for the daemon's launch flag, unless
 * MINNOW_LAUNCH_TIMEOUT (seconds) says otherwise. */
#define DEFAULT_LAUNCH_TIMEOUT_MS 30000

int64_t
minnow_int_now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

const char *
minnow_int_daemon_path (void)
{
  const char *p = getenv ("MINNOW_DAEMON");

  return p && p[0] ? p : MINNOWD_PATH;
}

static int
launch_timeout_ms (void)
{
  const char *s = getenv ("MINNOW_LAUNCH_TIMEOUT");
  int secs;

  if (s && (secs = atoi (s)) > 0)
    return secs * 1000;
  return DEFAULT_LAUNCH_TIMEOUT_MS;
}

int
minnow_impl_launch (minnow_h *g)
{
  const struct backend_ops *ops;
  const char *arg = NULL;
  int64_t t0 = minnow_int_now_ns ();

  if (g->state != STATE_CONFIG) {
    minnow_int_error (g, "launch: the handle has already been launched");
    return -1;
  }
  if (strncmp (g->backend, "unix:", 5) == 0) {
    ops = &minnow_backend_unix;
    arg = g->backend + 5;
  }
  else
    ops = &minnow_backend_local;

  if (g->rbuf.data == NULL && minnow_rbuf_init (&g->rbuf) == -1)
    g->abort_cb ();
  minnow_rbuf_reset (&g->rbuf);
  if (g->wbuf == NULL)
    g->wbuf = minnow_int_safe_malloc (g, MINNOW_RBUF_SIZE);
  g->stderr_tail_len = 0;
  g->serial = 0;

  g->state = STATE_LAUNCHING;
  g->ops = ops;
  debug (g, "launch: backend %s", g->backend);
  if (ops->launch (g, arg) == -1) {
    g->ops = NULL;
    g->state = STATE_CONFIG;
    return -1;
  }
  if (minnow_int_wait_launch_flag (g, launch_timeout_ms ()) == -1) {
    /* The error is set; the daemon may already be gone. */
    if (g->state != STATE_CONFIG)
      minnow_int_shutdown (g, 0);
    return -1;
  }
  g->state = STATE_READY;
  debug (g, "launch: daemon ready after %lld us",
         (long long) (minnow_int_now_ns () - t0) / 1000);
  minnow_int_call_callbacks_void (g, MINNOW_EVENT_LAUNCH_DONE);
  return 0;
}

/* Tears the connection down and reaps the daemon.  With check_errors, a
 * daemon that did not exit cleanly is an error. */
int
minnow_int_shutdown (minnow_h *g, int check_errors)
{
  int status = -1, ret = 0;

  if (g->ops == NULL) {
    g->state = STATE_CONFIG;
    return 0;
  }
  g->ops->shutdown (g, &status);
  g->exit_status = status;
  g->ops = NULL;
  g->state = STATE_CONFIG;
  if (check_errors && status > 0) {
    if (WIFSIGNALED (status))
      minnow_int_error (g, "shutdown: the daemon was killed by signal %d",
                        WTERMSIG (status));
    else
      minnow_int_error (g, "shutdown: the daemon exited with status %d",
                        WEXITSTATUS (status));
    ret = -1;
  }
  minnow_int_call_callbacks_void (g, MINNOW_EVENT_SUBPROCESS_QUIT);
  return ret;
}

void
minnow_int_daemon_gone (minnow_h *g)
{
  if (g->ops != NULL)
    debug (g, "the daemon went away");
  minnow_int_shutdown (g, 0);
}

int
minnow_impl_shutdown (minnow_h *g)
{
  int r = 0;

  if (g->state == STATE_CONFIG)
    return 0;
  if (g->state == STATE_BUSY) {
    minnow_int_error (g, "shutdown: the handle is busy: another call is in "
                      "progress");
    return -1;
  }
  /* As libguestfs: an orderly shutdown syncs first (autosync). */
  if (g->autosync && g->state == STATE_READY && minnow_sync (g) == -1)
    r = -1;
  if (minnow_int_shutdown (g, 1) == -1)
    r = -1;
  return r;
}
