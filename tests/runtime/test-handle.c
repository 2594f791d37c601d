/* The handle without a daemon: the state machine's errors, last_error and
 * last_errno, the error handler, events (several callbacks per class,
 * delete, CLOSE, ENTER, TRACE, LIBRARY), private data, the environment
 * variables, and add_drive's checks. */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "minnow.h"
#include "tap.h"

struct seen {
  int calls;
  uint64_t last_event;
  int last_handle;
  char last_buf[256];
  char lines[8][128];
  int nr_lines;
};

static void
record (minnow_h *g, void *opaque, uint64_t event, int eh, int flags,
        const char *buf, size_t buf_len, const uint64_t *array,
        size_t array_len)
{
  struct seen *s = opaque;

  s->calls++;
  s->last_event = event;
  s->last_handle = eh;
  snprintf (s->last_buf, sizeof s->last_buf, "%.*s", (int) buf_len,
            buf ? buf : "");
  if (s->nr_lines < 8)
    snprintf (s->lines[s->nr_lines++], sizeof s->lines[0], "%.*s",
              (int) buf_len, buf ? buf : "");
}

/* A line equal to (exact) or starting with text. */
static int
find_line (const struct seen *s, const char *text, int exact)
{
  int i;

  for (i = 0; i < s->nr_lines; ++i)
    if (exact ? strcmp (s->lines[i], text) == 0
        : strncmp (s->lines[i], text, strlen (text)) == 0)
      return 1;
  for (i = 0; i < s->nr_lines; ++i)
    tap_diag ("trace line: %s", s->lines[i]);
  return 0;
}

static void oom (void) __attribute__((noreturn));

static void
oom (void)
{
  exit (EXIT_FAILURE);
}

struct errors {
  int calls;
  char msg[512];
  void *opaque_seen;
};

static void
on_error (minnow_h *g, void *opaque, const char *msg)
{
  struct errors *e = opaque;

  e->calls++;
  e->opaque_seen = opaque;
  snprintf (e->msg, sizeof e->msg, "%s", msg);
}

/* Runs the default error handler with stderr sent to a file, and
 * returns what it printed. */
static char *
default_handler_output (void)
{
  char path[] = "/tmp/minnow-test-handleXXXXXX";
  int fd = mkstemp (path), saved = dup (2);
  minnow_h *g = minnow_create_flags (MINNOW_CREATE_NO_ENVIRONMENT);
  char *buf = calloc (1, 1024);

  unlink (path);
  fflush (stderr);
  dup2 (fd, 2);
  minnow_list_devices (g);
  fflush (stderr);
  dup2 (saved, 2);
  close (saved);
  if (pread (fd, buf, 1023, 0) < 0)
    buf[0] = '\0';
  close (fd);
  minnow_close (g);
  return buf;
}

int
main (void)
{
  struct errors errs = { 0 };
  struct seen a = { 0 }, b = { 0 }, closing = { 0 };
  minnow_h *g;
  const char *key;
  void *opaque;
  char *s;
  struct minnow_version *v;
  int eh1, eh2, i;

  tap_plan (57);

  /* Environment. */
  setenv ("MINNOW_BACKEND", "unix:/tmp/no-such-socket", 1);
  setenv ("MINNOW_TRACE", "1", 1);
  setenv ("MINNOW_DEBUG", "1", 1);
  g = minnow_create ();
  s = minnow_get_backend (g);
  tap_is_str (s, "unix:/tmp/no-such-socket", "MINNOW_BACKEND sets the backend");
  free (s);
  tap_is_int (minnow_get_trace (g), 1, "MINNOW_TRACE sets trace");
  tap_is_int (minnow_get_verbose (g), 1, "MINNOW_DEBUG sets verbose");
  /* Silence the trace and debug output before anything else prints. */
  minnow_set_trace (g, 0);
  minnow_set_verbose (g, 0);
  minnow_close (g);
  g = minnow_create_flags (MINNOW_CREATE_NO_ENVIRONMENT);
  s = minnow_get_backend (g);
  tap_is_str (s, "local", "MINNOW_CREATE_NO_ENVIRONMENT: backend local");
  free (s);
  tap_is_int (minnow_get_trace (g), 0, "... trace off");
  tap_is_int (minnow_get_verbose (g), 0, "... verbose off");
  minnow_close (g);
  unsetenv ("MINNOW_TRACE");
  unsetenv ("MINNOW_DEBUG");
  setenv ("MINNOW_BACKEND", "bogus", 1);
  tap_ok (minnow_create () == NULL, "a bad MINNOW_BACKEND fails create");
  unsetenv ("MINNOW_BACKEND");

  /* Defaults and the state machine. */
  g = minnow_create_flags (MINNOW_CREATE_NO_ENVIRONMENT);
  tap_ok (minnow_is_config (g) && !minnow_is_ready (g) &&
          !minnow_is_busy (g) && !minnow_is_launching (g),
          "a new handle is in config");
  tap_is_int (minnow_get_autosync (g), 1, "autosync is on by default");
  tap_is_int (minnow_set_autosync (g, 0), 0, "set_autosync false");
  tap_is_int (minnow_get_autosync (g), 0, "get_autosync false");
  tap_ok (minnow_last_error (g) == NULL, "no error yet");

  minnow_set_error_handler (g, on_error, &errs);
  tap_ok (minnow_get_error_handler (g, &opaque) == on_error && opaque == &errs,
          "get_error_handler returns the handler and its opaque");
  tap_ok (minnow_list_devices (g) == NULL, "a daemon action in config fails");
  tap_ok (strstr (minnow_last_error (g), "list_devices") &&
          strstr (minnow_last_error (g), "launch"),
          "the error names the action and says to launch: %s",
          minnow_last_error (g));
  tap_is_int (minnow_last_errno (g), 0, "... last_errno 0");
  tap_is_int (errs.calls, 1, "the error handler was called once");
  tap_ok (errs.opaque_seen == &errs && strcmp (errs.msg, minnow_last_error (g)) == 0,
          "... with its opaque and the message");
  tap_is_int (minnow_get_pid (g), -1, "get_pid before launch fails");
  tap_is_int (minnow_shutdown (g), 0, "shutdown before launch is a no-op");

  /* Errors with errno values. */
  tap_is_int (minnow_add_drive (g, "/nonexistent/disk.img"), -1,
              "add_drive of a missing file fails");
  tap_is_int (minnow_last_errno (g), ENOENT, "... with ENOENT");
  tap_is_int (minnow_add_drive_opts (g, "/dev/null",
                                     MINNOW_ADD_DRIVE_OPTS_FORMAT, "qcow7", -1), -1,
              "add_drive of an unknown format is rejected");
  tap_is_int (minnow_last_errno (g), EINVAL, "... with EINVAL");
  tap_ok (strstr (minnow_last_error (g), "qcow7") != NULL,
          "... naming the format: %s", minnow_last_error (g));
  tap_is_int (minnow_add_drive_opts (g, "/dev/null",
                                     MINNOW_ADD_DRIVE_OPTS_FORMAT, "raw",
                                     MINNOW_ADD_DRIVE_OPTS_READONLY, 1, -1), 0,
              "add_drive format raw, readonly, is accepted");
  tap_is_int (minnow_add_drive_scratch (g, 0, -1), -1,
              "add_drive_scratch of size 0 fails");
  tap_is_int (minnow_add_drive_scratch (g, 1 << 20, -1), 0,
              "add_drive_scratch of 1 MiB");
  tap_is_int (minnow_set_backend (g, "no-such-backend"), -1,
              "set_backend rejects an unknown backend");
  tap_is_int (minnow_last_errno (g), EINVAL, "... with EINVAL");
  tap_is_int (minnow_set_backend (g, "unix:/run/x.sock"), 0,
              "set_backend unix:PATH");
  s = minnow_get_backend (g);
  tap_is_str (s, "unix:/run/x.sock", "get_backend");
  free (s);

  /* NULL disables the handler; the error is still recorded. */
  minnow_set_error_handler (g, NULL, NULL);
  errs.calls = 0;
  minnow_list_devices (g);
  tap_is_int (errs.calls, 0, "a NULL error handler is not called");
  tap_ok (minnow_last_error (g) != NULL, "... but last_error is set");
  s = default_handler_output ();
  tap_ok (strncmp (s, "libminnow: error: list_devices: ", 32) == 0,
          "the default handler prints 'libminnow: error: MSG': %s", s);
  free (s);

  /* Out-of-memory handler. */
  tap_ok (minnow_get_out_of_memory_handler (g) == abort,
          "the out-of-memory handler is abort by default");
  minnow_set_out_of_memory_handler (g, oom);
  tap_ok (minnow_get_out_of_memory_handler (g) ==
          oom, "set_out_of_memory_handler");

  /* Events. */
  tap_is_int (minnow_set_event_callback (g, record, 0, 0, &a), -1,
              "an empty event bitmask is rejected");
  tap_is_int (minnow_set_event_callback (g, record, (uint64_t) 1 << 40, 0, &a),
              -1, "an unknown event bit is rejected");
  eh1 = minnow_set_event_callback (g, record, MINNOW_EVENT_ENTER, 0, &a);
  eh2 = minnow_set_event_callback (g, record, MINNOW_EVENT_ENTER, 0, &b);
  tap_ok (eh1 >= 0 && eh2 >= 0 && eh1 != eh2,
          "two callbacks for one class get distinct handles");
  minnow_get_trace (g);
  tap_ok (a.calls == 1 && b.calls == 1, "both are called");
  tap_ok (a.last_event == MINNOW_EVENT_ENTER && a.last_handle == eh1,
          "with the event and their own handle");
  tap_is_str (a.last_buf, "get_trace", "ENTER carries the action's name");
  minnow_delete_event_callback (g, eh1);
  minnow_list_devices (g);
  tap_ok (a.calls == 1 && b.calls == 2, "a deleted callback is not called");
  tap_is_str (b.last_buf, "list_devices",
              "ENTER for a daemon action (even in the wrong state)");
  minnow_delete_event_callback (g, eh2);

  memset (&a, 0, sizeof a);
  minnow_set_event_callback (g, record, MINNOW_EVENT_TRACE, 0, &a);
  minnow_set_trace (g, 1);
  minnow_get_verbose (g);
  minnow_set_trace (g, 0);
  tap_ok (find_line (&a, "get_verbose", 1), "TRACE: the call line");
  tap_ok (find_line (&a, "get_verbose = ", 0), "TRACE: the result line");

  memset (&a, 0, sizeof a);
  minnow_set_event_callback (g, record, MINNOW_EVENT_LIBRARY, 0, &a);
  minnow_add_drive_scratch (g, 4096, -1);
  tap_is_int (a.calls, 0, "LIBRARY: nothing when not verbose");
  minnow_set_verbose (g, 1);
  minnow_add_drive_scratch (g, 4096, -1);
  minnow_set_verbose (g, 0);
  tap_ok (a.calls >= 1 && strstr (a.last_buf, "scratch") != NULL,
          "LIBRARY: a debug message when verbose: %s", a.last_buf);

  s = minnow_event_to_string (MINNOW_EVENT_CLOSE | MINNOW_EVENT_PROGRESS);
  tap_is_str (s, "close,progress", "event_to_string");
  free (s);
  s = minnow_event_to_string (MINNOW_EVENT_ALL);
  tap_is_str (s, "close,subprocess_quit,launch_done,progress,appliance,"
              "library,trace,enter,libvirt_auth,warning",
              "event_to_string of every event");
  free (s);

  /* Private data. */
  minnow_set_private (g, "one", &a);
  minnow_set_private (g, "two", &b);
  minnow_set_private (g, "gone", &b);
  minnow_set_private (g, "gone", NULL);
  minnow_set_private (g, "one", &closing);
  tap_ok (minnow_get_private (g, "one") == &closing,
          "set_private replaces the value of a key");
  tap_ok (minnow_get_private (g, "none") == NULL, "an unknown key is NULL");
  i = 0;
  for (opaque = minnow_first_private (g, &key); opaque != NULL;
       opaque = minnow_next_private (g, &key))
    i++;
  tap_is_int (i, 2, "first/next_private visit the keys with data");

  /* Version. */
  v = minnow_version (g);
  tap_ok (v && v->major == 0 && v->minor == 1, "version 0.1");
  minnow_free_version (v);

  /* CLOSE fires once, from close. */
  minnow_set_event_callback (g, record, MINNOW_EVENT_CLOSE, 0, &closing);
  minnow_close (g);
  tap_ok (closing.calls == 1 && closing.last_event == MINNOW_EVENT_CLOSE,
          "CLOSE fired once by close");

  /* A handle left open is closed at exit (no output to check here, but
   * valgrind sees no leak). */
  g = minnow_create_flags (MINNOW_CREATE_NO_ENVIRONMENT);
  tap_ok (g != NULL, "a handle left open for the atexit handler");
  return tap_done ();
}
