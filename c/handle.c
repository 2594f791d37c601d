/* libminnow: creating and closing handles, and the library-side actions
 * that only read or set a handle's fields. */

#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_VALGRIND_HELGRIND_H
#include <valgrind/helgrind.h>
#endif

#include "minnow-internal.h"
#include "actions-internal.h"

/* Every open handle, for the atexit handler. */
static pthread_mutex_t handles_lock = PTHREAD_MUTEX_INITIALIZER;
static minnow_h *handles;
static int atexit_registered;

static void close_handles (void);
static int init_locks (minnow_h *g);

minnow_h *
minnow_create (void)
{
  return minnow_create_flags (0);
}

minnow_h *
minnow_create_flags (unsigned flags, ...)
{
  minnow_h *g;

  g = calloc (1, sizeof *g);
  if (g == NULL)
    return NULL;
  if (init_locks (g) == -1) {
    free (g);
    return NULL;
  }
#ifdef HAVE_VALGRIND_HELGRIND_H
  /* user_cancel is a signal-safe flag, set without the lock from any
   * thread or a signal handler and read by the call in progress. */
  VALGRIND_HG_DISABLE_CHECKING (&g->user_cancel, sizeof g->user_cancel);
  /* user_cancel also reads these three (c/cancel.c) to signal the
   * daemon, with relaxed atomic loads helgrind cannot see as such. */
  VALGRIND_HG_DISABLE_CHECKING (&g->state, sizeof g->state);
  VALGRIND_HG_DISABLE_CHECKING (&g->serial, sizeof g->serial);
  VALGRIND_HG_DISABLE_CHECKING (&g->cancel_pid, sizeof g->cancel_pid);
#endif
  g->create_flags = flags;
  g->state = STATE_CONFIG;
  g->error_cb = minnow_int_default_error_handler;
  g->abort_cb = abort;
  g->sock = -1;
  g->stderr_fd = -1;
  g->exit_status = -1;
  g->autosync = 1;
  g->backend = strdup ("local");
  if (g->backend == NULL || minnow_int_init_properties (g) == -1)
    goto error;

  if (!(flags & MINNOW_CREATE_NO_ENVIRONMENT) &&
      minnow_impl_parse_environment (g) == -1)
    goto error;

  pthread_mutex_lock (&handles_lock);
  g->next = handles;
  handles = g;
  if (!atexit_registered) {
    atexit (close_handles);
    atexit_registered = 1;
  }
  pthread_mutex_unlock (&handles_lock);

  debug (g, "create: flags = %u, backend = %s", flags, g->backend);
  return g;

 error:
  minnow_int_free_properties (g);
  minnow_int_free_error_data (g);
  free (g->backend);
  pthread_mutex_destroy (&g->lock);
  pthread_mutex_destroy (&g->error_lock);
  free (g);
  return NULL;
}

/* The handle lock is recursive: an event callback may call back into the
 * handle from the thread that runs it. */
static int
init_locks (minnow_h *g)
{
  pthread_mutexattr_t attr;
  int r;

  if (pthread_mutexattr_init (&attr) != 0)
    return -1;
  r = pthread_mutexattr_settype (&attr, PTHREAD_MUTEX_RECURSIVE);
  if (r == 0)
    r = pthread_mutex_init (&g->lock, &attr);
  pthread_mutexattr_destroy (&attr);
  if (r != 0)
    return -1;
  if (pthread_mutex_init (&g->error_lock, NULL) != 0) {
    pthread_mutex_destroy (&g->lock);
    return -1;
  }
  return 0;
}

minnow_h *
minnow_int_lock (minnow_h *g)
{
  pthread_mutex_lock (&g->lock);
  return g;
}

void
minnow_int_unlock_cleanup (minnow_h **gp)
{
  if (*gp != NULL)
    pthread_mutex_unlock (&(*gp)->lock);
}

/* close waits for a call running in another thread to finish, then
 * closes.  It must be the last use of the handle: a thread that calls
 * in after it (or waits on the lock while it frees) uses freed memory,
 * as with any library's close. */
void
minnow_close (minnow_h *g)
{
  minnow_h **pp;
  size_t i;

  if (g == NULL)
    return;
  pthread_mutex_lock (&g->lock);
  /* The call that runs the callback still uses the handle: freeing it
   * here would pull it from under that call. */
  if (g->in_callback > 0) {
    minnow_int_error_errno (g, EBUSY, "close: cannot close the handle from "
                            "inside one of its event callbacks");
    pthread_mutex_unlock (&g->lock);
    return;
  }

  if (g->trace)
    minnow_int_trace (g, "close");
  debug (g, "closing handle %p", (void *) g);

  /* Autosync first, so that nothing written is lost. */
  if (g->autosync && g->state == STATE_READY) {
    if (minnow_sync (g) == -1)
      minnow_int_warning (g, "autosync failed: %s",
                          minnow_last_error (g) ? minnow_last_error (g) : "");
  }

  if (g->state != STATE_CONFIG)
    minnow_int_shutdown (g, 0);

  /* As libguestfs: after the daemon has gone (SUBPROCESS_QUIT first). */
  minnow_int_call_callbacks_void (g, MINNOW_EVENT_CLOSE);

  pthread_mutex_lock (&handles_lock);
  for (pp = &handles; *pp != NULL; pp = &(*pp)->next)
    if (*pp == g) {
      *pp = g->next;
      break;
    }
  pthread_mutex_unlock (&handles_lock);

  minnow_int_free_drives (g);
  for (i = 0; i < g->nr_pda; ++i)
    free (g->pda[i].key);
  free (g->pda);
  free (g->events);
  free (g->backend);
  minnow_int_free_error_data (g);
  free (g->const_string);
  if (g->test_fp)
    fclose (g->test_fp);
  minnow_int_free_properties (g);
  if (g->rbuf.data)
    minnow_rbuf_free (&g->rbuf);
  free (g->wbuf);
  pthread_mutex_unlock (&g->lock);
  pthread_mutex_destroy (&g->lock);
  pthread_mutex_destroy (&g->error_lock);
  free (g);
}

/* Closes what the program left open (unless created with
 * MINNOW_CREATE_NO_CLOSE_ON_EXIT), so that daemons are reaped and scratch
 * drives removed. */
static void
close_handles (void)
{
  for (;;) {
    minnow_h *g;

    pthread_mutex_lock (&handles_lock);
    for (g = handles; g != NULL; g = g->next)
      if (!(g->create_flags & MINNOW_CREATE_NO_CLOSE_ON_EXIT))
        break;
    pthread_mutex_unlock (&handles_lock);
    if (g == NULL)
      return;
    minnow_close (g);
  }
}

int
minnow_impl_set_trace (minnow_h *g, int trace)
{
  g->trace = trace != 0;
  return 0;
}

int
minnow_impl_get_trace (minnow_h *g)
{
  return g->trace;
}

int
minnow_impl_set_verbose (minnow_h *g, int verbose)
{
  g->verbose = verbose != 0;
  return 0;
}

int
minnow_impl_get_verbose (minnow_h *g)
{
  return g->verbose;
}

int
minnow_impl_set_autosync (minnow_h *g, int autosync)
{
  g->autosync = autosync != 0;
  return 0;
}

int
minnow_impl_get_autosync (minnow_h *g)
{
  return g->autosync;
}

int
minnow_impl_set_backend (minnow_h *g, const char *backend)
{
  char *copy;

  if (strcmp (backend, "local") != 0 && strcmp (backend, "direct") != 0 &&
      !(strncmp (backend, "unix:", 5) == 0 && backend[5] == '/')) {
    minnow_int_error_errno (g, EINVAL,
                            "set_backend: \"%s\": unknown backend "
                            "(expected \"local\" or \"unix:/PATH\")",
                            backend);
    return -1;
  }
  /* "direct" is libguestfs's name for its default: accept it as local. */
  copy = minnow_int_safe_strdup (g, strcmp (backend, "direct") == 0
                                 ? "local" : backend);
  free (g->backend);
  g->backend = copy;
  return 0;
}

char *
minnow_impl_get_backend (minnow_h *g)
{
  return minnow_int_safe_strdup (g, g->backend);
}

int
minnow_impl_is_config (minnow_h *g)
{
  return g->state == STATE_CONFIG;
}

int
minnow_impl_is_launching (minnow_h *g)
{
  return g->state == STATE_LAUNCHING;
}

int
minnow_impl_is_ready (minnow_h *g)
{
  return g->state == STATE_READY;
}

int
minnow_impl_is_busy (minnow_h *g)
{
  return g->state == STATE_BUSY;
}

int
minnow_impl_get_pid (minnow_h *g)
{
  if (g->state == STATE_CONFIG || g->pid <= 0) {
    minnow_int_error (g, "get_pid: no daemon process: the handle is not "
                      "launched, or uses the unix: backend");
    return -1;
  }
  return (int) g->pid;
}

struct minnow_version *
minnow_impl_version (minnow_h *g)
{
  struct minnow_version *v;
  long long major = 0, minor = 0, release = 0;
  int n = 0;

  v = minnow_int_safe_malloc (g, sizeof *v);
  sscanf (PACKAGE_VERSION, "%lld.%lld.%lld%n", &major, &minor, &release, &n);
  v->major = major;
  v->minor = minor;
  v->release = release;
  v->extra = minnow_int_safe_strdup (g, PACKAGE_VERSION + n);
  return v;
}
