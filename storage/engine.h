/* minnow: the storage engine interface.
 *
 * A filesystem engine reads and writes one filesystem that lives in a
 * byte range (struct engine_range: a drive's descriptor, or a backend
 * such as a file of another filesystem), through range_read and
 * range_write.  Engines know nothing of paths, mount points or the RPC:
 * they work on inode numbers inside one filesystem.  Path resolution
 * across mounts lives in mount.c, the actions (do_X) in the daemon's
 * handlers on top of both.  registry.c lists the engines.
 *
 * Conventions: every function returning int returns 0 (or a count) on
 * success and a negative errno on failure.  A failing engine call may
 * leave a longer explanation in engine_last_error (fs), otherwise the
 * errno alone describes the failure.  Nothing here depends on daemon.h,
 * so the tests can link the engine directly.
 *
 * What one engine offers beyond this interface is declared apart, in
 * engine-NAME.h (engine-ext.h, engine-iso9660.h), so that a caller of
 * such extras says which engine it needs.
 */

#ifndef MINNOW_ENGINE_H
#define MINNOW_ENGINE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/stat.h>

/* Where a range's bytes are when they are not on a descriptor: a file
 * inside a mounted filesystem (mount_loop), for instance.  pread and
 * pwrite move at most count bytes at an absolute offset and return the
 * count (0 at the end) or a negative errno; flush may be NULL. */
struct range_backend {
  ssize_t (*pread) (void *handle, void *buf, size_t count, uint64_t off);
  ssize_t (*pwrite) (void *handle, const void *buf, size_t count,
                     uint64_t off);
  int (*flush) (void *handle);
};

/* A byte range of an open drive.  The engine never touches a byte
 * outside [offset, offset + length) and never writes when readonly.
 * The bytes are on fd, or, when backend is set, behind it: the range
 * I/O then goes through the backend, and fd, when not -1, is the same
 * bytes as a file for external tools (an NBD drive's FUSE file); a
 * range with fd -1 (a loop-mounted image) cannot be given to a tool. */
struct engine_range {
  int fd;
  uint64_t offset;
  uint64_t length;
  int readonly;
  int no_discard;               /* discards do not reach the image
                                   (add_drive discard "disable"): fstrim
                                   and blkdiscard change nothing */
  const struct range_backend *backend;
  void *handle;
};

/* The range I/O every engine uses (range-io.c); off is relative to the
 * range's start.
 *
 * range_read reads exactly len bytes: 0, -ERANGE when [off, off+len)
 * is not inside the range, -ENODATA when the drive ended early (buf
 * then holds zeroes past its end: a truncated image), or the negative
 * errno of the read.  range_write: 0, -EROFS, -ERANGE, or the negative
 * errno.  range_readahead is a hint.  range_flush makes what was
 * written durable (fdatasync, or the backend's flush): 0 or a negative
 * errno. */
int range_read (const struct engine_range *r, void *buf, size_t len,
                uint64_t off);
int range_write (const struct engine_range *r, const void *buf, size_t len,
                 uint64_t off);
void range_readahead (const struct engine_range *r, uint64_t off,
                      uint64_t len);
int range_flush (const struct engine_range *r);

/* What the engine reports about an inode, the fields of statns. */
struct engine_stat {
  uint64_t ino;
  uint32_t mode;                /* S_IFMT | permission bits */
  uint64_t nlink;
  uint32_t uid, gid;
  uint64_t rdev;
  uint64_t size;
  uint64_t blocks;              /* in 512-byte units */
  uint32_t blksize;
  int64_t atime_sec, mtime_sec, ctime_sec, crtime_sec;
  int64_t atime_nsec, mtime_nsec, ctime_nsec, crtime_nsec;
  uint32_t flags;               /* engine-specific inode flags */
  uint32_t generation;
};

/* Which fields of struct engine_setattr to apply. */
#define ENGINE_SET_MODE   0x01  /* permission bits only; the type stays */
#define ENGINE_SET_UID    0x02
#define ENGINE_SET_GID    0x04
#define ENGINE_SET_ATIME  0x08
#define ENGINE_SET_MTIME  0x10
#define ENGINE_SET_CTIME_NOW 0x20

struct engine_setattr {
  unsigned mask;
  uint32_t mode;
  uint32_t uid, gid;
  int64_t atime_sec, atime_nsec;
  int64_t mtime_sec, mtime_nsec;
};

struct engine_statvfs {
  uint64_t bsize, frsize;
  uint64_t blocks, bfree, bavail;
  uint64_t files, ffree, favail;
  uint64_t fsid, flag, namemax;
};

/* Directory entry types given to readdir callbacks (as dirent.h DT_*). */
enum engine_dtype {
  ENGINE_DT_UNKNOWN = 0, ENGINE_DT_FIFO = 1, ENGINE_DT_CHR = 2,
  ENGINE_DT_DIR = 4, ENGINE_DT_BLK = 6, ENGINE_DT_REG = 8,
  ENGINE_DT_LNK = 10, ENGINE_DT_SOCK = 12,
};

/* Called once per entry ("." and ".." included); a non-zero return
 * stops the iteration and is returned by readdir. */
typedef int (*engine_readdir_cb) (void *opaque, const char *name,
                                  size_t namelen, uint64_t ino,
                                  enum engine_dtype type);

/* Called once per extended attribute name; value is the whole value. */
typedef int (*engine_xattr_cb) (void *opaque, const char *name,
                                const void *value, size_t len);

struct engine_fs;

/* mkfs's options; 0 or NULL for the engine's default. */
struct engine_mkfs_opts {
  const char *fstype;           /* one of the engine's mkfs_types */
  int blocksize;                /* ext: block size; FAT: cluster size */
  const char *features;         /* ext only */
  int inode;                    /* ext only: inode size */
  const char *label;
};

struct engine_ops {
  const char *name;             /* "ext2" engine also serves ext3/ext4 */
  /* The vfs type names mount_vfs and filesystem_available accept for
   * this engine, NULL-terminated. */
  const char *const *mount_types;
  /* ENGINE_NO_UNIX_ATTRS: no owners, no permission bits (FAT). */
  unsigned flags;

  /* Does this engine recognise the range?  Returns 1 yes, 0 no, and
   * fills *type ("ext2", "ext3", "ext4"; static string) when yes. */
  int (*probe) (const struct engine_range *range, const char **type);

  /* Fails with ENGINE_NEEDS_RECOVERY when a writable open must wait for
   * the journal to be replayed, -EUCLEAN when the metadata is corrupt. */
  int (*open) (const struct engine_range *range, struct engine_fs **fs_r,
               char **error_r);
  /* Flush everything and free; returns the flush's error, fs is freed
   * in any case. */
  int (*close) (struct engine_fs *fs);
  int (*sync) (struct engine_fs *fs);

  uint64_t (*root) (struct engine_fs *fs);
  int (*lookup) (struct engine_fs *fs, uint64_t dir, const char *name,
                 uint64_t *ino_r);
  int (*getattr) (struct engine_fs *fs, uint64_t ino, struct engine_stat *st);
  int (*setattr) (struct engine_fs *fs, uint64_t ino,
                  const struct engine_setattr *sa);
  /* Returns the target's length; target is malloc'd, NUL-terminated. */
  int (*readlink) (struct engine_fs *fs, uint64_t ino, char **target_r);

  /* Reads/writes at most count bytes; returns the count done (reads
   * stop at end of file) or a negative errno. */
  ssize_t (*pread) (struct engine_fs *fs, uint64_t ino, void *buf,
                    size_t count, uint64_t offset);
  ssize_t (*pwrite) (struct engine_fs *fs, uint64_t ino, const void *buf,
                     size_t count, uint64_t offset);
  int (*truncate) (struct engine_fs *fs, uint64_t ino, uint64_t size);
  /* Allocates [offset, offset+len) (keeps the size if it grows). */
  int (*fallocate) (struct engine_fs *fs, uint64_t ino, uint64_t offset,
                    uint64_t len);

  /* Creation: name is one component; mode includes the S_IFMT type
   * (regular, fifo, socket, char or block device; rdev for devices). */
  int (*mknod) (struct engine_fs *fs, uint64_t dir, const char *name,
                uint32_t mode, uint64_t rdev, uint32_t uid, uint32_t gid,
                uint64_t *ino_r);
  int (*mkdir) (struct engine_fs *fs, uint64_t dir, const char *name,
                uint32_t mode, uint32_t uid, uint32_t gid, uint64_t *ino_r);
  int (*symlink) (struct engine_fs *fs, uint64_t dir, const char *name,
                  const char *target, uint32_t uid, uint32_t gid,
                  uint64_t *ino_r);
  int (*link) (struct engine_fs *fs, uint64_t dir, const char *name,
               uint64_t ino);
  /* Removes a non-directory entry (EISDIR for a directory). */
  int (*unlink) (struct engine_fs *fs, uint64_t dir, const char *name);
  /* Removes an empty directory (ENOTEMPTY, ENOTDIR). */
  int (*rmdir) (struct engine_fs *fs, uint64_t dir, const char *name);
  /* Removes everything inside directory dir (not dir itself), in one
   * pass over each directory. */
  int (*remove_tree) (struct engine_fs *fs, uint64_t dir);
  /* rename(2) semantics inside one filesystem; the caller has checked
   * that a directory is not moved below itself. */
  int (*rename) (struct engine_fs *fs, uint64_t olddir, const char *oldname,
                 uint64_t newdir, const char *newname);
  int (*readdir) (struct engine_fs *fs, uint64_t dir, engine_readdir_cb cb,
                  void *opaque);

  int (*listxattr) (struct engine_fs *fs, uint64_t ino, engine_xattr_cb cb,
                    void *opaque);
  /* *value_r is malloc'd. ENODATA if absent. */
  int (*getxattr) (struct engine_fs *fs, uint64_t ino, const char *name,
                   void **value_r, size_t *len_r);
  int (*setxattr) (struct engine_fs *fs, uint64_t ino, const char *name,
                   const void *value, size_t len);
  int (*removexattr) (struct engine_fs *fs, uint64_t ino, const char *name);

  int (*statvfs) (struct engine_fs *fs, struct engine_statvfs *sv);
  /* Label and UUID as stored (label may be empty; uuid is 16 bytes). */
  int (*get_label) (struct engine_fs *fs, char **label_r);
  int (*get_uuid) (struct engine_fs *fs, unsigned char uuid[16]);
  /* May be NULL.  The UUID as blkid shows it, for filesystems whose
   * UUID is not 16 bytes (iso9660: "YYYY-MM-DD-HH-MM-SS-CC"); malloc'd. */
  int (*get_uuid_string) (struct engine_fs *fs, char **uuid_r);
  /* ERANGE when the label is too long for the filesystem. */
  int (*set_label) (struct engine_fs *fs, const char *label);

  /* ---- Steps that run the filesystem's own tools on the range
   * (storage/tools.h); the range is never mounted while they run. */

  /* The type names mkfs and fsck take for this engine ("ext2", "ext3",
   * "ext4"; "vfat", "fat", "msdos"), NULL-terminated; NULL when the
   * engine makes no filesystems. */
  const char *const *mkfs_types;
  /* Makes a filesystem of opts->fstype filling the range.  Refuses
   * options the filesystem cannot have (EINVAL, ERANGE for a label that
   * is too long, ENOSPC for a range too small) before touching it. */
  int (*mkfs) (const struct engine_range *range,
               const struct engine_mkfs_opts *opts, char **error_r);
  /* Checks the filesystem, and when repair is set fixes what can be
   * fixed without asking (fsck -a).  Returns the checker's exit status
   * (0: clean; what the others mean is the checker's: e2fsck, fsck.fat)
   * or a negative errno.  The checker's output goes to *output_r when
   * output_r is not NULL.  May be NULL: nothing to check. */
  int (*fsck) (const struct engine_range *range, int repair,
               char **output_r, char **error_r);
  /* Called when open answered ENGINE_NEEDS_RECOVERY for a writable
   * range: replays the journal so that open succeeds.  May be NULL. */
  int (*recover) (const struct engine_range *range, char **error_r);

  /* Like pread/pwrite, for large runs (transfers): whole extents are
   * allocated at once and each piece of an extent is one I/O.  May be
   * NULL: callers use pread/pwrite then. */
  ssize_t (*read_run) (struct engine_fs *fs, uint64_t ino, void *buf,
                       size_t count, uint64_t offset);
  ssize_t (*write_run) (struct engine_fs *fs, uint64_t ino, const void *buf,
                        size_t count, uint64_t offset);
};

/* open's answer when the journal holds transactions that must be
 * replayed (by the filesystem's fsck) before the filesystem is written.
 * Distinct from -EUCLEAN (corruption), which must never start a repair
 * the user did not ask for. */
#define ENGINE_NEEDS_RECOVERY (-EAGAIN)

#define ENGINE_NO_UNIX_ATTRS 0x1

/* Every engine embeds this header first. */
struct engine_fs {
  const struct engine_ops *ops;
  int readonly;
  char last_error[256];
};

const char *engine_last_error (struct engine_fs *fs);

/* The explanation of the last corruption (EUCLEAN) or I/O error (EIO)
 * an engine returned through a path operation, which has no fs at hand
 * when it replies: an engine notes it, the reply takes it (and so
 * clears it).  engine_take_note returns "" when there is none. */
void engine_note (const char *msg);
const char *engine_take_note (void);

extern const struct engine_ops engine_ext2_ops;
/* FAT12/16/32 with long names (storage/engines/fat/); type "vfat". */
extern const struct engine_ops engine_fat_ops;
extern const struct engine_ops engine_iso9660_ops; /* storage/engines/iso9660 */
/* All engines, NULL-terminated, in probing order. */
extern const struct engine_ops *const engine_list[];

/* Probes the range with every engine: returns the engine and the type
 * name, or NULL when none recognises it. */
const struct engine_ops *engine_probe (const struct engine_range *range,
                                       const char **type_r);

/* The engine whose mkfs_types has fstype, or NULL. */
const struct engine_ops *engine_for_type (const char *fstype);
/* The engine whose mount_types has vfstype, or NULL. */
const struct engine_ops *engine_for_mount_type (const char *vfstype);

/* The filesystem's UUID as blkid shows it (malloc'd): the engine's own
 * spelling when it has one, else the 16 bytes as 8-4-4-4-12 hex. */
int engine_uuid_string (struct engine_fs *fs, char **uuid_r);

#endif /* MINNOW_ENGINE_H */
