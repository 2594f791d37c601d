/* minnow: the storage engine without the RPC.
 *
 * Partitions two image files (MBR and GPT), makes ext4 with mke2fs,
 * mounts, drives every path operation (files, directories, symlinks, hard
 * links, renames, xattrs, sparse and > 4 GiB files, a large directory),
 * checks path resolution (.., symlink loops, nested mounts), unmounts and
 * runs e2fsck -fn, which must be clean.  Then the same image read-only:
 * every write fails with EROFS and the file is byte-for-byte unchanged.
 */

#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "storage.h"
#include "part.h"
#include "fsops.h"
#include "harness.h"

static char *err;

static void
clear_err (void)
{
  free (err);
  err = NULL;
}

static int
fsck_clean (const char *device, const char *what)
{
  char *out = NULL;
  int status = storage_e2fsck (device, "-fn", &out, &err);

  is_int (status, 0, "e2fsck -fn %s is clean %s", device, what);
  if (status != 0 && out)
    printf ("# %s\n", out);
  free (out);
  clear_err ();
  return status;
}

static void
test_partitions (void)
{
  struct storage_partition *parts = NULL;
  struct storage_part_info info;
  char *s = NULL;
  int n;

  is_int (storage_part_disk (0, "msdos", &err), 0, "part_disk msdos /dev/sda");
  clear_err ();
  n = storage_list_partitions (0, &parts, &err);
  is_int (n, 1, "one partition");
  if (n == 1) {
    is_int (parts[0].partnum, 1, "partition number 1");
    is_int (parts[0].start, 128 * 512, "starts at sector 128");
  }
  free (parts);
  is_int (storage_part_get_parttype (0, &s, &err), 0, "part_get_parttype");
  is_str (s, "msdos", "parttype is msdos");
  free (s);
  is_int (storage_part_set_mbr_id (0, 1, 0x83, &err), 0, "set_mbr_id 0x83");
  is_int (storage_part_set_bootable (0, 1, 1, &err), 0, "set_bootable");
  is_int (storage_part_get_info (0, 1, &info, &err), 0, "get info");
  is_int (info.mbr_id, 0x83, "mbr id reads back");
  is_int (info.bootable, 1, "bootable reads back");
  storage_part_info_free (&info);
  is_int (storage_part_get_info (0, 2, &info, &err), -ENOENT,
          "partition 2 does not exist");
  clear_err ();

  /* GPT on the second drive: three partitions, names, types, GUIDs. */
  is_int (storage_part_init (1, "gpt", &err), 0, "part_init gpt /dev/sdb");
  is_int (storage_part_add (1, "p", 2048, 4095, &err), 0, "part_add 1");
  is_int (storage_part_add (1, "p", 4096, 8191, &err), 0, "part_add 2");
  is_int (storage_part_add (1, "p", 8192, -34, &err), 0, "part_add 3 to the end");
  {
    struct storage_partition *p3 = NULL;
    int np = storage_list_partitions (1, &p3, &err);
    ok (np == 3 && p3[1].start == 4096 * 512 && p3[1].end == 8192 * 512 - 1,
        "sectors are used exactly as given");
    free (p3);
  }
  clear_err ();
  is_int (storage_part_add (1, "p", 10, 20, &err), -ERANGE,
          "part_add inside the GPT's own sectors fails");
  if (err)
    tap_diag ("error was: %s", err);
  clear_err ();
  is_int (storage_part_set_name (1, 2, "data part", &err), 0, "set_name");
  is_int (storage_part_set_gpt_type (1, 2,
                                     "0FC63DAF-8483-4772-8E79-3D69D8477DE4",
                                     &err), 0, "set_gpt_type");
  is_int (storage_part_set_gpt_guid (1, 2,
                                     "01234567-89AB-CDEF-0123-456789ABCDEF",
                                     &err), 0, "set_gpt_guid");
  is_int (storage_part_get_info (1, 2, &info, &err), 0, "get info GPT");
  is_str (info.name, "data part", "name reads back");
  is_str (info.gpt_type, "0FC63DAF-8483-4772-8E79-3D69D8477DE4",
          "gpt type reads back");
  is_str (info.gpt_guid, "01234567-89AB-CDEF-0123-456789ABCDEF",
          "gpt guid reads back");
  storage_part_info_free (&info);
  is_int (storage_part_del (1, 2, &err), 0, "part_del 2");
  n = storage_list_partitions (1, &parts, &err);
  is_int (n, 2, "two partitions left");
  if (n == 2)
    is_int (parts[1].partnum, 3, "numbers keep their place");
  free (parts);
  {
    /* mkfs stays inside its partition: the bytes around it survive. */
    struct engine_range r1, r3;
    char pat[4096], back[4096], before[512], after[512];
    memset (pat, 0xa5, sizeof pat);
    storage_device_range ("/dev/sdb1", &r1, NULL);
    storage_device_range ("/dev/sdb3", &r3, NULL);
    if (pwrite (r3.fd, pat, sizeof pat, r3.offset) != sizeof pat
        || pread (r1.fd, before, sizeof before, r1.offset - 512) != 512)
      perror ("pattern");
    is_int (storage_mkfs ("ext4", "/dev/sdb1", 0, NULL, 0, NULL, &err), 0,
            "mkfs on a 1 MiB partition");
    clear_err ();
    ok (pread (r3.fd, back, sizeof back, r3.offset) == sizeof back
        && memcmp (back, pat, sizeof pat) == 0
        && pread (r1.fd, after, sizeof after, r1.offset - 512) == 512
        && memcmp (before, after, sizeof after) == 0,
        "mkfs wrote nothing outside its partition");
  }
  is_int (storage_part_get_disk_guid (1, &s, &err), 0, "get_disk_guid");
  ok (s && strlen (s) == 36, "disk guid looks like a GUID: %s", s ? s : "");
  free (s);
  clear_err ();
}

static void
test_files (void)
{
  struct engine_stat st;
  char *buf = NULL, *s = NULL;
  size_t len;
  struct fsop_dirent *ents = NULL;
  size_t n = 0;
  struct fsop_xattr *xs;
  int i, r;

  is_int (fsop_mkdir ("/dir", 0777), 0, "mkdir /dir");
  is_int (fsop_stat ("/dir", 0, &st), 0, "stat /dir");
  is_int (st.mode, S_IFDIR | 0755, "mode of /dir is 0755 (umask 022)");
  is_int (fsop_mkdir ("/dir", 0777), -EEXIST, "mkdir /dir again: EEXIST");
  is_int (fsop_mkdir ("/no/such", 0777), -ENOENT, "mkdir /no/such: ENOENT");
  is_int (fsop_mkdir_p ("/a/b/c/d", 0777), 0, "mkdir_p /a/b/c/d");
  is_int (fsop_mkdir_p ("/a/b/c/d", 0777), 0, "mkdir_p again is fine");

  is_int (fsop_write ("/dir/file", "hello", 5, 0), 0, "write /dir/file");
  is_int (fsop_read_all ("/dir/file", &buf, &len, 1 << 20), 0, "cat");
  is_str (buf, "hello", "content reads back");
  free (buf);
  is_int (fsop_write ("/dir/file", " world", 6, 1), 0, "write_append");
  fsop_read_all ("/dir/file", &buf, &len, 1 << 20);
  is_str (buf, "hello world", "appended content");
  free (buf);
  is_int (fsop_write ("/dir/file", "x", 1, 0), 0, "write replaces");
  fsop_stat ("/dir/file", 0, &st);
  is_int (st.size, 1, "size after replace");
  is_int (st.mode, S_IFREG | 0644, "file mode 0644");
  is_int (fsop_write ("/dir", "x", 1, 0), -EISDIR, "write to a directory");
  is_int (fsop_write ("/dir/file/x", "x", 1, 0), -ENOTDIR,
          "write below a file: ENOTDIR");

  {
    char name[300];
    memset (name, 'n', 256);
    name[0] = '/';
    name[257] = '\0';
    memset (name + 1, 'n', 256);
    is_int (fsop_touch (name), -ENAMETOOLONG, "name of 256 bytes");
  }

  /* Symlinks. */
  is_int (fsop_symlink ("dir/file", "/rel"), 0, "ln_s relative");
  is_int (fsop_symlink ("/dir", "/abs"), 0, "ln_s absolute");
  is_int (fsop_readlink ("/rel", &s), 0, "readlink");
  is_str (s, "dir/file", "readlink target");
  free (s);
  is_int (fsop_stat ("/abs/file", 0, &st), 0, "resolve through symlink");
  is_int (fsop_stat ("/rel", 1, &st), 0, "lstat symlink");
  ok (S_ISLNK (st.mode), "lstat sees a symlink");
  is_int (fsop_symlink ("/loop2", "/loop1"), 0, "loop1");
  is_int (fsop_symlink ("/loop1", "/loop2"), 0, "loop2");
  is_int (fsop_stat ("/loop1", 0, &st), -ELOOP, "symlink loop: ELOOP");
  is_int (fsop_symlink ("../../../../../dir", "/a/b/up"), 0, "ln_s ../..");
  is_int (fsop_stat ("/a/b/up/file", 0, &st), 0,
          ".. above / stays at / (inside the image)");
  is_int (fsop_realpath ("/a/b/up/../abs/./file", &s), 0, "realpath");
  is_str (s, "/dir/file", "realpath result");
  free (s);
  {
    /* A long symlink target goes to a block, not the inode. */
    char target[200];
    memset (target, 'z', sizeof target - 1);
    target[sizeof target - 1] = '\0';
    is_int (fsop_symlink (target, "/longlink"), 0, "slow symlink");
    fsop_readlink ("/longlink", &s);
    is_str (s, target, "slow symlink target");
    free (s);
  }

  /* Hard links. */
  is_int (fsop_link ("/dir/file", "/hard"), 0, "ln");
  fsop_stat ("/hard", 0, &st);
  is_int (st.nlink, 2, "two links");
  is_int (fsop_unlink ("/dir/file"), 0, "rm one link");
  fsop_stat ("/hard", 0, &st);
  is_int (st.nlink, 1, "one link left");
  is_int (fsop_link ("/dir", "/dirlink"), -EPERM, "ln of a directory: EPERM");

  /* Rename. */
  is_int (fsop_rename ("/hard", "/dir/moved"), 0, "mv file");
  is_int (fsop_exists ("/hard"), 0, "old name gone");
  is_int (fsop_exists ("/dir/moved"), 1, "new name there");
  is_int (fsop_rename ("/a/b", "/dir/b"), 0, "mv directory across parents");
  is_int (fsop_stat ("/dir/b/c/d", 0, &st), 0, "subtree moved");
  is_int (fsop_rename ("/dir", "/dir/b/inside"), -EINVAL,
          "mv a directory into itself: EINVAL");
  is_int (fsop_write ("/over", "1", 1, 0), 0, "file to overwrite");
  is_int (fsop_write ("/src", "22", 2, 0), 0, "file to move");
  is_int (fsop_rename ("/src", "/over"), 0, "mv over an existing file");
  fsop_stat ("/over", 0, &st);
  is_int (st.size, 2, "replaced by the moved file");

  /* Removal. */
  is_int (fsop_rmdir ("/dir"), -ENOTEMPTY, "rmdir non-empty");
  is_int (fsop_rmdir ("/over"), -ENOTDIR, "rmdir of a file");
  is_int (fsop_unlink ("/a"), -EISDIR, "rm of a directory");
  is_int (fsop_rm_rf ("/dir"), 0, "rm_rf /dir");
  is_int (fsop_exists ("/dir"), 0, "gone");
  is_int (fsop_rm_rf ("/dir"), 0, "rm_rf of a missing path is fine");
  is_int (fsop_rmdir ("/"), -EBUSY, "rmdir /");

  /* Attributes. */
  is_int (fsop_chmod ("/over", 04751), 0, "chmod");
  fsop_stat ("/over", 0, &st);
  is_int (st.mode, S_IFREG | 04751, "mode after chmod");
  is_int (fsop_chown ("/over", 0, 1000, 70000), 0, "chown");
  fsop_stat ("/over", 0, &st);
  is_int (st.uid, 1000, "uid");
  is_int (st.gid, 70000, "gid above 65535");
  is_int (fsop_utimens ("/over", 1234567890, 123456789, -1, 5), 0, "utimens");
  fsop_stat ("/over", 0, &st);
  is_int (st.atime_sec, 1234567890, "atime seconds");
  is_int (st.atime_nsec, 123456789, "atime nanoseconds");
  is_int (st.mtime_sec, -1, "mtime before 1970");
  is_int (fsop_mknod ("/fifo", S_IFIFO | 0666, 0), 0, "mkfifo");
  is_int (fsop_mknod ("/null", S_IFCHR | 0666, makedev (1, 3)), 0, "mknod c");
  is_int (fsop_mknod ("/big", S_IFBLK | 0600, makedev (259, 300000)), 0,
          "mknod b with a large minor");
  fsop_stat ("/null", 0, &st);
  is_int (st.rdev, (int64_t) makedev (1, 3), "rdev 1:3");
  fsop_stat ("/big", 0, &st);
  is_int (st.rdev, (int64_t) makedev (259, 300000), "rdev 259:300000");

  /* Extended attributes. */
  is_int (fsop_setxattr ("/over", 0, "user.a", "value", 5), 0, "setxattr");
  is_int (fsop_setxattr ("/over", 0, "user.b", "", 0), 0, "empty value");
  is_int (fsop_getxattr ("/over", 0, "user.a", &s, &len), 0, "getxattr");
  is_str (s, "value", "xattr value");
  free (s);
  is_int (fsop_listxattrs ("/over", 0, &xs, &n), 0, "listxattrs");
  is_int (n, 2, "two xattrs");
  fsop_xattrs_free (xs, n);
  is_int (fsop_removexattr ("/over", 0, "user.a"), 0, "removexattr");
  is_int (fsop_removexattr ("/over", 0, "user.a"), -ENODATA,
          "removexattr again: ENODATA");
  is_int (fsop_getxattr ("/over", 0, "user.zz", &s, &len), -ENODATA,
          "missing xattr: ENODATA");

  /* Sparse and large files. */
  r = (int) fsop_pwrite ("/over", "END", 3, 5LL << 30);
  is_int (r, 3, "pwrite at 5 GiB");
  fsop_stat ("/over", 0, &st);
  is_int (st.size, (5LL << 30) + 3, "size over 4 GiB");
  ok (st.blocks < 1000, "still sparse (%llu blocks)",
      (unsigned long long) st.blocks);
  {
    char b[8] = { 0 };
    is_int (fsop_pread ("/over", b, 3, 5LL << 30), 3, "pread at 5 GiB");
    is_str (b, "END", "content at 5 GiB");
    is_int (fsop_pread ("/over", b, 4, 1LL << 30), 4, "pread a hole");
    ok (memcmp (b, "\0\0\0\0", 4) == 0, "a hole reads as zeroes");
  }
  is_int (fsop_truncate ("/over", 10), 0, "truncate");
  fsop_stat ("/over", 0, &st);
  is_int (st.size, 10, "size after truncate");
  is_int (fsop_fallocate ("/alloc", 1 << 20), 0, "fallocate 1 MiB");
  fsop_stat ("/alloc", 0, &st);
  is_int (st.size, 1 << 20, "fallocated size");
  ok (st.blocks >= 2048, "blocks are allocated (%llu)",
      (unsigned long long) st.blocks);

  /* A larger directory: entries spill over many blocks. */
  is_int (fsop_mkdir ("/many", 0755), 0, "mkdir /many");
  r = 0;
  for (i = 0; i < 3000 && r == 0; i++) {
    char p[64];
    snprintf (p, sizeof p, "/many/file-with-a-long-name-%05d", i);
    r = fsop_touch (p);
  }
  is_int (r, 0, "3000 files created");
  is_int (fsop_readdir ("/many", &ents, &n), 0, "readdir /many");
  is_int (n, 3000, "3000 entries");
  fsop_dirents_free (ents, n);
  is_int (fsop_stat ("/many/file-with-a-long-name-02999", 0, &st), 0,
          "lookup the last");

  /* Copies. */
  is_int (fsop_write ("/cpsrc", "copy me", 7, 0), 0, "file to copy");
  is_int (fsop_copy_file ("/cpsrc", "/cpdst"), 0, "cp");
  fsop_read_all ("/cpdst", &buf, &len, 100);
  is_str (buf, "copy me", "copy has the content");
  free (buf);
  is_int (fsop_copy_tree ("/a", "/a2", 1), 0, "cp_a of a tree");
  is_int (fsop_stat ("/a2/b", 0, &st), -ENOENT, "b was moved away before");
  is_int (fsop_mkdir_p ("/t/u", 0700), 0, "tree to copy");
  fsop_symlink ("u", "/t/l");
  is_int (fsop_copy_tree ("/t", "/t2", 1), 0, "cp_a /t /t2");
  fsop_stat ("/t2/u", 0, &st);
  is_int (st.mode, S_IFDIR | 0700, "mode kept by cp_a");
  is_int (fsop_readlink ("/t2/l", &s), 0, "symlink copied");
  free (s);
}

static void
test_mounts (void)
{
  struct engine_stat st;

  /* /dev/sdb3 as a second filesystem at /mnt. */
  is_int (storage_mkfs ("ext2", "/dev/sdb3", 0, NULL, 0, "second", &err), 0,
          "mkfs ext2 /dev/sdb3");
  if (err)
    tap_diag ("%s", err);
  clear_err ();
  is_int (fsop_mkdir ("/mnt", 0755), 0, "mkdir /mnt");
  is_int (storage_mount ("/dev/sdb3", "/mnt", "", 0, &err), 0, "mount /mnt");
  clear_err ();
  is_int (fsop_write ("/mnt/f", "in sdb3", 7, 0), 0, "write on sdb3");
  {
    /* A block-mapped file (ext2) with a hole, read in runs. */
    static char model[200000], got[200000];
    size_t i;

    for (i = 0; i < sizeof model; i++)
      model[i] = (char) ('a' + i % 17);
    memset (model + 50000, 0, 60000);
    is_int (fsop_write ("/mnt/blocks", model, 50000, 0), 0,
            "ext2: write 50,000 bytes");
    is_int (fsop_pwrite ("/mnt/blocks", model + 110000, 90000, 110000),
            90000, "ext2: and 90,000 more after a hole");
    memset (got, 1, sizeof got);
    is_int (fsop_pread ("/mnt/blocks", got, 190000, 777), 190000,
            "ext2: pread 190,000 bytes at an odd offset");
    ok (memcmp (got, model + 777, 190000) == 0,
        "ext2: the bytes, the hole as zeroes");
  }
  is_int (fsop_link ("/mnt/f", "/f-link"), -EXDEV, "ln across: EXDEV");
  is_int (fsop_rename ("/mnt/f", "/f"), -EXDEV, "mv across: EXDEV");
  is_int (fsop_rmdir ("/mnt"), -EBUSY, "rmdir of a mountpoint: EBUSY");
  is_int (fsop_stat ("/mnt/..", 0, &st), 0, ".. from a mount root");
  is_int (st.ino, 2, "... is the root of /");
  is_int (storage_umount ("/", &err), -EBUSY, "umount / with /mnt below");
  clear_err ();
  is_int (storage_umount ("/mnt/", &err), 0, "umount /mnt/");
  is_int (fsop_exists ("/mnt/f"), 0, "the mount is gone");
  fsck_clean ("/dev/sdb3", "after writes");
}

/* As root: the kernel's view of everything written matches the engine's. */
static void
test_kernel_view (const char *image)
{
  char mnt[512], opts[64];
  const char *mount_argv[] = { "mount", "-o", opts, image, mnt, NULL };
  struct engine_range range;

  if (!harness_is_root ()) {
    printf ("ok %d - # SKIP not root: no kernel mount to compare with\n",
            ++tap_count);
    return;
  }
  storage_device_range ("/dev/sda1", &range, NULL);
  snprintf (mnt, sizeof mnt, "%s/view-mnt", scratch_dir ());
  snprintf (opts, sizeof opts, "loop,ro,offset=%llu",
            (unsigned long long) range.offset);
  mkdir (mnt, 0755);
  if (harness_run (mount_argv, NULL) != 0) {
    printf ("ok %d - # SKIP loop mount failed\n", ++tap_count);
    return;
  }
  is_int (storage_mount ("/dev/sda1", "/", "", 1, &err), 0, "mount ro");
  clear_err ();
  compare_tree (mnt, "/", COMPARE_NLINK | COMPARE_NSEC);
  storage_umount_all (NULL);
  harness_kernel_umount (mnt, image);
}

/* A journal that needs recovery, written by debugfs (jo, jw, jc): one
 * transaction with new contents for the first block of /over, which the
 * block itself does not have yet.  Read-only, the engine replays it in
 * memory and writes nothing; read-write, e2fsck replays it first. */
static void
test_journal (const char *image)
{
  char spec[600], cmds[700], blockfile[700], *out = NULL, *buf = NULL;
  const char *bmap[] = { "debugfs", "-R", "bmap /over 0", spec, NULL };
  const char *debugfs[] = { "debugfs", "-w", "-f", cmds, spec, NULL };
  const char *dumpe2fs[] = { "dumpe2fs", "-h", spec, NULL };
  struct engine_range range;
  char digest[65], block[4096];
  size_t len;
  FILE *fp;

  storage_device_range ("/dev/sda1", &range, NULL);
  snprintf (spec, sizeof spec, "%s?offset=%llu", image,
            (unsigned long long) range.offset);
  is_int (harness_run (bmap, &out), 0, "debugfs finds the block of /over");
  snprintf (blockfile, sizeof blockfile, "%s/journal-block", scratch_dir ());
  snprintf (cmds, sizeof cmds, "%s/journal-cmds", scratch_dir ());
  memset (block, 0, sizeof block);
  memcpy (block, "journal!!!", 10);
  fp = fopen (blockfile, "w");
  if (fp) {
    fwrite (block, 1, sizeof block, fp);
    fclose (fp);
  }
  fp = fopen (cmds, "w");
  if (fp) {
    /* debugfs's banner shares the buffer: the number is on its own line. */
    const char *line = out, *num = NULL;
    while (line && *line) {
      if (*line >= '0' && *line <= '9')
        num = line;
      line = strchr (line, '\n');
      if (line)
        line++;
    }
    fprintf (fp, "jo\njw -b %lld %s\njc\n", num ? atoll (num) : 0LL,
             blockfile);
    fclose (fp);
  }
  free (out);
  out = NULL;
  is_int (harness_run (debugfs, NULL), 0, "debugfs writes a transaction");
  harness_run (dumpe2fs, &out);
  ok (out && strstr (out, "needs_recovery"), "the journal needs recovery");
  free (out);

  strcpy (digest, file_digest (image));
  is_int (storage_mount ("/dev/sda1", "/", "", 1, &err), 0,
          "mount read-only");
  clear_err ();
  is_int (fsop_read_all ("/over", &buf, &len, 100), 0, "read /over");
  ok (buf && len == 10 && memcmp (buf, "journal!!!", 10) == 0,
      "read-only: the journal's version, replayed in memory");
  free (buf);
  storage_umount_all (NULL);
  is_str (file_digest (image), digest, "read-only: the image is unchanged");

  is_int (storage_mount ("/dev/sda1", "/", "", 0, &err), 0,
          "mount read-write recovers the journal first");
  if (err)
    tap_diag ("%s", err);
  clear_err ();
  buf = NULL;
  fsop_read_all ("/over", &buf, &len, 100);
  ok (buf && len == 10 && memcmp (buf, "journal!!!", 10) == 0,
      "read-write: the journal's version, replayed by e2fsck");
  free (buf);
  is_int (storage_umount_all (&err), 0, "umount_all");
  clear_err ();
  out = NULL;
  harness_run (dumpe2fs, &out);
  ok (out && !strstr (out, "needs_recovery"), "needs_recovery is cleared");
  free (out);
  fsck_clean ("/dev/sda1", "after recovery");
}

static int walk (const char *dir, int depth);

/* As root: the kernel writes, then the filesystem is shut down without
 * a checkpoint (EXT4_IOC_SHUTDOWN, log flushed), as a crash would leave
 * it: the journal holds real transactions that the mount must replay. */
#define EXT4_IOC_SHUTDOWN _IOR ('X', 125, uint32_t)
#define EXT4_GOING_FLAGS_LOGFLUSH 0x1

static void
test_crash (const char *image)
{
  char mnt[512], opts[64], path[600], *buf = NULL;
  const char *mount_argv[] = { "mount", "-o", opts, image, mnt, NULL };
  struct engine_range range;
  uint32_t flags = EXT4_GOING_FLAGS_LOGFLUSH;
  size_t len;
  int fd;

  if (!harness_is_root ()) {
    printf ("ok %d - # SKIP not root: no kernel crash to recover from\n",
            ++tap_count);
    return;
  }
  storage_device_range ("/dev/sda1", &range, NULL);
  snprintf (mnt, sizeof mnt, "%s/crash-mnt", scratch_dir ());
  snprintf (opts, sizeof opts, "loop,offset=%llu",
            (unsigned long long) range.offset);
  mkdir (mnt, 0755);
  if (harness_run (mount_argv, NULL) != 0) {
    printf ("ok %d - # SKIP loop mount failed\n", ++tap_count);
    return;
  }
  snprintf (path, sizeof path, "%s/crash", mnt);
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ok (fd >= 0 && write (fd, "survived\n", 9) == 9 && fsync (fd) == 0,
      "the kernel writes /crash");
  ok (fd >= 0 && ioctl (fd, EXT4_IOC_SHUTDOWN, &flags) == 0,
      "the kernel shuts the filesystem down without a checkpoint");
  if (fd >= 0)
    close (fd);
  harness_kernel_umount (mnt, image);
  {
    /* Read-only first: the journal is replayed in memory, nothing is
     * written. */
    char digest[65];
    strcpy (digest, file_digest (image));
    is_int (storage_mount ("/dev/sda1", "/", "", 1, &err), 0,
            "mount read-only with a journal to replay");
    if (err)
      tap_diag ("%s", err);
    clear_err ();
    buf = NULL;
    is_int (fsop_read_all ("/crash", &buf, &len, 100), 0,
            "read-only: /crash is there (replayed in memory)");
    is_str (buf, "survived\n", "read-only: with what the kernel wrote");
    free (buf);
    ok (walk ("/", 0) > 10, "read-only: the whole tree reads");
    storage_umount_all (NULL);
    is_str (file_digest (image), digest, "read-only: the image is unchanged");
  }
  is_int (storage_mount ("/dev/sda1", "/", "", 0, &err), 0,
          "mount replays the journal");
  if (err)
    tap_diag ("%s", err);
  clear_err ();
  is_int (fsop_read_all ("/crash", &buf, &len, 100), 0, "/crash is there");
  is_str (buf, "survived\n", "with what the kernel wrote");
  free (buf);
  storage_umount_all (NULL);
  fsck_clean ("/dev/sda1", "after the replay");
}

static void
test_readonly (const char *image)
{
  char digest[65];
  struct engine_stat st;

  strcpy (digest, file_digest (image));
  harness_close_drives ();
  harness_add_drive (image, 0, 1);
  is_int (storage_mount ("/dev/sda1", "/", "", 0, &err), 0,
          "mount on a read-only drive");
  clear_err ();
  is_int (fsop_stat ("/over", 0, &st), 0, "reads work");
  is_int (fsop_write ("/new", "x", 1, 0), -EROFS, "write: EROFS");
  is_int (fsop_write ("/over", "x", 1, 1), -EROFS, "append: EROFS");
  is_int (fsop_mkdir ("/newdir", 0755), -EROFS, "mkdir: EROFS");
  is_int (fsop_unlink ("/over"), -EROFS, "rm: EROFS");
  is_int (fsop_chmod ("/over", 0600), -EROFS, "chmod: EROFS");
  is_int (fsop_setxattr ("/over", 0, "user.x", "y", 1), -EROFS,
          "setxattr: EROFS");
  is_int (fsop_truncate ("/over", 0), -EROFS, "truncate: EROFS");
  is_int (storage_mkfs ("ext4", "/dev/sda1", 0, NULL, 0, NULL, &err), -EROFS,
          "mkfs: EROFS");
  clear_err ();
  is_int (storage_part_init (0, "gpt", &err), -EROFS, "part_init: EROFS");
  clear_err ();
  is_int (storage_umount_all (&err), 0, "umount_all");
  is_str (file_digest (image), digest, "image unchanged byte for byte");
}

/* Walks the whole tree, reading everything; errors are fine, crashes
 * are not.  Returns the number of entries seen. */
static int
walk (const char *dir, int depth)
{
  struct fsop_dirent *ents = NULL;
  size_t n = 0, i;
  int count = 0;

  if (depth > 16 || fsop_readdir (dir, &ents, &n) < 0)
    return 0;
  for (i = 0; i < n; i++) {
    char p[4096], *buf = NULL, *t = NULL;
    struct engine_stat st;
    size_t len;
    snprintf (p, sizeof p, "%s/%s", strcmp (dir, "/") ? dir : "", ents[i].name);
    count++;
    if (fsop_stat (p, 1, &st) < 0)
      continue;
    if (S_ISDIR (st.mode))
      count += walk (p, depth + 1);
    else if (S_ISREG (st.mode) && fsop_read_all (p, &buf, &len, 1 << 20) == 0)
      free (buf);
    else if (S_ISLNK (st.mode) && fsop_readlink (p, &t) == 0)
      free (t);
  }
  fsop_dirents_free (ents, n);
  return count;
}

/* Bad images: the calls fail with an error, nothing crashes. */
static void
test_damaged (const char *image)
{
  char copy[600];
  const char *cp_argv[] = { "cp", "--sparse=always", image, copy, NULL };
  struct engine_range range;
  int fd, i, r;

  snprintf (copy, sizeof copy, "%s.damaged", image);

  /* Truncated: the partition now runs past the end of the drive. */
  harness_run (cp_argv, NULL);
  if (truncate (copy, 8 << 20) == -1)
    perror ("truncate");
  harness_close_drives ();
  harness_add_drive (copy, 0, 0);
  r = storage_mount ("/dev/sda1", "/", "", 0, &err);
  ok (r < 0 && err && strstr (err, "beyond the end"),
      "truncated image: mount fails: %s", err ? err : "(no message)");
  clear_err ();

  /* No superblock. */
  harness_close_drives ();
  harness_run (cp_argv, NULL);
  harness_add_drive (copy, 0, 0);
  storage_device_range ("/dev/sda1", &range, NULL);
  fd = open (copy, O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    char zero[1024] = { 0 };
    if (pwrite (fd, zero, sizeof zero, range.offset + 1024) != 1024)
      perror ("pwrite");
    close (fd);
  }
  r = storage_mount ("/dev/sda1", "/", "", 0, &err);
  ok (r < 0 && err, "no superblock: mount fails: %s",
      err ? err : "(no message)");
  clear_err ();

  /* Garbage over the metadata: whatever mounts is walked in full. */
  for (i = 0; i < 8; i++) {
    char junk[65536];
    size_t k;
    unsigned seed = 12345 + i;
    harness_close_drives ();
    harness_run (cp_argv, NULL);
    fd = open (copy, O_WRONLY | O_CLOEXEC);
    for (k = 0; k < sizeof junk; k++)
      junk[k] = (char) rand_r (&seed);
    if (fd >= 0) {
      /* Past the superblock: group descriptors, bitmaps, inode tables. */
      if (pwrite (fd, junk, sizeof junk,
                  range.offset + 4096 + (off_t) i * 128 * 1024) < 0)
        perror ("pwrite");
      close (fd);
    }
    harness_add_drive (copy, 0, 0);
    r = storage_mount ("/dev/sda1", "/", "", 1, &err);
    clear_err ();
    if (r == 0) {
      walk ("/", 0);
      storage_umount_all (NULL);
    }
    ok (1, "garbage at block %d: mounted %s, walked, no crash", 1 + 32 * i,
        r == 0 ? "yes" : "no");
  }
  harness_close_drives ();
  unlink (copy);
}

/* The data path (issue 16): writes and reads in whole runs, with
 * partial first and last blocks, over old data, past the end of the
 * file and over unwritten (fallocated) extents, checked against a copy
 * kept here; directories made without scans keep their link counts. */
static void
test_data_path (void)
{
  enum { SIZE = 300 * 1024 };
  static char model[SIZE + 8192], got[SIZE + 8192], b[SIZE];
  struct engine_stat st;
  char *s = NULL, p[64], target[200];
  size_t i;
  int r = 0;

  for (i = 0; i < SIZE; i++)
    model[i] = (char) ('A' + i % 23);
  is_int (fsop_write ("/run", model, SIZE, 0), 0, "write 300 KiB");
  for (i = 0; i < 200 * 1024; i++)
    b[i] = (char) ('a' + i % 19);
  is_int (fsop_pwrite ("/run", b, 200 * 1024, 1000), 200 * 1024,
          "pwrite 200 KiB at an odd offset over old data");
  memcpy (model + 1000, b, 200 * 1024);
  is_int (fsop_pwrite ("/run", b, 5000, 70000), 5000,
          "a small pwrite across a block boundary");
  memcpy (model + 70000, b, 5000);
  is_int (fsop_pread ("/run", got, SIZE, 0), SIZE, "pread it all");
  ok (memcmp (got, model, SIZE) == 0, "every byte as written");
  is_int (fsop_pread ("/run", got, 250 * 1024, 3333), 250 * 1024,
          "pread 250 KiB at an odd offset");
  ok (memcmp (got, model + 3333, 250 * 1024) == 0, "the same bytes");
  is_int (fsop_pread ("/run", got, 10, SIZE - 4), 4, "pread at the end");

  /* Past the end: what lies between reads as zeroes. */
  is_int (fsop_write ("/tail", "0123456789", 10, 0), 0, "a 10-byte file");
  is_int (fsop_pwrite ("/tail", "xyz", 3, 9000), 3, "pwrite past the end");
  fsop_stat ("/tail", 0, &st);
  is_int (st.size, 9003, "size after it");
  memset (got, 1, 9003);
  is_int (fsop_pread ("/tail", got, 9003, 0), 9003, "read it back");
  for (i = 10; i < 9000 && got[i] == 0; i++)
    ;
  is_int (i, 9000, "the gap reads as zeroes");
  ok (memcmp (got, "0123456789", 10) == 0 && memcmp (got + 9000, "xyz", 3) == 0,
      "both writes there");

  /* Over unwritten extents: the rest of a partly written block stays
   * zero. */
  is_int (fsop_touch ("/prealloc"), 0, "touch /prealloc");
  is_int (fsop_fallocate ("/prealloc", 65536), 0, "fallocate 64 KiB");
  is_int (fsop_pwrite ("/prealloc", "hello", 5, 4100), 5,
          "pwrite into the unwritten extent");
  memset (got, 1, 65536);
  is_int (fsop_pread ("/prealloc", got, 65536, 0), 65536, "read it all");
  for (i = 0; i < 65536 && (got[i] == 0 || (i >= 4100 && i < 4105)); i++)
    ;
  is_int (i, 65536, "zeroes around the written bytes");
  ok (memcmp (got + 4100, "hello", 5) == 0, "and the bytes");

  /* Directories and symlinks made unnamed, then linked. */
  is_int (fsop_mkdir ("/wide", 0755), 0, "mkdir /wide");
  for (i = 0; i < 3000 && r == 0; i++) {
    snprintf (p, sizeof p, "/wide/d%04zu", i);
    r = fsop_mkdir (p, 0700);
  }
  is_int (r, 0, "3,000 directories in /wide");
  fsop_stat ("/wide", 0, &st);
  is_int (st.nlink, 3002, "/wide counts their .. links");
  is_int (fsop_stat ("/wide/d2999", 0, &st), 0, "the last one is there");
  is_int (st.mode, S_IFDIR | 0700, "with its mode");
  is_int (fsop_mkdir ("/wide/d1234", 0755), -EEXIST,
          "an existing name: EEXIST");
  memset (target, 't', sizeof target - 1);
  target[sizeof target - 1] = '\0';
  target[0] = '/';
  is_int (fsop_symlink (target, "/wide/slow"), 0, "a symlink with a block");
  is_int (fsop_readlink ("/wide/slow", &s), 0, "readlink it");
  is_str (s, target, "its target");
  free (s);
  is_int (fsop_symlink ("x", "/wide/d0001"), -EEXIST,
          "a symlink over a name: EEXIST");
  is_int (fsop_rm_rf ("/wide"), 0, "rm_rf /wide");
  fsop_stat ("/", 0, &st);
  ok (st.nlink >= 3, "/ keeps a sane link count");
}

/* 100,000 entries in one directory through the engine: linear time (the
 * entry goes in the directory's last block), every name found again,
 * and e2fsck is happy. */
static void
test_huge_dir (void)
{
  char img[600], p[64];
  struct fsop_dirent *ents = NULL;
  struct engine_stat st;
  size_t n = 0;
  int i, r = 0;

  snprintf (img, sizeof img, "%s/sdc.img", scratch_dir ());
  harness_add_drive (img, 2LL << 30, 0);
  is_int (storage_mkfs ("ext4", "/dev/sda", 0, NULL, 0, NULL, &err), 0,
          "mkfs ext4 on a 2 GiB drive");
  clear_err ();
  storage_mount ("/dev/sda", "/", "", 0, NULL);
  fsop_mkdir ("/big", 0755);
  for (i = 0; i < 100000 && r == 0; i++) {
    snprintf (p, sizeof p, "/big/entry-%06d", i);
    r = fsop_touch (p);
  }
  is_int (r, 0, "100,000 files in one directory");
  is_int (fsop_readdir ("/big", &ents, &n), 0, "readdir");
  is_int (n, 100000, "100,000 entries");
  fsop_dirents_free (ents, n);
  is_int (fsop_stat ("/big/entry-054321", 0, &st), 0, "lookup one");
  is_int (fsop_unlink ("/big/entry-000000"), 0, "rm the first");
  is_int (fsop_touch ("/big/again"), 0, "and create another");
  is_int (fsop_mkdir_p ("/tree/a/b", 0755), 0, "a tree beside it");
  is_int (fsop_rename ("/big", "/tree/a/big"), 0, "moved into the tree");
  is_int (fsop_rm_rf ("/tree"), 0, "rm_rf of the tree, in one pass");
  is_int (fsop_exists ("/tree"), 0, "gone");
  fsop_stat ("/", 0, &st);
  is_int (st.nlink, 3, "/ has its link count back");
  storage_umount_all (NULL);
  fsck_clean ("/dev/sda", "with a 100,000-entry directory");
  harness_close_drives ();
  unlink (img);
}

/* part_expand_gpt after the image file grew: the backup GPT moves to
 * the new end and the space before it can be partitioned. */
static void
test_expand_gpt (const char *img)
{
  char last[8];
  int fd = open (img, O_RDWR);

  is_int (storage_part_init (2, "gpt", &err), 0, "part_init gpt /dev/sdc");
  clear_err ();
  ok (fd >= 0 && ftruncate (fd, 80 << 20) == 0, "the image grows to 80 MiB");
  is_int (storage_part_expand_gpt (2, &err), 0, "part_expand_gpt");
  clear_err ();
  ok (fd >= 0 && pread (fd, last, 8, (80 << 20) - 512) == 8
      && memcmp (last, "EFI PART", 8) == 0,
      "the backup GPT header is in the last sector");
  is_int (storage_part_add (2, "p", 2048, -1, &err), 0,
          "the new space can be partitioned");
  clear_err ();
  if (fd >= 0)
    close (fd);
}

/* fstrim's core: after a 32 MiB file is removed, punching the free
 * blocks makes the image file take that much less space on the host. */
static void
test_fstrim (const char *img)
{
  static char chunk[1 << 20];
  struct engine_range range;
  struct mount *m;
  struct stat before, after;
  uint64_t done = 0;
  int i;

  /* Back to the size the harness gave the drive. */
  ok (truncate (img, 0) == 0 && truncate (img, 64 << 20) == 0,
      "the image is 64 MiB of zeroes again");
  is_int (storage_part_disk (2, "gpt", &err), 0, "part_disk /dev/sdc");
  clear_err ();
  is_int (storage_mkfs ("ext4", "/dev/sdc1", 0, NULL, 0, NULL, &err), 0,
          "mkfs ext4 /dev/sdc1");
  clear_err ();
  is_int (storage_mount ("/dev/sdc1", "/", "", 0, &err), 0, "mount /dev/sdc1");
  clear_err ();
  memset (chunk, 0x5a, sizeof chunk);
  is_int (fsop_touch ("/big"), 0, "touch /big");
  for (i = 0; i < 32; i++)
    if (fsop_pwrite ("/big", chunk, sizeof chunk, (int64_t) i << 20)
        != (ssize_t) sizeof chunk)
      break;
  is_int (i, 32, "wrote 32 MiB");
  is_int (storage_sync_all (), 0, "sync");
  is_int (fsop_unlink ("/big"), 0, "rm /big");
  is_int (storage_sync_all (), 0, "sync");
  stat (img, &before);
  m = storage_mount_of_device ("/dev/sdc1");
  is_int (storage_device_range ("/dev/sdc1", &range, &err), 0, "range");
  clear_err ();
  is_int (m ? storage_free_space (m->fs, &range, STORAGE_FREE_TRIM, 0, 0,
                                  0, &done) : -1, 0, "fstrim");
  stat (img, &after);
  tap_diag ("fstrim: image used %lld KiB before, %lld KiB after "
            "(%llu KiB of free space punched)",
            (long long) before.st_blocks / 2, (long long) after.st_blocks / 2,
            (unsigned long long) done / 1024);
  ok (before.st_blocks - after.st_blocks >= 32 * 2048,
      "the image shrank by at least the removed 32 MiB");
  is_int (storage_umount_all (&err), 0, "umount");
  clear_err ();
  fsck_clean ("/dev/sdc1", "after fstrim");
}

int
main (void)
{
  char sda[512], sdb[512], sdc[512];
  const char *type;
  struct engine_range range;

  snprintf (sda, sizeof sda, "%s/sda.img", scratch_dir ());
  snprintf (sdb, sizeof sdb, "%s/sdb.img", scratch_dir ());
  harness_add_drive (sda, 256 << 20, 0);
  harness_add_drive (sdb, 64 << 20, 0);
  snprintf (sdc, sizeof sdc, "%s/sdc.img", scratch_dir ());
  harness_add_drive (sdc, 64 << 20, 0);

  test_partitions ();
  test_expand_gpt (sdc);

  is_int (storage_mkfs ("ext4", "/dev/sda1", 0, NULL, 0, "root", &err), 0,
          "mkfs ext4 /dev/sda1");
  if (err)
    tap_diag ("%s", err);
  clear_err ();
  is_int (storage_device_range ("/dev/sda1", &range, &err), 0, "range");
  ok (engine_probe (&range, &type) != NULL, "probe finds a filesystem");
  is_str (type, "ext4", "and it is ext4");
  {
    char first[4096];
    ok (pread (range.fd, first, sizeof first, 0) == 4096
        && first[510] == 0x55 && (unsigned char) first[511] == 0xaa,
        "mkfs left the MBR alone");
  }
  is_int (storage_mount ("/dev/sda1", "/", "", 0, &err), 0, "mount /");
  clear_err ();
  is_int (storage_mount ("/dev/sda1", "/", "", 0, &err), -EBUSY,
          "mount the same device twice: EBUSY");
  clear_err ();

  test_files ();
  test_data_path ();
  test_mounts ();

  is_int (storage_umount_all (&err), 0, "umount_all");
  clear_err ();
  fsck_clean ("/dev/sda1", "after all the writes");
  test_fstrim (sdc);

  test_kernel_view (sda);
  test_journal (sda);
  test_crash (sda);
  test_readonly (sda);
  test_damaged (sda);
  harness_close_drives ();
  test_huge_dir ();
  return tap_done ();
}
