/* minnow: the FAT engine without the RPC (runs under valgrind too).
 *
 * Three drives: FAT16 made by storage_mkfs on an MBR partition (so
 * mkfs.fat and fsck.fat work on a range at an offset), FAT12 and FAT32
 * made by mkfs.fat -F on whole images.  On each: files and directories
 * with long, mixed-case and non-ASCII names, case-insensitive lookup,
 * a directory that grows over several clusters, a multi-cluster file
 * written in pieces and read back, holes filled with zeros, truncate,
 * renames (same directory, across directories, onto an existing file,
 * a change of case), removals, times at FAT's resolution, the calls FAT
 * cannot express, label and statvfs; then unmount, fsck.fat -n must be
 * clean, and a read-only mount shows the same.
 */

#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "storage.h"
#include "part.h"
#include "fsops.h"
#include "harness.h"

static char *err;

static void
clear_err (void)
{
  if (err)
    tap_diag ("%s", err);
  free (err);
  err = NULL;
}

static int
has_name (struct fsop_dirent *ents, size_t n, const char *name)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (strcmp (ents[i].name, name) == 0)
      return 1;
  return 0;
}

static void
pattern (char *buf, size_t len, uint64_t off)
{
  size_t i;

  for (i = 0; i < len; i++)
    buf[i] = (char) ((off + i) * 7 + (off + i) / 4096);
}

static void
write_tree (const char *tag)
{
  struct engine_stat st;
  struct fsop_dirent *ents = NULL;
  size_t n = 0, len = 0, i;
  char *buf = NULL, name[300];
  static char big[3 << 20], back[3 << 20];
  int bad = 0;

  is_int (fsop_mkdir ("/Dir", 0755), 0, "%s: mkdir /Dir", tag);
  is_int (fsop_mkdir ("/dir", 0755), -EEXIST, "%s: mkdir /dir: EEXIST "
          "(case-insensitive)", tag);
  is_int (fsop_write ("/Dir/Hello World.txt", "hello", 5, 0), 0,
          "%s: write a long name", tag);
  is_int (fsop_read_all ("/DIR/hello world.TXT", &buf, &len, 1 << 20), 0,
          "%s: read it under another case", tag);
  ok (len == 5 && buf && memcmp (buf, "hello", 5) == 0, "%s: content", tag);
  free (buf);
  buf = NULL;
  is_int (fsop_write ("/Dir/ünïcödé – naïve.txt", "u", 1, 0), 0,
          "%s: write a non-ASCII name", tag);
  is_int (fsop_write ("/SHORT.TXT", "s", 1, 0), 0, "%s: an 8.3 name", tag);
  is_int (fsop_touch ("/Dir/bad:name"), -EINVAL, "%s: ':' is refused", tag);

  /* A directory of many long names: it grows over several clusters. */
  for (i = 0; i < 300 && !bad; i++) {
    snprintf (name, sizeof name, "/Dir/a rather long file name number %zu"
              ".text", i);
    bad = fsop_write (name, name, strlen (name), 0) != 0;
  }
  ok (!bad, "%s: 300 files with long names", tag);
  is_int (fsop_readdir ("/Dir", &ents, &n), 0, "%s: readdir", tag);
  is_int (n, 302, "%s: 302 entries", tag);
  ok (has_name (ents, n, "Hello World.txt")
      && has_name (ents, n, "ünïcödé – naïve.txt")
      && has_name (ents, n, "a rather long file name number 299.text"),
      "%s: names as written", tag);
  fsop_dirents_free (ents, n);

  /* A file written in pieces, over many clusters. */
  pattern (big, sizeof big, 0);
  is_int (fsop_write ("/big", big, 1 << 20, 0), 0, "%s: write 1 MiB", tag);
  is_int (fsop_pwrite ("/big", big + (1 << 20), (2 << 20) + 5, 1 << 20),
          (2 << 20) + 5, "%s: pwrite the rest", tag);
  is_int (fsop_pread ("/big", back, sizeof back, 0), sizeof big - 0,
          "%s: pread it all", tag);
  ok (memcmp (big, back, sizeof big) == 0, "%s: same bytes", tag);
  is_int (fsop_touch ("/Dir/sparse"), 0, "%s: touch", tag);
  is_int (fsop_pwrite ("/Dir/sparse", "x", 1, 100000), 1,
          "%s: pwrite past the end", tag);
  memset (back, 1, 100001);
  is_int (fsop_pread ("/Dir/sparse", back, 200000, 0), 100001,
          "%s: read the filled hole", tag);
  for (i = 0; i < 100000 && back[i] == 0; i++)
    ;
  ok (i == 100000 && back[100000] == 'x', "%s: zeros, then x", tag);
  is_int (fsop_truncate ("/Dir/sparse", 10), 0, "%s: truncate", tag);
  fsop_stat ("/Dir/sparse", 0, &st);
  is_int (st.size, 10, "%s: size 10", tag);

  /* Renames. */
  is_int (fsop_rename ("/Dir/Hello World.txt", "/moved.txt"), 0,
          "%s: rename across directories", tag);
  is_int (fsop_rename ("/moved.txt", "/MOVED.txt"), 0,
          "%s: rename to another case", tag);
  is_int (fsop_readdir ("/", &ents, &n), 0, "%s: readdir /", tag);
  ok (has_name (ents, n, "MOVED.txt") && !has_name (ents, n, "moved.txt"),
      "%s: the new case shows", tag);
  fsop_dirents_free (ents, n);
  is_int (fsop_rename ("/SHORT.TXT", "/MOVED.txt"), 0,
          "%s: rename onto an existing file", tag);
  is_int (fsop_read_all ("/moved.txt", &buf, &len, 1 << 20), 0,
          "%s: read it", tag);
  ok (len == 1 && buf && buf[0] == 's', "%s: it is the renamed one", tag);
  free (buf);
  buf = NULL;
  is_int (fsop_mkdir_p ("/a/b/c", 0755), 0, "%s: mkdir_p", tag);
  is_int (fsop_write ("/a/b/c/f", "f", 1, 0), 0, "%s: a deep file", tag);
  is_int (fsop_rename ("/a/b", "/Dir/b"), 0, "%s: move a directory", tag);
  is_int (fsop_stat ("/Dir/b/c/f", 0, &st), 0, "%s: its file moved", tag);
  is_int (fsop_rename ("/Dir/b/c/f", "/Dir/b/..x"), 0, "%s: '..x'", tag);
  is_int (fsop_rmdir ("/a"), 0, "%s: rmdir the emptied directory", tag);
  is_int (fsop_rmdir ("/Dir"), -ENOTEMPTY, "%s: rmdir: ENOTEMPTY", tag);
  is_int (fsop_unlink ("/Dir"), -EISDIR, "%s: unlink a directory", tag);

  /* Times: 2 s for mtime, a date for atime. */
  is_int (fsop_utimens ("/moved.txt", 1500000001, 0, 1500000001, 500), 0,
          "%s: utimens", tag);
  fsop_stat ("/moved.txt", 0, &st);
  is_int (st.mtime_sec, 1500000000, "%s: mtime in 2 s steps", tag);
  is_int (st.atime_sec, 1499990400, "%s: atime is a date", tag);
  is_int (st.mode, S_IFREG | 0755, "%s: mode 0755", tag);

  /* What FAT cannot hold. */
  is_int (fsop_chmod ("/moved.txt", 0600), -EPERM, "%s: chmod 0600", tag);
  is_int (fsop_chmod ("/moved.txt", 0555), 0, "%s: chmod 0555", tag);
  fsop_stat ("/moved.txt", 0, &st);
  is_int (st.mode, S_IFREG | 0555, "%s: read-only attribute", tag);
  is_int (fsop_chown ("/moved.txt", 0, 1, 1), -EPERM, "%s: chown", tag);
  is_int (fsop_symlink ("x", "/sym"), -EPERM, "%s: symlink", tag);
  is_int (fsop_link ("/moved.txt", "/hard"), -EPERM, "%s: link", tag);
  is_int (fsop_mknod ("/fifo", S_IFIFO | 0644, 0), -EPERM, "%s: mkfifo", tag);
  is_int (fsop_setxattr ("/moved.txt", 0, "user.x", "v", 1), -EOPNOTSUPP,
          "%s: setxattr", tag);

  is_int (fsop_mkdir_p ("/gone/x/y", 0755), 0, "%s: a tree to remove", tag);
  is_int (fsop_write ("/gone/x/y/z", "z", 1, 0), 0, "%s: with a file", tag);
  is_int (fsop_rm_rf ("/gone"), 0, "%s: rm_rf", tag);
  is_int (fsop_exists ("/gone"), 0, "%s: gone", tag);
}

static void
check_tree (const char *tag)
{
  struct engine_stat st;
  static char big[3 << 20], back[3 << 20];
  struct engine_statvfs sv;

  is_int (fsop_stat ("/Dir/a rather long file name number 150.text", 0, &st),
          0, "%s (ro): a long name", tag);
  pattern (big, sizeof big, 0);
  is_int (fsop_pread ("/BIG", back, sizeof back, 0), sizeof big,
          "%s (ro): the big file", tag);
  ok (memcmp (big, back, sizeof big) == 0, "%s (ro): same bytes", tag);
  is_int (fsop_write ("/new", "x", 1, 0), -EROFS, "%s (ro): EROFS", tag);
  is_int (fsop_statvfs ("/", &sv), 0, "%s (ro): statvfs", tag);
  ok (sv.bfree > 0 && sv.bfree < sv.blocks, "%s (ro): free clusters", tag);
}

static void
one (const char *dev, const char *tag)
{
  char *out = NULL;
  int status;

  is_int (storage_mount (dev, "/", "", 0, &err), 0, "%s: mount", tag);
  clear_err ();
  write_tree (tag);
  is_int (storage_umount_all (&err), 0, "%s: umount", tag);
  clear_err ();
  status = storage_fsck ("vfat", dev, 0, &out, &err);
  is_int (status, 0, "%s: fsck.fat -n is clean", tag);
  if (status != 0 && out)
    tap_diag ("%s", out);
  free (out);
  clear_err ();
  is_int (storage_mount (dev, "/", "", 1, &err), 0, "%s: mount ro", tag);
  clear_err ();
  check_tree (tag);
  storage_umount_all (&err);
  clear_err ();
}

int
main (void)
{
  char sda[512], sdb[512], sdc[512];
  const char *mk12[] = { MKFS_FAT, "-C", "-F", "12", sdb, "8192", NULL };
  const char *mk32[] = { MKFS_FAT, "-C", "-F", "32", "-s", "1", sdc,
                         "49152", NULL };

  snprintf (sda, sizeof sda, "%s/sda.img", scratch_dir ());
  snprintf (sdb, sizeof sdb, "%s/fat12.img", scratch_dir ());
  snprintf (sdc, sizeof sdc, "%s/fat32.img", scratch_dir ());
  if (harness_run (mk12, NULL) != 0 || harness_run (mk32, NULL) != 0) {
    printf ("1..0 # SKIP mkfs.fat (dosfstools) does not run\n");
    return 0;
  }
  harness_add_drive (sda, 64 << 20, 0);
  harness_add_drive (sdb, 0, 0);
  harness_add_drive (sdc, 0, 0);

  is_int (storage_part_disk (0, "msdos", &err), 0, "part_disk /dev/sda");
  clear_err ();
  is_int (storage_mkfs ("vfat", "/dev/sda1", 0, NULL, 0, "FATLABEL", &err),
          0, "mkfs vfat /dev/sda1");
  clear_err ();
  one ("/dev/sda1", "FAT16 on a partition");
  one ("/dev/sdb", "FAT12");
  one ("/dev/sdc", "FAT32");
  harness_close_drives ();
  return tap_done ();
}
