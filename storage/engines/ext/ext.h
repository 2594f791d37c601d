/* minnow: the ext2/ext3/ext4 engine, over libext2fs — its files' shared
 * declarations (not part of the engine interface: see storage/engine.h).
 *
 * The filesystem is reached through a private io_manager that does
 * pread/pwrite on the drive's descriptor, shifted by the partition's
 * offset and bounded by its length: a corrupted superblock cannot make
 * us touch a neighbouring partition, and a read-only range refuses every
 * write below libext2fs, whatever libext2fs thinks.
 *
 * Inode work follows what the kernel does (and what fuse2fs does with
 * the same library): new inodes get extents when the filesystem has
 * them, link counts and the parent's ".." are kept right, freed inodes
 * give their blocks and xattr blocks back, so that e2fsck -fn stays clean.
 *
 * The engine's files, by concern:
 *   ext-io.c       the io_manager: bounded range, block cache, overlay
 *   ext-journal.c  the journal replayed in memory for read-only mounts
 *   ext-inode.c    libext2fs errors as errno, inode fields and times,
 *                  getattr / setattr / readlink
 *   ext-dir.c      the name cache, lookup, links, creation, removal,
 *                  rename, readdir
 *   ext-file.c     file contents: truncate, fallocate, and the data
 *                  path in whole runs (pread/pwrite/read_run/write_run)
 *   ext-xattr.c    extended attributes
 *   ext-fs.c       probe, open, close, sync, statvfs, label and UUID,
 *                  chattr flags, free extents, and the ops table
 *   ext-tools.c    mke2fs, e2fsck (check and journal recovery) and the
 *                  other e2fsprogs tools, run on the range
 */

#ifndef MINNOW_EXT_H
#define MINNOW_EXT_H

#include <stddef.h>
#include <stdint.h>

#include <ext2fs/ext2fs.h>

#include "engine.h"
#include "engine-ext.h"
#include "range-cache.h"

/* Metadata blocks go through a write-back cache of CACHE_SLOTS blocks
 * (storage/range-cache.h): one call rewrites the same inode-table and
 * directory blocks several times, and the image needs to see only the
 * last version.  Multi-block transfers go straight to the image (reads
 * see the dirty cached blocks laid over them). */
#define CACHE_SLOTS 4096

/* Blocks that reads see instead of the image's: the journal's committed
 * transactions, replayed in memory for a read-only mount (see
 * journal_overlay). Offsets are bytes in the range, bs bytes a block. */
struct overlay_block {
  struct overlay_block *next;
  uint64_t block;
  char data[];
};

#define OVERLAY_BUCKETS 4096

struct overlay {
  unsigned bs;
  size_t count;
  struct overlay_block *buckets[OVERLAY_BUCKETS];
};

struct range_io {
  struct engine_range range;    /* a copy of the range opened */
  int readonly;
  struct overlay *overlay;      /* not owned; may be NULL */
  int dirty;                    /* written since the last flush */
  struct struct_io_stats stats;
  int cache_bs;                 /* block size of the cache; 0: none */
  struct range_cache *cache;
};

/* The name cache: (directory, name) → inode, or 0 for "known absent".
 * libext2fs looks names up by reading (and checksumming) every block of
 * the directory; a path is resolved again on every call, so the same
 * names come back all the time.  Every change of a directory entry made
 * through this engine updates the cache; nothing else writes while the
 * filesystem is open.  A directory of up to DCACHE_MAX / 4 entries is
 * held whole (see "complete" below), so creating in a directory of
 * 100,000 entries checks for the name without a scan. */
#define DCACHE_BUCKETS 65536
#define DCACHE_MAX 1000000

struct dentry {
  struct dentry *next;
  uint64_t dir, ino;
  uint32_t hash;
  uint32_t lblk;                /* the directory block holding the entry,
                                   or DENTRY_NOWHERE: a hint, checked
                                   before use (see remove_entry) */
  char name[];
};

#define DENTRY_NOWHERE UINT32_MAX

/* Directories whose every entry is in the cache: a name missing from
 * the cache is then missing from the directory, with no scan. */
#define COMPLETE_SLOTS 1024

struct ext2_engine {
  struct engine_fs base;
  ext2_filsys fs;
  struct overlay *overlay;      /* the replayed journal, read-only mounts */
  uint16_t mount_state;         /* s_state before a writable open */
  struct dentry *dcache[DCACHE_BUCKETS];
  size_t dcache_count;
  uint64_t complete[COMPLETE_SLOTS];    /* direct-mapped; 0 = none */
  uint64_t ra_ino, ra_next;     /* where the last long read ended */
  uint64_t ra_until;            /* read-ahead asked for up to here */
};

#define E2(efs) (((struct ext2_engine *) (efs))->fs)

#define FIELD_END(f) (offsetof (struct ext2_inode_large, f) \
                      + sizeof (((struct ext2_inode_large *) 0)->f))

#define GET_TIME(fs, in, f, s, ns) \
  ext_decode_time (fs, in, (in)->i_##f, (in)->i_##f##_extra, \
               FIELD_END (i_##f##_extra), s, ns)
#define SET_TIME(fs, in, f, s, ns) \
  ext_encode_time (fs, in, &(in)->i_##f, &(in)->i_##f##_extra, \
               FIELD_END (i_##f##_extra), s, ns)

/* ext-io.c: the io_manager over the drive's range. */
errcode_t ext_io_forget (struct range_io *r, uint64_t off, uint64_t size);
void ext_io_overlay (struct range_io *r, void *data, uint64_t off, uint64_t size);
struct overlay_block * ext_overlay_find (struct overlay *ov, uint64_t block);
errcode_t ext_io_pread (struct range_io *r, void *buf, size_t size, uint64_t off);
errcode_t ext_io_pwrite (struct range_io *r, const void *buf, size_t size,
                 uint64_t off);

/* ext-inode.c: errors, inode fields, attributes. */
int ext_errno (errcode_t err);
int ext_fail (struct engine_fs *efs, errcode_t err, const char *what);
int ext_inode_has_field (ext2_filsys fs, const struct ext2_inode_large *in,
                 size_t field_end);
void ext_decode_time (ext2_filsys fs, const struct ext2_inode_large *in,
             uint32_t sec, uint32_t extra, size_t extra_end,
             int64_t *sec_r, int64_t *nsec_r);
void ext_encode_time (ext2_filsys fs, struct ext2_inode_large *in,
             uint32_t *sec, uint32_t *extra, size_t extra_end,
             int64_t s, int64_t ns);
void ext_now (int64_t *s, int64_t *ns);
void ext_touch_times (ext2_filsys fs, struct ext2_inode_large *in, int mtime);
uint64_t ext_max_file_size (ext2_filsys fs, const struct ext2_inode_large *in);
int ext_read_inode (struct engine_fs *efs, uint64_t ino, struct ext2_inode_large *in);
int ext_write_inode (struct engine_fs *efs, uint64_t ino,
             struct ext2_inode_large *in);
int ext_touch_inode (struct engine_fs *efs, uint64_t ino, int mtime);
void ext_encode_rdev (struct ext2_inode_large *in, uint64_t rdev);
int ext_ftype_of_mode (uint32_t mode);
enum engine_dtype ext_dtype_of_ftype (int ft);
int ext2_getattr (struct engine_fs *efs, uint64_t ino, struct engine_stat *st);
int ext2_setattr (struct engine_fs *efs, uint64_t ino,
              const struct engine_setattr *sa);
int ext2_readlink (struct engine_fs *efs, uint64_t ino, char **target_r);

/* ext-journal.c: the journal replayed in memory. */
void ext_overlay_free (struct overlay *ov);
int ext_journal_overlay (ext2_filsys fs, struct overlay **ov_r);

/* ext-dir.c: names, links and directories. */
uint64_t ext2_root (struct engine_fs *efs);
void ext_dcache_clear (struct ext2_engine *e);
void ext_dcache_set (struct engine_fs *efs, uint64_t dir, const char *name,
            uint64_t ino);
void ext_dcache_forget_dir (struct engine_fs *efs, uint64_t dir);
int ext2_lookup (struct engine_fs *efs, uint64_t dir, const char *name,
             uint64_t *ino_r);
int ext2_mknod (struct engine_fs *efs, uint64_t dir, const char *name,
            uint32_t mode, uint64_t rdev, uint32_t uid, uint32_t gid,
            uint64_t *ino_r);
int ext2_mkdir (struct engine_fs *efs, uint64_t dir, const char *name,
            uint32_t mode, uint32_t uid, uint32_t gid, uint64_t *ino_r);
int ext2_symlink (struct engine_fs *efs, uint64_t dir, const char *name,
              const char *target, uint32_t uid, uint32_t gid,
              uint64_t *ino_r);
int ext2_link (struct engine_fs *efs, uint64_t dir, const char *name,
           uint64_t ino);
int ext2_unlink (struct engine_fs *efs, uint64_t dir, const char *name);
int ext2_rmdir (struct engine_fs *efs, uint64_t dir, const char *name);
int ext2_remove_tree (struct engine_fs *efs, uint64_t dir);
int ext2_rename (struct engine_fs *efs, uint64_t olddir, const char *oldname,
             uint64_t newdir, const char *newname);
int ext2_readdir (struct engine_fs *efs, uint64_t dir, engine_readdir_cb cb,
              void *opaque);

/* ext-file.c: file contents. */
int ext2_truncate (struct engine_fs *efs, uint64_t ino, uint64_t size);
int ext2_fallocate (struct engine_fs *efs, uint64_t ino, uint64_t offset,
                uint64_t len);

/* ext-xattr.c: extended attributes. */
int ext2_listxattr (struct engine_fs *efs, uint64_t ino, engine_xattr_cb cb,
                void *opaque);
int ext2_getxattr (struct engine_fs *efs, uint64_t ino, const char *name,
               void **value_r, size_t *len_r);
int ext2_setxattr (struct engine_fs *efs, uint64_t ino, const char *name,
               const void *value, size_t len);
int ext2_removexattr (struct engine_fs *efs, uint64_t ino, const char *name);
/* ext-tools.c: mke2fs and e2fsck. */
extern const char *const ext_mkfs_types[];
int ext_mkfs (const struct engine_range *range,
              const struct engine_mkfs_opts *o, char **error_r);
int ext_fsck (const struct engine_range *range, int repair, char **output_r,
              char **error_r);
int ext_recover (const struct engine_range *range, char **error_r);

extern struct struct_io_manager ext_io_manager;

#endif /* MINNOW_EXT_H */
