/* minnow: storage test harness.  See harness.h. */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "command.h"
#include "storage.h"
#include "harness.h"

int tap_count, tap_failed;

void
tap_ok (int cond, const char *fmt, ...)
{
  va_list ap;

  tap_count++;
  if (!cond)
    tap_failed++;
  printf ("%sok %d - ", cond ? "" : "not ", tap_count);
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  putchar ('\n');
  fflush (stdout);
}

void
tap_diag (const char *fmt, ...)
{
  va_list ap;

  printf ("# ");
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  putchar ('\n');
}

void
is_int (int64_t got, int64_t expected, const char *fmt, ...)
{
  va_list ap;
  char msg[1024];

  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  tap_ok (got == expected, "%s", msg);
  if (got != expected) {
    printf ("# expected: %" PRIi64 "\n# got: %" PRIi64, expected, got);
    if (got < 0 && got > -200)
      printf (" (%s)", strerror ((int) -got));
    putchar ('\n');
  }
}

void
is_str (const char *got, const char *expected, const char *fmt, ...)
{
  va_list ap;
  char msg[1024];
  int same = got && expected ? strcmp (got, expected) == 0 : got == expected;

  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  tap_ok (same, "%s", msg);
  if (!same)
    printf ("# expected: \"%s\"\n# got: \"%s\"\n",
            expected ? expected : "(null)", got ? got : "(null)");
}

int
tap_done (void)
{
  printf ("1..%d\n", tap_count);
  return tap_failed ? 1 : 0;
}

static char scratch[256];

static void
remove_scratch (void)
{
  const char *argv[] = { "rm", "-rf", scratch, NULL };

  if (scratch[0] && getenv ("MINNOW_KEEP_SCRATCH") == NULL)
    harness_run (argv, NULL);
}

const char *
scratch_dir (void)
{
  if (scratch[0] == '\0') {
    const char *tmp = getenv ("TMPDIR") ? getenv ("TMPDIR") : "/tmp";
    snprintf (scratch, sizeof scratch, "%s/minnow-storage-XXXXXX", tmp);
    if (mkdtemp (scratch) == NULL) {
      perror ("mkdtemp");
      exit (99);
    }
    atexit (remove_scratch);
  }
  return scratch;
}

int
harness_add_drive (const char *path, uint64_t size, int readonly)
{
  int fd;

  if (size > 0) {
    fd = open (path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd == -1 || ftruncate (fd, size) == -1) {
      perror (path);
      exit (99);
    }
    close (fd);
  }
  fd = open (path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
  if (fd == -1) {
    perror (path);
    exit (99);
  }
  if (storage_add_drive_fd (fd, path) == -1)
    exit (99);
  return (int) storage_drive_count () - 1;
}

void
harness_close_drives (void)
{
  storage_close_drives ();
}

int
harness_run (const char *const *argv, char **out)
{
  struct command *cmd = command_new_argv (argv);
  char *buf = NULL;
  size_t len;
  int status;

  command_set_output_buffer (cmd, &buf, &len);
  command_set_error_buffer (cmd, &buf, &len);
  if (command_run (cmd, &status) == -1) {
    tap_diag ("%s: %s", argv[0], command_get_error (cmd));
    status = -1;
  }
  command_free (cmd);
  if (out)
    *out = buf;
  else
    free (buf);
  return status;
}

const char *
file_digest (const char *path)
{
  static char hex[65];
  const char *argv[] = { "sha256sum", path, NULL };
  char *out = NULL;

  hex[0] = '\0';
  if (harness_run (argv, &out) == 0 && out && strlen (out) >= 64) {
    memcpy (hex, out, 64);
    hex[64] = '\0';
  }
  free (out);
  return hex;
}

/* ---------------------------------------------------------------- */
/* Tree comparison.                                                   */

#include <dirent.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "fsops.h"

void
harness_kernel_umount (const char *mnt, const char *image)
{
  const char *argv[] = { "umount", mnt, NULL };
  const char *losetup[] = { "losetup", "-j", image, NULL };
  const char *sync_argv[] = { "sync", NULL };
  int i;

  harness_run (argv, NULL);
  for (i = 0; i < 100; i++) {
    char *out = NULL;
    int busy = harness_run (losetup, &out) == 0 && out && *out;
    free (out);
    if (!busy)
      break;
    usleep (50000);
  }
  harness_run (sync_argv, NULL);
}

int
harness_is_root (void)
{
  return geteuid () == 0;
}

static int differences;

static void
differ (const char *what, const char *path, const char *expected,
        const char *got)
{
  if (differences++ < 20)
    printf ("# %s differs at %s\n# expected: %s\n# got: %s\n", what, path,
            expected, got);
}

static void
differ_int (const char *what, const char *path, long long expected,
            long long got)
{
  char e[32], g[32];

  if (expected == got)
    return;
  snprintf (e, sizeof e, "%lld", expected);
  snprintf (g, sizeof g, "%lld", got);
  differ (what, path, e, g);
}

static void
compare_contents (const char *host, const char *image, off_t size)
{
  int fd = open (host, O_RDONLY | O_CLOEXEC);
  char *a = malloc (1 << 20), *b = malloc (1 << 20);
  off_t off = 0;

  if (fd == -1 || a == NULL || b == NULL) {
    differ ("open", host, "readable", strerror (errno));
    goto out;
  }
  while (off < size) {
    ssize_t n = pread (fd, a, 1 << 20, off);
    ssize_t m = fsop_pread (image, b, 1 << 20, off);
    if (n <= 0 || m != n || memcmp (a, b, n) != 0) {
      char where[64];
      snprintf (where, sizeof where, "bytes from offset %lld", (long long) off);
      differ ("content", image, where, m < 0 ? strerror (-m) : "other bytes");
      break;
    }
    /* Very large sparse files: compare the first and last megabytes. */
    if (size > (64 << 20) && off == 0 && size - (1 << 20) > n)
      off = size - (1 << 20);
    else
      off += n;
  }
 out:
  if (fd >= 0)
    close (fd);
  free (a);
  free (b);
}

static int
cmp_names (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
compare_xattrs (const char *host, const char *image)
{
  char names[65536];
  ssize_t len = llistxattr (host, names, sizeof names);
  struct fsop_xattr *xs;
  size_t n = 0, i, count = 0;
  char *p;

  if (len < 0)
    len = 0;
  if (fsop_listxattrs (image, 1, &xs, &n) < 0) {
    differ ("xattrs", image, "listable", "error");
    return;
  }
  for (p = names; p < names + len; p += strlen (p) + 1) {
    char value[65536];
    ssize_t vl;
    if (strncmp (p, "security.", 9) == 0 || strncmp (p, "system.", 7) == 0)
      continue;                 /* host labels and ACLs: not ours */
    count++;
    vl = lgetxattr (host, p, value, sizeof value);
    for (i = 0; i < n; i++)
      if (strcmp (xs[i].name, p) == 0)
        break;
    if (i == n)
      differ ("xattr", image, p, "missing");
    else if ((ssize_t) xs[i].len != vl || memcmp (xs[i].value, value, vl))
      differ ("xattr value", image, p, "another value");
  }
  for (i = 0; i < n; i++)
    if (strncmp (xs[i].name, "security.", 9) == 0
        || strncmp (xs[i].name, "system.", 7) == 0)
      count++;
  differ_int ("xattr count", image, (long long) count, (long long) n);
  fsop_xattrs_free (xs, n);
}

static void
compare_one (const char *host, const char *image, int flags,
             int depth)
{
  struct stat hs;
  struct engine_stat is;
  int r;

  if (lstat (host, &hs) == -1) {
    differ ("lstat", host, "ok", strerror (errno));
    return;
  }
  r = fsop_stat (image, 1, &is);
  if (r < 0) {
    differ ("existence", image, "exists", strerror (-r));
    return;
  }
  differ_int ("mode", image, hs.st_mode, is.mode);
  differ_int ("uid", image, hs.st_uid, is.uid);
  differ_int ("gid", image, hs.st_gid, is.gid);
  if (!S_ISDIR (hs.st_mode))
    differ_int ("size", image, hs.st_size, is.size);
  if ((flags & COMPARE_NLINK) && !S_ISDIR (hs.st_mode))
    differ_int ("nlink", image, hs.st_nlink, is.nlink);
  if (S_ISCHR (hs.st_mode) || S_ISBLK (hs.st_mode))
    differ_int ("rdev", image, hs.st_rdev, is.rdev);
  /* mke2fs -d gives the root directory the time it ran, not the
   * source's: the two differ whenever it ran in a later second. */
  if (!((flags & COMPARE_NO_ROOT_TIME) && depth == 0))
    differ_int ("mtime", image, hs.st_mtim.tv_sec, is.mtime_sec);
  if ((flags & COMPARE_NSEC) && !((flags & COMPARE_NO_ROOT_TIME) && depth == 0))
    differ_int ("mtime nanoseconds", image, hs.st_mtim.tv_nsec,
                is.mtime_nsec);
  if (S_ISLNK (hs.st_mode)) {
    char target[4097], *t = NULL;
    ssize_t n = readlink (host, target, sizeof target - 1);
    target[n < 0 ? 0 : n] = '\0';
    if (fsop_readlink (image, &t) < 0 || strcmp (t, target) != 0)
      differ ("symlink target", image, target, t ? t : "(error)");
    free (t);
  }
  if (S_ISREG (hs.st_mode))
    compare_contents (host, image, hs.st_size);
  compare_xattrs (host, image);

  if (S_ISDIR (hs.st_mode) && depth < 64) {
    DIR *d = opendir (host);
    struct dirent *de;
    char **names = NULL;
    size_t nn = 0, alloc = 0, i, ni = 0;
    struct fsop_dirent *ents;

    while (d && (de = readdir (d)) != NULL) {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (nn == alloc) {
        alloc = alloc ? alloc * 2 : 64;
        names = realloc (names, alloc * sizeof *names);
      }
      names[nn++] = strdup (de->d_name);
    }
    if (d)
      closedir (d);
    if (fsop_readdir (image, &ents, &ni) == 0) {
      differ_int ("entry count", image, (long long) nn, (long long) ni);
      fsop_dirents_free (ents, ni);
    }
    qsort (names, nn, sizeof *names, cmp_names);
    for (i = 0; i < nn; i++) {
      char *h, *m;
      if (asprintf (&h, "%s/%s", host, names[i]) >= 0
          && asprintf (&m, "%s%s%s", image,
                       image[strlen (image) - 1] == '/' ? "" : "/",
                       names[i]) >= 0) {
        compare_one (h, m, flags, depth + 1);
        free (h);
        free (m);
      }
      free (names[i]);
    }
    free (names);
  }
}

int
compare_tree (const char *host_dir, const char *image_path, int flags)
{
  differences = 0;
  compare_one (host_dir, image_path, flags, 0);
  is_int (differences, 0, "tree at %s matches %s", image_path, host_dir);
  return differences;
}
