/* minnow: the library-side internal test actions.
 *
 * These have the signatures of libguestfs's calls of the same names and
 * print what they were given the way those calls print it, so that a
 * libguestfs cross-language bindtests program, renamed, prints the same
 * text with minnow (tests/bindings/bindtests.golden).  They need no
 * launched handle.  The daemon-side ones (internal_test_daemon,
 * internal_test_daemon_rint and so on) are in daemon/handlers/internal_test.c.
 */

#include <config.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minnow-internal.h"
#include "actions-internal.h"
#include "errnostring.h"

/* Where the printing actions write: the file of internal_test_set_output,
 * else standard output. */
static FILE *
out (minnow_h *g)
{
  return g->test_fp != NULL ? g->test_fp : stdout;
}

/* A string list as ["a", "b"] (no escaping: these are test values). */
static void
put_list (FILE *fp, char *const *list)
{
  size_t i;

  fputc ('[', fp);
  for (i = 0; list[i] != NULL; ++i)
    fprintf (fp, "%s\"%s\"", i == 0 ? "" : ", ", list[i]);
  fputs ("]\n", fp);
}

static void
put_optint (FILE *fp, const char *name, int given, int v)
{
  if (given)
    fprintf (fp, "%s: %d\n", name, v);
  else
    fprintf (fp, "%s: unset\n", name);
}

int
minnow_impl_internal_test_set_output (minnow_h *g, const char *filename)
{
  FILE *fp = fopen (filename, "w");

  if (fp == NULL) {
    minnow_int_perrorf (g, "internal_test_set_output: %s", filename);
    return -1;
  }
  if (minnow_impl_internal_test_close_output (g) == -1) {
    fclose (fp);
    return -1;
  }
  g->test_fp = fp;
  return 0;
}

int
minnow_impl_internal_test_close_output (minnow_h *g)
{
  FILE *fp = g->test_fp;

  if (fp == NULL)
    return 0;
  g->test_fp = NULL;
  if (fclose (fp) == EOF) {
    minnow_int_perrorf (g, "internal_test_close_output");
    return -1;
  }
  return 0;
}

int
minnow_impl_internal_test (minnow_h *g, const char *str, const char *optstr,
                           char *const *strlist, int b, int integer,
                           int64_t integer64, const char *filein,
                           const char *fileout, const char *bufferin,
                           size_t bufferin_size,
                           const struct minnow_internal_test_argv *optargs)
{
  FILE *fp = out (g);
  uint64_t set = optargs->bitmask;
  size_t i;

  fprintf (fp, "%s\n", str);
  fprintf (fp, "%s\n", optstr != NULL ? optstr : "null");
  put_list (fp, strlist);
  fprintf (fp, "%s\n", b ? "true" : "false");
  fprintf (fp, "%d\n", integer);
  fprintf (fp, "%" PRIi64 "\n", integer64);
  fprintf (fp, "%s\n", filein);
  fprintf (fp, "%s\n", fileout);
  for (i = 0; i < bufferin_size; ++i)
    fprintf (fp, "<%02x>", (unsigned char) bufferin[i]);
  fputc ('\n', fp);

  if (set & MINNOW_INTERNAL_TEST_OBOOL_BITMASK)
    fprintf (fp, "obool: %s\n", optargs->obool ? "true" : "false");
  else
    fputs ("obool: unset\n", fp);
  put_optint (fp, "oint", (set & MINNOW_INTERNAL_TEST_OINT_BITMASK) != 0,
              optargs->oint);
  if (set & MINNOW_INTERNAL_TEST_OINT64_BITMASK)
    fprintf (fp, "oint64: %" PRIi64 "\n", optargs->oint64);
  else
    fputs ("oint64: unset\n", fp);
  if (set & MINNOW_INTERNAL_TEST_OSTRING_BITMASK)
    fprintf (fp, "ostring: %s\n", optargs->ostring);
  else
    fputs ("ostring: unset\n", fp);
  fputs ("ostringlist: ", fp);
  if (set & MINNOW_INTERNAL_TEST_OSTRINGLIST_BITMASK)
    put_list (fp, optargs->ostringlist);
  else
    fputs ("unset\n", fp);

  /* Each call's lines are out before the program prints anything itself
   * (through another buffer, in the bindings' languages). */
  fflush (fp);
  return 0;
}

int
minnow_impl_internal_test_only_optargs (minnow_h *g,
                                        const struct minnow_internal_test_only_optargs_argv *optargs)
{
  FILE *fp = out (g);

  put_optint (fp, "test",
              (optargs->bitmask & MINNOW_INTERNAL_TEST_ONLY_OPTARGS_TEST_BITMASK) != 0,
              optargs->test);
  fflush (fp);
  return 0;
}

int
minnow_impl_internal_test_63_optargs (minnow_h *g,
                                      const struct minnow_internal_test_63_optargs_argv *optargs)
{
  FILE *fp = out (g);

#define OPT(n)                                                          \
  put_optint (fp, "opt" #n,                                             \
              (optargs->bitmask &                                       \
               MINNOW_INTERNAL_TEST_63_OPTARGS_OPT##n##_BITMASK) != 0,  \
              optargs->opt##n)
  OPT(1); OPT(2); OPT(3); OPT(4); OPT(5); OPT(6); OPT(7); OPT(8); OPT(9);
  OPT(10); OPT(11); OPT(12); OPT(13); OPT(14); OPT(15); OPT(16); OPT(17);
  OPT(18); OPT(19); OPT(20); OPT(21); OPT(22); OPT(23); OPT(24); OPT(25);
  OPT(26); OPT(27); OPT(28); OPT(29); OPT(30); OPT(31); OPT(32); OPT(33);
  OPT(34); OPT(35); OPT(36); OPT(37); OPT(38); OPT(39); OPT(40); OPT(41);
  OPT(42); OPT(43); OPT(44); OPT(45); OPT(46); OPT(47); OPT(48); OPT(49);
  OPT(50); OPT(51); OPT(52); OPT(53); OPT(54); OPT(55); OPT(56); OPT(57);
  OPT(58); OPT(59); OPT(60); OPT(61); OPT(62); OPT(63);
#undef OPT
  fflush (fp);
  return 0;
}

/* internal_test_rconststring and _rconstoptstring return libguestfs's
 * fixed string (a caller that frees it is caught by valgrind). */
static const char static_string[] = "static string";

const char *
minnow_impl_internal_test_rconststring (minnow_h *g, const char *val)
{
  if (strncmp (val, "error:", 6) == 0) {
    minnow_int_error_errno (g, minnow_string_to_errno (val + 6),
                            "requested error %s", val + 6);
    return NULL;
  }
  return static_string;
}

const char *
minnow_impl_internal_test_rconstoptstring (minnow_h *g, const char *val)
{
  (void) g;
  if (strcmp (val, "NULL") == 0)
    return NULL;
  return static_string;
}

/* The return-type actions, with libguestfs's behaviour (the daemon-side
 * internal_test_daemon_rX are minnow's own). */

/* A whole decimal number in [min, max], else an EINVAL error. */
static int
parse_number (minnow_h *g, const char *name, const char *val,
              long long min, long long max, long long *r)
{
  char *end;

  errno = 0;
  *r = strtoll (val, &end, 10);
  if (*val == '\0' || *end != '\0' || errno != 0 || *r < min || *r > max) {
    minnow_int_error_errno (g, EINVAL, "%s: expecting int argument, got \"%s\"",
                            name, val);
    return -1;
  }
  return 0;
}

int
minnow_impl_internal_test_rint (minnow_h *g, const char *val)
{
  long long n;

  if (parse_number (g, "internal_test_rint", val, INT_MIN, INT_MAX, &n) == -1)
    return -1;
  return (int) n;
}

int64_t
minnow_impl_internal_test_rint64 (minnow_h *g, const char *val)
{
  long long n;

  if (parse_number (g, "internal_test_rint64", val, INT64_MIN, INT64_MAX, &n) == -1)
    return -1;
  return n;
}

int
minnow_impl_internal_test_rbool (minnow_h *g, const char *val)
{
  (void) g;
  return strcmp (val, "true") == 0;
}

char *
minnow_impl_internal_test_rstring (minnow_h *g, const char *val)
{
  return minnow_int_safe_strdup (g, val);
}

/* A count for the list-returning actions (up to a million). */
static int
parse_count (minnow_h *g, const char *name, const char *val, size_t *n)
{
  long long v;

  if (parse_number (g, name, val, 0, 1000000, &v) == -1)
    return -1;
  *n = (size_t) v;
  return 0;
}

/* "0" to "n-1", each TIMES times in a row (2: hashtable pairs). */
static char **
number_strings (minnow_h *g, size_t n, size_t times)
{
  char **r = minnow_int_safe_malloc (g, (n * times + 1) * sizeof *r);
  size_t i, j;

  for (i = 0; i < n; ++i)
    for (j = 0; j < times; ++j)
      r[i * times + j] = minnow_int_safe_asprintf (g, "%zu", i);
  r[n * times] = NULL;
  return r;
}

char **
minnow_impl_internal_test_rstringlist (minnow_h *g, const char *val)
{
  size_t n;

  if (parse_count (g, "internal_test_rstringlist", val, &n) == -1)
    return NULL;
  return number_strings (g, n, 1);
}

char **
minnow_impl_internal_test_rhashtable (minnow_h *g, const char *val)
{
  size_t n;

  if (parse_count (g, "internal_test_rhashtable", val, &n) == -1)
    return NULL;
  return number_strings (g, n, 2);
}

/* The lvm_pv number i of internal_test_rstruct(list). */
static void
fill_pv (minnow_h *g, struct minnow_lvm_pv *pv, size_t i)
{
  pv->pv_name = minnow_int_safe_asprintf (g, "pv%zu", i);
  pv->pv_uuid = minnow_int_safe_strdup (g, "12345678901234567890123456789012");
  pv->pv_fmt = minnow_int_safe_strdup (g, "unknown");
  pv->pv_attr = minnow_int_safe_asprintf (g, "attr%zu", i);
  pv->pv_tags = minnow_int_safe_asprintf (g, "tag%zu", i);
  pv->pv_size = pv->dev_size = pv->pv_free = pv->pv_used = i;
  pv->pe_start = pv->pv_mda_free = i;
  pv->pv_pe_count = pv->pv_pe_alloc_count = pv->pv_mda_count = (int64_t) i;
}

struct minnow_lvm_pv *
minnow_impl_internal_test_rstruct (minnow_h *g, const char *val)
{
  struct minnow_lvm_pv *pv = minnow_int_safe_malloc (g, sizeof *pv);

  (void) val;
  fill_pv (g, pv, 0);
  return pv;
}

struct minnow_lvm_pv_list *
minnow_impl_internal_test_rstructlist (minnow_h *g, const char *val)
{
  struct minnow_lvm_pv_list *l;
  size_t n, i;

  if (parse_count (g, "internal_test_rstructlist", val, &n) == -1)
    return NULL;
  l = minnow_int_safe_malloc (g, sizeof *l);
  l->len = (uint32_t) n;
  l->val = minnow_int_safe_malloc (g, (n > 0 ? n : 1) * sizeof *l->val);
  for (i = 0; i < n; ++i)
    fill_pv (g, &l->val[i], i);
  return l;
}

char *
minnow_impl_internal_test_rbufferout (minnow_h *g, const char *val,
                                      size_t *size_r)
{
  size_t len = strlen (val);
  char *r = minnow_int_safe_malloc (g, len > 0 ? len : 1);

  memcpy (r, val, len);
  *size_r = len;
  return r;
}

/* The *err actions: every one fails, with the error value of its type. */
static void
always_fails (minnow_h *g, const char *name)
{
  minnow_int_error (g, "%s: this test action always fails", name);
}

#define FAILS(name, type, value)                                  \
  type                                                            \
  minnow_impl_##name (minnow_h *g)                                \
  {                                                               \
    always_fails (g, #name);                                      \
    return value;                                                 \
  }

FAILS (internal_test_rinterr, int, -1)
FAILS (internal_test_rint64err, int64_t, -1)
FAILS (internal_test_rboolerr, int, -1)
FAILS (internal_test_rconststringerr, const char *, NULL)
FAILS (internal_test_rconstoptstringerr, const char *, NULL)
FAILS (internal_test_rstringerr, char *, NULL)
FAILS (internal_test_rstringlisterr, char **, NULL)
FAILS (internal_test_rstructerr, struct minnow_internal_test_struct *, NULL)
FAILS (internal_test_rstructlisterr, struct minnow_internal_test_struct_list *, NULL)
FAILS (internal_test_rhashtableerr, char **, NULL)

char *
minnow_impl_internal_test_rbufferouterr (minnow_h *g, size_t *size_r)
{
  *size_r = 0;
  always_fails (g, "internal_test_rbufferouterr");
  return NULL;
}
