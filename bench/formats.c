/* bench/formats: a qcow2 drive next to a raw one, in one run (issue 11).
 *
 * For each of raw and qcow2 (a fresh 1 GiB image in $TMPDIR, made by
 * disk_create): launch time, the latency of a small call (is_file on a
 * mounted ext4, median of many), and the upload throughput of a 256 MiB
 * host file (with the final sync).  Then the ratios qcow2 / raw.  The
 * qcow2 drive goes through nbdfuse and qemu-nbd (c/fuse-drive.c).
 * Exits 77 (skip) when the qcow2 chain cannot start here. */

#include <config.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "minnow.h"

#define CALLS 2000
#define UPLOAD_BYTES (256LL << 20)

struct result { double launch_ms, call_us, upload_mbps; };

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
     struct result *res)
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
  if (minnow_shutdown (g) == -1)
    die (g, "shutdown");
  minnow_close (g);
  unlink (image);
  return 0;
}

int
main (void)
{
  const char *tmpdir = getenv ("TMPDIR") ? getenv ("TMPDIR") : "/tmp";
  char hostfile[4096], raw[4200], qcow2[4200];
  struct result r, q;
  static char block[1 << 20];
  long long done;
  int fd;

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

  if (run ("raw", raw, hostfile, &r) == -1) {
    unlink (hostfile);
    return 1;
  }
  if (run ("qcow2", qcow2, hostfile, &q) == -1) {
    unlink (hostfile);
    return 77;
  }
  unlink (hostfile);
  printf ("%-6s %12s %16s %14s\n", "format", "launch_ms", "call_median_us",
          "upload_MBps");
  printf ("%-6s %12.1f %16.1f %14.1f\n", "raw", r.launch_ms, r.call_us,
          r.upload_mbps);
  printf ("%-6s %12.1f %16.1f %14.1f\n", "qcow2", q.launch_ms, q.call_us,
          q.upload_mbps);
  printf ("qcow2/raw: launch %.2fx, call %.2fx, upload throughput %.2fx\n",
          q.launch_ms / r.launch_ms, q.call_us / r.call_us,
          q.upload_mbps / r.upload_mbps);
  return 0;
}
