/* minnow: images made hostile on purpose, through the storage engine.
 *
 * Each case is a reproducer of a bug that once crashed the daemon or
 * hung it: a superblock whose first data block is wrong (libext2fs then
 * wrote past its bitmap buffers), an inode whose size no file can have
 * (reads of petabytes of holes).  Each must fail at once with EUCLEAN
 * and a message that says what is wrong, and leave the image as it was.
 */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage.h"
#include "fsops.h"
#include "harness.h"

static char *err;

static void
clear_err (void)
{
  free (err);
  err = NULL;
}

static void
poke (const char *image, off_t offset, const void *bytes, size_t len)
{
  int fd = open (image, O_WRONLY | O_CLOEXEC);

  if (fd == -1 || pwrite (fd, bytes, len, offset) != (ssize_t) len)
    perror (image);
  if (fd >= 0)
    close (fd);
}

/* A filesystem made by mke2fs on a fresh image file, as drive /dev/sda. */
static void
fresh (const char *image, const char *type, const char *blocksize,
       const char *features)
{
  const char *argv[] = { "mke2fs", "-q", "-F", "-t", type, "-b", blocksize,
                         "-O", features, image, "16M", NULL };

  harness_close_drives ();
  unlink (image);
  if (harness_run (argv, NULL) != 0)
    tap_diag ("mke2fs %s failed", image);
  harness_add_drive (image, 0, 0);
}

static void
test_first_data_block (const char *image, const char *type,
                       const char *blocksize, uint32_t bad)
{
  unsigned char le[4] = { bad, bad >> 8, bad >> 16, bad >> 24 };
  char before[65], *digest;
  int r;

  fresh (image, type, blocksize, "^metadata_csum");
  poke (image, 1024 + 20, le, 4);
  harness_close_drives ();
  harness_add_drive (image, 0, 0);
  snprintf (before, sizeof before, "%s", file_digest (image));
  r = storage_mount ("/dev/sda", "/", "", 0, &err);
  is_int (r, -EUCLEAN, "%s, %s-byte blocks, first data block %u: "
          "read-write mount refused", type, blocksize, bad);
  ok (err && strstr (err, "first data block"), "the message says why: %s",
      err ? err : "(none)");
  clear_err ();
  is_int (storage_mount ("/dev/sda", "/", "", 1, &err), -EUCLEAN,
          "read-only mount refused too");
  clear_err ();
  storage_umount_all (NULL);
  digest = strdup (file_digest (image));
  is_str (digest, before, "the image is unchanged");
  free (digest);
}

static void
test_inode_size (const char *image, const char *type, const char *blocksize,
                 const char *size, int sane)
{
  char cmd[128], buf[4096];
  const char *argv[] = { "debugfs", "-w", "-R", cmd, image, NULL };
  struct engine_stat st;
  ssize_t n;
  int r;

  fresh (image, type, blocksize, "^metadata_csum");
  storage_mount ("/dev/sda", "/", "", 0, NULL);
  fsop_write ("/f", "hello", 5, 0);
  storage_umount_all (NULL);
  harness_close_drives ();
  snprintf (cmd, sizeof cmd, "sif /f size %s", size);
  harness_run (argv, NULL);
  harness_add_drive (image, 0, 0);
  is_int (storage_mount ("/dev/sda", "/", "", 1, &err), 0,
          "%s, %s-byte blocks, /f of size %s: mounts read-only", type,
          blocksize, size);
  clear_err ();
  r = fsop_stat ("/f", 0, &st);
  n = fsop_pread ("/f", buf, sizeof buf, (int64_t) 1 << 40);
  if (sane) {
    is_int (r, 0, "a size the filesystem allows: stat works");
    is_int (n, 0, "and a read at its end gives nothing");
  }
  else {
    is_int (r, -EUCLEAN, "stat: EUCLEAN");
    is_int (n, -EUCLEAN, "read: EUCLEAN, not petabytes of holes");
  }
  storage_umount_all (NULL);
}

int
main (void)
{
  char image[512];

  snprintf (image, sizeof image, "%s/hostile.img", scratch_dir ());
  test_first_data_block (image, "ext2", "1024", 127);
  test_first_data_block (image, "ext4", "4096", 1);
  test_first_data_block (image, "ext4", "1024", 0);
  test_inode_size (image, "ext2", "1024", "4107282860161892355", 0);
  test_inode_size (image, "ext4", "4096", "4107282860161892355", 0);
  test_inode_size (image, "ext4", "4096", "1099511627776", 1);
  harness_close_drives ();
  unlink (image);
  return tap_done ();
}
