/* minnow: the ISO 9660 engine against images made by xorriso and
 * genisoimage, and against images built here byte by byte.
 *
 * A source tree (odd modes, set times, UTF-8 and 255-byte names, long
 * and absolute symlinks, a fifo, device nodes when root, deep and wide
 * directories) becomes:
 *   - a Rock Ridge + Joliet image by xorriso: every entry must read back
 *     identical to the source (names, types, modes, owners, sizes,
 *     mtimes, symlink targets, device numbers, contents);
 *   - a Rock Ridge image by genisoimage, which relocates deep
 *     directories (RRIP CL/PL/RE): the same, rr_moved left empty;
 *   - a Joliet-only image: names, sizes, contents and mtimes;
 *   - a plain ISO 9660 image: the names isoinfo(1) lists, shown as the
 *     kernel shows them.
 * Label and UUID must be what blkid says; a zisofs file reads back
 * decompressed.  Then images built by hand:
 * a multi-extent file, and hostile ones (directory loops, shared
 * directories, a SUSP continuation loop, lengths beyond the image,
 * bad records, a missing terminator) that must fail with EUCLEAN or
 * EIO and a message, never hang.
 */

#include <config.h>

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "storage.h"
#include "fsops.h"
#include "harness.h"
#include "iso9660.h"

static char src[512];
static char *err;

static void
die (const char *what)
{
  perror (what);
  exit (99);
}

static void
clear_err (void)
{
  free (err);
  err = NULL;
}

static void
put (const char *name, const void *content, size_t len, mode_t mode)
{
  char p[2048];
  int fd;

  snprintf (p, sizeof p, "%s/%s", src, name);
  fd = open (p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd == -1 || write (fd, content, len) != (ssize_t) len)
    die (p);
  close (fd);
  if (chmod (p, mode) == -1)
    die (p);
}

static void
mk (const char *name, mode_t mode)
{
  char p[2048];

  snprintf (p, sizeof p, "%s/%s", src, name);
  if (mkdir (p, mode) == -1 || chmod (p, mode) == -1)
    die (p);
}

static void
lnk (const char *target, const char *name)
{
  char p[2048];

  snprintf (p, sizeof p, "%s/%s", src, name);
  if (symlink (target, p) == -1)
    die (p);
}

static time_t stamp = 1000000000;

static int
set_time (const char *path, const struct stat *st, int flag,
          struct FTW *ftw)
{
  struct timespec ts[2];

  (void) st;
  (void) flag;
  (void) ftw;
  ts[0].tv_sec = ts[1].tv_sec = stamp;
  ts[0].tv_nsec = ts[1].tv_nsec = 0;
  stamp += 3607;
  if (utimensat (AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) == -1)
    die (path);
  return 0;
}

static void
build_tree (void)
{
  char name[1024], target[1200];
  unsigned char *data;
  int i;

  snprintf (src, sizeof src, "%s/src", scratch_dir ());
  if (mkdir (src, 0755) == -1)
    die (src);
  put ("hello.txt", "hello, world\n", 13, 0640);
  put ("run.sh", "#!/bin/sh\necho hi\n", 18, 0755);
  put ("setuid", "x", 1, 04711);
  put ("empty", "", 0, 0600);
  data = malloc (100003);
  for (i = 0; i < 100003; i++)
    data[i] = (i * 7919) ^ (i >> 8);
  put ("data.bin", data, 100003, 0644);
  free (data);
  put ("\xc3\x9c" "n\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9 \xe2\x98\x83 snowman.txt",
       "utf8\n", 5, 0644);
  memset (name, 'L', 251);
  strcpy (name + 251, ".txt");            /* 255 bytes: two NM entries */
  put (name, "long name\n", 10, 0644);
  lnk ("hello.txt", "rel-link");
  lnk ("/etc/passwd", "abs-link");
  lnk ("../src/./hello.txt", "dotdot-link");
  for (i = 0; i < 100; i++)
    memcpy (target + i * 10, "component/", 10);
  strcpy (target + 1000, "end");          /* several SL entries, a CE */
  lnk (target, "long-link");
  mk ("private", 0700);
  put ("private/secret", "s", 1, 0400);
  mk ("deep", 0755);
  strcpy (name, "deep");
  for (i = 1; i <= 12; i++) {
    size_t l = strlen (name);
    snprintf (name + l, sizeof name - l, "/d%d", i);
    mk (name, 0755);
  }
  strcat (name, "/leaf.txt");
  put (name, "leaf\n", 5, 0644);
  mk ("wide", 0755);
  for (i = 0; i < 300; i++) {
    char f[64];
    snprintf (f, sizeof f, "wide/file-with-a-longer-name-%03d", i);
    put (f, f, strlen (f), 0644);
  }
  snprintf (name, sizeof name, "%s/fifo", src);
  if (mkfifo (name, 0620) == -1)
    die (name);
  if (harness_is_root ()) {
    snprintf (name, sizeof name, "%s/null", src);
    if (mknod (name, S_IFCHR | 0666, makedev (1, 3)) == -1)
      die (name);
    snprintf (name, sizeof name, "%s/disk", src);
    if (mknod (name, S_IFBLK | 0660, makedev (259, 65537)) == -1)
      die (name);
  }
  /* Children before parents, so that no directory's time moves. */
  if (nftw (src, set_time, 32, FTW_PHYS | FTW_DEPTH) == -1)
    die ("nftw");
}

/* ---------------------------------------------------------------- */

/* genisoimage reads a fifo as a file (and blocks) and spins forever on
 * a symlink whose target is longer than one SL entry: leave those out
 * of its images (xorriso's image has them). */
#define GENISO_SKIP_SPECIAL "-m", "fifo", "-m", "null", "-m", "disk", \
    "-m", "long-link"

static int
make_iso (const char *const *argv)
{
  char *out = NULL;
  int status = harness_run (argv, &out);

  if (status != 0)
    tap_diag ("%s exited with %d: %s", argv[0], status, out ? out : "");
  free (out);
  return status;
}

static int
mount_iso (const char *image, int readonly)
{
  int r;

  storage_umount_all (&err);
  clear_err ();
  harness_close_drives ();
  harness_add_drive (image, 0, readonly);
  r = storage_mount ("/dev/sda", "/", "", readonly, &err);
  if (r < 0)
    tap_diag ("mount %s: %s", image, err ? err : strerror (-r));
  return r;
}

static char *
blkid_value (const char *image, const char *tag)
{
  const char *argv[] = { "blkid", "-p", "-o", "value", "-s", tag, image,
                         NULL };
  char *out = NULL;
  size_t n;

  if (harness_run (argv, &out) != 0) {
    free (out);
    return strdup ("");
  }
  n = strlen (out);
  while (n > 0 && out[n - 1] == '\n')
    out[--n] = '\0';
  return out;
}

static void
check_label_uuid (const char *image, const char *what)
{
  struct mount *m = storage_mount_of_device ("/dev/sda");
  char *label = NULL, *uuid = NULL, *bl, *bu;

  if (m == NULL) {
    ok (0, "%s: mounted", what);
    return;
  }
  m->fs->ops->get_label (m->fs, &label);
  m->fs->ops->get_uuid_string (m->fs, &uuid);
  bl = blkid_value (image, "LABEL");
  bu = blkid_value (image, "UUID");
  is_str (label, bl, "%s: label is blkid's", what);
  is_str (uuid, bu, "%s: uuid is blkid's", what);
  free (label);
  free (uuid);
  free (bl);
  free (bu);
}

static void
test_rockridge_xorriso (void)
{
  char image[600];
  const char *argv[] = { "xorriso", "-as", "mkisofs", "-R", "-J",
                         "-joliet-long", "-V", "MINNOW_RR", "-o", image,
                         src, NULL };
  struct engine_statvfs sv;
  struct engine_stat st;
  char *t = NULL;

  snprintf (image, sizeof image, "%s/rr.iso", scratch_dir ());
  if (make_iso (argv) != 0 || mount_iso (image, 1) < 0) {
    ok (0, "xorriso Rock Ridge image made and mounted");
    return;
  }
  compare_tree (src, "/", 0);
  check_label_uuid (image, "xorriso");
  is_int (fsop_touch ("/new"), -EROFS, "writing fails with EROFS");
  is_int (fsop_mkdir ("/newdir", 0755), -EROFS, "mkdir fails with EROFS");
  is_int (fsop_unlink ("/hello.txt"), -EROFS, "unlink fails with EROFS");
  is_int (fsop_statvfs ("/", &sv), 0, "statvfs");
  is_int (sv.flag & 1, 1, "statvfs says read-only");
  is_int (fsop_stat ("/hello.txt/x", 1, &st), -ENOTDIR,
          "a file is not a directory");
  is_int (fsop_stat ("/nothing", 1, &st), -ENOENT, "a missing name");
  is_int (fsop_stat ("/HELLO.TXT", 1, &st), -ENOENT,
          "Rock Ridge names match only in their case");
  is_int (fsop_readlink ("/hello.txt", &t), -EINVAL,
          "readlink of a regular file");
  free (t);

  /* A read-write mount of iso9660 is read-only, as mount(8) makes it. */
  if (mount_iso (image, 0) == 0) {
    struct mount *m = storage_mount_of_device ("/dev/sda");
    ok (m && m->readonly, "a read-write mount becomes read-only");
    is_int (fsop_write ("/hello.txt", "x", 1, 0), -EROFS,
            "writing to a read-write mount fails with EROFS");
  } else
    ok (0, "a read-write mount of an ISO image");
}

static void
test_rockridge_relocated (void)
{
  char image[600], sub[700], img[64];
  const char *argv[] = { "genisoimage", "-quiet", GENISO_SKIP_SPECIAL, "-R", "-o", image, src,
                         NULL };
  const char *dirs[] = { "deep", "wide", "private" };
  struct fsop_dirent *ents;
  size_t n = 99, i;

  snprintf (image, sizeof image, "%s/relocated.iso", scratch_dir ());
  if (make_iso (argv) != 0 || mount_iso (image, 1) < 0) {
    ok (0, "genisoimage Rock Ridge image made and mounted");
    return;
  }
  for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
    snprintf (sub, sizeof sub, "%s/%s", src, dirs[i]);
    snprintf (img, sizeof img, "/%s", dirs[i]);
    compare_tree (sub, img, 0);
  }
  ok (fsop_readdir ("/rr_moved", &ents, &n) == 0 && n == 0,
      "relocated directories are shown only where they belong");
  if (n != 99)
    fsop_dirents_free (ents, n);
}

/* Joliet: the tree without what Joliet cannot hold (links, fifos,
 * devices, owners, modes). */
static int
joliet_visit (const char *host, const char *image, int depth)
{
  struct stat hs;
  struct engine_stat is;
  struct fsop_dirent *ents;
  size_t ni, expected = 0;
  int bad = 0;
  DIR *d;
  struct dirent *de;

  if (lstat (host, &hs) == -1)
    return 1;
  if (fsop_stat (image, 1, &is) < 0) {
    tap_diag ("joliet: %s missing", image);
    return 1;
  }
  if ((is.mode & S_IFMT) != (hs.st_mode & S_IFMT)
      || (is.mode & 07777) != 0555 || is.mtime_sec != hs.st_mtime) {
    tap_diag ("joliet: %s: mode %o mtime %lld, expected type %o, 0555, %lld",
              image, is.mode, (long long) is.mtime_sec, hs.st_mode & S_IFMT,
              (long long) hs.st_mtime);
    bad++;
  }
  if (S_ISREG (hs.st_mode)) {
    char *a = NULL, *b = NULL;
    size_t la = 0, lb = 0;
    FILE *f = fopen (host, "re");
    if (f) {
      b = malloc (hs.st_size + 1);
      lb = fread (b, 1, hs.st_size, f);
      fclose (f);
    }
    if (fsop_read_all (image, &a, &la, 1 << 20) < 0 || la != lb
        || memcmp (a, b, la) != 0) {
      tap_diag ("joliet: %s: contents differ", image);
      bad++;
    }
    free (a);
    free (b);
    return bad;
  }
  if (!S_ISDIR (hs.st_mode) || depth >= 6)
    return bad;
  d = opendir (host);
  while (d && (de = readdir (d)) != NULL) {
    char h[2048], m[2048];
    struct stat cs;
    if (de->d_name[0] == '.' && (de->d_name[1] == '\0'
                                 || strcmp (de->d_name, "..") == 0))
      continue;
    snprintf (h, sizeof h, "%s/%s", host, de->d_name);
    if (lstat (h, &cs) == -1 || !(S_ISREG (cs.st_mode) || S_ISDIR (cs.st_mode)))
      continue;
    expected++;
    if (strlen (de->d_name) > 64)
      continue;                 /* Joliet cuts long names */
    snprintf (m, sizeof m, "%s/%s", strcmp (image, "/") ? image : "",
              de->d_name);
    bad += joliet_visit (h, m, depth + 1);
  }
  if (d)
    closedir (d);
  if (fsop_readdir (image, &ents, &ni) == 0) {
    if (ni != expected) {
      tap_diag ("joliet: %s: %zu entries, expected %zu", image, ni, expected);
      bad++;
    }
    fsop_dirents_free (ents, ni);
  } else
    bad++;
  return bad;
}

static void
test_joliet (void)
{
  char image[600];
  const char *argv[] = { "genisoimage", "-quiet", GENISO_SKIP_SPECIAL, "-J", "-joliet-long",
                         "-V", "Joliet volume name", "-o", image, src, NULL };

  snprintf (image, sizeof image, "%s/joliet.iso", scratch_dir ());
  if (make_iso (argv) != 0 || mount_iso (image, 1) < 0) {
    ok (0, "Joliet image made and mounted");
    return;
  }
  is_int (joliet_visit (src, "/", 0), 0, "Joliet tree matches the source");
  {
    struct engine_stat st;
    is_int (fsop_stat ("/HELLO.Txt", 1, &st), 0,
            "Joliet names match whatever their case, as the kernel's");
    is_int (st.size, 13, "... and find the file");
  }
  check_label_uuid (image, "Joliet");
}

/* Plain ISO 9660: isoinfo -f lists "/DIR/NAME.EXT;1"; the kernel (and
 * minnow) show "/dir/name.ext". */
static void
test_plain (void)
{
  char image[600], *out = NULL, *line, *save = NULL;
  const char *argv[] = { "genisoimage", "-quiet", GENISO_SKIP_SPECIAL, "-V", "PLAIN", "-o",
                         image, src, NULL };
  const char *list[] = { "isoinfo", "-f", "-i", image, NULL };
  int missing = 0, total = 0;
  char *a = NULL;
  size_t la = 0;

  snprintf (image, sizeof image, "%s/plain.iso", scratch_dir ());
  if (make_iso (argv) != 0 || mount_iso (image, 1) < 0) {
    ok (0, "plain image made and mounted");
    return;
  }
  if (harness_run (list, &out) != 0) {
    ok (0, "isoinfo -f");
    free (out);
    return;
  }
  for (line = strtok_r (out, "\n", &save); line;
       line = strtok_r (NULL, "\n", &save)) {
    char path[1024];
    size_t i, o = 0, n = strlen (line);
    struct engine_stat st;

    if (n >= 2 && line[n - 2] == ';' && line[n - 1] == '1')
      n -= 2;
    if (n >= 1 && line[n - 1] == '.')
      n--;
    for (i = 0; i < n && o < sizeof path - 1; i++)
      path[o++] = line[i] >= 'A' && line[i] <= 'Z' ? line[i] + 32 : line[i];
    path[o] = '\0';
    total++;
    if (fsop_stat (path, 1, &st) < 0) {
      tap_diag ("plain: %s (isoinfo's %s) missing", path, line);
      missing++;
    } else if ((st.mode & 07777) != 0555)
      missing++;
  }
  free (out);
  ok (total > 300, "isoinfo lists the plain tree (%d names)", total);
  is_int (missing, 0, "every plain name is there, lower-cased, r-x");
  ok (fsop_read_all ("/hello.txt", &a, &la, 1024) == 0 && la == 13
      && memcmp (a, "hello, world\n", 13) == 0, "plain: contents");
  free (a);
  check_label_uuid (image, "plain");
}

/* zisofs (RR ZF) files: their real size and contents. */
static void
test_zisofs (void)
{
  char image[600], dir[600];
  const char *argv[] = { "xorriso", "-no_rc", "-outdev", image,
                         "-rockridge", "on", "-map", dir, "/data.bin",
                         "-set_filter_r", "--zisofs", "/", "--", "-commit",
                         NULL };
  struct engine_stat st;
  char *a = NULL, *b = NULL;
  size_t la = 0, lb = 0;
  FILE *f;

  snprintf (image, sizeof image, "%s/zisofs.iso", scratch_dir ());
  snprintf (dir, sizeof dir, "%s/data.bin", src);
  if (make_iso (argv) != 0 || mount_iso (image, 1) < 0) {
    ok (0, "zisofs image made and mounted");
    return;
  }
  is_int (fsop_stat ("/data.bin", 1, &st), 0, "zisofs: file found");
  is_int (st.size, 100003, "zisofs: the uncompressed size");
  f = fopen (dir, "re");
  if (f) {
    b = malloc (st.size);
    lb = fread (b, 1, 100003, f);
    fclose (f);
  }
  ok (fsop_read_all ("/data.bin", &a, &la, 1 << 20) == 0 && la == lb
      && lb == 100003 && memcmp (a, b, la) == 0,
      "zisofs: contents decompressed");
  free (a);
  free (b);
  {
    char part[100];
    ssize_t n = fsop_pread ("/data.bin", part, sizeof part, 32768 - 50);
    ok (n == 100, "zisofs: a read across two blocks");
  }
}

/* ---------------------------------------------------------------- */
/* Images built byte by byte.                                         */

#define SECTORS 40
static unsigned char img[SECTORS * ISO_SECTOR];

static void
both32 (unsigned char *p, uint32_t v)
{
  p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24;
  p[4] = v >> 24; p[5] = v >> 16; p[6] = v >> 8; p[7] = v;
}

/* Appends a directory record at *pos of sector sec; returns its length. */
static size_t
rec (unsigned sec, size_t *pos, uint32_t extent, uint32_t len,
     unsigned flags, const char *id, size_t idlen,
     const unsigned char *su, size_t sulen)
{
  unsigned char *r = img + sec * ISO_SECTOR + *pos;
  size_t n = 33 + idlen + !(idlen & 1) + sulen;

  memset (r, 0, n);
  r[0] = n;
  both32 (r + 2, extent);
  both32 (r + 10, len);
  r[18] = 120; r[19] = 6; r[20] = 15; r[21] = 12;      /* 2020-06-15 12:00 */
  r[25] = flags;
  r[28] = 1; r[31] = 1;
  r[32] = idlen;
  memcpy (r + 33, id, idlen);
  if (su)
    memcpy (r + 33 + idlen + !(idlen & 1), su, sulen);
  *pos += n;
  return n;
}

/* The skeleton: descriptors, a root directory at sector 18 holding "."
 * (with su, the SUSP area, when given) and "..". Returns the next free
 * position in the root's sector. */
static size_t
skeleton (const unsigned char *su, size_t sulen)
{
  unsigned char *pvd = img + 16 * ISO_SECTOR, *term = img + 17 * ISO_SECTOR;
  size_t pos = 0;

  memset (img, 0, sizeof img);
  pvd[0] = 1;
  memcpy (pvd + 1, "CD001", 5);
  pvd[6] = 1;
  memset (pvd + 8, ' ', 64);
  memcpy (pvd + 40, "CRAFTED", 7);
  both32 (pvd + 80, SECTORS);
  pvd[120] = 1; pvd[123] = 1; pvd[124] = 1; pvd[127] = 1;
  pvd[128] = 0; pvd[129] = 8; pvd[130] = 8; pvd[131] = 0;
  memcpy (pvd + 813, "2020061512000000", 16);
  memcpy (pvd + 830, "2020061512000000", 16);
  term[0] = 255;
  memcpy (term + 1, "CD001", 5);
  term[6] = 1;
  rec (18, &pos, 18, ISO_SECTOR, 2, "\0", 1, su, sulen);
  rec (18, &pos, 18, ISO_SECTOR, 2, "\1", 1, NULL, 0);
  /* The root record in the descriptor. */
  memcpy (pvd + 156, img + 18 * ISO_SECTOR, 34);
  pvd[156] = 34;
  pvd[156 + 32] = 1;
  pvd[156 + 33] = 0;
  return pos;
}

static const char *
write_image (const char *name, size_t sectors)
{
  static char path[600];
  int fd;

  snprintf (path, sizeof path, "%s/%s", scratch_dir (), name);
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd == -1 || write (fd, img, sectors * ISO_SECTOR)
      != (ssize_t) (sectors * ISO_SECTOR))
    die (path);
  close (fd);
  return path;
}

static void
test_multi_extent (void)
{
  size_t pos = skeleton (NULL, 0);
  char *buf = NULL, expected[4196];
  size_t len = 0;
  struct engine_stat st;

  rec (18, &pos, 20, 2048, 0x80, "MULTI.BIN;1", 11, NULL, 0);
  rec (18, &pos, 22, 2048, 0x80, "MULTI.BIN;1", 11, NULL, 0);
  rec (18, &pos, 21, 100, 0, "MULTI.BIN;1", 11, NULL, 0);
  rec (18, &pos, 23, 5, 0, "AFTER.TXT;1", 11, NULL, 0);
  memset (img + 20 * ISO_SECTOR, 'A', 2048);
  memset (img + 22 * ISO_SECTOR, 'B', 2048);
  memset (img + 21 * ISO_SECTOR, 'C', 100);
  memcpy (img + 23 * ISO_SECTOR, "after", 5);
  memset (expected, 'A', 2048);
  memset (expected + 2048, 'B', 2048);
  memset (expected + 4096, 'C', 100);
  if (mount_iso (write_image ("multi.iso", SECTORS), 1) < 0) {
    ok (0, "multi-extent image mounted");
    return;
  }
  is_int (fsop_stat ("/multi.bin", 1, &st), 0, "multi-extent file found");
  is_int (st.size, 4196, "multi-extent file: size of all its extents");
  ok (fsop_read_all ("/multi.bin", &buf, &len, 1 << 20) == 0 && len == 4196
      && memcmp (buf, expected, len) == 0,
      "multi-extent file: contents in record order");
  free (buf);
  buf = NULL;
  ok (fsop_read_all ("/after.txt", &buf, &len, 100) == 0 && len == 5
      && memcmp (buf, "after", 5) == 0, "the entry after it");
  free (buf);
  {
    char part[10];
    ssize_t n = fsop_pread ("/multi.bin", part, sizeof part, 2043);
    ok (n == 10 && memcmp (part, "AAAAABBBBB", 10) == 0,
        "a read across two extents");
  }
  {
    struct fsop_dirent *ents;
    size_t n = 0;
    if (fsop_readdir ("/", &ents, &n) == 0)
      fsop_dirents_free (ents, n);
    is_int (n, 2, "a multi-extent file is one entry");
  }
}

/* Lists path and expects err; the message must say why. */
static void
expect_fail (const char *path, int expected, const char *what)
{
  struct fsop_dirent *ents;
  size_t n = 0;
  int r = fsop_readdir (path, &ents, &n);

  if (r == 0)
    fsop_dirents_free (ents, n);
  is_int (r, -expected, "%s: listing %s %s", what, path,
          expected ? "fails" : "works");
}

static void
test_hostile (void)
{
  size_t pos, spos;
  struct engine_stat st;
  char buf[16];
  int r;

  /* A directory whose extent is the root's. */
  pos = skeleton (NULL, 0);
  rec (18, &pos, 18, ISO_SECTOR, 2, "LOOP", 4, NULL, 0);
  rec (18, &pos, 19, ISO_SECTOR, 2, "SUB", 3, NULL, 0);
  rec (18, &pos, 25, ISO_SECTOR, 2, "A", 1, NULL, 0);
  rec (18, &pos, 25, ISO_SECTOR, 2, "B", 1, NULL, 0);
  spos = 0;
  rec (25, &spos, 25, ISO_SECTOR, 2, "\0", 1, NULL, 0);
  rec (25, &spos, 18, ISO_SECTOR, 2, "\1", 1, NULL, 0);
  spos = 0;
  rec (19, &spos, 19, ISO_SECTOR, 2, "\0", 1, NULL, 0);
  rec (19, &spos, 18, ISO_SECTOR, 2, "\1", 1, NULL, 0);
  rec (19, &spos, 19, ISO_SECTOR, 2, "SELF", 4, NULL, 0);
  rec (19, &spos, 5000, 10, 0, "FAR.TXT;1", 9, NULL, 0);
  rec (19, &spos, 5000, ISO_SECTOR, 2, "FARDIR", 6, NULL, 0);
  rec (19, &spos, 20, 0x7fffffff, 2, "HUGE", 4, NULL, 0);
  if (mount_iso (write_image ("loop.iso", SECTORS), 1) < 0) {
    ok (0, "hostile image mounted");
    return;
  }
  expect_fail ("/", 0, "the root with a loop in it");
  expect_fail ("/loop", EUCLEAN, "a directory that is the root");
  expect_fail ("/sub/self", EUCLEAN, "a directory that is its parent");
  expect_fail ("/a", 0, "a directory");
  expect_fail ("/b", EUCLEAN, "a second directory on the same records");
  expect_fail ("/sub/fardir", EIO, "a directory beyond the image");
  expect_fail ("/sub/huge", EUCLEAN, "a 2 GiB directory");
  is_int (fsop_stat ("/sub/far.txt", 1, &st), 0, "a file beyond the image "
          "is listed");
  is_int (fsop_pread ("/sub/far.txt", buf, sizeof buf, 0), -EIO,
          "reading it fails with EIO");

  /* A record shorter than a record can be. */
  pos = skeleton (NULL, 0);
  img[18 * ISO_SECTOR + pos] = 20;
  if (mount_iso (write_image ("short.iso", SECTORS), 1) == 0)
    expect_fail ("/", EUCLEAN, "a 20-byte record");
  else
    ok (0, "short-record image mounted");

  /* SUSP: SP, then a CE whose area holds a CE to itself. */
  {
    unsigned char su[7 + 28], *ce = img + 24 * ISO_SECTOR;
    memcpy (su, "SP\7\1\xbe\xef\0", 7);
    memcpy (su + 7, "CE\x1c\1", 4);
    both32 (su + 11, 24);
    both32 (su + 19, 0);
    both32 (su + 27, 28);
    skeleton (su, sizeof su);
    memcpy (ce, su + 7, 28);
    write_image ("celoop.iso", SECTORS);
    storage_umount_all (&err);
    clear_err ();
    harness_close_drives ();
    harness_add_drive (write_image ("celoop.iso", SECTORS), 0, 1);
    r = storage_mount ("/dev/sda", "/", "", 1, &err);
    is_int (r, -EUCLEAN, "a SUSP continuation loop: mount fails");
    ok (err && strstr (err, "CE loop"), "... saying so (%s)",
        err ? err : "no message");
    clear_err ();
  }

  /* No terminator: the descriptors run into the end of the image. */
  skeleton (NULL, 0);
  memset (img + 17 * ISO_SECTOR, 0, ISO_SECTOR);
  storage_umount_all (&err);
  clear_err ();
  harness_close_drives ();
  harness_add_drive (write_image ("noterm.iso", 17), 0, 1);
  r = storage_mount ("/dev/sda", "/", "", 1, &err);
  is_int (r, -EUCLEAN, "descriptors without a terminator: mount fails");
  ok (err && strstr (err, "volume descriptor"), "... saying so (%s)",
      err ? err : "no message");
  clear_err ();

  /* The root directory beyond the end of the image. */
  skeleton (NULL, 0);
  both32 (img + 16 * ISO_SECTOR + 156 + 2, 900000);
  storage_umount_all (&err);
  clear_err ();
  harness_close_drives ();
  harness_add_drive (write_image ("farroot.iso", SECTORS), 0, 1);
  r = storage_mount ("/dev/sda", "/", "", 1, &err);
  is_int (r, -EIO, "a root beyond the image: mount fails");
  ok (err && strstr (err, "beyond the end"), "... saying so (%s)",
      err ? err : "no message");
  clear_err ();
}

int
main (void)
{
  const char *probe[] = { "xorriso", "-version", NULL };
  const char *probe2[] = { "genisoimage", "-version", NULL };

  if (harness_run (probe, NULL) != 0 || harness_run (probe2, NULL) != 0) {
    printf ("1..0 # SKIP xorriso or genisoimage missing "
            "(scripts/install-deps installs them)\n");
    return 0;
  }
  build_tree ();
  test_rockridge_xorriso ();
  test_rockridge_relocated ();
  test_joliet ();
  test_plain ();
  test_zisofs ();
  test_multi_extent ();
  test_hostile ();
  storage_umount_all (&err);
  clear_err ();
  harness_close_drives ();
  return tap_done ();
}
