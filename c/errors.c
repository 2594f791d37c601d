/* libminnow: the last error, the error handler, out of memory. */

#include <config.h>

#include <errno.h>
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

const char *
minnow_last_error (minnow_h *g)
{
  return g->last_error;
}

int
minnow_last_errno (minnow_h *g)
{
  return g->last_errnum;
}

void
minnow_set_error_handler (minnow_h *g, minnow_error_handler_cb cb,
                          void *opaque)
{
  g->error_cb = cb;
  g->error_cb_data = opaque;
}

minnow_error_handler_cb
minnow_get_error_handler (minnow_h *g, void **opaque_rtn)
{
  if (opaque_rtn)
    *opaque_rtn = g->error_cb_data;
  return g->error_cb;
}

void
minnow_push_error_handler (minnow_h *g, minnow_error_handler_cb cb,
                           void *opaque)
{
  g->error_stack = minnow_int_safe_realloc (g, g->error_stack,
                                            (g->nr_error_stack + 1)
                                            * sizeof g->error_stack[0]);
  g->error_stack[g->nr_error_stack].cb = g->error_cb;
  g->error_stack[g->nr_error_stack].data = g->error_cb_data;
  g->nr_error_stack++;
  minnow_set_error_handler (g, cb, opaque);
}

/* Popping more than was pushed restores the default handler, as in
 * libguestfs. */
void
minnow_pop_error_handler (minnow_h *g)
{
  if (g->nr_error_stack == 0) {
    minnow_set_error_handler (g, minnow_int_default_error_handler, NULL);
    return;
  }
  g->nr_error_stack--;
  minnow_set_error_handler (g, g->error_stack[g->nr_error_stack].cb,
                            g->error_stack[g->nr_error_stack].data);
}

void
minnow_set_out_of_memory_handler (minnow_h *g, minnow_abort_cb cb)
{
  g->abort_cb = cb;
}

minnow_abort_cb
minnow_get_out_of_memory_handler (minnow_h *g)
{
  return g->abort_cb;
}

static void
set_last_error (minnow_h *g, int errnum, const char *msg)
{
  char *copy = strdup (msg);

  if (copy == NULL)
    g->abort_cb ();
  free (g->last_error);
  g->last_error = copy;
  g->last_errnum = errnum;
  if (g->trace)
    minnow_int_trace (g, "error: %s", msg);
  if (g->error_cb)
    g->error_cb (g, g->error_cb_data, msg);
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
