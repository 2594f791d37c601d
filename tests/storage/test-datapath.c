/* minnow: the ext engine's data path where it used to scan a directory
 * or go block by block (issue 16).
 *
 * - unlink and rename in a directory of 20,000 entries, which remove the
 *   entry in its own block: on ext2 (no dir_index), ext4, ext4 with
 *   metadata_csum, and those two again with the directory indexed by
 *   e2fsck -D (an htree, whose leaf the engine finds by hash).  After a
 *   fresh mount every remaining name is there with its inode, every
 *   removed one is gone, and e2fsck -fn is clean;
 * - writes to block-mapped (ext3) files with holes, unaligned offsets
 *   and the indirect, double and triple indirect ranges, read back byte
 *   for byte (also after a fresh mount), their data in physically
 *   contiguous runs;
 * - inline-data files written where they still fit, and grown past the
 *   inode.
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

#define EXT2_INDEX_FL       0x00001000
#define EXT4_INLINE_DATA_FL 0x10000000

static char *err;

static void
clear_err (void)
{
  if (err)
    tap_diag ("error: %s", err);
  free (err);
  err = NULL;
}

static int
fsck_clean (const char *what)
{
  char *out = NULL;
  int status = storage_e2fsck ("/dev/sda", "-fn", &out, &err);

  is_int (status, 0, "e2fsck -fn is clean %s", what);
  if (status != 0 && out)
    printf ("# %s\n", out);
  free (out);
  free (err);
  err = NULL;
  return status;
}

/* A new image file of size bytes made by mke2fs with args (NULL-ended),
 * as /dev/sda, mounted at /. */
static int
new_image (const char *img, uint64_t size, const char *const *args)
{
  const char *argv[24];
  int fd, n = 0, i;
  char *out = NULL;

  fd = open (img, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ftruncate (fd, size) < 0)
    return -1;
  close (fd);
  argv[n++] = "mke2fs";
  argv[n++] = "-q";
  argv[n++] = "-F";
  for (i = 0; args[i] && n < 21; i++)
    argv[n++] = args[i];
  argv[n++] = img;
  argv[n] = NULL;
  if (harness_run (argv, &out) != 0) {
    tap_diag ("mke2fs: %s", out ? out : "");
    free (out);
    return -1;
  }
  free (out);
  harness_add_drive (img, 0, 0);
  if (storage_mount ("/dev/sda", "/", "", 0, &err) != 0) {
    clear_err ();
    return -1;
  }
  return 0;
}

/* With the engine unmounted: the kernel's view of the image (a
 * read-only loop mount) against the engine's, every name, attribute
 * and byte (root only). */
static void
kernel_view (const char *img, const char *label)
{
  char mnt[512];
  const char *mount_argv[] = { "mount", "-o", "loop,ro", img, mnt, NULL };

  if (!harness_is_root ()) {
    printf ("ok %d - # SKIP not root: no kernel view of %s\n", ++tap_count,
            label);
    return;
  }
  snprintf (mnt, sizeof mnt, "%s/view-mnt", scratch_dir ());
  mkdir (mnt, 0755);
  if (harness_run (mount_argv, NULL) != 0) {
    printf ("ok %d - # SKIP loop mount failed (%s)\n", ++tap_count, label);
    return;
  }
  is_int (storage_mount ("/dev/sda", "/", "", 1, &err), 0,
          "%s: mount read-only beside the kernel", label);
  clear_err ();
  is_int (compare_tree (mnt, "/", COMPARE_NLINK | COMPARE_NSEC), 0,
          "%s: the kernel sees what the engine wrote", label);
  storage_umount_all (NULL);
  harness_kernel_umount (mnt, img);
}

static void
drop_image (const char *img)
{
  storage_umount_all (NULL);
  harness_close_drives ();
  unlink (img);
}

/* ---------------------------------------------------------------- */
/* unlink and rename in a large directory.                           */

#define ENTRIES 20000
#define SUBDIRS 100

/* What each name of /d became, so that the expected listing of /d and
 * /e can be made. */
enum fate { KEPT, UNLINKED, RENAMED, MOVED, REPLACED_BY_NEXT, GONE_ONTO };

/* "f00012", "s003" … */
static char *
name_of (char prefix, int width, size_t i)
{
  char name[32];

  snprintf (name, sizeof name, "%c%0*zu", prefix, width, i);
  return strdup (name);
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The listing of dir, sorted, against want (n names, sorted): returns
 * the number of differences (and reports the first). */
static size_t
listing_differs (const char *dir, char **want, size_t n)
{
  struct fsop_dirent *ents = NULL;
  size_t got = 0, i, j = 0, bad = 0;
  char **names;
  int r = fsop_readdir (dir, &ents, &got);

  if (r != 0)
    return n + 1;
  names = calloc (got + 1, sizeof *names);
  for (i = 0; i < got; i++)
    if (strcmp (ents[i].name, ".") && strcmp (ents[i].name, ".."))
      names[j++] = ents[i].name;
  qsort (names, j, sizeof *names, cmp_str);
  if (j != n) {
    tap_diag ("%s: %zu names, %zu expected", dir, j, n);
    bad++;
  }
  for (i = 0; i < j && i < n; i++)
    if (strcmp (names[i], want[i]) != 0) {
      if (bad++ == 0)
        tap_diag ("%s: %s where %s was expected", dir, names[i], want[i]);
    }
  free (names);
  fsop_dirents_free (ents, got);
  return bad;
}

static void
test_dirops (const char *label, const char *const *mkfs_args, int index)
{
  static enum fate fate[ENTRIES];
  static uint64_t inos[ENTRIES];
  char img[600], p[64], q[64];
  char **want_d, **want_e;
  size_t nd = 0, ne = 0, i;
  struct engine_stat st;
  int r = 0, bad = 0;

  tap_diag ("---- unlink and rename in a directory of %d entries: %s",
            ENTRIES, label);
  snprintf (img, sizeof img, "%s/dirops.img", scratch_dir ());
  if (new_image (img, 256 << 20, mkfs_args) != 0) {
    ok (0, "%s: make and mount the image", label);
    return;
  }
  fsop_mkdir ("/d", 0755);
  fsop_mkdir ("/e", 0755);
  for (i = 0; i < ENTRIES && r == 0; i++) {
    snprintf (p, sizeof p, "/d/f%05zu", i);
    r = fsop_touch (p);
    if (r == 0 && (r = fsop_stat (p, 1, &st)) == 0)
      inos[i] = st.ino;
  }
  is_int (r, 0, "%s: %d files in /d", label, ENTRIES);
  for (i = 0; i < SUBDIRS && r == 0; i++) {
    snprintf (p, sizeof p, "/d/s%03zu", i);
    r = fsop_mkdir (p, 0755);
    if (r == 0 && i % 2) {
      snprintf (p, sizeof p, "/d/s%03zu/inner", i);
      r = fsop_touch (p);
    }
  }
  is_int (r, 0, "%s: and %d directories", label, SUBDIRS);

  if (index) {
    is_int (storage_umount_all (&err), 0, "%s: umount", label);
    clear_err ();
    r = storage_e2fsck ("/dev/sda", "-fyD", NULL, &err);
    ok (r == 0 || r == 1, "%s: e2fsck -fyD indexes the directories (%d)",
        label, r);
    clear_err ();
    is_int (storage_mount ("/dev/sda", "/", "", 0, &err), 0,
            "%s: mount again", label);
    clear_err ();
    fsop_stat ("/d", 1, &st);
    ok (st.flags & EXT2_INDEX_FL, "%s: /d is an htree (flags %#x)", label,
        st.flags);
  }

  /* Every fourth name removed, every fourth renamed in place, some
   * moved to /e, some renamed over a neighbour. */
  for (i = 0; i < ENTRIES && bad == 0; i++) {
    snprintf (p, sizeof p, "/d/f%05zu", i);
    switch (i % 4) {
    case 0:
      r = fsop_unlink (p);
      fate[i] = UNLINKED;
      break;
    case 1:
      snprintf (q, sizeof q, "/d/r%05zu", i);
      r = fsop_rename (p, q);
      fate[i] = RENAMED;
      break;
    case 2:
      if (i % 40 == 2) {
        snprintf (q, sizeof q, "/e/m%05zu", i);
        r = fsop_rename (p, q);
        fate[i] = MOVED;
      } else
        fate[i] = KEPT;
      break;
    case 3:
      /* Over the name before it (kept, case 2): that name now holds
       * this file, and its old file is gone. */
      if (i % 40 == 7) {
        snprintf (q, sizeof q, "/d/f%05zu", i - 1);
        r = fsop_rename (p, q);
        fate[i] = GONE_ONTO;
        fate[i - 1] = REPLACED_BY_NEXT;
      } else
        fate[i] = KEPT;
      break;
    }
    if (r != 0) {
      tap_diag ("%s: operation on %s: %s", label, p, strerror (-r));
      bad++;
    }
  }
  is_int (bad, 0, "%s: unlink, rename, move and replace in /d", label);
  for (i = 0, r = 0; i < SUBDIRS && r == 0; i++) {
    snprintf (p, sizeof p, "/d/s%03zu", i);
    if (i % 2 == 0)
      r = fsop_rmdir (p);
    else {
      snprintf (q, sizeof q, "/e/s%03zu", i);
      r = fsop_rename (p, q);
    }
  }
  is_int (r, 0, "%s: rmdir half the directories, move the rest to /e",
          label);
  is_int (fsop_exists ("/d/f00000"), 0, "%s: an unlinked name is gone",
          label);
  is_int (fsop_exists ("/d/r00001"), 1, "%s: a renamed one is there", label);

  /* The expected listings. */
  want_d = calloc (ENTRIES + SUBDIRS, sizeof *want_d);
  want_e = calloc (ENTRIES + SUBDIRS, sizeof *want_e);
  for (i = 0; i < ENTRIES; i++) {
    switch (fate[i]) {
    case KEPT: case REPLACED_BY_NEXT:
      want_d[nd++] = name_of ('f', 5, i);
      break;
    case RENAMED:
      want_d[nd++] = name_of ('r', 5, i);
      break;
    case MOVED:
      want_e[ne++] = name_of ('m', 5, i);
      break;
    default:
      break;
    }
  }
  for (i = 1; i < SUBDIRS; i += 2)
    want_e[ne++] = name_of ('s', 3, i);
  qsort (want_d, nd, sizeof *want_d, cmp_str);
  qsort (want_e, ne, sizeof *want_e, cmp_str);

  is_int (storage_umount_all (&err), 0, "%s: umount", label);
  clear_err ();
  fsck_clean (label);
  kernel_view (img, label);
  is_int (storage_mount ("/dev/sda", "/", "", 0, &err), 0,
          "%s: mount again", label);
  clear_err ();
  is_int (listing_differs ("/d", want_d, nd), 0,
          "%s: /d lists exactly the %zu names left", label, nd);
  is_int (listing_differs ("/e", want_e, ne), 0,
          "%s: /e lists exactly the %zu names moved there", label, ne);
  for (i = 0, bad = 0; i < ENTRIES; i++) {
    uint64_t want_ino = 0;
    switch (fate[i]) {
    case KEPT: snprintf (p, sizeof p, "/d/f%05zu", i); want_ino = inos[i]; break;
    case REPLACED_BY_NEXT:
      snprintf (p, sizeof p, "/d/f%05zu", i); want_ino = inos[i + 1]; break;
    case RENAMED: snprintf (p, sizeof p, "/d/r%05zu", i); want_ino = inos[i]; break;
    case MOVED: snprintf (p, sizeof p, "/e/m%05zu", i); want_ino = inos[i]; break;
    case UNLINKED: case GONE_ONTO:
      snprintf (p, sizeof p, "/d/f%05zu", i);
      break;
    }
    r = fsop_stat (p, 1, &st);
    if (want_ino ? (r != 0 || st.ino != want_ino) : r != -ENOENT) {
      if (bad++ == 0)
        tap_diag ("%s: %s: %d, inode %llu (want %llu)", label, p, r,
                  (unsigned long long) st.ino,
                  (unsigned long long) want_ino);
    }
  }
  is_int (bad, 0, "%s: every name found with its inode, removed ones gone",
          label);
  ok (fsop_exists ("/e/s001/inner") == 1, "%s: a moved directory keeps "
      "its contents", label);
  fsop_stat ("/e", 1, &st);
  is_int (st.nlink, 2 + SUBDIRS / 2, "%s: /e counts its subdirectories",
          label);

  /* Second round, in the fresh mount: the blocks come from reading the
   * directory, not from appending. */
  for (i = 0, r = 0; i < nd && r == 0; i++)
    if (want_d[i][0] == 'r') {
      snprintf (p, sizeof p, "/d/%s", want_d[i]);
      r = fsop_unlink (p);
    }
  is_int (r, 0, "%s: remove the renamed names after a fresh mount", label);
  is_int (fsop_exists ("/d/r00005"), 0, "%s: gone", label);
  is_int (fsop_exists ("/d/f00010"), 1, "%s: a neighbour is still there",
          label);
  is_int (fsop_touch ("/d/new"), 0, "%s: create after all that", label);
  is_int (storage_umount_all (&err), 0, "%s: umount", label);
  clear_err ();
  fsck_clean (label);
  is_int (storage_mount ("/dev/sda", "/", "", 0, &err), 0, "%s: mount",
          label);
  clear_err ();
  for (i = 0, bad = 0; i < nd; i++) {
    snprintf (p, sizeof p, "/d/%s", want_d[i]);
    if (fsop_exists (p) != (want_d[i][0] == 'f'))
      bad++;
  }
  is_int (bad, 0, "%s: after the second round, the f names and none of "
          "the r names", label);
  is_int (fsop_exists ("/d/new"), 1, "%s: and the new one", label);

  /* Third round: every name left, so that whole blocks (htree leaves)
   * end up empty, then the directory itself. */
  r = fsop_unlink ("/d/new");
  for (i = 0; i < nd && r == 0; i++)
    if (want_d[i][0] == 'f') {
      snprintf (p, sizeof p, "/d/%s", want_d[i]);
      r = fsop_unlink (p);
    }
  is_int (r, 0, "%s: unlink every name left in /d", label);
  is_int (fsop_rmdir ("/d"), 0, "%s: /d is empty: rmdir", label);
  is_int (storage_umount_all (&err), 0, "%s: umount", label);
  clear_err ();
  fsck_clean (label);

  for (i = 0; i < nd; i++)
    free (want_d[i]);
  for (i = 0; i < ne; i++)
    free (want_e[i]);
  free (want_d);
  free (want_e);
  drop_image (img);
}

/* ---------------------------------------------------------------- */
/* Block-mapped writes.                                               */

#define MODEL_SIZE (72 << 20)
static char *model, *back;
static uint64_t model_len;

/* Writes len bytes of a pattern at off, to the file and to the model. */
static int
write_both (const char *path, uint64_t off, size_t len, unsigned seed)
{
  char *buf = malloc (len);
  size_t i;
  ssize_t n;

  for (i = 0; i < len; i++)
    buf[i] = (char) ((seed * 131 + i * 7 + (i >> 9)) & 0xff);
  n = fsop_pwrite (path, buf, len, off);
  memcpy (model + off, buf, len);
  if (off + len > model_len)
    model_len = off + len;
  free (buf);
  return n == (ssize_t) len ? 0 : -1;
}

/* The file reads back as the model, all of it. */
static int
same_as_model (const char *path)
{
  struct engine_stat st;
  ssize_t n;

  if (fsop_stat (path, 1, &st) != 0 || st.size != model_len)
    return 0;
  n = fsop_pread (path, back, model_len, 0);
  return n == (ssize_t) model_len && memcmp (back, model, model_len) == 0;
}

/* Breaks in the physical layout of path's data, from debugfs's map of
 * it: ranges "(l1-l2):p1-p2" that do not start where the last one
 * ended (the IND/DIND/TIND blocks listed among them aside). */
static int
layout_breaks (const char *img, const char *path)
{
  char req[128], *out = NULL, *s;
  const char *argv[] = { "debugfs", "-R", req, img, NULL };
  unsigned long long l1, l2, p1, p2, last = 0;
  int breaks = 0, ranges = 0;

  snprintf (req, sizeof req, "stat %s", path);
  if (harness_run (argv, &out) != 0 || out == NULL
      || (s = strstr (out, "BLOCKS:")) == NULL) {
    free (out);
    return -1;
  }
  while ((s = strchr (s, '(')) != NULL) {
    if (sscanf (s, "(%llu-%llu):%llu-%llu", &l1, &l2, &p1, &p2) == 4
        || (sscanf (s, "(%llu):%llu", &l1, &p1) == 2 && (p2 = p1))) {
      if (ranges++ > 0 && p1 != last + 1)
        breaks++;
      last = p2;
    }
    s++;
  }
  free (out);
  return ranges > 0 ? breaks : -1;
}

static void
test_blockmap (const char *label, const char *const *mkfs_args,
               unsigned bs)
{
  char img[600];
  struct engine_stat st;
  int r = 0, breaks;

  tap_diag ("---- block-mapped writes: %s", label);
  snprintf (img, sizeof img, "%s/blockmap.img", scratch_dir ());
  if (new_image (img, 256 << 20, mkfs_args) != 0) {
    ok (0, "%s: make and mount the image", label);
    return;
  }
  memset (model, 0, MODEL_SIZE);
  model_len = 0;
  fsop_touch ("/f");
  fsop_stat ("/f", 1, &st);
  ok (!(st.flags & 0x80000), "%s: a new file is block-mapped", label);
  /* Small, then across the direct, indirect and double indirect
   * ranges, with holes between and unaligned edges. */
  r |= write_both ("/f", 5, 300, 1);
  r |= write_both ("/f", 1000, (3 << 20) + 123, 2);
  r |= write_both ("/f", (10 << 20) + 77, 100 << 10, 3);
  r |= write_both ("/f", (2 << 20) + 3, 5000, 4);
  r |= write_both ("/f", 6 << 20, 1 << 20, 5);
  r |= write_both ("/f", (20 << 20) - 3, 7, 6);
  r |= write_both ("/f", 9 << 20, 2 << 20, 7);
  r |= write_both ("/f", 4 * bs - 1, 2, 8);
  if (bs == 1024)     /* past 64 MiB + 268 KiB: triple indirect */
    r |= write_both ("/f", (70 << 20) + 11, 300 << 10, 9);
  is_int (r, 0, "%s: writes with holes and unaligned offsets", label);
  ok (same_as_model ("/f"), "%s: the file reads back byte for byte", label);

  /* A new file written in one call: its data in one run (two where it
   * crosses a block group's metadata). */
  memset (model, 0, MODEL_SIZE);
  model_len = 0;
  fsop_touch ("/g");
  is_int (write_both ("/g", 0, 4 << 20, 10), 0, "%s: 4 MiB in one write",
          label);
  ok (same_as_model ("/g"), "%s: reads back", label);
  is_int (storage_umount_all (&err), 0, "%s: umount", label);
  clear_err ();
  fsck_clean (label);
  breaks = layout_breaks (img, "/g");
  ok (breaks >= 0 && breaks <= 1, "%s: its data are physically contiguous "
      "(%d breaks)", label, breaks);
  is_int (storage_mount ("/dev/sda", "/", "", 0, &err), 0,
          "%s: mount again", label);
  clear_err ();
  ok (same_as_model ("/g"), "%s: /g after a fresh mount", label);

  /* /f again, after the fresh mount, and a write over it all. */
  memset (model, 0, MODEL_SIZE);
  model_len = 0;
  r = write_both ("/f", 5, 300, 1);
  r |= write_both ("/f", 1000, (3 << 20) + 123, 2);
  r |= write_both ("/f", (10 << 20) + 77, 100 << 10, 3);
  r |= write_both ("/f", (2 << 20) + 3, 5000, 4);
  r |= write_both ("/f", 6 << 20, 1 << 20, 5);
  r |= write_both ("/f", (20 << 20) - 3, 7, 6);
  r |= write_both ("/f", 9 << 20, 2 << 20, 7);
  r |= write_both ("/f", 4 * bs - 1, 2, 8);
  if (bs == 1024)
    r |= write_both ("/f", (70 << 20) + 11, 300 << 10, 9);
  is_int (r, 0, "%s: the same writes again (no allocation now)", label);
  ok (same_as_model ("/f"), "%s: /f after a fresh mount", label);
  r = write_both ("/f", 333, model_len - 333 + 5, 11);
  is_int (r, 0, "%s: one write over the whole file, holes included",
          label);
  ok (same_as_model ("/f"), "%s: reads back", label);
  fsop_stat ("/f", 1, &st);
  ok (st.blocks >= (model_len / bs) * (bs / 512),
      "%s: every block of it allocated (%llu sectors)", label,
      (unsigned long long) st.blocks);
  is_int (storage_umount_all (&err), 0, "%s: umount", label);
  clear_err ();
  fsck_clean (label);

  /* Far past the free space, sparse: only the last block is taken. */
  is_int (storage_mount ("/dev/sda", "/", "", 0, &err), 0,
          "%s: mount again", label);
  clear_err ();
  {
    struct engine_statvfs sv;
    fsop_statvfs ("/", &sv);
    fsop_touch ("/sparse");
    is_int (fsop_pwrite ("/sparse", "z", 1, sv.bfree * sv.bsize * 2), 1,
            "%s: one byte past twice the free space", label);
    fsop_stat ("/sparse", 1, &st);
    ok (st.blocks <= 8 * (bs / 512), "%s: takes a few blocks (%llu "
        "sectors)", label, (unsigned long long) st.blocks);
  }
  is_int (storage_umount_all (&err), 0, "%s: umount", label);
  clear_err ();
  fsck_clean (label);
  kernel_view (img, label);
  drop_image (img);
}

/* ---------------------------------------------------------------- */
/* Inline data.                                                       */

static void
test_inline (void)
{
  char img[600], src[600], p[700], buf[4096];
  const char *args[] = { "-t", "ext4", "-O", "inline_data", "-I", "256",
                         "-d", src, NULL };
  struct engine_stat st;
  static char big[200 << 10];
  char *got = NULL;
  size_t len = 0, i;
  FILE *f;

  tap_diag ("---- inline data");
  snprintf (src, sizeof src, "%s/inline-src", scratch_dir ());
  snprintf (img, sizeof img, "%s/inline.img", scratch_dir ());
  mkdir (src, 0755);
  snprintf (p, sizeof p, "%s/small", src);
  f = fopen (p, "w");
  fputs ("0123456789012345678901234567890123456789", f);      /* 40 */
  fclose (f);
  snprintf (p, sizeof p, "%s/grow", src);
  f = fopen (p, "w");
  fputs ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX", f); /* 50 */
  fclose (f);
  snprintf (p, sizeof p, "%s/far", src);
  f = fopen (p, "w");
  fputs ("far", f);
  fclose (f);
  if (new_image (img, 64 << 20, args) != 0) {
    ok (0, "inline: make and mount the image");
    return;
  }
  fsop_stat ("/grow", 1, &st);
  ok (st.flags & EXT4_INLINE_DATA_FL, "mke2fs -d made /grow inline");

  is_int (fsop_pwrite ("/small", "XYZ", 3, 45), 3,
          "a write that still fits in the inode");
  fsop_stat ("/small", 1, &st);
  ok (st.flags & EXT4_INLINE_DATA_FL, "/small stays inline");
  is_int (st.size, 48, "its size");
  memset (buf, 1, sizeof buf);
  is_int (fsop_pread ("/small", buf, 100, 0), 48, "read it");
  ok (memcmp (buf, "0123456789012345678901234567890123456789", 40) == 0
      && memcmp (buf + 40, "\0\0\0\0\0XYZ", 8) == 0, "as written");

  for (i = 0; i < sizeof big; i++)
    big[i] = (char) (i * 13 + 5);
  is_int (fsop_pwrite ("/grow", big, sizeof big, 100), (int) sizeof big,
          "200 KiB written past the inline data");
  fsop_stat ("/grow", 1, &st);
  ok (!(st.flags & EXT4_INLINE_DATA_FL) && (st.flags & 0x80000),
      "/grow is no longer inline, and maps extents (flags %#x)", st.flags);
  is_int (st.size, 100 + sizeof big, "its size");
  is_int (fsop_pwrite ("/far", "!", 1, 1 << 20), 1,
          "one byte at 1 MiB into an inline file");
  fsop_stat ("/far", 1, &st);
  is_int (st.size, (1 << 20) + 1, "its size");

  is_int (storage_umount_all (&err), 0, "umount");
  clear_err ();
  fsck_clean ("after inline files grew");
  kernel_view (img, "inline");
  is_int (storage_mount ("/dev/sda", "/", "", 0, &err), 0, "mount again");
  clear_err ();
  is_int (fsop_read_all ("/grow", &got, &len, 4 << 20), 0, "read /grow");
  ok (len == 100 + sizeof big
      && memcmp (got, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX", 50) == 0
      && memcmp (got + 100, big, sizeof big) == 0,
      "the old bytes, then the new ones");
  for (i = 50; i < 100 && got && got[i] == 0; i++)
    ;
  is_int (i, 100, "the gap between reads as zeroes");
  free (got);
  got = NULL;
  is_int (fsop_read_all ("/far", &got, &len, 4 << 20), 0, "read /far");
  ok (len == (1 << 20) + 1 && memcmp (got, "far", 3) == 0
      && got[1 << 20] == '!', "its first bytes and its last");
  free (got);
  drop_image (img);
}

int
main (void)
{
  const char *ext2[] = { "-t", "ext2", "-O", "^dir_index", "-N", "32768",
                         NULL };
  const char *ext4[] = { "-t", "ext4", "-O", "^metadata_csum", "-N",
                         "32768", NULL };
  const char *ext4csum[] = { "-t", "ext4", "-O", "metadata_csum", "-N",
                             "32768", NULL };
  const char *ext4csum1k[] = { "-t", "ext4", "-O", "metadata_csum", "-b",
                               "1024", "-N", "32768", NULL };
  const char *ext3_1k[] = { "-t", "ext3", "-b", "1024", NULL };
  const char *ext3_4k[] = { "-t", "ext3", "-b", "4096", NULL };
  const char *ext2_4k[] = { "-t", "ext2", "-b", "4096", NULL };

  model = malloc (MODEL_SIZE);
  back = malloc (MODEL_SIZE);
  if (model == NULL || back == NULL)
    return 99;

  test_dirops ("ext2, no dir_index", ext2, 0);
  test_dirops ("ext4", ext4, 0);
  test_dirops ("ext4, metadata_csum", ext4csum, 0);
  test_dirops ("ext4, htree", ext4, 1);
  test_dirops ("ext4, metadata_csum, htree", ext4csum, 1);
  test_dirops ("ext4, metadata_csum, 1 KiB blocks, htree", ext4csum1k, 1);

  test_blockmap ("ext3, 1 KiB blocks", ext3_1k, 1024);
  test_blockmap ("ext3, 4 KiB blocks", ext3_4k, 4096);
  test_blockmap ("ext2, 4 KiB blocks", ext2_4k, 4096);

  test_inline ();

  free (model);
  free (back);
  return tap_done ();
}
