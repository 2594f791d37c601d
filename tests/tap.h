/* A very small TAP producer for minnow's C tests.
 *
 *   tap_plan (n);
 *   tap_ok (cond, "what");                    ok / not ok
 *   tap_is_str (got, expected, "what");       prints # expected / # got on failure
 *   tap_is_int (got, expected, "what");
 *   tap_skip ("why", "what");
 *   return tap_done ();                       exit status: 0 iff all passed
 */

#ifndef MINNOW_TAP_H
#define MINNOW_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed, tap_planned;

static inline void
tap_plan (int n)
{
  tap_planned = n;
  printf ("1..%d\n", n);
  fflush (stdout);
}

/* Prints s on one diagnostic line with control characters escaped. */
static inline void
tap_diag_str (const char *label, const char *s)
{
  printf ("# %s: ", label);
  if (!s) {
    printf ("NULL\n");
    return;
  }
  putchar ('"');
  for (; *s; s++) {
    unsigned char c = *s;
    if (c == '\n') printf ("\\n");
    else if (c == '\t') printf ("\\t");
    else if (c == '"' || c == '\\') printf ("\\%c", c);
    else if (c < 0x20 || c == 0x7f) printf ("\\x%02x", c);
    else putchar (c);
  }
  printf ("\"\n");
}

static inline int
tap_ok (int cond, const char *fmt, ...)
{
  va_list ap;

  tap_n++;
  printf ("%s %d - ", cond ? "ok" : "not ok", tap_n);
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  putchar ('\n');
  fflush (stdout);
  if (!cond)
    tap_failed++;
  return cond;
}

static inline int
tap_is_str (const char *got, const char *expected, const char *what)
{
  int ok = got && expected ? strcmp (got, expected) == 0 : got == expected;

  if (!tap_ok (ok, "%s", what)) {
    tap_diag_str ("expected", expected);
    tap_diag_str ("got", got);
    fflush (stdout);
  }
  return ok;
}

static inline int
tap_is_int (long long got, long long expected, const char *what)
{
  int ok = got == expected;

  if (!tap_ok (ok, "%s", what)) {
    printf ("# expected: %lld\n# got: %lld\n", expected, got);
    fflush (stdout);
  }
  return ok;
}

static inline void
tap_skip (const char *why, const char *what)
{
  tap_n++;
  printf ("ok %d - %s # SKIP %s\n", tap_n, what, why);
  fflush (stdout);
}

static inline void
tap_diag (const char *fmt, ...)
{
  va_list ap;

  printf ("# ");
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  putchar ('\n');
  fflush (stdout);
}

static inline int
tap_done (void)
{
  if (tap_planned && tap_n != tap_planned) {
    printf ("# planned %d tests but ran %d\n", tap_planned, tap_n);
    return 1;
  }
  return tap_failed ? 1 : 0;
}

#endif /* MINNOW_TAP_H */
