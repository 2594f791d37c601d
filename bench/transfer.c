/* bench/transfer in C: the minnow side of bench/transfer.sh.
 *
 *   transfer-c files IMAGE HOSTFILE OUTFILE
 *       mkfs ext4 on IMAGE (a raw file), upload HOSTFILE as /f, download
 *       it to OUTFILE; prints upload_MBps, download_MBps.
 *   transfer-c tar IMAGE TARBALL
 *       mkfs ext4 on IMAGE, tar_in TARBALL into /; prints tar_in_ms.
 *
 * Both also print daemon_peak_rss_kib (VmHWM of minnowd).  The times
 * include a final sync, as dd conv=fsync does. */

#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include "minnow.h"

static double
now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
check (int r, const char *what, minnow_h *g)
{
  if (r == -1) {
    fprintf (stderr, "bench/transfer: %s: %s\n", what, minnow_last_error (g));
    exit (1);
  }
}

static long
peak_rss_kib (int pid)
{
  char path[64], line[256];
  long kib = -1;
  FILE *fp;

  snprintf (path, sizeof path, "/proc/%d/status", pid);
  fp = fopen (path, "r");
  if (fp == NULL)
    return -1;
  while (fgets (line, sizeof line, fp))
    if (strncmp (line, "VmHWM:", 6) == 0)
      kib = strtol (line + 6, NULL, 10);
  fclose (fp);
  return kib;
}

static minnow_h *
open_image (const char *image)
{
  minnow_h *g = minnow_create ();

  if (g == NULL)
    exit (1);
  check (minnow_add_drive_opts (g, image, MINNOW_ADD_DRIVE_OPTS_FORMAT, "raw", -1),
         "add_drive", g);
  check (minnow_launch (g), "launch", g);
  check (minnow_mkfs (g, "ext4", "/dev/sda"), "mkfs", g);
  check (minnow_mount (g, "/dev/sda", "/"), "mount", g);
  return g;
}

int
main (int argc, char **argv)
{
  minnow_h *g;
  double t;

  if (argc == 5 && strcmp (argv[1], "files") == 0) {
    struct stat st;
    double mb;

    if (stat (argv[3], &st) == -1) {
      perror (argv[3]);
      return 1;
    }
    mb = st.st_size / 1e6;
    g = open_image (argv[2]);
    t = now ();
    check (minnow_upload (g, argv[3], "/f"), "upload", g);
    check (minnow_sync (g), "sync", g);
    printf ("upload_MBps %.0f\n", mb / (now () - t));
    t = now ();
    check (minnow_download (g, "/f", argv[4]), "download", g);
    printf ("download_MBps %.0f\n", mb / (now () - t));
  }
  else if (argc == 4 && strcmp (argv[1], "tar") == 0) {
    g = open_image (argv[2]);
    t = now ();
    check (minnow_tar_in (g, argv[3], "/"), "tar_in", g);
    check (minnow_sync (g), "sync", g);
    printf ("tar_in_ms %.0f\n", (now () - t) * 1e3);
  }
  else {
    fprintf (stderr, "usage: transfer-c files IMAGE HOSTFILE OUTFILE\n"
             "       transfer-c tar IMAGE TARBALL\n");
    return 2;
  }
  printf ("daemon_peak_rss_kib %ld\n", peak_rss_kib (minnow_get_pid (g)));
  minnow_close (g);
  return 0;
}
