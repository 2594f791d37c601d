/* minnow: storage test harness — TAP output and drives backed by image
 * files, standing in for the daemon's devices.c. */

#ifndef MINNOW_STORAGE_HARNESS_H
#define MINNOW_STORAGE_HARNESS_H

#include <stddef.h>
#include <stdint.h>

extern int tap_count, tap_failed;

#define ok(cond, ...) tap_ok (!!(cond), __VA_ARGS__)
void tap_ok (int cond, const char *fmt, ...)
  __attribute__((format (printf, 2, 3)));
/* Compares ints / strings, printing expected and got on failure. */
void is_int (int64_t got, int64_t expected, const char *fmt, ...)
  __attribute__((format (printf, 3, 4)));
void is_str (const char *got, const char *expected, const char *fmt, ...)
  __attribute__((format (printf, 3, 4)));
void tap_diag (const char *fmt, ...) __attribute__((format (printf, 1, 2)));
int tap_done (void);               /* prints the plan, returns exit code */

/* A scratch directory removed at exit (best effort). */
const char *scratch_dir (void);

/* Adds an image file as the next drive (/dev/sda, /dev/sdb …); creates
 * it sparse with size bytes when size > 0.  Returns the drive index. */
int harness_add_drive (const char *path, uint64_t size, int readonly);
/* Closes every drive's descriptor. */
void harness_close_drives (void);

/* Runs argv through the command core; returns the exit status, output
 * in *out (malloc'd) when out is not NULL. */
int harness_run (const char *const *argv, char **out);

/* SHA-256 of a file on the host, hex (static buffer). */
const char *file_digest (const char *path);

#endif

/* Compares the host tree at host_dir (a kernel mount or a source tree)
 * with what the engine shows at image_path: names, types, modes, owners,
 * sizes, mtimes, link counts, symlink targets, contents and xattrs,
 * recursively.  Reports one TAP line per directory and a
 * summary; returns the number of differences. */
#define COMPARE_NLINK 1          /* link counts */
#define COMPARE_NSEC  2          /* nanoseconds of mtime (mke2fs -d drops them) */
#define COMPARE_NO_ROOT_TIME 4   /* not the root's mtime (mke2fs -d sets its own) */
int compare_tree (const char *host_dir, const char *image_path, int flags);

/* umount, then wait until the loop device lets go of image (umount
 * returns before it does) and sync, so that the image holds everything
 * the kernel wrote. */
void harness_kernel_umount (const char *mnt, const char *image);

/* Are we root (loop mounts possible)? */
int harness_is_root (void);
