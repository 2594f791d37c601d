/* The three forms of an action with optional arguments (varargs ending
 * in -1, _va, _argv) send the same call: internal_test_daemon renders what the
 * daemon received, so the three results must be identical.  Also the
 * library's own rejections: an unknown bit in the _argv bitmask, an
 * unknown option number, the same option twice.  TAP. */

#include <config.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minnow.h"
#include "launched.h"

static int test_nr;

static void
result (int ok, const char *what, const char *expected, const char *got)
{
  printf ("%s %d - %s\n", ok ? "ok" : "not ok", ++test_nr, what);
  if (!ok) {
    printf ("# expected: %s\n# got: %s\n", expected, got ? got : "(NULL)");
  }
}

static char *const strlist[] = { "a", "b", NULL };
static char *const devicelist[] = { "/dev/sda", NULL };

#define REQUIRED \
  "s", NULL, strlist, 1, -5, INT64_C(-6), "buf", 3, \
  "/dev/sda", "/dev/sda", "/p", "/dev/sda", devicelist, "k"

/* Calls minnow_internal_test_daemon_va with the caller's variable arguments. */
static char *
call_va (minnow_h *g, ...)
{
  va_list args;
  char *r;

  va_start (args, g);
  r = minnow_internal_test_daemon_va (g, REQUIRED, args);
  va_end (args);
  return r;
}

static void
compare_forms (minnow_h *g, const char *what, char *v, char *va, char *argv)
{
  char title[256];

  snprintf (title, sizeof title, "%s: varargs and _argv agree", what);
  result (v && argv && strcmp (v, argv) == 0, title, argv, v);
  snprintf (title, sizeof title, "%s: _va and _argv agree", what);
  result (va && argv && strcmp (va, argv) == 0, title, argv, va);
  if (argv == NULL)
    printf ("# error: %s\n", minnow_last_error (g));
  free (v);
  free (va);
  free (argv);
}

int
main (void)
{
  minnow_h *g;
  char *r;

  printf ("1..12\n");
  g = launched_handle ();

  compare_forms (g, "no optional arguments",
                 minnow_internal_test_daemon (g, REQUIRED, -1),
                 call_va (g, -1),
                 minnow_internal_test_daemon_argv (g, REQUIRED,
                   &(struct minnow_internal_test_daemon_argv) { .bitmask = 0 }));

  {
    struct minnow_internal_test_daemon_argv o = {
      .bitmask = MINNOW_INTERNAL_TEST_DAEMON_OINT_BITMASK |
                 MINNOW_INTERNAL_TEST_DAEMON_OSTRING_BITMASK,
      .oint = 42,
      .ostring = "x",
    };
    compare_forms (g, "two optional arguments",
                   minnow_internal_test_daemon (g, REQUIRED,
                                         MINNOW_INTERNAL_TEST_DAEMON_OSTRING, "x",
                                         MINNOW_INTERNAL_TEST_DAEMON_OINT, 42, -1),
                   call_va (g, MINNOW_INTERNAL_TEST_DAEMON_OINT, 42,
                            MINNOW_INTERNAL_TEST_DAEMON_OSTRING, "x", -1),
                   minnow_internal_test_daemon_argv (g, REQUIRED, &o));
  }

  {
    char *const l[] = { "p", "q", NULL };
    struct minnow_internal_test_daemon_argv o = {
      .bitmask = MINNOW_INTERNAL_TEST_DAEMON_OBOOL_BITMASK |
                 MINNOW_INTERNAL_TEST_DAEMON_OINT_BITMASK |
                 MINNOW_INTERNAL_TEST_DAEMON_OINT64_BITMASK |
                 MINNOW_INTERNAL_TEST_DAEMON_OSTRING_BITMASK |
                 MINNOW_INTERNAL_TEST_DAEMON_OSTRINGLIST_BITMASK,
      .obool = 1, .oint = -1, .oint64 = INT64_MAX, .ostring = "",
      .ostringlist = l,
    };
    compare_forms (g, "every optional argument",
                   minnow_internal_test_daemon (g, REQUIRED,
                                         MINNOW_INTERNAL_TEST_DAEMON_OBOOL, 1,
                                         MINNOW_INTERNAL_TEST_DAEMON_OINT, -1,
                                         MINNOW_INTERNAL_TEST_DAEMON_OINT64, INT64_MAX,
                                         MINNOW_INTERNAL_TEST_DAEMON_OSTRING, "",
                                         MINNOW_INTERNAL_TEST_DAEMON_OSTRINGLIST, l,
                                         -1),
                   call_va (g, MINNOW_INTERNAL_TEST_DAEMON_OSTRINGLIST, l,
                            MINNOW_INTERNAL_TEST_DAEMON_OSTRING, "",
                            MINNOW_INTERNAL_TEST_DAEMON_OINT64, INT64_MAX,
                            MINNOW_INTERNAL_TEST_DAEMON_OINT, -1,
                            MINNOW_INTERNAL_TEST_DAEMON_OBOOL, 1, -1),
                   minnow_internal_test_daemon_argv (g, REQUIRED, &o));
  }

  /* A NULL optargs pointer means no optional arguments. */
  {
    char *a = minnow_internal_test_daemon_argv (g, REQUIRED, NULL);
    char *b = minnow_internal_test_daemon (g, REQUIRED, -1);
    result (a && b && strcmp (a, b) == 0,
            "_argv with a NULL struct is the call without optional arguments",
            b, a);
    free (a);
    free (b);
  }

  /* The fields the bitmask does not select are not sent. */
  {
    struct minnow_internal_test_daemon_argv o = {
      .bitmask = 0, .oint = 99, .ostring = "ignored",
    };
    r = minnow_internal_test_daemon_argv (g, REQUIRED, &o);
    result (r && strstr (r, "oint: unset\n") && strstr (r, "ostring: unset\n"),
            "fields outside the bitmask are unset", "oint: unset, ostring: unset",
            r);
    free (r);
  }

  /* Library-side rejections. */
  {
    struct minnow_internal_test_daemon_argv o = { .bitmask = UINT64_C(1) << 40 };
    r = minnow_internal_test_daemon_argv (g, REQUIRED, &o);
    result (r == NULL, "an unknown bit in the _argv bitmask is an error",
            "NULL", r);
    free (r);
  }
  r = minnow_internal_test_daemon (g, REQUIRED, 99, 1, -1);
  result (r == NULL, "an unknown option number is an error", "NULL", r);
  free (r);
  r = minnow_internal_test_daemon (g, REQUIRED, MINNOW_INTERNAL_TEST_DAEMON_OINT, 1,
                            MINNOW_INTERNAL_TEST_DAEMON_OINT, 2, -1);
  result (r == NULL, "the same option twice is an error", "NULL", r);
  free (r);

  /* The handle still works after those errors. */
  r = minnow_internal_test_daemon (g, REQUIRED, -1);
  result (r != NULL, "the handle works after rejected calls", "a result",
          minnow_last_error (g));
  free (r);

  minnow_close (g);
  /* Failures are reported by the TAP lines. */
  return EXIT_SUCCESS;
}
