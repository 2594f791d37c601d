/* bench/fs in C: the storage engine through the library and the daemon.
 * Prints "NAME VALUE" lines (microseconds per call for small calls,
 * milliseconds for the big ones) that fs.sh puts in a table with the
 * Python numbers. */

#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "minnow.h"

#define NFILES 1000
#define TREE_DIRS 100
#define TREE_FILES 100          /* per directory: 10,000 files */

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
    fprintf (stderr, "bench/fs: %s: %s\n", what, minnow_last_error (g));
    exit (1);
  }
}

int
main (void)
{
  minnow_h *g = minnow_create ();
  char path[64];
  double t;
  int i, j;

  if (g == NULL)
    return 1;
  check (minnow_add_drive_scratch (g, 1024LL << 20, -1), "add_drive_scratch", g);
  check (minnow_launch (g), "launch", g);
  check (minnow_part_init (g, "/dev/sda", "gpt"), "part_init", g);
  check (minnow_part_add (g, "/dev/sda", "p", 2048, 2048 + (512 << 11) - 1),
         "part_add", g);
  check (minnow_part_add (g, "/dev/sda", "p", 2048 + (512 << 11), -34),
         "part_add", g);

  t = now ();
  check (minnow_mkfs (g, "ext4", "/dev/sda1"), "mkfs", g);
  printf ("mkfs_ext4_512MiB_ms %.1f\n", (now () - t) * 1e3);
  check (minnow_mount (g, "/dev/sda1", "/"), "mount", g);
  check (minnow_mkdir (g, "/small"), "mkdir", g);

  t = now ();
  for (i = 0; i < NFILES; i++) {
    snprintf (path, sizeof path, "/small/f%04d", i);
    check (minnow_write (g, path, "small file\n", 11), "write", g);
  }
  printf ("write_us %.1f\n", (now () - t) * 1e6 / NFILES);

  t = now ();
  for (i = 0; i < NFILES; i++) {
    char *s;
    snprintf (path, sizeof path, "/small/f%04d", i);
    s = minnow_cat (g, path);
    if (s == NULL)
      check (-1, "cat", g);
    free (s);
  }
  printf ("cat_us %.1f\n", (now () - t) * 1e6 / NFILES);

  t = now ();
  for (i = 0; i < NFILES; i++) {
    snprintf (path, sizeof path, "/small/f%04d", i);
    check (minnow_is_file (g, path), "is_file", g);
  }
  printf ("is_file_us %.1f\n", (now () - t) * 1e6 / NFILES);

  /* A 10,000-file tree, then cp_a of it. */
  check (minnow_mkdir (g, "/tree"), "mkdir", g);
  for (i = 0; i < TREE_DIRS; i++) {
    snprintf (path, sizeof path, "/tree/d%03d", i);
    check (minnow_mkdir (g, path), "mkdir", g);
    for (j = 0; j < TREE_FILES; j++) {
      snprintf (path, sizeof path, "/tree/d%03d/f%03d", i, j);
      check (minnow_write (g, path, "x", 1), "write", g);
    }
  }
  t = now ();
  check (minnow_cp_a (g, "/tree", "/copy"), "cp_a", g);
  printf ("cp_a_10000_files_ms %.1f\n", (now () - t) * 1e3);

  check (minnow_umount_all (g), "umount_all", g);
  minnow_close (g);
  return 0;
}
