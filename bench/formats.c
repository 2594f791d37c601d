/* bench/formats: a qcow2 drive next to a raw one, in one run (issue 11).
 *
 * For each of raw and qcow2 (a fresh 1 GiB image in $TMPDIR, made by
 * disk_create): launch time, the latency of a small call (is_file on a
 * mounted ext4, median of many), the upload throughput of a 256 MiB
 * host file (with the final sync), and the download throughput of that
 * file back.  Then the ratios qcow2 / raw.  The qcow2 drive is served
 * by qemu-nbd; the daemon's engines reach it over their own NBD
 * connection, its programs through nbdfuse (c/fuse-drive.c).
 *
 * On a shared machine one run can be off by 2x either way, so raw and
 * qcow2 alternate for BENCH_ROUNDS rounds (default 3); the table shows
 * each figure's median, and the last line every round's upload ratio.
 * Exits 77 (skip) when the qcow2 chain cannot start here. */

#include <config.h>

#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "minnow.h"

#define CALLS 2000
#define UPLOAD_BYTES (256LL << 20)

#define MAX_ROUNDS 15

struct result { double launch_ms, call_us, upload_mbps, download_mbps; };

static double
now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
die (minnow_h *g, const char *what)
{
  fprintf (stderr, "bench/formats: %s: %s\n", what,
           g ? minnow_last_error (g) : "failed");
  exit (1);
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static int
run (const char *format, const char *image, const char *hostfile,
     const char *back, struct result *res)
{
  static double lat[CALLS];
  minnow_h *g = minnow_create ();
  double t;
  int i;

  if (g == NULL)
    die (NULL, "minnow_create");
  if (minnow_disk_create (g, image, format, 1LL << 30, -1) == -1)
    die (g, "disk_create");
  minnow_set_error_handler (g, NULL, NULL);
  t = now ();
  if (minnow_add_drive_opts (g, image, MINNOW_ADD_DRIVE_OPTS_FORMAT, format,
                             -1) == -1
      || minnow_launch (g) == -1) {
    fprintf (stderr, "bench/formats: %s drive: %s\n", format,
             minnow_last_error (g));
    minnow_close (g);
    unlink (image);
    return -1;
  }
  res->launch_ms = (now () - t) * 1e3;
  if (minnow_part_disk (g, "/dev/sda", "mbr") == -1
      || minnow_mkfs (g, "ext4", "/dev/sda1") == -1
      || minnow_mount (g, "/dev/sda1", "/") == -1
      || minnow_touch (g, "/f") == -1)
    die (g, "part_disk/mkfs/mount");
  for (i = 0; i < CALLS; ++i) {
    t = now ();
    if (minnow_is_file (g, "/f") != 1)
      die (g, "is_file");
    lat[i] = (now () - t) * 1e6;
  }
  qsort (lat, CALLS, sizeof lat[0], cmp_double);
  res->call_us = lat[CALLS / 2];
  t = now ();
  if (minnow_upload (g, hostfile, "/big") == -1 || minnow_sync (g) == -1)
    die (g, "upload");
  res->upload_mbps = UPLOAD_BYTES / 1e6 / (now () - t);
  t = now ();
  if (minnow_download (g, "/big", back) == -1)
    die (g, "download");
  res->download_mbps = UPLOAD_BYTES / 1e6 / (now () - t);
  unlink (back);
  if (minnow_shutdown (g) == -1)
    die (g, "shutdown");
  minnow_close (g);
  unlink (image);
  return 0;
}

/* The median of field (an offset in struct result) over n results. */
static double
median (const struct result *res, int n, size_t field)
{
  double v[MAX_ROUNDS];
  int i;

  for (i = 0; i < n; ++i)
    v[i] = *(const double *) ((const char *) &res[i] + field);
  qsort (v, n, sizeof v[0], cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define MEDIAN(res, n, f) median (res, n, offsetof (struct result, f))

int
main (void)
{
  const char *tmpdir = getenv ("TMPDIR") ? getenv ("TMPDIR") : "/tmp";
  const char *s = getenv ("BENCH_ROUNDS");
  int rounds = s && atoi (s) > 0 ? atoi (s) : 3;
  char hostfile[4096], raw[4200], qcow2[4200], back[4200];
  struct result r[MAX_ROUNDS], q[MAX_ROUNDS];
  static char block[1 << 20];
  long long done;
  int fd, i;

  if (rounds > MAX_ROUNDS)
    rounds = MAX_ROUNDS;
  snprintf (hostfile, sizeof hostfile, "%s/bench-formats-XXXXXX", tmpdir);
  fd = mkstemp (hostfile);
  if (fd == -1) {
    perror (hostfile);
    return 1;
  }
  for (done = 0; done < UPLOAD_BYTES; done += sizeof block) {
    memset (block, (int) (done >> 20), sizeof block);
    block[done % 4093] ^= 0x5a;
    if (write (fd, block, sizeof block) != (ssize_t) sizeof block) {
      perror ("write");
      return 1;
    }
  }
  close (fd);
  snprintf (raw, sizeof raw, "%s.raw", hostfile);
  snprintf (qcow2, sizeof qcow2, "%s.qcow2", hostfile);
  snprintf (back, sizeof back, "%s.back", hostfile);

  for (i = 0; i < rounds; ++i) {
    if (run ("raw", raw, hostfile, back, &r[i]) == -1) {
      unlink (hostfile);
      return 1;
    }
    if (run ("qcow2", qcow2, hostfile, back, &q[i]) == -1) {
      unlink (hostfile);
      return 77;
    }
  }
  unlink (hostfile);
  printf ("medians of %d rounds\n", rounds);
  printf ("%-6s %12s %16s %14s %16s\n", "format", "launch_ms",
          "call_median_us", "upload_MBps", "download_MBps");
  printf ("%-6s %12.1f %16.1f %14.1f %16.1f\n", "raw",
          MEDIAN (r, rounds, launch_ms), MEDIAN (r, rounds, call_us),
          MEDIAN (r, rounds, upload_mbps), MEDIAN (r, rounds, download_mbps));
  printf ("%-6s %12.1f %16.1f %14.1f %16.1f\n", "qcow2",
          MEDIAN (q, rounds, launch_ms), MEDIAN (q, rounds, call_us),
          MEDIAN (q, rounds, upload_mbps), MEDIAN (q, rounds, download_mbps));
  printf ("qcow2/raw: launch %.2fx, call %.2fx, upload throughput %.2fx, "
          "download throughput %.2fx\n",
          MEDIAN (q, rounds, launch_ms) / MEDIAN (r, rounds, launch_ms),
          MEDIAN (q, rounds, call_us) / MEDIAN (r, rounds, call_us),
          MEDIAN (q, rounds, upload_mbps) / MEDIAN (r, rounds, upload_mbps),
          MEDIAN (q, rounds, download_mbps)
          / MEDIAN (r, rounds, download_mbps));
  printf ("upload ratio of each round:");
  for (i = 0; i < rounds; ++i)
    printf (" %.2f", q[i].upload_mbps / r[i].upload_mbps);
  printf ("\n");
  return 0;
}
