/* tests/formats in C: a qcow2 drive through the library's FUSE chain,
 * run under valgrind by `make check` (the library's side of it: option
 * checks, starting, detaching, reaping, error paths).  TAP; skips
 * without qemu-nbd, nbdfuse or /dev/fuse. */

#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "minnow.h"
#include "tap.h"

static int
have (const char *prog)
{
  const char *path = getenv ("PATH");
  char buf[4096], *copy, *dir, *save = NULL;
  int found = 0;

  if (!path || !(copy = strdup (path)))
    return 0;
  for (dir = strtok_r (copy, ":", &save); dir && !found;
       dir = strtok_r (NULL, ":", &save)) {
    snprintf (buf, sizeof buf, "%s/%s", dir, prog);
    found = access (buf, X_OK) == 0;
  }
  free (copy);
  return found;
}

int
main (void)
{
  char dir[] = "/tmp/minnow-formats-c-XXXXXX";
  char img[256], top[256];
  minnow_h *g;
  char *s;
  char *const bad_server[] = { "udp:1.2.3.4:1", NULL };

  if (!have ("qemu-img") || !have ("qemu-nbd") || !have ("nbdfuse")
      || access ("/dev/fuse", R_OK | W_OK) != 0) {
    printf ("1..0 # SKIP needs qemu-img, qemu-nbd, nbdfuse and /dev/fuse\n");
    return 0;
  }
  if (mkdtemp (dir) == NULL)
    return 1;
  snprintf (img, sizeof img, "%s/disk.qcow2", dir);
  snprintf (top, sizeof top, "%s/top.qcow2", dir);
  tap_plan (12);

  g = minnow_create ();
  minnow_set_error_handler (g, NULL, NULL);
  tap_ok (minnow_disk_create (g, img, "qcow2", 32 << 20, -1) == 0,
          "disk_create qcow2");
  s = minnow_disk_format (g, img);
  tap_is_str (s, "qcow2", "disk_format");
  free (s);
  tap_ok (minnow_disk_virtual_size (g, img) == 32 << 20, "disk_virtual_size");
  tap_ok (minnow_add_drive_opts (g, "", MINNOW_ADD_DRIVE_OPTS_PROTOCOL, "nbd",
                                 MINNOW_ADD_DRIVE_OPTS_SERVER, bad_server,
                                 -1) == -1
          && strstr (minnow_last_error (g), "udp:") != NULL,
          "a bad server is refused by name");
  tap_ok (minnow_add_drive_opts (g, img, MINNOW_ADD_DRIVE_OPTS_FORMAT, "qcow2",
                                 MINNOW_ADD_DRIVE_OPTS_DISCARD, "enable",
                                 -1) == 0, "add_drive format qcow2");
  tap_ok (minnow_launch (g) == 0, "launch");
  tap_ok (minnow_part_disk (g, "/dev/sda", "mbr") == 0
          && minnow_mkfs (g, "ext4", "/dev/sda1") == 0
          && minnow_mount (g, "/dev/sda1", "/") == 0
          && minnow_write (g, "/hello", "qcow2", 5) == 0,
          "part_disk, mkfs, mount, write");
  tap_ok (minnow_shutdown (g) == 0, "shutdown reaps the chain");
  minnow_close (g);

  /* An overlay, probed (no format=), read back. */
  g = minnow_create ();
  minnow_set_error_handler (g, NULL, NULL);
  tap_ok (minnow_disk_create (g, top, "qcow2", -1,
                              MINNOW_DISK_CREATE_BACKINGFILE, img,
                              MINNOW_DISK_CREATE_BACKINGFORMAT, "qcow2",
                              -1) == 0, "disk_create an overlay");
  tap_ok (minnow_add_drive_opts (g, top, MINNOW_ADD_DRIVE_OPTS_READONLY, 1,
                                 -1) == 0
          && minnow_launch (g) == 0
          && minnow_mount_ro (g, "/dev/sda1", "/") == 0,
          "the probed overlay launches read-only");
  s = minnow_cat (g, "/hello");
  tap_is_str (s, "qcow2", "the base's file through the overlay");
  free (s);
  minnow_close (g);                     /* close without shutdown */

  /* A damaged image: launch fails, the handle stays usable. */
  g = minnow_create ();
  minnow_set_error_handler (g, NULL, NULL);
  unlink (img);
  tap_ok (minnow_add_drive_opts (g, top, MINNOW_ADD_DRIVE_OPTS_FORMAT, "qcow2",
                                 -1) == 0
          && minnow_launch (g) == -1
          && strstr (minnow_last_error (g), "disk.qcow2") != NULL,
          "a missing backing file fails launch, naming it");
  minnow_close (g);

  unlink (top);
  rmdir (dir);
  return tap_done ();
}
