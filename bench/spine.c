/* bench-spine: what a handle costs.
 *
 * 1. launch+close of a handle with one scratch drive (create, add the
 *    drive, launch, close), median over LAUNCHES runs.  Target: < 10 ms.
 * 2. round trip of internal_test_noop, against a raw ping-pong of the
 *    same number of bytes over a socketpair with another process (this
 *    program re-run as an echo server), in the same run.  Target: < 2x.
 *
 *   ./run bench/bench-spine [LAUNCHES [ROUND_TRIPS]]
 */

#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "minnow.h"
#include "protocol.h"
#include "command.h"

static int64_t
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
cmp_i64 (const void *a, const void *b)
{
  int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;

  return x < y ? -1 : x > y;
}

static double
median_us (int64_t *v, size_t n)
{
  qsort (v, n, sizeof v[0], cmp_i64);
  return (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) / 1e3;
}

static int
read_full (int fd, char *buf, size_t len)
{
  while (len > 0) {
    ssize_t n = read (fd, buf, len);

    if (n == -1 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    buf += n;
    len -= n;
  }
  return 0;
}

/* The echo server of the raw ping-pong: fd 3, messages of len bytes. */
static int
echo_server (size_t len)
{
  char buf[256];

  if (len > sizeof buf)
    return EXIT_FAILURE;
  while (read_full (3, buf, len) == 0)
    if (minnow_send_all (3, buf, len, -1) == -1)
      return EXIT_FAILURE;
  return EXIT_SUCCESS;
}

/* The size of a framed no-op call (its reply has the same size: a bare
 * header). */
static size_t
noop_message_size (void)
{
  minnow_message_header hdr;
  char buf[256];

  memset (&hdr, 0, sizeof hdr);
  hdr.prog = MINNOW_PROGRAM;
  hdr.vers = MINNOW_PROTOCOL_VERSION;
  hdr.proc = MINNOW_PROC_INTERNAL_TEST_NOOP;
  return minnow_encode_message (buf, sizeof buf, &hdr, NULL, NULL);
}

static minnow_h *
launch_handle (void)
{
  minnow_h *g = minnow_create ();

  if (g == NULL ||
      minnow_add_drive_scratch (g, INT64_C(64) * 1024 * 1024, -1) == -1 ||
      minnow_launch (g) == -1)
    exit (EXIT_FAILURE);
  return g;
}

static double
bench_launch (size_t runs)
{
  int64_t *t = calloc (runs, sizeof *t);
  double m;
  size_t i;

  minnow_close (launch_handle ());           /* warm the caches */
  for (i = 0; i < runs; ++i) {
    int64_t t0 = now_ns ();

    minnow_close (launch_handle ());
    t[i] = now_ns () - t0;
  }
  m = median_us (t, runs);
  free (t);
  return m;
}

static double
bench_noop (size_t runs)
{
  minnow_h *g = launch_handle ();
  int64_t *t = calloc (runs, sizeof *t);
  double m;
  size_t i;

  for (i = 0; i < 100; ++i)
    if (minnow_internal_test_noop (g) == -1)
      exit (EXIT_FAILURE);
  for (i = 0; i < runs; ++i) {
    int64_t t0 = now_ns ();

    if (minnow_internal_test_noop (g) == -1)
      exit (EXIT_FAILURE);
    t[i] = now_ns () - t0;
  }
  minnow_close (g);
  m = median_us (t, runs);
  free (t);
  return m;
}

static double
bench_raw (const char *self, size_t len, size_t runs)
{
  int64_t *t = calloc (runs, sizeof *t);
  struct command *cmd;
  char buf[256];
  int sv[2], status;
  double m;
  size_t i;

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
    perror ("socketpair");
    exit (EXIT_FAILURE);
  }
  cmd = command_new (self);
  command_add_arg (cmd, "--echo-server");
  command_add_arg_format (cmd, "%zu", len);
  command_pass_fd (cmd, sv[1], COMMAND_PASS_FD_CLOSE_PARENT);
  command_set_renumber_fds (cmd);
  if (command_run_async (cmd, NULL) == -1) {
    fprintf (stderr, "bench-spine: %s\n", command_get_error (cmd));
    exit (EXIT_FAILURE);
  }
  memset (buf, 'x', sizeof buf);
  for (i = 0; i < 100 + runs; ++i) {
    int64_t t0 = now_ns ();

    if (minnow_send_all (sv[0], buf, len, -1) == -1 ||
        read_full (sv[0], buf, len) == -1) {
      fprintf (stderr, "bench-spine: the echo server went away\n");
      exit (EXIT_FAILURE);
    }
    if (i >= 100)
      t[i - 100] = now_ns () - t0;
  }
  close (sv[0]);
  command_wait (cmd, &status);
  command_free (cmd);
  m = median_us (t, runs);
  free (t);
  return m;
}

int
main (int argc, char *argv[])
{
  size_t launches = 50, trips = 5000, len;
  double launch, noop, raw;

  if (argc == 3 && strcmp (argv[1], "--echo-server") == 0)
    return echo_server (strtoul (argv[2], NULL, 10));
  if (argc > 1)
    launches = strtoul (argv[1], NULL, 10);
  if (argc > 2)
    trips = strtoul (argv[2], NULL, 10);
  if (launches == 0 || trips == 0) {
    fprintf (stderr, "usage: bench-spine [LAUNCHES [ROUND_TRIPS]]\n");
    return EXIT_FAILURE;
  }

  len = noop_message_size ();
  launch = bench_launch (launches);
  noop = bench_noop (trips);
  raw = bench_raw (argv[0], len, trips);

  printf ("launch+close, one scratch drive: median %.2f ms over %zu "
          "(target < 10 ms: %s)\n", launch / 1e3, launches,
          launch < 10000 ? "met" : "MISSED");
  printf ("round trip internal_test_noop:   median %.1f us over %zu\n",
          noop, trips);
  printf ("raw socketpair ping-pong, %zu+%zu bytes: median %.1f us\n",
          len, len, raw);
  printf ("ratio noop / raw: %.2f (target < 2: %s)\n", noop / raw,
          noop / raw < 2 ? "met" : "MISSED");
  return EXIT_SUCCESS;
}
