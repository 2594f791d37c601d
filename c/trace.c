/* libminnow: the ENTER event and trace output.
 *
 * A trace line shows a call the way the shell would take it: strings
 * double-quoted with C escapes, NULL as NULL, lists as ["a", "b"]. */

#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minnow-internal.h"
#include "quote.h"

void
minnow_int_enter (minnow_h *g, const char *name)
{
  if (g->nr_events > 0)
    minnow_int_call_callbacks_message (g, MINNOW_EVENT_ENTER,
                                       name, strlen (name));
}

static void
vtrace (minnow_h *g, const char *prefix, const char *fs, va_list args)
{
  char *body, *line;
  int r;

  if (vasprintf (&body, fs, args) == -1)
    return;
  /* set_identifier names the handle at the start of each line. */
  r = asprintf (&line, "%s%s%s%s", g->identifier ? g->identifier : "",
                g->identifier && g->identifier[0] ? ": " : "", prefix, body);
  free (body);
  if (r == -1)
    return;
  minnow_int_call_callbacks_message (g, MINNOW_EVENT_TRACE, line, r);
  free (line);
}

void
minnow_int_trace (minnow_h *g, const char *fs, ...)
{
  va_list args;

  va_start (args, fs);
  vtrace (g, "", fs, args);
  va_end (args);
}

/* "NAME ARGS" (the generator formats ARGS; "" for none). */
void
minnow_int_trace_call (minnow_h *g, const char *name, const char *fs, ...)
{
  va_list args;
  char *prefix;

  if (!g->trace)
    return;
  if (fs[0] == '\0') {
    minnow_int_trace (g, "%s", name);
    return;
  }
  if (asprintf (&prefix, "%s ", name) == -1)
    return;
  va_start (args, fs);
  vtrace (g, prefix, fs, args);
  va_end (args);
  free (prefix);
}

/* "NAME = RESULT". */
void
minnow_int_trace_return (minnow_h *g, const char *name, const char *fs, ...)
{
  va_list args;
  char *prefix;

  if (!g->trace)
    return;
  if (asprintf (&prefix, "%s = ", name) == -1)
    return;
  va_start (args, fs);
  vtrace (g, prefix, fs, args);
  va_end (args);
  free (prefix);
}

char *
minnow_int_trace_quote (minnow_h *g, const char *str)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *fp;

  if (str == NULL)
    return minnow_int_safe_strdup (g, "NULL");
  fp = open_memstream (&buf, &len);
  if (fp == NULL)
    g->abort_cb ();
  minnow_fprint_quoted (fp, str, strlen (str));
  fclose (fp);
  return buf;
}

char *
minnow_int_trace_quote_list (minnow_h *g, char *const *list)
{
  char *buf = NULL;
  size_t len = 0, i;
  FILE *fp;

  if (list == NULL)
    return minnow_int_safe_strdup (g, "NULL");
  fp = open_memstream (&buf, &len);
  if (fp == NULL)
    g->abort_cb ();
  fputc ('[', fp);
  for (i = 0; list[i] != NULL; ++i) {
    if (i > 0)
      fputs (", ", fp);
    minnow_fprint_quoted (fp, list[i], strlen (list[i]));
  }
  fputc (']', fp);
  fclose (fp);
  return buf;
}
