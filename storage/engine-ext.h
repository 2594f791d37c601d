/* minnow storage: what the ext2/3/4 engine offers beyond engine.h
 * (e2fsck's journal recovery, chattr flags, generations, free extents,
 * the data path in whole runs). */

#ifndef MINNOW_ENGINE_EXT_H
#define MINNOW_ENGINE_EXT_H

#include "engine.h"

ssize_t engine_ext2_read_run (struct engine_fs *fs, uint64_t ino, void *buf,
                              size_t count, uint64_t offset);
ssize_t engine_ext2_write_run (struct engine_fs *fs, uint64_t ino,
                               const void *buf, size_t count,
                               uint64_t offset);

/* ext2/3/4: after e2fsck replayed the journal but could not finish (it
 * loses the partition offset when it re-opens the filesystem), clears
 * the needs_recovery flag if the journal is indeed empty now.  Returns
 * 0, or -EUCLEAN when the journal still holds transactions. */
int engine_ext2_clear_recover (const struct engine_range *range,
                               char **error_r);

/* ext2/3/4 only (-ENOTSUP for another engine): replace the inode's
 * flags (chattr's, i_flags) or its generation number; the caller
 * decides which flags may change.  set_generation fails with -ENOTTY
 * on a metadata_csum filesystem, as Linux does. */
int engine_ext2_set_inode_flags (struct engine_fs *fs, uint64_t ino,
                                 uint32_t flags);
int engine_ext2_set_generation (struct engine_fs *fs, uint64_t ino,
                                uint32_t generation);

/* ext2/3/4 only: calls cb for each run of free blocks, with its byte
 * offset from the start of the filesystem and its length in bytes, in
 * order; a non-zero return stops and is returned.  The caller flushes
 * the filesystem first when it writes to those bytes directly. */
int engine_ext2_free_extents (struct engine_fs *fs,
                              int (*cb) (void *opaque, uint64_t offset,
                                         uint64_t len),
                              void *opaque);

/* e2fsck with the given flags ("-fn", "-fy", "-p" ...) on the range:
 * its exit status (>= 0; a message when >= 4) or a negative errno;
 * output (stdout and stderr) in *output_r when not NULL. */
int engine_ext2_e2fsck (const struct engine_range *range, const char *flags,
                        char **output_r, char **error_r);
/* Runs e2fsprogs' tool (beside mke2fs) with args (NULL-terminated, may
 * be NULL), then the range as "/proc/self/fd/3?offset=N", then after
 * (if not NULL).  write: EROFS on a read-only range.  Returns the exit
 * status or a negative errno. */
int engine_ext2_run_tool (const struct engine_range *range, const char *tool,
                          const char *const *args, const char *after,
                          int write, char **output_r, char **error_r);
/* mke2fs -F -q ARGS... on the range, with the extended options (comma
 * separated, may be NULL) added to minnow's own -E, for a filesystem of
 * size bytes (0: the whole range; EINVAL beyond it). */
int engine_ext2_mke2fs (const struct engine_range *range,
                        const char *const *args, const char *extended,
                        uint64_t size, char **error_r);

#endif /* MINNOW_ENGINE_EXT_H */
