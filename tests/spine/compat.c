/* A program written the way a libguestfs program reads after renaming
 * guestfs to minnow: the fixed-arity forms of the calls that once had no
 * optional arguments (minnow_add_drive, minnow_mkfs, minnow_umount,
 * minnow_is_dir ...) next to their _opts, _opts_va and _opts_argv forms.
 * It is compiled with -Wall -Wextra -Werror, so a form missing from
 * minnow.h or a prototype that no longer matches fails the build.  TAP. */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "minnow.h"
#include "tap.h"

#if !defined (MINNOW_HAVE_ADD_DRIVE) || !defined (MINNOW_HAVE_ADD_DRIVE_OPTS) \
  || !defined (MINNOW_HAVE_MKFS_OPTS) || !defined (MINNOW_HAVE_UMOUNT_OPTS) \
  || !defined (MINNOW_HAVE_IS_DIR_OPTS) || !defined (MINNOW_HAVE_IS_SOCKET_OPTS)
# error "a MINNOW_HAVE_*_OPTS define is missing"
#endif

/* The _va form, reached the way a wrapper library would. */
static int
is_dir_via_va (minnow_h *g, const char *path, ...)
{
  va_list ap;
  int r;

  va_start (ap, path);
  r = minnow_is_dir_opts_va (g, path, ap);
  va_end (ap);
  return r;
}

static char *
scratch_image (const char *what, off_t size)
{
  char *path = malloc (64);
  int fd;

  if (path == NULL)
    exit (EXIT_FAILURE);
  snprintf (path, 64, "compat-%s-%d.img", what, (int) getpid ());
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd == -1 || ftruncate (fd, size) == -1 || close (fd) == -1) {
    printf ("Bail out! %s: %s\n", path, strerror (errno));
    exit (EXIT_FAILURE);
  }
  return path;
}

int
main (void)
{
  minnow_h *g;
  char *disk = scratch_image ("rw", 64 << 20);
  char *ro = scratch_image ("ro", 1 << 20);
  struct minnow_umount_opts_argv umount_argv = {
    .bitmask = MINNOW_UMOUNT_OPTS_FORCE_BITMASK,
    .force = 0,
  };
  struct minnow_is_file_opts_argv is_file_argv = {
    .bitmask = MINNOW_IS_FILE_OPTS_FOLLOWSYMLINKS_BITMASK,
    .followsymlinks = 1,
  };
  char buf[1] = { 'x' };

  tap_plan (25);

  g = minnow_create_flags (MINNOW_CREATE_NO_ENVIRONMENT);
  if (g == NULL) {
    printf ("Bail out! minnow_create_flags failed\n");
    return EXIT_FAILURE;
  }
  minnow_set_error_handler (g, NULL, NULL);

  tap_is_int (minnow_add_drive (g, disk), 0, "minnow_add_drive (g, filename)");
  tap_is_int (minnow_add_drive_opts (g, ro,
                                     MINNOW_ADD_DRIVE_OPTS_FORMAT, "raw",
                                     MINNOW_ADD_DRIVE_OPTS_READONLY, 1, -1),
              0, "minnow_add_drive_opts with format and readonly");
  tap_is_int (minnow_add_drive_opts (g, ro, 99, 1, -1), -1,
              "minnow_add_drive_opts rejects an unknown option number");
  tap_is_int (minnow_last_errno (g), EINVAL, "... with EINVAL");
  tap_ok (strstr (minnow_last_error (g), "add_drive") != NULL,
          "... naming the call: %s", minnow_last_error (g));
  if (minnow_launch (g) == -1) {
    printf ("Bail out! launch: %s\n", minnow_last_error (g));
    return EXIT_FAILURE;
  }
  tap_is_int (minnow_pwrite_device (g, "/dev/sdb", buf, 1, 0), -1,
              "the drive added with MINNOW_ADD_DRIVE_OPTS_READONLY is read-only");

  tap_is_int (minnow_part_disk (g, "/dev/sda", "mbr"), 0, "part_disk");
  tap_is_int (minnow_mkfs (g, "ext4", "/dev/sda1"), 0,
              "minnow_mkfs (g, fstype, device)");
  tap_is_int (minnow_mount (g, "/dev/sda1", "/"), 0, "mount");
  tap_is_int (minnow_mkdir (g, "/d"), 0, "mkdir /d");
  tap_is_int (minnow_touch (g, "/f"), 0, "touch /f");
  tap_is_int (minnow_ln_s (g, "d", "/ld"), 0, "ln_s d /ld");
  tap_is_int (minnow_mkfifo (g, 0644, "/p"), 0, "mkfifo /p");

  tap_is_int (minnow_is_dir (g, "/d"), 1, "minnow_is_dir (g, path) of a directory");
  tap_is_int (minnow_is_dir (g, "/ld"), 0,
              "minnow_is_dir of a symlink to a directory is false");
  tap_is_int (minnow_is_dir_opts (g, "/ld", MINNOW_IS_DIR_OPTS_FOLLOWSYMLINKS, 1, -1), 1,
              "minnow_is_dir_opts with followsymlinks follows it");
  tap_is_int (is_dir_via_va (g, "/ld", MINNOW_IS_DIR_OPTS_FOLLOWSYMLINKS, 1, -1), 1,
              "minnow_is_dir_opts_va agrees");
  tap_is_int (minnow_is_file (g, "/f"), 1, "minnow_is_file (g, path)");
  tap_is_int (minnow_is_file_opts_argv (g, "/f", &is_file_argv), 1,
              "minnow_is_file_opts_argv");
  tap_ok (minnow_is_fifo (g, "/p") == 1 && minnow_is_blockdev (g, "/p") == 0 &&
          minnow_is_chardev (g, "/p") == 0 && minnow_is_socket (g, "/p") == 0,
          "minnow_is_fifo/is_blockdev/is_chardev/is_socket (g, path)");

  tap_is_int (minnow_umount (g, "/"), 0, "minnow_umount (g, pathordevice)");
  tap_is_int (minnow_mount (g, "/dev/sda1", "/"), 0, "mount again");
  tap_is_int (minnow_umount_opts_argv (g, "/", &umount_argv), 0,
              "minnow_umount_opts_argv");
  tap_is_int (minnow_mkfs_opts (g, "ext4", "/dev/sda1",
                                MINNOW_MKFS_OPTS_LABEL, "compat", -1), 0,
              "minnow_mkfs_opts with a label");

  tap_is_int (minnow_shutdown (g), 0, "shutdown");
  minnow_close (g);
  unlink (disk);
  unlink (ro);
  free (disk);
  free (ro);
  return tap_done ();
}
