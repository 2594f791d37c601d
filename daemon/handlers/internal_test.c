/* minnowd: the internal test actions (procedures 900-914), which the
 * bindtests use to check that every argument and return type crosses the
 * library, the protocol and the daemon intact.  Their semantics are in
 * docs/internals.md. */

#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "actions.h"
#include "quote.h"
#include "storage.h"

static void
render_str (FILE *fp, const char *name, const char *s)
{
  fprintf (fp, "%s: ", name);
  if (s == NULL)
    fputs ("NULL", fp);
  else
    minnow_fprint_quoted (fp, s, strlen (s));
  fputc ('\n', fp);
}

static void
render_list (FILE *fp, const char *name, char *const *list)
{
  size_t i;

  fprintf (fp, "%s: [", name);
  for (i = 0; list && list[i]; ++i) {
    if (i > 0)
      fputs (", ", fp);
    minnow_fprint_quoted (fp, list[i], strlen (list[i]));
  }
  fputs ("]\n", fp);
}

static void
render_bool (FILE *fp, const char *name, int b)
{
  fprintf (fp, "%s: %s\n", name, b ? "true" : "false");
}

static int
given (int bit)
{
  return (optargs_bitmask & (UINT64_C(1) << bit)) != 0;
}

char *
do_internal_test_daemon (const char *str, const char *optstr, char *const *strlist,
                         int b, int integer, int64_t integer64,
                         const char *bufferin, size_t bufferin_size,
                         const char *device, const char *mountable,
                         const char *pathname, const char *devorpath,
                         char *const *devicelist, const char *key,
                         int obool, int oint, int64_t oint64, const char *ostring,
                         char *const *ostringlist)
{
  char *out = NULL;
  size_t len = 0;
  FILE *fp = open_memstream (&out, &len);

  if (fp == NULL) {
    reply_with_perror ("open_memstream");
    return NULL;
  }
  render_str (fp, "str", str);
  render_str (fp, "optstr", optstr);
  render_list (fp, "strlist", strlist);
  render_bool (fp, "b", b);
  fprintf (fp, "integer: %d\n", integer);
  fprintf (fp, "integer64: %" PRIi64 "\n", integer64);
  fprintf (fp, "bufferin: %zu ", bufferin_size);
  minnow_fprint_quoted (fp, bufferin, bufferin_size);
  fputc ('\n', fp);
  render_str (fp, "device", device);
  render_str (fp, "mountable", mountable);
  render_str (fp, "pathname", pathname);
  render_str (fp, "devorpath", devorpath);
  render_list (fp, "devicelist", devicelist);
  render_str (fp, "key", key);
  if (given (0))
    render_bool (fp, "obool", obool);
  else
    fputs ("obool: unset\n", fp);
  if (given (1))
    fprintf (fp, "oint: %d\n", oint);
  else
    fputs ("oint: unset\n", fp);
  if (given (2))
    fprintf (fp, "oint64: %" PRIi64 "\n", oint64);
  else
    fputs ("oint64: unset\n", fp);
  if (given (3))
    render_str (fp, "ostring", ostring);
  else
    fputs ("ostring: unset\n", fp);
  if (given (4))
    render_list (fp, "ostringlist", ostringlist);
  else
    fputs ("ostringlist: unset\n", fp);
  if (fclose (fp) != 0) {
    free (out);
    reply_with_perror ("open_memstream");
    return NULL;
  }
  return out;
}

/* "error:ENAME" asks for a failure with that errno.  Returns 1 when the
 * error reply was sent. */
static int
requested_error (const char *val)
{
  if (strncmp (val, "error:", 6) != 0)
    return 0;
  reply_with_error_errno (minnow_string_to_errno (val + 6),
                          "requested error %s", val + 6);
  return 1;
}

static int
parse_int64 (const char *val, int64_t *r)
{
  char *end;

  errno = 0;
  *r = strtoll (val, &end, 10);
  if (val[0] == '\0' || *end || errno) {
    reply_with_error_errno (EINVAL, "%s: not a decimal integer", val);
    return -1;
  }
  return 0;
}

/* N for the list-returning tests: a small non-negative count. */
static int
parse_count (const char *val, size_t *n)
{
  int64_t v;

  if (parse_int64 (val, &v) == -1)
    return -1;
  if (v < 0 || v > 100000) {
    reply_with_error_errno (EINVAL, "%s: count out of range", val);
    return -1;
  }
  *n = (size_t) v;
  return 0;
}

int
do_internal_test_daemon_rint (const char *val)
{
  int64_t v;

  if (requested_error (val) || parse_int64 (val, &v) == -1)
    return -1;
  if (v < INT32_MIN || v > INT32_MAX) {
    reply_with_error_errno (ERANGE, "%s: out of range for Int", val);
    return -1;
  }
  return (int) v;
}

int64_t
do_internal_test_daemon_rint64 (const char *val)
{
  int64_t v;

  if (requested_error (val) || parse_int64 (val, &v) == -1)
    return -1;
  return v;
}

int
do_internal_test_daemon_rbool (const char *val)
{
  if (requested_error (val))
    return -1;
  return strcmp (val, "true") == 0;
}

char *
do_internal_test_daemon_rstring (const char *val)
{
  char *r;

  if (requested_error (val))
    return NULL;
  r = strdup (val);
  if (r == NULL)
    reply_with_perror ("strdup");
  return r;
}

static char **
numbered_list (size_t n, const char *prefix_even, const char *prefix_odd,
               size_t per_item)
{
  char **list = calloc (n * per_item + 1, sizeof (char *));
  size_t i;

  if (list == NULL)
    goto oom;
  for (i = 0; i < n * per_item; ++i) {
    const char *prefix = per_item == 2 && i % 2 ? prefix_odd : prefix_even;

    if (asprintf (&list[i], "%s%zu", prefix, i / per_item) == -1) {
      list[i] = NULL;
      while (i > 0)
        free (list[--i]);
      free (list);
      goto oom;
    }
  }
  return list;
 oom:
  reply_with_perror ("malloc");
  return NULL;
}

char **
do_internal_test_daemon_rstringlist (const char *val)
{
  size_t n;

  if (requested_error (val) || parse_count (val, &n) == -1)
    return NULL;
  return numbered_list (n, "", "", 1);
}

static int
fill_struct (minnow_int_internal_test_struct *s, size_t n)
{
  char *buf;
  int len;

  memset (s, 0, sizeof *s);
  if (asprintf (&s->s, "s%zu", n) == -1) {
    s->s = NULL;
    return -1;
  }
  /* "bN" and its terminating NUL. */
  len = asprintf (&buf, "b%zu", n);
  if (len == -1)
    return -1;
  s->buf.buf_val = buf;
  s->buf.buf_len = len + 1;
  s->c = 'a' + n % 26;
  s->i32 = -(int32_t) n;
  s->u32 = (uint32_t) n;
  s->i64 = -(int64_t) n * INT64_C(1000000000000);
  s->u64 = (uint64_t) n * UINT64_C(1000000000000);
  return 0;
}

minnow_int_internal_test_struct *
do_internal_test_daemon_rstruct (const char *val)
{
  minnow_int_internal_test_struct *s;
  size_t n;

  if (requested_error (val) || parse_count (val, &n) == -1)
    return NULL;
  s = calloc (1, sizeof *s);
  if (s == NULL || fill_struct (s, n) == -1) {
    if (s)
      xdr_free ((xdrproc_t) xdr_minnow_int_internal_test_struct, (char *) s);
    free (s);
    reply_with_perror ("malloc");
    return NULL;
  }
  return s;
}

minnow_int_internal_test_struct_list *
do_internal_test_daemon_rstructlist (const char *val)
{
  minnow_int_internal_test_struct_list *list;
  size_t n, i;

  if (requested_error (val) || parse_count (val, &n) == -1)
    return NULL;
  list = calloc (1, sizeof *list);
  if (list == NULL)
    goto oom;
  list->minnow_int_internal_test_struct_list_val =
    calloc (n ? n : 1, sizeof (minnow_int_internal_test_struct));
  if (list->minnow_int_internal_test_struct_list_val == NULL)
    goto oom;
  list->minnow_int_internal_test_struct_list_len = n;
  for (i = 0; i < n; ++i)
    if (fill_struct (&list->minnow_int_internal_test_struct_list_val[i], i)
        == -1)
      goto oom;
  return list;
 oom:
  if (list) {
    xdr_free ((xdrproc_t) xdr_minnow_int_internal_test_struct_list,
              (char *) list);
    free (list);
  }
  reply_with_perror ("malloc");
  return NULL;
}

char **
do_internal_test_daemon_rhashtable (const char *val)
{
  size_t n;

  if (requested_error (val) || parse_count (val, &n) == -1)
    return NULL;
  return numbered_list (n, "k", "v", 2);
}

char *
do_internal_test_daemon_rbufferout (const char *val, size_t *size_r)
{
  size_t len = strlen (val);
  char *buf;

  if (requested_error (val))
    return NULL;
  buf = malloc (len + 1);
  if (buf == NULL) {
    reply_with_perror ("malloc");
    return NULL;
  }
  memcpy (buf, val, len + 1);   /* with its NUL byte */
  *size_r = len + 1;
  return buf;
}

struct fnv {
  uint64_t len;
  uint64_t hash;
};

static int
fnv_update (void *opaque, const void *buf, size_t len)
{
  struct fnv *f = opaque;
  const unsigned char *p = buf;
  size_t i;

  for (i = 0; i < len; ++i) {
    f->hash ^= p[i];
    f->hash *= UINT64_C(0x100000001b3);
  }
  f->len += len;
  return 0;
}

char *
do_internal_test_filein (void)
{
  struct fnv f = { 0, UINT64_C(0xcbf29ce484222325) };
  char *r;
  int ret = receive_file (fnv_update, &f);

  if (ret == -2) {
    reply_with_error_errno (EINTR, "file transfer cancelled by the caller");
    return NULL;
  }
  if (ret == -1) {
    reply_with_perror ("receive_file");
    return NULL;
  }
  if (asprintf (&r, "%" PRIu64 " %016" PRIx64, f.len, f.hash) == -1) {
    reply_with_perror ("malloc");
    return NULL;
  }
  return r;
}

int
do_internal_test_fileout (int64_t size)
{
  char buf[64 * 1024];
  int64_t sent = 0;
  size_t i;

  if (size < 0) {
    reply_with_error_errno (EINVAL, "size %lld is negative",
                            (long long) size);
    return -1;
  }
  /* The reply goes first, then the stream.  From here on errors are
   * reported by cancelling the stream. */
  reply (NULL, NULL);
  while (sent < size) {
    size_t n = sizeof buf;

    if (size - sent < (int64_t) n)
      n = size - sent;
    int r;

    for (i = 0; i < n; ++i)
      buf[i] = (char) ((sent + i) % 251);
    r = send_file_write (buf, n);
    if (r < 0)
      return -1;
    sent += n;
  }
  if (send_file_end (0) == -1)
    return -1;
  return 0;
}

static void
sleep_ms (int ms)
{
  struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

  while (nanosleep (&ts, &ts) == -1 && errno == EINTR)
    ;
}

int
do_internal_test_progress (int steps)
{
  int i;

  if (steps < 0 || steps > 100000) {
    reply_with_error_errno (EINVAL, "steps %d: out of range", steps);
    return -1;
  }
  for (i = 1; i <= steps; ++i) {
    if (storage_stop_requested ()) {
      reply_with_error_errno (EINTR, "stopped at step %d", i);
      return -1;
    }
    sleep_ms (10);
    notify_progress (i, steps);
  }
  return 0;
}

int
do_internal_test_noop (void)
{
  return 0;
}

int
do_internal_test_sleep (int milliseconds)
{
  if (milliseconds < 0) {
    reply_with_error_errno (EINVAL, "%d: negative time", milliseconds);
    return -1;
  }
  /* In slices, so that a client that hangs up ends the sleep. */
  while (milliseconds > 0) {
    if (storage_stop_requested ()) {
      reply_with_error_errno (EINTR, "the client went away");
      return -1;
    }
    sleep_ms (milliseconds < 20 ? milliseconds : 20);
    milliseconds -= 20;
  }
  return 0;
}
