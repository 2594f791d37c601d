/* libminnow: the last error, the error handler, out of memory. */

#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minnow-internal.h"

void
minnow_int_default_error_handler (minnow_h *g, void *opaque, const char *msg)
{
  fprintf (stderr, "libminnow: error: %s\n", msg);
}

/* Each thread that uses a handle has its own last error and error
 * handler stack, found by pthread_self () in a short list.  Entries are
 * freed with the handle, not at thread exit: a thread that ends leaves
 * one small entry, which a later thread with the same pthread_t reuses,
 * so the list stays as long as the number of threads alive at once. */
struct minnow_error_data *
minnow_int_error_data (minnow_h *g)
{
  pthread_t self = pthread_self ();
  struct minnow_error_data *d;

  pthread_mutex_lock (&g->error_lock);
  for (d = g->error_data; d != NULL; d = d->next)
    if (pthread_equal (d->thread, self))
      break;
  if (d == NULL) {
    d = calloc (1, sizeof *d);
    if (d == NULL) {
      pthread_mutex_unlock (&g->error_lock);
      g->abort_cb ();
      return NULL;
    }
    d->thread = self;
    d->next = g->error_data;
    g->error_data = d;
  }
  pthread_mutex_unlock (&g->error_lock);
  return d;
}

void
minnow_int_free_error_data (minnow_h *g)
{
  struct minnow_error_data *d, *next;

  for (d = g->error_data; d != NULL; d = next) {
    next = d->next;
    free (d->last_error);
    free (d->stack);
    free (d);
  }
  g->error_data = NULL;
}

/* The handler in force for this thread. */
static minnow_error_handler_cb
current_handler (minnow_h *g, struct minnow_error_data *d, void **data_r)
{
  if (d->have_cb) {
    *data_r = d->cb_data;
    return d->cb;
  }
  *data_r = g->error_cb_data;
  return g->error_cb;
}

const char *
minnow_last_error (minnow_h *g)
{
  return minnow_int_error_data (g)->last_error;
}

int
minnow_last_errno (minnow_h *g)
{
  return minnow_int_error_data (g)->last_errnum;
}

/* As in libguestfs the handler is per thread; minnow also makes it the
 * handler of every thread that has not set its own, so that a binding
 * that silences it once at creation stays silent in all threads. */
void
minnow_set_error_handler (minnow_h *g, minnow_error_handler_cb cb,
                          void *opaque)
{
  struct minnow_error_data *d = minnow_int_error_data (g);

  MINNOW_LOCK_FOR_SCOPE (g);
  d->have_cb = 1;
  d->cb = cb;
  d->cb_data = opaque;
  g->error_cb = cb;
  g->error_cb_data = opaque;
}

minnow_error_handler_cb
minnow_get_error_handler (minnow_h *g, void **opaque_rtn)
{
  struct minnow_error_data *d = minnow_int_error_data (g);
  minnow_error_handler_cb cb;
  void *data;

  MINNOW_LOCK_FOR_SCOPE (g);
  cb = current_handler (g, d, &data);
  if (opaque_rtn)
    *opaque_rtn = data;
  return cb;
}

/* push and pop change only the calling thread's handler. */
void
minnow_push_error_handler (minnow_h *g, minnow_error_handler_cb cb,
                           void *opaque)
{
  struct minnow_error_data *d = minnow_int_error_data (g);
  void *data;

  MINNOW_LOCK_FOR_SCOPE (g);
  d->stack = minnow_int_safe_realloc (g, d->stack,
                                      (d->nr_stack + 1) * sizeof d->stack[0]);
  d->stack[d->nr_stack].cb = current_handler (g, d, &data);
  d->stack[d->nr_stack].data = data;
  d->nr_stack++;
  d->have_cb = 1;
  d->cb = cb;
  d->cb_data = opaque;
}

/* Popping more than was pushed restores the default handler, as in
 * libguestfs. */
void
minnow_pop_error_handler (minnow_h *g)
{
  struct minnow_error_data *d = minnow_int_error_data (g);

  MINNOW_LOCK_FOR_SCOPE (g);
  d->have_cb = 1;
  if (d->nr_stack == 0) {
    d->cb = minnow_int_default_error_handler;
    d->cb_data = NULL;
    return;
  }
  d->nr_stack--;
  d->cb = d->stack[d->nr_stack].cb;
  d->cb_data = d->stack[d->nr_stack].data;
}

void
minnow_int_quiet_errors_begin (minnow_h *g, struct minnow_saved_error *s)
{
  struct minnow_error_data *d = minnow_int_error_data (g);

  s->msg = d->last_error ? strdup (d->last_error) : NULL;
  s->errnum = d->last_errnum;
  s->have_cb = d->have_cb;
  s->cb = d->cb;
  s->cb_data = d->cb_data;
  d->have_cb = 1;
  d->cb = NULL;
  d->cb_data = NULL;
}

void
minnow_int_quiet_errors_end (minnow_h *g, struct minnow_saved_error *s)
{
  struct minnow_error_data *d = minnow_int_error_data (g);

  d->have_cb = s->have_cb;
  d->cb = s->cb;
  d->cb_data = s->cb_data;
  if (s->msg) {
    free (d->last_error);
    d->last_error = s->msg;
    d->last_errnum = s->errnum;
  }
}

void
minnow_set_out_of_memory_handler (minnow_h *g, minnow_abort_cb cb)
{
  MINNOW_LOCK_FOR_SCOPE (g);
  g->abort_cb = cb;
}

minnow_abort_cb
minnow_get_out_of_memory_handler (minnow_h *g)
{
  MINNOW_LOCK_FOR_SCOPE (g);
  return g->abort_cb;
}

static void
set_last_error (minnow_h *g, int errnum, const char *msg)
{
  struct minnow_error_data *d = minnow_int_error_data (g);
  char *copy = strdup (msg);
  minnow_error_handler_cb cb;
  void *data;

  if (copy == NULL)
    g->abort_cb ();
  free (d->last_error);
  d->last_error = copy;
  d->last_errnum = errnum;
  if (g->trace)
    minnow_int_trace (g, "error: %s", msg);
  cb = current_handler (g, d, &data);
  if (cb)
    cb (g, data, msg);
}

void
minnow_int_error_errno (minnow_h *g, int errnum, const char *fs, ...)
{
  va_list args;
  char *msg;
  int r;

  va_start (args, fs);
  r = vasprintf (&msg, fs, args);
  va_end (args);
  if (r == -1)
    g->abort_cb ();
  set_last_error (g, errnum, msg);
  free (msg);
}

void
minnow_int_perrorf (minnow_h *g, const char *fs, ...)
{
  int errnum = errno;
  va_list args;
  char *msg, *full;
  int r;

  va_start (args, fs);
  r = vasprintf (&msg, fs, args);
  va_end (args);
  if (r == -1)
    g->abort_cb ();
  if (asprintf (&full, "%s: %s", msg, strerror (errnum)) == -1)
    g->abort_cb ();
  set_last_error (g, errnum, full);
  free (full);
  free (msg);
}

void *
minnow_int_safe_malloc (minnow_h *g, size_t n)
{
  void *p = malloc (n ? n : 1);

  if (p == NULL)
    g->abort_cb ();
  return p;
}

void *
minnow_int_safe_calloc (minnow_h *g, size_t n, size_t s)
{
  void *p = calloc (n ? n : 1, s ? s : 1);

  if (p == NULL)
    g->abort_cb ();
  return p;
}

void *
minnow_int_safe_realloc (minnow_h *g, void *p, size_t n)
{
  void *q = realloc (p, n ? n : 1);

  if (q == NULL)
    g->abort_cb ();
  return q;
}

char *
minnow_int_safe_strdup (minnow_h *g, const char *s)
{
  char *p = strdup (s);

  if (p == NULL)
    g->abort_cb ();
  return p;
}

char *
minnow_int_safe_strndup (minnow_h *g, const char *s, size_t n)
{
  char *p = strndup (s, n);

  if (p == NULL)
    g->abort_cb ();
  return p;
}

void *
minnow_int_safe_memdup (minnow_h *g, const void *p, size_t n)
{
  void *q = minnow_int_safe_malloc (g, n);

  memcpy (q, p, n);
  return q;
}

char *
minnow_int_safe_asprintf (minnow_h *g, const char *fs, ...)
{
  va_list args;
  char *s;
  int r;

  va_start (args, fs);
  r = vasprintf (&s, fs, args);
  va_end (args);
  if (r == -1)
    g->abort_cb ();
  return s;
}
