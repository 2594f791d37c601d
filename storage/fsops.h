/* minnow: operations on paths inside the mounted filesystems (core).
 *
 * Each function takes absolute paths, resolves them through the mount
 * table and calls the engine.  They return 0 (or a size) or a negative
 * errno; the do_X actions turn that into a reply naming the path.  The
 * tests call them directly.
 */

#ifndef MINNOW_FSOPS_H
#define MINNOW_FSOPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "storage.h"

/* Resolves path to an existing object; nofollow: lstat semantics. */
int fsop_stat (const char *path, int nofollow, struct engine_stat *st);
int fsop_exists (const char *path);   /* 1, 0, or -errno (not ENOENT) */

/* Creation.  mode is masked with storage_umask (as the kernel does). */
int fsop_mkdir (const char *path, uint32_t mode);
int fsop_mkdir_p (const char *path, uint32_t mode);
int fsop_mknod (const char *path, uint32_t mode, uint64_t rdev);
int fsop_touch (const char *path);
int fsop_symlink (const char *target, const char *linkpath);
int fsop_link (const char *target, const char *linkpath);

/* Contents.  write replaces the file (creating it, mode 0666 & ~umask);
 * append adds to its end (creating it). */
int fsop_write (const char *path, const void *buf, size_t len, int append);
ssize_t fsop_pwrite (const char *path, const void *buf, size_t len,
                     int64_t offset);
ssize_t fsop_pread (const char *path, void *buf, size_t len, int64_t offset);
/* Whole file, malloc'd with a spare NUL; fails EFBIG above max. */
int fsop_read_all (const char *path, char **buf_r, size_t *len_r,
                   size_t max);
int fsop_truncate (const char *path, uint64_t size);
int fsop_fallocate (const char *path, uint64_t len);

/* Removal. */
int fsop_unlink (const char *path);
int fsop_rmdir (const char *path);
/* rm -rf: a missing path is not an error; never removes "/" itself but
 * empties it. */
int fsop_rm_rf (const char *path);

int fsop_rename (const char *oldpath, const char *newpath);
int fsop_readlink (const char *path, char **target_r);
/* The canonical absolute path (all symlinks resolved). */
int fsop_realpath (const char *path, char **path_r);

/* Attributes. */
int fsop_chmod (const char *path, uint32_t mode);
int fsop_chown (const char *path, int nofollow, int uid, int gid);
int fsop_utimens (const char *path, int64_t atsecs, int64_t atnsecs,
                  int64_t mtsecs, int64_t mtnsecs);

/* Directory entries except "." and "..", in directory order; the
 * arrays are malloc'd (names NULL-terminated), types as engine_dtype. */
struct fsop_dirent {
  char *name;
  uint64_t ino;
  int type;
};
int fsop_readdir (const char *path, struct fsop_dirent **ents_r,
                  size_t *n_r);
void fsop_dirents_free (struct fsop_dirent *ents, size_t n);

/* Extended attributes; nofollow for the l* variants. */
struct fsop_xattr {
  char *name;
  char *value;
  size_t len;
};
int fsop_listxattrs (const char *path, int nofollow,
                     struct fsop_xattr **xs_r, size_t *n_r);
void fsop_xattrs_free (struct fsop_xattr *xs, size_t n);
int fsop_getxattr (const char *path, int nofollow, const char *name,
                   char **value_r, size_t *len_r);
int fsop_setxattr (const char *path, int nofollow, const char *name,
                   const void *value, size_t len);
int fsop_removexattr (const char *path, int nofollow, const char *name);

int fsop_statvfs (const char *path, struct engine_statvfs *sv);

/* Copies file contents (cp); dest may be a directory. */
int fsop_copy_file (const char *src, const char *dest);
/* cp -a / cp -r: recursive; archive keeps modes, owners, times, xattrs
 * and symlinks. */
int fsop_copy_tree (const char *src, const char *dest, int archive);

#endif /* MINNOW_FSOPS_H */
