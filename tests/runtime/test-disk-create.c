/* disk_create: the image file it makes on the host (size, sparseness,
 * full preallocation, truncation of an existing file), and that the
 * daemon sees a disk of that size when it is added. */

#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "minnow.h"
#include "tap.h"

int
main (void)
{
  char dir[] = "/tmp/minnow-disk-create.XXXXXX";
  char sparse[256], full[256];
  struct stat st;
  minnow_h *g;
  int r;

  if (!mkdtemp (dir)) {
    perror ("mkdtemp");
    return 1;
  }
  snprintf (sparse, sizeof sparse, "%s/sparse.img", dir);
  snprintf (full, sizeof full, "%s/full.img", dir);
  tap_plan (9);

  g = minnow_create ();
  minnow_set_error_handler (g, NULL, NULL);

  r = minnow_disk_create (g, sparse, "raw", 64 << 20, -1);
  tap_ok (r == 0 && stat (sparse, &st) == 0, "raw image created in CONFIG state");
  tap_is_int (st.st_size, 64 << 20, "its size is the size asked for");
  tap_is_int (st.st_blocks, 0, "sparse by default: no blocks allocated");

  r = minnow_disk_create (g, full, "raw", 4 << 20,
                          MINNOW_DISK_CREATE_PREALLOCATION, "full", -1);
  if (stat (full, &st) == -1)
    memset (&st, 0, sizeof st);
  tap_ok (r == 0 && st.st_size == 4 << 20
          && (long long) st.st_blocks * 512 >= 4 << 20,
          "preallocation full allocates every block (%lld blocks)",
          (long long) st.st_blocks);

  /* An existing file is replaced. */
  r = minnow_disk_create (g, full, "raw", 1 << 20, -1);
  tap_ok (r == 0 && stat (full, &st) == 0 && st.st_size == 1 << 20,
          "an existing file is truncated to the new size");

  r = minnow_disk_create (g, "/nonexistent-dir/x.img", "raw", 1024, -1);
  tap_ok (r == -1 && strstr (minnow_last_error (g), "/nonexistent-dir/x.img")
          && minnow_last_errno (g) != 0,
          "an unwritable path names the file: %s", minnow_last_error (g));

  r = minnow_disk_create (g, sparse, "qcow7", 1024, -1);
  tap_ok (r == -1 && stat (sparse, &st) == 0 && st.st_size == 64 << 20,
          "a refused format leaves an existing file alone");

  /* The daemon sees it. */
  if (minnow_add_drive_opts (g, sparse, MINNOW_ADD_DRIVE_OPTS_FORMAT, "raw", -1) == 0
      && minnow_launch (g) == 0) {
    tap_is_int (minnow_blockdev_getsize64 (g, "/dev/sda"), 64 << 20,
                "the added image is a 64 MiB /dev/sda");
    tap_ok (minnow_disk_create (g, full, "raw", 2048, -1) == 0,
            "disk_create works while the handle is launched");
  } else {
    tap_ok (0, "launch: %s", minnow_last_error (g));
    tap_ok (0, "disk_create while launched");
  }
  minnow_close (g);

  unlink (sparse);
  unlink (full);
  rmdir (dir);
  return tap_done ();
}
