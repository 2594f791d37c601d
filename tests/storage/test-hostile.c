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
#include <sys/stat.h>

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

/* Walks the mounted tree: every entry stat'ed, files read, links read. */
static void
walk (const char *dir, int depth)
{
  struct fsop_dirent *ents = NULL;
  size_t n = 0, i;

  if (depth > 8 || fsop_readdir (dir, &ents, &n) < 0)
    return;
  for (i = 0; i < n; i++) {
    char p[4096], *buf = NULL;
    struct engine_stat st;
    size_t len;

    if (strcmp (ents[i].name, ".") == 0 || strcmp (ents[i].name, "..") == 0)
      continue;
    snprintf (p, sizeof p, "%s/%s", strcmp (dir, "/") ? dir : "",
              ents[i].name);
    if (fsop_stat (p, 1, &st) < 0)
      continue;
    if (S_ISDIR (st.mode))
      walk (p, depth + 1);
    else if (S_ISREG (st.mode) && fsop_read_all (p, &buf, &len, 1 << 20) == 0)
      free (buf);
    else if (S_ISLNK (st.mode) && fsop_readlink (p, &buf) == 0)
      free (buf);
  }
  fsop_dirents_free (ents, n);
}

/* A deterministic mutator: a populated filesystem with a few bytes of
 * its superblock, group descriptors, bitmaps or first inodes changed,
 * mounted read-only (walked; the image must stay unchanged) and then
 * read-write (walked and written to; nothing may crash: valgrind runs
 * this program too).  Regressions of the hostile-image bugs end up here
 * as well as in the cases above. */
static void
test_mutations (const char *image, const char *type, const char *blocksize,
                int cases)
{
  char *base = NULL, *copy, *after;
  size_t size = 16 << 20, region;
  unsigned seed = 20261203;
  int fd, i, changed = 0, mounted_ro = 0, mounted_rw = 0;

  fresh (image, type, blocksize, "^metadata_csum");
  storage_mount ("/dev/sda", "/", "", 0, NULL);
  fsop_mkdir_p ("/a/b/c", 0755);
  fsop_write ("/a/file", "some content\n", 13, 0);
  fsop_write ("/a/b/c/deep", "deeper\n", 7, 0);
  fsop_symlink ("../a/file", "/a/b/link");
  for (i = 0; i < 40; i++) {
    char p[64];
    snprintf (p, sizeof p, "/a/b/n%02d", i);
    fsop_write (p, p, strlen (p), 0);
  }
  storage_umount_all (NULL);
  harness_close_drives ();

  base = malloc (size);
  copy = malloc (size);
  after = malloc (size);
  fd = open (image, O_RDONLY | O_CLOEXEC);
  if (base == NULL || copy == NULL || after == NULL || fd == -1
      || pread (fd, base, size, 0) != (ssize_t) size) {
    ok (0, "read the base image");
    goto out;
  }
  close (fd);
  /* Superblock, descriptors, bitmaps and the first inode blocks. */
  region = atoi (blocksize) == 1024 ? 64 * 1024 : 128 * 1024;
  for (i = 0; i < cases; i++) {
    int k, nbytes = 1 + rand_r (&seed) % 4;

    memcpy (copy, base, size);
    for (k = 0; k < nbytes; k++) {
      size_t off = rand_r (&seed) % 3 == 0
        ? 1024 + (size_t) rand_r (&seed) % 1024      /* the superblock */
        : 1024 + (size_t) rand_r (&seed) % (region - 1024);
      copy[off] = (char) rand_r (&seed);
    }
    fd = open (image, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd == -1 || pwrite (fd, copy, size, 0) != (ssize_t) size)
      perror (image);
    if (fd >= 0)
      close (fd);

    harness_add_drive (image, 0, 1);
    if (storage_mount ("/dev/sda", "/", "", 1, NULL) == 0) {
      mounted_ro++;
      walk ("/", 0);
      storage_umount_all (NULL);
    }
    harness_close_drives ();
    fd = open (image, O_RDONLY | O_CLOEXEC);
    if (fd == -1 || pread (fd, after, size, 0) != (ssize_t) size
        || memcmp (after, copy, size) != 0) {
      tap_diag ("case %d: the read-only mount changed the image", i);
      changed++;
    }
    if (fd >= 0)
      close (fd);
    harness_add_drive (image, 0, 0);
    if (storage_mount ("/dev/sda", "/", "", 0, NULL) == 0) {
      mounted_rw++;
      walk ("/", 0);
      fsop_write ("/new", "x", 1, 0);
      fsop_mkdir ("/newdir", 0755);
      fsop_rm_rf ("/a/b");
      storage_umount_all (NULL);
    }
    harness_close_drives ();
  }
  ok (changed == 0, "%d mutated %s images (%s-byte blocks): read-only "
      "mounts changed none (%d mounted read-only, %d read-write, no crash)",
      cases, type, blocksize, mounted_ro, mounted_rw);
 out:
  free (base);
  free (copy);
  free (after);
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
  test_mutations (image, "ext2", "1024", 100);
  test_mutations (image, "ext4", "4096", 100);
  harness_close_drives ();
  unlink (image);
  return tap_done ();
}
