/* checksum, checksum_device and checksums_out, computed in the daemon,
 * against the host's coreutils (cksum, md5sum, sha*sum) on the same
 * bytes: sizes 0, 1, 4095, 4096, 1 MiB + 1 and 5 MiB + 3 (more than one
 * of the daemon's read runs), every algorithm. */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "minnow.h"
#include "command.h"
#include "tap.h"

static char tmpdir[] = "/tmp/minnow-checksum-XXXXXX";

static const struct {
  const char *type, *tool;
} algos[] = {
  { "crc", "cksum" }, { "md5", "md5sum" }, { "sha1", "sha1sum" },
  { "sha224", "sha224sum" }, { "sha256", "sha256sum" },
  { "sha384", "sha384sum" }, { "sha512", "sha512sum" },
};
#define NALGOS (sizeof algos / sizeof algos[0])

static const long sizes[] = { 0, 1, 4095, 4096, 1048577, 5 * 1048576 + 3 };
#define NSIZES (sizeof sizes / sizeof sizes[0])

/* The first word of the host tool's output for path, or NULL. */
static char *
host_sum (const char *tool, const char *path)
{
  const char *argv[] = { tool, path, NULL };
  struct command *cmd = command_new_argv (argv);
  char *out = NULL, *ret = NULL;
  size_t len = 0;
  int status;

  command_add_env_pass_common (cmd);
  command_set_output_buffer (cmd, &out, &len);
  if (command_run (cmd, &status) == 0 && status == 0 && out)
    ret = strndup (out, strcspn (out, " \t\n"));
  command_free (cmd);
  free (out);
  return ret;
}

static void
make_file (const char *path, long size, unsigned seed)
{
  FILE *fp = fopen (path, "w");
  long i;

  if (fp == NULL)
    abort ();
  for (i = 0; i < size; i++) {
    seed = seed * 1103515245 + 12345;
    putc ((int) (seed >> 16), fp);
  }
  if (fclose (fp) != 0)
    abort ();
}

int
main (void)
{
  char host[256], img[256], listing[256], what[128];
  minnow_h *g;
  size_t i, k;
  int fd;

  tap_plan ((int) (NSIZES * NALGOS + 2 * NALGOS + 4));
  if (mkdtemp (tmpdir) == NULL)
    abort ();
  snprintf (host, sizeof host, "%s/in", tmpdir);
  snprintf (img, sizeof img, "%s/disk.img", tmpdir);
  snprintf (listing, sizeof listing, "%s/sums", tmpdir);
  fd = open (img, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd == -1 || ftruncate (fd, 64 << 20) == -1)
    abort ();
  close (fd);

  g = minnow_create_flags (MINNOW_CREATE_NO_ENVIRONMENT);
  if (g == NULL || minnow_add_drive (g, img) == -1 ||
      minnow_launch (g) == -1 ||
      minnow_part_disk (g, "/dev/sda", "mbr") == -1 ||
      minnow_mkfs (g, "ext4", "/dev/sda1") == -1 ||
      minnow_mount (g, "/dev/sda1", "/") == -1 ||
      minnow_mkdir (g, "/d") == -1) {
    printf ("Bail out! cannot set up: %s\n", g ? minnow_last_error (g) : "");
    return 1;
  }
  minnow_set_error_handler (g, NULL, NULL);

  for (i = 0; i < NSIZES; i++) {
    make_file (host, sizes[i], (unsigned) i + 1);
    if (minnow_upload (g, host, "/d/f") == -1) {
      printf ("Bail out! upload: %s\n", minnow_last_error (g));
      return 1;
    }
    for (k = 0; k < NALGOS; k++) {
      char *want = host_sum (algos[k].tool, host);
      char *got = minnow_checksum (g, algos[k].type, "/d/f");

      snprintf (what, sizeof what, "checksum %s of %ld bytes = %s",
                algos[k].type, sizes[i], algos[k].tool);
      tap_is_str (got, want ? want : "(host tool failed)", what);
      free (want);
      free (got);
    }
  }

  /* checksums_out: "SUM  ./f" per file, as the host tool prints it
   * when run in the directory (the file holds the last size). */
  for (k = 0; k < NALGOS; k++) {
    char *want = host_sum (algos[k].tool, host), *text = NULL, line[300];
    FILE *fp;

    snprintf (line, sizeof line, "%s  ./f\n", want ? want : "?");
    if (minnow_checksums_out (g, algos[k].type, "/d", listing) == 0 &&
        (fp = fopen (listing, "r")) != NULL) {
      size_t n = 0;
      getdelim (&text, &n, '\0', fp);
      fclose (fp);
    }
    snprintf (what, sizeof what, "checksums_out %s", algos[k].type);
    tap_is_str (text, line, what);
    free (text);
    free (want);
  }

  /* checksum_device of the whole drive against the image file, after
   * the mounted filesystem is flushed. */
  tap_ok (minnow_sync (g) == 0, "sync");
  for (k = 0; k < NALGOS; k++) {
    char *want = host_sum (algos[k].tool, img);
    char *got = minnow_checksum_device (g, algos[k].type, "/dev/sda");

    snprintf (what, sizeof what, "checksum_device %s of the drive",
              algos[k].type);
    tap_is_str (got, want ? want : "(host tool failed)", what);
    free (want);
    free (got);
  }

  tap_ok (minnow_checksum (g, "sha256", "/d") == NULL &&
          minnow_last_errno (g) == EISDIR, "checksum of a directory: EISDIR");
  tap_ok (minnow_checksum (g, "sha256", "/nope") == NULL &&
          minnow_last_errno (g) == ENOENT, "checksum of nothing: ENOENT");
  tap_ok (minnow_umount_all (g) == 0 &&
          minnow_e2fsck (g, "/dev/sda1", -1) == 0,
          "e2fsck -fn is clean at the end");

  minnow_close (g);
  unlink (host);
  unlink (img);
  unlink (listing);
  rmdir (tmpdir);
  return tap_done ();
}
