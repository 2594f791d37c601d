/* bench/bindings: the round trip of internal_test_noop from C, the
 * baseline for the bindings (bindings.sh runs the same loop in every
 * language).  Prints the median over BATCHES batches of the mean time of
 * one call, in microseconds. */

#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "minnow.h"

#define WARMUP 1000
#define BATCHES 21
#define CALLS 1000

static double
now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
compare (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

int
main (void)
{
  minnow_h *g = minnow_create ();
  double t[BATCHES], start;
  int b, i;

  if (g == NULL ||
      minnow_add_drive_scratch (g, 1048576, -1) == -1 ||
      minnow_launch (g) == -1) {
    fprintf (stderr, "bindings-c: could not launch\n");
    exit (EXIT_FAILURE);
  }
  for (i = 0; i < WARMUP; ++i)
    if (minnow_internal_test_noop (g) == -1)
      exit (EXIT_FAILURE);
  for (b = 0; b < BATCHES; ++b) {
    start = now ();
    for (i = 0; i < CALLS; ++i)
      if (minnow_internal_test_noop (g) == -1)
        exit (EXIT_FAILURE);
    t[b] = (now () - start) / CALLS * 1e6;
  }
  qsort (t, BATCHES, sizeof t[0], compare);
  printf ("%.2f\n", t[BATCHES / 2]);
  minnow_close (g);
  return 0;
}
