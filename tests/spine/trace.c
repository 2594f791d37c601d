/* What the generated wrappers report: the trace lines of calls and their
 * results (arguments rendered as the shell takes them), and one ENTER
 * event per call.  TAP. */

#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minnow.h"
#include "launched.h"

#define MAX_LINES 16

static char *lines[MAX_LINES];
static size_t nr_lines;
static size_t nr_enter;
static char last_enter[64];
static int test_nr;

static void
capture (minnow_h *g, void *opaque, uint64_t event, int event_handle,
         int flags, const char *buf, size_t buf_len,
         const uint64_t *array, size_t array_len)
{
  if (event == MINNOW_EVENT_ENTER) {
    nr_enter++;
    snprintf (last_enter, sizeof last_enter, "%.*s", (int) buf_len, buf);
  }
  /* The library may also trace the error of a failed call: not ours. */
  else if (event == MINNOW_EVENT_TRACE && nr_lines < MAX_LINES &&
           !(buf_len >= 7 && strncmp (buf, "error: ", 7) == 0))
    lines[nr_lines++] = strndup (buf, buf_len);
}

static void
forget (void)
{
  size_t i;

  for (i = 0; i < nr_lines; ++i)
    free (lines[i]);
  nr_lines = 0;
  nr_enter = 0;
  last_enter[0] = '\0';
}

/* The lines captured since forget () must be exactly call_line and
 * return_line, and ENTER must have fired once with the action's name. */
static void
expect (const char *action, const char *call_line, const char *return_line)
{
  int ok = nr_lines == 2 && strcmp (lines[0], call_line) == 0 &&
    strcmp (lines[1], return_line) == 0 &&
    nr_enter == 1 && strcmp (last_enter, action) == 0;

  printf ("%s %d - %s: trace and ENTER\n", ok ? "ok" : "not ok", ++test_nr,
          action);
  if (!ok) {
    size_t i;

    printf ("# expected: ENTER %s once; %s | %s\n", action, call_line,
            return_line);
    printf ("# got: ENTER %s %zu time(s);", last_enter, nr_enter);
    for (i = 0; i < nr_lines; ++i)
      printf (" %s%s", i > 0 ? "| " : "", lines[i]);
    printf ("\n");
  }
  forget ();
}

int
main (void)
{
  minnow_h *g;
  char *const strs[] = { "x", "y\"", NULL };
  char *const devs[] = { "/dev/sda", NULL };
  char *s, **l;
  size_t size;
  struct minnow_version *v;

  printf ("1..8\n");
  g = launched_handle ();
  if (minnow_set_event_callback (g, capture,
                                 MINNOW_EVENT_TRACE | MINNOW_EVENT_ENTER,
                                 0, NULL) == -1 ||
      minnow_set_trace (g, 1) == -1) {
    printf ("Bail out! cannot capture the trace\n");
    exit (EXIT_FAILURE);
  }
  forget ();

  s = minnow_internal_test_daemon (g, "a\tb", NULL, strs, 1, -7, INT64_C(-8),
                            "\0\1", 2, "/dev/sda", "/dev/sda", "/p q",
                            "/dev/sda", devs, "secret",
                            MINNOW_INTERNAL_TEST_DAEMON_OINT, 5,
                            MINNOW_INTERNAL_TEST_DAEMON_OSTRING, "s",
                            MINNOW_INTERNAL_TEST_DAEMON_OBOOL, 0, -1);
  free (s);
  /* The result is long: check the call line, then just that a result came. */
  if (nr_lines == 2 && strncmp (lines[1], "internal_test_daemon = \"str: ", 29) == 0) {
    free (lines[1]);
    lines[1] = strdup ("internal_test_daemon = ...");
  }
  expect ("internal_test_daemon",
          "internal_test_daemon \"a\\tb\" NULL [\"x\", \"y\\\"\"] true -7 -8 <2 bytes> "
          "\"/dev/sda\" \"/dev/sda\" \"/p q\" \"/dev/sda\" [\"/dev/sda\"] *** "
          "obool:false oint:5 ostring:\"s\"",
          "internal_test_daemon = ...");

  minnow_internal_test_daemon_rint (g, "42");
  expect ("internal_test_daemon_rint", "internal_test_daemon_rint \"42\"",
          "internal_test_daemon_rint = 42");

  minnow_internal_test_daemon_rint (g, "error:ENOENT");
  expect ("internal_test_daemon_rint", "internal_test_daemon_rint \"error:ENOENT\"",
          "internal_test_daemon_rint = -1 (error)");

  s = minnow_pread_device (g, "/dev/sda", 4, 0, &size);
  free (s);
  expect ("pread_device", "pread_device \"/dev/sda\" 4 0",
          "pread_device = <4 bytes>");

  l = minnow_list_devices (g);
  if (l) {
    free (l[0]);
    free (l);
  }
  expect ("list_devices", "list_devices", "list_devices = [\"/dev/sda\"]");

  v = minnow_version (g);
  minnow_free_version (v);
  expect ("version", "version", "version = <struct minnow_version *>");

  minnow_get_trace (g);
  expect ("get_trace", "get_trace", "get_trace = true");

  minnow_internal_test_rconstoptstring (g, "NULL");
  expect ("internal_test_rconstoptstring",
          "internal_test_rconstoptstring \"NULL\"",
          "internal_test_rconstoptstring = NULL");

  minnow_set_trace (g, 0);
  forget ();
  minnow_close (g);
  return EXIT_SUCCESS;
}
