/* bench-checksum: the cost of one `checksum` call on a small file.
 *
 * Writes FILES files of 1 KiB to 64 KiB into an ext4 scratch drive,
 * then times one checksum call per file, for sha256 and for crc, and
 * prints the total and the median per call.  Run it against another
 * daemon (MINNOW_DAEMON=/path/to/minnowd) to compare two builds.
 *
 *   ./run bench/bench-checksum [FILES]
 */

#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "minnow.h"

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

int
main (int argc, char **argv)
{
  static const char *const types[] = { "sha256", "crc", "md5" };
  int files = argc > 1 ? atoi (argv[1]) : 1000;
  minnow_h *g;
  char *buf;
  int64_t *t;
  size_t k;
  int i;

  if (files <= 0) {
    fprintf (stderr, "bench-checksum: FILES must be positive\n");
    return 1;
  }
  buf = malloc (65536);
  t = malloc (files * sizeof *t);
  if (buf == NULL || t == NULL)
    abort ();
  for (i = 0; i < 65536; i++)
    buf[i] = (char) (i * 7 + 3);
  g = minnow_create ();
  if (g == NULL || minnow_add_drive_scratch (g, INT64_C(256) << 20, -1) == -1 ||
      minnow_launch (g) == -1 || minnow_mkfs (g, "ext4", "/dev/sda") == -1 ||
      minnow_mount (g, "/dev/sda", "/") == -1)
    return 1;
  for (i = 0; i < files; i++) {
    char path[64];

    snprintf (path, sizeof path, "/f%d", i);
    if (minnow_write (g, path, buf, 1024 + (i * 4099) % (65536 - 1024)) == -1)
      return 1;
  }
  printf ("checksum of %d small files (1-64 KiB), daemon %s\n", files,
          getenv ("MINNOW_DAEMON") ? getenv ("MINNOW_DAEMON") : "(built)");
  for (k = 0; k < sizeof types / sizeof types[0]; k++) {
    int64_t total = 0;

    for (i = 0; i < files; i++) {
      char path[64];
      char *sum;
      int64_t t0;

      snprintf (path, sizeof path, "/f%d", i);
      t0 = now_ns ();
      sum = minnow_checksum (g, types[k], path);
      t[i] = now_ns () - t0;
      if (sum == NULL)
        return 1;
      free (sum);
      total += t[i];
    }
    qsort (t, files, sizeof *t, cmp_i64);
    printf ("  %-7s %8.1f ms total, median %7.1f us/call, p90 %7.1f us\n",
            types[k], total / 1e6, t[files / 2] / 1e3,
            t[files * 9 / 10] / 1e3);
  }
  minnow_close (g);
  free (buf);
  free (t);
  return 0;
}
