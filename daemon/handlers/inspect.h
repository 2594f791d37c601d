/* minnow: inspection of the operating systems in the drives (core).
 *
 * inspect_os walks every filesystem, looks at each one alone (mounted
 * read-only on its own, never in the user's mount table) and keeps what
 * it found in a cache that the inspect_get_* actions answer from.  The
 * guest's files are untrusted input: every read is bounded and every
 * parser copes with anything.
 *
 * Layout: inspect-util.c (private mounts, bounded reads, key=value
 * parsing), inspect-fs.c (what one filesystem is: release files,
 * hostname, fstab), inspect-apps.c (package databases, read through the
 * user's mounts), do-inspect.c (the actions and the cache),
 * and do-files.c (file_architecture, whose header reader it shares).
 */

#ifndef MINNOW_INSPECT_H
#define MINNOW_INSPECT_H

#include <stddef.h>
#include <stdint.h>

/* Limits on what is read from a guest. */
#define INSPECT_MAX_SMALL_FILE   (64 * 1024)          /* release files, hostname */
#define INSPECT_MAX_FSTAB        (1024 * 1024)
#define INSPECT_MAX_FSTAB_ENTRIES 1024
#define INSPECT_MAX_PKG_DB       (128 * 1024 * 1024)  /* dpkg status, apk db */
#define INSPECT_MAX_PKG_FILE     (64 * 1024)          /* one pacman desc */
#define INSPECT_MAX_APPS         100000
#define INSPECT_MAX_FIELD        4096                 /* one value kept */

/* One fstab entry resolved to a device of ours. */
struct inspect_fstab_entry {
  char *device;                 /* /dev/sdXN, or the spec as written when
                                 * it names a device we do not have */
  char *mountpoint;             /* canonical: "/", "/boot", or "swap"... */
};

/* What inspection found on one root filesystem.  Strings are never NULL
 * once inspect_fs_check has filled the root ("unknown" when unknown). */
struct inspect_root {
  char *device;                 /* the root filesystem */
  char *vfs_type;               /* ext2/ext3/ext4 */
  char *type;                   /* "linux" */
  char *distro;
  char *product_name;
  char *product_variant;
  int major, minor;
  char *arch;
  char *hostname;
  char *package_format;
  char *package_management;
  char *osinfo;
  char *build_id;
  struct inspect_fstab_entry *fstab;
  size_t nfstab;
};

void inspect_root_free (struct inspect_root *root);

/* ---- inspect-util.c ---- */

/* Runs fn with device mounted read-only alone at "/" in a private mount
 * table (the user's table is put back afterwards, untouched; a device
 * the user has mounted is read through the user's open filesystem).
 * Returns fn's result, or a negative errno when the device could not be
 * mounted (with a message in *error_r). */
int inspect_with_device (const char *device,
                         int (*fn) (const char *device, void *opaque),
                         void *opaque, char **error_r);

/* Reads a whole file of the currently visible tree, at most max bytes:
 * a bigger file is refused with -EFBIG, a non-regular one with -EINVAL.
 * *buf_r is NUL-terminated (embedded NULs are turned into spaces). */
int inspect_read_file (const char *path, size_t max, char **buf_r,
                       size_t *len_r);
/* The same, bytes as they are (for binary databases). */
int inspect_read_raw (const char *path, size_t max, char **buf_r,
                      size_t *len_r);

/* 1 when path is a regular file (following symlinks), a directory, a
 * symlink (not followed); 0 otherwise. */
int inspect_is_file (const char *path);
int inspect_is_dir (const char *path);
int inspect_is_symlink_to (const char *path, const char *target);

/* Splits buf into lines in place (newlines replaced by NULs); calls fn
 * for each one; stops early when fn returns non-zero. */
int inspect_each_line (char *buf, int (*fn) (char *line, void *opaque),
                       void *opaque);

/* Removes one level of shell-style quoting from a value of os-release
 * or lsb-release (in place). */
void inspect_unquote (char *value);

/* strdup bounded to INSPECT_MAX_FIELD bytes; NULL when out of memory. */
char *inspect_strdup_field (const char *s);

/* ---- do-inspect.c ---- */

/* The cached inspection of root, or NULL after replying with the error
 * (no inspection yet, or not a root found by the last inspect_os). */
struct inspect_root *inspect_find_root (const char *root);

/* ---- inspect-fs.c ---- */

/* Looks at the filesystem mounted alone at "/" (called inside
 * inspect_with_device).  Returns 1 when it is the root of an operating
 * system (root filled), 0 when it is not, or a negative errno. */
int inspect_fs_check (const char *device, struct inspect_root *root);

/* Resolves the fstab read while checking root into devices of ours;
 * called after every root is found, outside any private mount. */
void inspect_fs_resolve_fstab (struct inspect_root *root);

/* ---- inspect-apps.c ---- */

struct inspect_app {
  char *name, *display_name;
  int32_t epoch;
  char *version, *release, *arch, *install_path, *trans_path;
  char *publisher, *url, *source_package, *summary, *description;
};

/* Reads the package database of root's package_format from the user's
 * mounted filesystems.  Returns 0 and a malloc'd sorted array (maybe
 * empty), or a negative errno with *error_r. */
int inspect_list_apps (const struct inspect_root *root,
                       struct inspect_app **apps_r, size_t *n_r,
                       char **error_r);
void inspect_apps_free (struct inspect_app *apps, size_t n);

/* ---- do-files.c ---- */

/* The architecture of an executable whose first bytes are buf (ELF, PE,
 * Mach-O) as libguestfs names it ("x86_64", "aarch64", "i386" ...), or NULL. */
const char *inspect_binary_arch (const unsigned char *buf, size_t len);

#endif /* MINNOW_INSPECT_H */
