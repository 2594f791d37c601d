/* minnow: the storage library (libstorage), below the daemon's actions.
 *
 * Drives, device names and partitions as byte ranges, the mount table,
 * path resolution inside the mounted filesystems, mkfs and fsck by
 * name, free space.  Nothing here replies to the client: functions
 * return a negative errno and may fill a message; the handlers in
 * daemon/handlers/ turn that into the reply.  The storage tests link
 * the library without the daemon.  docs/internals.md has the map.
 */

#ifndef MINNOW_STORAGE_H
#define MINNOW_STORAGE_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

/* Replaces *error_r (when error_r is not NULL) with a formatted message. */
void storage_set_error (char **error_r, const char *fmt, ...)
  __attribute__((format (printf, 2, 3)));

/* ---- Interruption.  Long loops (data copies, tree walks) call
 * storage_stop_requested between steps and give up with -EINTR when it
 * says so.  The daemon installs its check (its client went away or
 * cancelled the call) with storage_set_stop_check; without one, nothing
 * stops. */
void storage_set_stop_check (int (*check) (void));
int storage_stop_requested (void);

/* ---- Drives (drives.c).  The daemon adds its drives at start-up, the
 * storage tests add image files; nothing else owns a drive. */

/* Adds fd (a regular file or a block device; read-only when opened
 * O_RDONLY) as the next drive.  Returns 0, or -1 with a message on
 * stderr naming what. */
int storage_add_drive_fd (int fd, const char *what);
/* Drive index (a file of the NBD export behind it) gets an NBD
 * connection to that export on sock (nbd.c): the engines read and
 * write over it, tools still get the file.  Takes sock.  Returns 0, or
 * -1 with a message on stderr. */
int storage_drive_attach_nbd (size_t index, int sock);
/* Discards on drive index (fstrim, blkdiscard) are accepted and change
 * nothing, as add_drive's discard "disable" says.  0, or -1: no drive. */
int storage_drive_ignore_discards (size_t index);
/* Closes every drive and forgets them (the tests). */
void storage_close_drives (void);
/* Number of drives, and drive i (0 = /dev/sda) as a whole-disk range.
 * Returns 0, or -ENOENT when there is no such drive. */
size_t storage_drive_count (void);
int storage_drive_range (size_t index, struct engine_range *r);
int storage_drive_fd (size_t i);
uint64_t storage_drive_size (size_t i);
/* Added read-only, or made read-only by blockdev_setro. */
int storage_drive_readonly (size_t i);
int storage_drive_added_readonly (size_t i);
/* blockdev_setro/setrw: partnum 0 is the whole drive. */
int storage_device_readonly (size_t i, int partnum);
int storage_device_set_readonly (size_t i, int partnum, int ro);
void storage_device_clear_readonly (void);

/* ---- Device names (devices.c): the one parser. */

/* Parses "/dev/sdX" or "/dev/sdXN" (also hd*, vd*, xvd* like libguestfs's
 * translation): drive index and partition number (0 = whole drive).
 * Returns 0 or -EINVAL when the name is not of that form. */
int storage_parse_device (const char *device, size_t *index_r, int *partnum_r);

/* "/dev/sd" + letters for index (0 → "a", 26 → "aa"); caller frees. */
char *storage_drive_name (size_t index);

/* A device (drive or partition) found by name. */
struct storage_device {
  size_t drive;
  int partnum;                  /* 0: the whole drive */
  int fd;
  uint64_t offset;
  uint64_t length;
  int readonly;
};

/* The byte range of a device.  Returns 0 or a negative errno (-ENOENT:
 * no such drive or partition, -EIO: the partition runs past the end of
 * its drive) with a message in *error_r (malloc'd) when one helps. */
int storage_device_range (const char *device, struct engine_range *r,
                          char **error_r);
/* The same, also filling dev. */
int storage_device_open (const char *device, struct storage_device *dev,
                         struct engine_range *r, char **error_r);
/* The same, for callers that only need "no such device": returns 0, or
 * -1 with errno ENOENT. */
int storage_device_lookup (const char *device, struct storage_device *dev);
/* The canonical name (/dev/sdXN) of a device given under any accepted
 * spelling, or NULL when there is no such device; caller frees. */
char *storage_device_canonical (const char *device);

/* Unmounts everything, resets the umask and the blockdev_setro flags:
 * the daemon's shutdown (mount.c). */
void storage_shutdown (void);

/* ---- Partitions (part.c). */

struct storage_partition {
  int partnum;                  /* 1-based */
  uint64_t start, end, size;    /* bytes; end is the last byte */
};

/* Partitions of drive i, sorted by number; returns the count (0 when no
 * table) or a negative errno.  *parts_r is malloc'd. */
int storage_list_partitions (size_t index, struct storage_partition **parts_r,
                             char **error_r);

/* ---- The mount table (mount.c). */

struct storage_loop;

struct mount {
  char *mountpoint;             /* canonical: "/" or "/a/b" */
  char *device;                 /* canonical device name, or /dev/loopN */
  char *options;                /* as given to mount_options, or "" */
  struct engine_fs *fs;
  int readonly;
  struct storage_loop *loop;    /* mount_loop: the image file; else NULL */
};

extern struct mount *mount_table;
extern size_t mount_count;

/* Mounts device (already a canonical /dev/sdXN name) at mountpoint.
 * Fails with EBUSY if either is in use, ENOENT/ENOTDIR if mountpoint is
 * not a directory in the mounted tree (except "/" when nothing is
 * mounted).  A filesystem whose journal needs recovery is recovered with
 * e2fsck first when mounted read-write. */
int storage_mount (const char *device, const char *mountpoint,
                   const char *options, int readonly, char **error_r);
/* Unmounts by mountpoint or device: flushes and closes.  Fails EBUSY
 * while other filesystems are mounted below it. */
int storage_umount (const char *path_or_device, char **error_r);
/* Unmounts everything, deepest first.  Returns the first error. */
int storage_umount_all (char **error_r);
/* Flushes every mounted filesystem. */
int storage_sync_all (void);
/* The mount (if any) serving device. */
struct mount *storage_mount_of_device (const char *device);
/* Mounts the filesystem of range (not a device: a backend's) at
 * mountpoint, named device in the table; takes loop (freed on failure). */
int storage_mount_range (struct engine_range *range, const char *device,
                         const char *mountpoint, struct storage_loop *loop,
                         char **error_r);

/* ---- mount_loop (loop.c): a filesystem image that is a regular file
 * inside a mounted filesystem, mounted at mountpoint through the
 * engines, as "/dev/loopN".  Read-only when the file's filesystem is.
 * The file's filesystem cannot be unmounted, and the file cannot be
 * removed, renamed or truncated (EBUSY), while the image is mounted. */
int storage_mount_loop (const char *file, const char *mountpoint,
                        char **error_r);
/* The mount holding the image file (NULL when it went away). */
struct mount *storage_loop_parent (struct storage_loop *loop);
void storage_loop_free (struct storage_loop *loop);
/* 1 when inode ino of the filesystem of mount m is a mounted image. */
int storage_loop_pins (const struct mount *m, uint64_t ino);

/* Flushes and closes the filesystem of mount m, calls fn (which may run
 * a tool on the device), then opens the filesystem again in place, so
 * that the engine sees what the tool wrote.  Returns fn's result, or
 * a negative errno when closing or reopening failed; when reopening
 * fails the mount is removed from the table (m is then invalid). */
int storage_mount_offline (struct mount *m, int (*fn) (void *opaque),
                           void *opaque, char **error_r);

/* mkmountpoint / rmmountpoint with nothing mounted on "/": the mount
 * point is a name only, in the daemon's table, and a filesystem can be
 * mounted on it.  Both return 1 when the path is inside a mounted
 * filesystem (the caller makes or removes a real directory there), 0
 * when done, or a negative errno: EEXIST, ENOENT (the parent is not a
 * mount point), EBUSY (something is mounted there), ENOTEMPTY (mount
 * points below it). */
int storage_mkmountpoint (const char *path, char **error_r);
int storage_rmmountpoint (const char *path, char **error_r);
/* 1 when nothing is mounted on "/" and mkmountpoint made mount points. */
int storage_virtual_mountpoints (void);

/* ---- Path resolution (mount.c). */

#define RESOLVE_NOFOLLOW 1      /* do not follow a final symlink */
#define RESOLVE_CREATE   2      /* the last component may be missing */

struct resolved {
  struct mount *m;              /* the object, when exists */
  uint64_t ino;
  struct mount *dm;             /* its directory, when it has a name */
  uint64_t dir;
  char name[256];               /* last component; "" for a root or ".." */
  int exists;
  int is_mountpoint;            /* the object is the root of a mount */
  char *path;                   /* canonical absolute path (malloc'd) */
};

/* Resolves an absolute path inside the mounted filesystems, symlinks
 * and ".." included, never leaving the mount table.  Returns 0 or a
 * negative errno: ENOENT, ENOTDIR, ELOOP, ENAMETOOLONG, EINVAL (not
 * absolute).  r->path must be freed with resolved_free. */
int resolve_path (const char *path, unsigned flags, struct resolved *r);
void resolved_free (struct resolved *r);

/* The umask applied to created files and directories (default 022). */
extern unsigned storage_umask;

/* ---- mkfs and fsck by device name (mkfs.c): the engine whose
 * mkfs_types has fstype does the work. */

/* Makes a filesystem of fstype ("ext4", "vfat" ...) on the device;
 * blocksize 0, inode 0, features and label NULL for defaults. */
int storage_mkfs (const char *fstype, const char *device, int blocksize,
                  const char *features, int inode, const char *label,
                  char **error_r);
/* Checks (repair 0) or repairs what can be repaired without asking
 * (repair 1, fsck -a) the filesystem of fstype (NULL: probe it) on the
 * device.  Returns the checker's exit status (>= 0) or a negative errno;
 * output in *output_r when not NULL. */
int storage_fsck (const char *fstype, const char *device, int repair,
                  char **output_r, char **error_r);

/* ext2/3/4 only, by device name (engine-ext.h has them by range):
 * e2fsck with flags ("-fy", "-fn", "-p" ...); e2fsprogs' tool with args,
 * then the device, then after; mke2fs with args and extended options for
 * a filesystem of size bytes (0: the whole device). */
int storage_e2fsck (const char *device, const char *flags, char **output_r,
                    char **error_r);
int storage_run_e2tool (const char *tool, const char *device,
                        const char *const *args, const char *after,
                        int write, char **output_r, char **error_r);
int storage_mke2fs (const char *device, const char *const *args,
                    const char *extended, uint64_t size, char **error_r);

/* Free space of an ext2/3/4 filesystem fs on range, written directly
 * on the device after fs is flushed: STORAGE_FREE_TRIM punches holes
 * (FALLOC_FL_PUNCH_HOLE, so a sparse image shrinks), _ZERO writes zeroes
 * where the bytes are not already zero, _RANDOM random bytes.  Only
 * [offset, offset+length) of the filesystem (length 0: all of it), and
 * runs of at least minextent bytes.  *done_r: bytes treated.  The
 * caller then drops fs's caches (storage_mount_offline or close). */
#define STORAGE_FREE_TRIM   0
#define STORAGE_FREE_ZERO   1
#define STORAGE_FREE_RANDOM 2
int storage_free_space (struct engine_fs *fs, const struct engine_range *range,
                        int op, uint64_t offset, uint64_t length,
                        uint64_t minextent, uint64_t *done_r);


/* ---- NBD connections (nbd.c), behind storage_drive_attach_nbd. */
struct storage_nbd;
extern const struct range_backend storage_nbd_backend;
/* Opens an NBD connection on the connected socket sock (taken) to an
 * export of size bytes; what names it in messages on stderr. */
struct storage_nbd *storage_nbd_connect (int sock, const char *what,
                                         uint64_t size);
void storage_nbd_close (struct storage_nbd *n);

#endif /* MINNOW_STORAGE_H */
