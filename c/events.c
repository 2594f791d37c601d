/* libminnow: event callbacks. */

#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minnow-internal.h"

static const char *const event_names[] = {
  "close", "subprocess_quit", "launch_done", "progress",
  "appliance", "library", "trace", "enter", "libvirt_auth", "warning",
};
#define NR_EVENT_NAMES (sizeof event_names / sizeof event_names[0])

int
minnow_set_event_callback (minnow_h *g, minnow_event_callback cb,
                           uint64_t event_bitmask, int flags, void *opaque)
{
  MINNOW_LOCK_FOR_SCOPE (g);
  if (cb == NULL) {
    minnow_int_error_errno (g, EINVAL, "set_event_callback: callback is NULL");
    return -1;
  }
  if (event_bitmask == 0 || (event_bitmask & ~MINNOW_EVENT_ALL) != 0) {
    minnow_int_error_errno (g, EINVAL,
                            "set_event_callback: bad event bitmask 0x%llx",
                            (unsigned long long) event_bitmask);
    return -1;
  }
  if (flags != 0) {
    minnow_int_error_errno (g, EINVAL,
                            "set_event_callback: flags must be 0");
    return -1;
  }
  g->events = minnow_int_safe_realloc (g, g->events,
                                       (g->nr_events + 1) * sizeof g->events[0]);
  g->events[g->nr_events].bitmask = event_bitmask;
  g->events[g->nr_events].cb = cb;
  g->events[g->nr_events].opaque = opaque;
  g->events[g->nr_events].flags = flags;
  return (int) g->nr_events++;
}

void
minnow_delete_event_callback (minnow_h *g, int event_handle)
{
  MINNOW_LOCK_FOR_SCOPE (g);
  if (event_handle < 0 || (size_t) event_handle >= g->nr_events)
    return;
  g->events[event_handle].bitmask = 0;
  g->events[event_handle].cb = NULL;
}

char *
minnow_event_to_string (uint64_t event_bitmask)
{
  char *s, *p;
  size_t i, n = 1;

  for (i = 0; i < NR_EVENT_NAMES; ++i)
    n += strlen (event_names[i]) + 1;
  s = p = malloc (n);
  if (s == NULL)
    return NULL;
  *p = '\0';
  for (i = 0; i < NR_EVENT_NAMES; ++i) {
    if (!(event_bitmask & (UINT64_C(1) << i)))
      continue;
    if (p != s)
      *p++ = ',';
    strcpy (p, event_names[i]);
    p += strlen (p);
  }
  return s;
}

int
minnow_int_has_callback (minnow_h *g, uint64_t event)
{
  size_t i;

  for (i = 0; i < g->nr_events; ++i)
    if (g->events[i].bitmask & event)
      return 1;
  return 0;
}

/* Callbacks may add or delete callbacks, so index the array afresh at
 * each step. */
static void
call_callbacks (minnow_h *g, uint64_t event, const char *buf, size_t buf_len,
                const uint64_t *array, size_t array_len)
{
  size_t i;

  for (i = 0; i < g->nr_events; ++i) {
    struct event_cb e = g->events[i];

    if (e.bitmask & event) {
      g->in_callback++;
      e.cb (g, e.opaque, event, (int) i, e.flags, buf, buf_len,
            array, array_len);
      g->in_callback--;
    }
  }
}

void
minnow_int_call_callbacks_void (minnow_h *g, uint64_t event)
{
  call_callbacks (g, event, NULL, 0, NULL, 0);
}

void
minnow_int_call_callbacks_message (minnow_h *g, uint64_t event,
                                   const char *buf, size_t buf_len)
{
  /* Without a callback, debug output goes to stderr as libguestfs's does. */
  if (!minnow_int_has_callback (g, event)) {
    if (event == MINNOW_EVENT_LIBRARY)
      fprintf (stderr, "libminnow: %.*s\n", (int) buf_len, buf);
    else if (event == MINNOW_EVENT_TRACE)
      fprintf (stderr, "libminnow: trace: %.*s\n", (int) buf_len, buf);
    else if (event == MINNOW_EVENT_APPLIANCE)
      fwrite (buf, 1, buf_len, stderr);
    else if (event == MINNOW_EVENT_WARNING)
      fprintf (stderr, "libminnow: warning: %.*s\n", (int) buf_len, buf);
    return;
  }
  call_callbacks (g, event, buf, buf_len, NULL, 0);
}

void
minnow_int_call_callbacks_array (minnow_h *g, uint64_t event,
                                 const uint64_t *array, size_t len)
{
  call_callbacks (g, event, NULL, 0, array, len);
}

void
minnow_int_debug (minnow_h *g, const char *fs, ...)
{
  va_list args;
  char *msg;
  int r;

  va_start (args, fs);
  r = vasprintf (&msg, fs, args);
  va_end (args);
  if (r == -1)
    return;
  minnow_int_call_callbacks_message (g, MINNOW_EVENT_LIBRARY, msg, r);
  free (msg);
}

void
minnow_int_warning (minnow_h *g, const char *fs, ...)
{
  va_list args;
  char *msg;
  int r;

  va_start (args, fs);
  r = vasprintf (&msg, fs, args);
  va_end (args);
  if (r == -1)
    return;
  minnow_int_call_callbacks_message (g, MINNOW_EVENT_WARNING, msg, r);
  free (msg);
}
