/* libguestfs's bindtests call sequence in C, against minnow: internal_test
 * with libguestfs's arguments prints them, and the output must equal
 * tests/bindings/bindtests.golden (bindings/bindtests-c.sh).  The calls
 * are the ones libguestfs's scripts make in every language. */

#include <config.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "minnow.h"

#define CALL(c)                                                         \
  do {                                                                  \
    if ((c) == -1) {                                                    \
      fprintf (stderr, "bindtests: line %d: %s\n", __LINE__,            \
               minnow_last_error (g));                                  \
      exit (EXIT_FAILURE);                                              \
    }                                                                   \
  } while (0)

int
main (void)
{
  minnow_h *g = minnow_create ();
  char *none[] = { NULL };
  char *one[] = { (char *) "1", NULL };
  char *one_two[] = { (char *) "1", (char *) "2", NULL };
  char *opt0[] = { NULL };
  char *opt1[] = { (char *) "optelem1", NULL };
  char *opt2[] = { (char *) "optelem1", (char *) "optelem2", NULL };
  char *opt3[] = { (char *) "optelem1", (char *) "optelem2",
                   (char *) "optelem3", NULL };
  static const char buf[] = { 'a', 'b', 'c', '\0', 'a', 'b', 'c' };

  if (g == NULL) {
    fprintf (stderr, "bindtests: minnow_create failed\n");
    exit (EXIT_FAILURE);
  }

  CALL (minnow_internal_test (g, "abc", "def", none, 0, 0, 0, "123", "456",
                               buf, sizeof buf, MINNOW_INTERNAL_TEST_OBOOL, 1,
                               MINNOW_INTERNAL_TEST_OINT, 1,
                               MINNOW_INTERNAL_TEST_OINT64, INT64_MAX, -1));
  CALL (minnow_internal_test (g, "abc", NULL, none, 0, 0, 0, "123", "456", buf,
                               sizeof buf, MINNOW_INTERNAL_TEST_OINT64,
                               INT64_C(1), MINNOW_INTERNAL_TEST_OSTRING,
                               "string", -1));
  CALL (minnow_internal_test (g, "", "def", none, 0, 0, 0, "123", "456", buf,
                               sizeof buf, MINNOW_INTERNAL_TEST_OBOOL, 0,
                               MINNOW_INTERNAL_TEST_OINT64, INT64_MIN, -1));
  CALL (minnow_internal_test (g, "", "", none, 0, 0, 0, "123", "456", buf,
                               sizeof buf, -1));
  CALL (minnow_internal_test (g, "abc", "def", one, 0, 0, 0, "123", "456", buf,
                               sizeof buf, -1));
  CALL (minnow_internal_test (g, "abc", "def", one_two, 0, 0, 0, "123", "456",
                               buf, sizeof buf, -1));
  CALL (minnow_internal_test (g, "abc", "def", one, 1, 0, 0, "123", "456", buf,
                               sizeof buf, -1));
  CALL (minnow_internal_test (g, "abc", "def", one, 0, -1, -1, "123", "456",
                               buf, sizeof buf, -1));
  CALL (minnow_internal_test (g, "abc", "def", one, 0, -2, -2, "123", "456",
                               buf, sizeof buf, -1));
  CALL (minnow_internal_test (g, "abc", "def", one, 0, 1, 1, "123", "456", buf,
                               sizeof buf, -1));
  CALL (minnow_internal_test (g, "abc", "def", one, 0, 2, 2, "123", "456", buf,
                               sizeof buf, -1));
  CALL (minnow_internal_test (g, "abc", "def", one, 0, 4095, INT64_MAX, "123",
                               "456", buf, sizeof buf, -1));
  CALL (minnow_internal_test (g, "abc", "def", one, 0, 0, INT64_MIN, "", "",
                               buf, sizeof buf, -1));
  CALL (minnow_internal_test (g, "abc", "def", none, 0, 0, 0, "123", "456",
                               buf, sizeof buf,
                               MINNOW_INTERNAL_TEST_OSTRINGLIST, opt0, -1));
  CALL (minnow_internal_test (g, "abc", "def", none, 0, 0, 0, "123", "456",
                               buf, sizeof buf,
                               MINNOW_INTERNAL_TEST_OSTRINGLIST, opt1, -1));
  CALL (minnow_internal_test (g, "abc", "def", none, 0, 0, 0, "123", "456",
                               buf, sizeof buf,
                               MINNOW_INTERNAL_TEST_OSTRINGLIST, opt2, -1));
  CALL (minnow_internal_test (g, "abc", "def", none, 0, 0, 0, "123", "456",
                               buf, sizeof buf,
                               MINNOW_INTERNAL_TEST_OSTRINGLIST, opt3, -1));

  printf ("EOF\n");
  minnow_close (g);
  exit (EXIT_SUCCESS);
}
