/* The parts of libguestfs's handle API that libguestfs programs use and
 * that api.def tests cannot reach: push/pop_error_handler, the WARNING
 * event, event_to_string of the new events, the identifier in trace
 * lines, the environment variables read by create and parse_environment,
 * and tmpdir being where scratch drives go. */

#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minnow.h"
#include "tap.h"

static int handler_calls[2];

static void
count_error (minnow_h *g, void *opaque, const char *msg)
{
  (void) g;
  (void) msg;
  handler_calls[*(int *) opaque]++;
}

static char last_event_buf[512];
static int event_calls;

static void
record_event (minnow_h *g, void *opaque, uint64_t event, int eh, int flags,
              const char *buf, size_t buf_len, const uint64_t *array,
              size_t array_len)
{
  (void) g; (void) opaque; (void) event; (void) eh; (void) flags;
  (void) array; (void) array_len;
  event_calls++;
  snprintf (last_event_buf, sizeof last_event_buf, "%.*s", (int) buf_len,
            buf ? buf : "");
}

static minnow_h *
quiet_handle (void)
{
  minnow_h *g = minnow_create_flags (MINNOW_CREATE_NO_ENVIRONMENT);

  if (g == NULL) {
    printf ("Bail out! minnow_create_flags failed\n");
    exit (EXIT_FAILURE);
  }
  minnow_set_error_handler (g, NULL, NULL);
  return g;
}

int
main (void)
{
  minnow_h *g;
  int zero = 0, one = 1;
  void *opaque;
  char *s;
  const char *daemon = getenv ("MINNOW_DAEMON");

  tap_plan (26);

  /* push/pop_error_handler. */
  g = quiet_handle ();
  minnow_push_error_handler (g, count_error, &zero);
  minnow_set_memsize (g, 0);
  tap_is_int (handler_calls[0], 1, "a pushed error handler is called");
  minnow_push_error_handler (g, count_error, &one);
  minnow_set_memsize (g, 0);
  tap_ok (handler_calls[0] == 1 && handler_calls[1] == 1,
          "a second push replaces it");
  minnow_push_error_handler (g, NULL, NULL);
  minnow_set_memsize (g, 0);
  tap_ok (handler_calls[0] == 1 && handler_calls[1] == 1,
          "pushing NULL silences errors");
  tap_is_int (minnow_last_errno (g), EINVAL, "... which still set last_errno");
  minnow_pop_error_handler (g);
  minnow_set_memsize (g, 0);
  tap_is_int (handler_calls[1], 2, "pop restores the second handler");
  minnow_pop_error_handler (g);
  minnow_set_memsize (g, 0);
  tap_is_int (handler_calls[0], 2, "pop restores the first handler");
  minnow_pop_error_handler (g);
  tap_ok (minnow_get_error_handler (g, &opaque) == NULL,
          "the last pop restores what was set before the first push");
  minnow_pop_error_handler (g);
  tap_ok (minnow_get_error_handler (g, &opaque) != NULL,
          "a pop with nothing pushed sets the default handler");
  minnow_close (g);

  /* Event names. */
  s = minnow_event_to_string (MINNOW_EVENT_WARNING | MINNOW_EVENT_LIBVIRT_AUTH);
  tap_is_str (s, "libvirt_auth,warning", "event_to_string of the new events");
  free (s);
  tap_ok (MINNOW_EVENT_WARNING == 0x200 && MINNOW_EVENT_LIBVIRT_AUTH == 0x100,
          "the event bits are libguestfs's");

  /* WARNING: the unix: backend ignores added drives and says so. */
  g = quiet_handle ();
  tap_ok (minnow_set_event_callback (g, record_event, MINNOW_EVENT_WARNING,
                                     0, NULL) >= 0, "a WARNING callback");
  minnow_set_backend (g, "unix:/nonexistent/minnow.sock");
  minnow_add_drive_scratch (g, 1 << 20, -1);
  tap_is_int (minnow_launch (g), -1, "launch on a missing socket fails");
  tap_is_int (event_calls, 1, "... after one WARNING event");
  tap_ok (strstr (last_event_buf, "ignores the 1 drive") != NULL,
          "... saying the drive is ignored: %s", last_event_buf);
  minnow_close (g);

  /* The identifier starts each trace line. */
  g = quiet_handle ();
  event_calls = 0;
  minnow_set_event_callback (g, record_event, MINNOW_EVENT_TRACE, 0, NULL);
  minnow_set_identifier (g, "h1");
  minnow_set_trace (g, 1);
  minnow_get_memsize (g);
  tap_is_str (last_event_buf, "h1: get_memsize = 768",
              "set_identifier prefixes trace lines");
  minnow_set_identifier (g, "");
  minnow_get_memsize (g);
  tap_is_str (last_event_buf, "get_memsize = 768",
              "an empty identifier removes the prefix");
  minnow_close (g);

  /* tmpdir is where scratch drives are made. */
  g = quiet_handle ();
  tap_is_int (minnow_set_tmpdir (g, "/nonexistent-minnow-tmpdir"), 0,
              "set_tmpdir");
  tap_is_int (minnow_add_drive_scratch (g, 1 << 20, -1), -1,
              "add_drive_scratch fails in a missing tmpdir");
  tap_ok (strstr (minnow_last_error (g), "/nonexistent-minnow-tmpdir") != NULL,
          "... naming it: %s", minnow_last_error (g));
  /* get_path's default is the daemon's directory. */
  if (daemon && strrchr (daemon, '/') && strrchr (daemon, '/') != daemon) {
    size_t n = strrchr (daemon, '/') - daemon;
    tap_ok (strncmp (minnow_get_path (g), daemon, n) == 0 &&
            minnow_get_path (g)[n] == '\0',
            "get_path defaults to the daemon's directory: %s",
            minnow_get_path (g));
  }
  else
    tap_skip ("MINNOW_DAEMON not set to a path", "get_path's default");
  minnow_close (g);

  /* The environment: read by create, ignored with NO_ENVIRONMENT, read
   * again by parse_environment. */
  setenv ("MINNOW_MEMSIZE", "999", 1);
  setenv ("MINNOW_TMPDIR", "/var/tmp", 1);
  setenv ("MINNOW_BACKEND_SETTINGS", "a=1:b", 1);
  g = minnow_create ();
  tap_ok (g != NULL && minnow_get_memsize (g) == 999,
          "minnow_create reads MINNOW_MEMSIZE");
  s = g ? minnow_get_tmpdir (g) : NULL;
  tap_is_str (s, "/var/tmp", "... and MINNOW_TMPDIR");
  free (s);
  s = g ? minnow_get_backend_setting (g, "b") : NULL;
  tap_is_str (s, "1", "... and MINNOW_BACKEND_SETTINGS");
  free (s);
  minnow_close (g);
  g = quiet_handle ();
  tap_is_int (minnow_get_memsize (g), 768,
              "MINNOW_CREATE_NO_ENVIRONMENT ignores it");
  tap_ok (minnow_parse_environment (g) == 0 && minnow_get_memsize (g) == 999,
          "parse_environment reads it");
  minnow_close (g);
  setenv ("MINNOW_MEMSIZE", "lots", 1);
  g = minnow_create_flags (0);
  tap_ok (g == NULL, "a bad MINNOW_MEMSIZE makes minnow_create fail");
  minnow_close (g);
  unsetenv ("MINNOW_MEMSIZE");
  unsetenv ("MINNOW_TMPDIR");
  unsetenv ("MINNOW_BACKEND_SETTINGS");

  return tap_done ();
}
