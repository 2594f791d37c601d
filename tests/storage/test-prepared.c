/* minnow: reading a filesystem that the engine did not write.
 *
 * Builds a directory tree on the host (names with spaces, newlines and
 * UTF-8, symlinks, hard links, a sparse file, a 10,000-entry directory,
 * xattrs, odd modes and owners, device nodes), turns it into an ext4
 * image with `mke2fs -d`, adds the image read-only and compares every
 * entry the engine reports with the host's view of the source tree.
 * Then, as root, adds a 100,000-entry (indexed) directory with the kernel
 * and reads it back, writes through the engine and compares a kernel
 * mount of the result with what the engine reports (skipped when not
 * root).
 */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "storage.h"
#include "fsops.h"
#include "harness.h"

/* mke2fs -d links each name after a linear search, so it is quadratic:
 * the source tree gets 10,000 entries, and the 100,000-entry directory
 * is made by the kernel when we are root (check_huge_dir). */
#define BIG_DIR_ENTRIES 10000
#define HUGE_DIR_ENTRIES 100000

static char src[512];

static void
die (const char *what)
{
  perror (what);
  exit (99);
}

static void
put (const char *name, const char *content)
{
  char p[1024];
  int fd;

  snprintf (p, sizeof p, "%s/%s", src, name);
  fd = open (p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd == -1 || write (fd, content, strlen (content)) == -1)
    die (p);
  close (fd);
}

static void
sub (char *buf, size_t size, const char *name)
{
  snprintf (buf, size, "%s/%s", src, name);
}

static void
build_tree (void)
{
  char p[1024], q[1024];
  int fd, i;

  snprintf (src, sizeof src, "%s/src", scratch_dir ());
  if (mkdir (src, 0755) == -1)
    die (src);
  put ("plain", "plain text\n");
  put ("name with spaces", "spaces\n");
  put ("new\nline", "newline in the name\n");
  put ("h\xc3\xa9llo-\xc3\xb1-\xe6\x97\xa5\xe6\x9c\xac", "utf-8\n");
  put ("tab\tand\\backslash", "odd\n");
  sub (p, sizeof p, "dir");
  mkdir (p, 0750);
  sub (p, sizeof p, "dir/nested");
  mkdir (p, 0700);
  put ("dir/nested/deep", "deep\n");
  /* Symlinks: relative, absolute, dangling, to a directory, long. */
  sub (p, sizeof p, "link-rel");
  if (symlink ("plain", p) == -1)
    die (p);
  sub (p, sizeof p, "link-abs");
  if (symlink ("/dir/nested/deep", p) == -1)
    die (p);
  sub (p, sizeof p, "link-dangling");
  if (symlink ("no/such/target", p) == -1)
    die (p);
  sub (p, sizeof p, "link-dir");
  if (symlink ("dir", p) == -1)
    die (p);
  {
    char target[300];
    memset (target, 'x', 299);
    target[299] = '\0';
    sub (p, sizeof p, "link-long");
    if (symlink (target, p) == -1)
      die (p);
  }
  /* Hard links. */
  put ("hard1", "shared by two names\n");
  sub (p, sizeof p, "hard1");
  sub (q, sizeof q, "dir/hard2");
  if (link (p, q) == -1)
    die (q);
  /* Sparse: 1 byte at 0, 1 byte at 100 MiB. */
  sub (p, sizeof p, "sparse");
  fd = open (p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd == -1 || pwrite (fd, "S", 1, 0) != 1
      || pwrite (fd, "E", 1, 100 << 20) != 1)
    die (p);
  close (fd);
  /* Modes and owners. */
  put ("setuid", "#!/bin/sh\n");
  sub (p, sizeof p, "setuid");
  if (chmod (p, 04755) == -1 || chown (p, 1234, 5678) == -1)
    die (p);
  put ("empty", "");
  sub (p, sizeof p, "fifo");
  if (mkfifo (p, 0640) == -1)
    die (p);
  sub (p, sizeof p, "null");
  if (mknod (p, S_IFCHR | 0666, makedev (1, 3)) == -1)
    die (p);
  /* xattrs. */
  sub (p, sizeof p, "plain");
  if (setxattr (p, "user.colour", "blue", 4, 0) == -1
      || setxattr (p, "user.empty", "", 0, 0) == -1)
    die ("setxattr");
  {
    char big[3000];
    memset (big, 'v', sizeof big);
    if (setxattr (p, "user.big", big, sizeof big, 0) == -1)
      die ("setxattr big");
  }
  sub (p, sizeof p, "dir");
  if (setxattr (p, "user.on-a-dir", "yes", 3, 0) == -1)
    die ("setxattr dir");
  /* The large directory. */
  sub (p, sizeof p, "big");
  mkdir (p, 0755);
  for (i = 0; i < BIG_DIR_ENTRIES; i++) {
    snprintf (q, sizeof q, "%s/big/entry-%06d", src, i);
    fd = open (q, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd == -1)
      die (q);
    close (fd);
  }
  /* mke2fs makes lost+found; give the source one so the trees match. */
  sub (p, sizeof p, "lost+found");
  mkdir (p, 0700);
}

static void
check_prepared (const char *image)
{
  struct engine_stat st = { 0 };
  struct fsop_dirent *ents = NULL;
  size_t n = 0;
  char *err = NULL, *buf = NULL;
  size_t len;

  harness_add_drive (image, 0, 1);
  is_int (storage_mount ("/dev/sda", "/", "", 1, &err), 0,
          "mount the prepared image read-only");
  free (err);
  err = NULL;

  is_int (fsop_read_all ("/new\nline", &buf, &len, 100), 0,
          "read a file with a newline in its name");
  is_str (buf, "newline in the name\n", "its content");
  free (buf);
  is_int (fsop_stat ("/link-abs", 0, &st), 0,
          "absolute symlink resolves inside the image");
  is_int (st.size, 5, "to /dir/nested/deep");
  is_int (fsop_stat ("/link-dangling", 0, &st), -ENOENT,
          "dangling symlink: ENOENT");
  is_int (fsop_stat ("/link-dir/nested/../../plain", 0, &st), 0,
          ".. after a symlink to a directory");
  is_int (fsop_stat ("/big/entry-009999", 0, &st), 0,
          "lookup in the 10,000-entry directory");
  is_int (fsop_readdir ("/big", &ents, &n), 0, "readdir /big");
  is_int (n, BIG_DIR_ENTRIES, "all 10,000 entries");
  fsop_dirents_free (ents, n);
  is_int (fsop_stat ("/hard1", 0, &st), 0, "hard link");
  is_int (st.nlink, 2, "two links");
  is_int (fsop_write ("/plain", "x", 1, 0), -EROFS, "read-only: EROFS");

  compare_tree (src, "/", COMPARE_NLINK | COMPARE_NO_ROOT_TIME);

  is_int (storage_umount_all (&err), 0, "umount_all");
  free (err);
  harness_close_drives ();
}

static int
kernel_mount (const char *image, const char *mnt, const char *opts)
{
  const char *argv[] = { "mount", "-o", opts, image, mnt, NULL };

  mkdir (mnt, 0755);
  return harness_run (argv, NULL);
}

/* As root: the kernel makes an indexed directory of 100,000 entries. */
static void
check_huge_dir (const char *image)
{
  char mnt[512], p[600];
  struct fsop_dirent *ents = NULL;
  struct engine_stat st = { 0 };
  size_t n = 0;
  int i, fd;

  snprintf (mnt, sizeof mnt, "%s/mnt", scratch_dir ());
  if (kernel_mount (image, mnt, "loop") != 0) {
    printf ("ok %d - # SKIP loop mount failed\n", ++tap_count);
    return;
  }
  snprintf (p, sizeof p, "%s/huge", mnt);
  mkdir (p, 0755);
  for (i = 0; i < HUGE_DIR_ENTRIES; i++) {
    snprintf (p, sizeof p, "%s/huge/f%06d", mnt, i);
    fd = open (p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0)
      close (fd);
  }
  harness_kernel_umount (mnt, image);

  harness_add_drive (image, 0, 1);
  {
    char *err = NULL;
    is_int (storage_mount ("/dev/sda", "/", "", 1, &err), 0,
            "mount after the kernel wrote");
    if (err)
      printf ("# %s\n", err);
    free (err);
  }
  is_int (fsop_stat ("/huge", 0, &st), 0, "the kernel's huge directory");
  ok (st.flags & 0x1000, "is indexed (htree)");
  is_int (fsop_readdir ("/huge", &ents, &n), 0, "readdir /huge");
  is_int (n, HUGE_DIR_ENTRIES, "all 100,000 entries");
  fsop_dirents_free (ents, n);
  is_int (fsop_stat ("/huge/f099999", 0, &st), 0, "lookup the last entry");
  is_int (fsop_stat ("/huge/f100000", 0, &st), -ENOENT, "and a missing one");
  storage_umount_all (NULL);
  harness_close_drives ();

  /* Changing the indexed directory keeps it valid for e2fsck and the
   * kernel. */
  harness_add_drive (image, 0, 0);
  storage_mount ("/dev/sda", "/", "", 0, NULL);
  is_int (fsop_touch ("/huge/added-by-minnow"), 0, "add to the htree");
  is_int (fsop_unlink ("/huge/f000123"), 0, "remove from the htree");
  is_int (fsop_rename ("/huge/f000124", "/huge/renamed"), 0,
          "rename inside the htree");
  storage_umount_all (NULL);
  {
    char *out = NULL;
    int fsck = storage_e2fsck ("/dev/sda", "-fn", &out, NULL);
    is_int (fsck, 0, "e2fsck -fn clean after changing the htree");
    if (fsck != 0 && out)
      printf ("# %s\n", out);
    free (out);
  }
  harness_close_drives ();
  if (kernel_mount (image, mnt, "loop,ro") == 0) {
    struct stat hs;
    snprintf (p, sizeof p, "%s/huge/added-by-minnow", mnt);
    ok (stat (p, &hs) == 0, "the kernel finds the added name");
    snprintf (p, sizeof p, "%s/huge/renamed", mnt);
    ok (stat (p, &hs) == 0, "and the renamed one");
    snprintf (p, sizeof p, "%s/huge/f000123", mnt);
    ok (stat (p, &hs) == -1 && errno == ENOENT, "not the removed one");
    harness_kernel_umount (mnt, image);
  }
}

/* Writes through the engine, then lets the kernel judge the result. */
static void
check_kernel_view (const char *image)
{
  char mnt[512], *err = NULL;
  int status;

  harness_add_drive (image, 0, 0);
  is_int (storage_mount ("/dev/sda", "/", "", 0, &err), 0, "mount rw");
  free (err);
  err = NULL;
  is_int (fsop_copy_tree ("/dir", "/copy", 1), 0, "cp_a /dir /copy");
  is_int (fsop_rm_rf ("/big"), 0, "rm_rf the big directory");
  is_int (fsop_write ("/written", "by minnow\n", 10, 0), 0, "write a file");
  is_int (fsop_setxattr ("/written", 0, "user.by", "minnow", 6), 0,
          "set an xattr");
  is_int (fsop_rename ("/name with spaces", "/dir/renamed"), 0, "mv");
  is_int (storage_umount_all (&err), 0, "umount_all");
  free (err);
  err = NULL;
  {
    char *out = NULL;
    int fsck = storage_e2fsck ("/dev/sda", "-fn", &out, &err);
    is_int (fsck, 0, "e2fsck -fn clean after the writes");
    if (fsck != 0 && out)
      printf ("# %s\n", out);
    free (out);
    free (err);
    err = NULL;
  }

  if (!harness_is_root ()) {
    printf ("ok %d - # SKIP not root: cannot loop-mount to compare\n",
            ++tap_count);
    harness_close_drives ();
    return;
  }
  snprintf (mnt, sizeof mnt, "%s/mnt", scratch_dir ());
  status = kernel_mount (image, mnt, "loop,ro");
  if (status != 0) {
    printf ("ok %d - # SKIP loop mount failed (status %d)\n", ++tap_count,
            status);
    harness_close_drives ();
    return;
  }
  storage_mount ("/dev/sda", "/", "", 1, &err);
  free (err);
  compare_tree (mnt, "/", COMPARE_NLINK | COMPARE_NSEC);
  storage_umount_all (NULL);
  harness_kernel_umount (mnt, image);
  harness_close_drives ();
}

int
main (void)
{
  char image[512], size[32];
  const char *argv[] = { MKE2FS, "-q", "-F", "-t", "ext4", "-N", "120000",
                         "-d", src, image, size, NULL };
  char *out = NULL;
  int status;

  build_tree ();
  snprintf (image, sizeof image, "%s/prepared.img", scratch_dir ());
  snprintf (size, sizeof size, "%dM", 512);
  status = harness_run (argv, &out);
  is_int (status, 0, "mke2fs -d builds the prepared image");
  if (status != 0) {
    printf ("# %s\n", out ? out : "");
    free (out);
    return tap_done ();
  }
  free (out);

  check_prepared (image);
  check_kernel_view (image);
  if (harness_is_root ())
    check_huge_dir (image);
  else
    printf ("ok %d - # SKIP not root: no 100,000-entry directory\n",
            ++tap_count);
  return tap_done ();
}
