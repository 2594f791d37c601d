/* minnow: the ext2/3/4 engine — libext2fs's errors as errno values, inode fields
 * (times, ids, device numbers) and the attribute calls.
 * See ext.h for the engine's files. */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/sysmacros.h>

#include <ext2fs/ext2fs.h>
#include <et/com_err.h>

#include "ext.h"

/* ---------------------------------------------------------------- */
/* Errors.                                                            */

int
ext_errno (errcode_t err)
{
  if (err > 0 && err < 256)
    return (int) err;
  switch (err) {
  case EXT2_ET_FILE_NOT_FOUND: return ENOENT;
  case EXT2_ET_NO_DIRECTORY: return ENOTDIR;
  case EXT2_ET_DIR_EXISTS:
  case EXT2_ET_FILE_EXISTS: return EEXIST;
  case EXT2_ET_BLOCK_ALLOC_FAIL:
  case EXT2_ET_INODE_ALLOC_FAIL:
  case EXT2_ET_DIR_NO_SPACE:
  case EXT2_ET_EA_NO_SPACE:
  case EXT2_ET_INLINE_DATA_NO_SPACE:
  case EXT2_ET_TOOSMALL: return ENOSPC;
  case EXT2_ET_RO_FILSYS:
  case EXT2_ET_FILE_RO: return EROFS;
  case EXT2_ET_NO_MEMORY: return ENOMEM;
  case EXT2_ET_FILE_TOO_BIG:
  case EXT2_ET_EXTENT_NOT_SUPPORTED: return EFBIG;
  case EXT2_ET_EA_KEY_NOT_FOUND: return ENODATA;
  case EXT2_ET_EA_BAD_NAME_LEN:
  case EXT2_ET_EA_BAD_VALUE_SIZE: return ERANGE;
  case EXT2_ET_INVALID_ARGUMENT: return EINVAL;
  case EXT2_ET_BAD_MAGIC:
  case EXT2_ET_UNSUPP_FEATURE:
  case EXT2_ET_RO_UNSUPP_FEATURE:
  case EXT2_ET_UNEXPECTED_BLOCK_SIZE:
  case EXT2_ET_REV_TOO_HIGH: return EINVAL;
  /* Metadata that cannot be right: the kernel says EUCLEAN
   * ("structure needs cleaning") for these. */
  case EXT2_ET_CORRUPT_SUPERBLOCK:
  case EXT2_ET_GDESC_BAD_BLOCK_MAP:
  case EXT2_ET_GDESC_BAD_INODE_MAP:
  case EXT2_ET_GDESC_BAD_INODE_TABLE:
  case EXT2_ET_BAD_DESC_SIZE:
  case EXT2_ET_SB_CSUM_INVALID:
  case EXT2_ET_BLOCK_BITMAP_CSUM_INVALID:
  case EXT2_ET_INODE_BITMAP_CSUM_INVALID:
  case EXT2_ET_INODE_CSUM_INVALID:
  case EXT2_ET_EXTENT_CSUM_INVALID:
  case EXT2_ET_DIR_CSUM_INVALID:
  case EXT2_ET_EXT_ATTR_CSUM_INVALID:
  case EXT2_ET_DIR_CORRUPTED:
  case EXT2_ET_EXTENT_HEADER_BAD:
  case EXT2_ET_EXTENT_INDEX_BAD:
  case EXT2_ET_EXTENT_LEAF_BAD:
  case EXT2_ET_BAD_EA_HEADER:
  case EXT2_ET_BAD_EA_BLOCK_NUM:
  case EXT2_ET_EA_BAD_VALUE_OFFSET:
  case EXT2_ET_INLINE_DATA_CANT_ITERATE: return EUCLEAN;
  default: return EIO;
  }
}

/* Records libext2fs's message and returns the negative errno. */
int
ext_fail (struct engine_fs *efs, errcode_t err, const char *what)
{
  if (efs)
    snprintf (efs->last_error, sizeof efs->last_error, "%s: %s",
              what, error_message (err));
  return -ext_errno (err);
}

/* ---------------------------------------------------------------- */
/* Inodes: times, ids, device numbers.                                */

int
ext_inode_has_field (ext2_filsys fs, const struct ext2_inode_large *in,
                 size_t field_end)
{
  return EXT2_INODE_SIZE (fs->super) > EXT2_GOOD_OLD_INODE_SIZE
    && EXT2_GOOD_OLD_INODE_SIZE + (size_t) in->i_extra_isize >= field_end;
}

void
ext_decode_time (ext2_filsys fs, const struct ext2_inode_large *in,
             uint32_t sec, uint32_t extra, size_t extra_end,
             int64_t *sec_r, int64_t *nsec_r)
{
  *sec_r = (int32_t) sec;
  *nsec_r = 0;
  if (ext_inode_has_field (fs, in, extra_end)) {
    *sec_r += (int64_t) (extra & EXT4_EPOCH_MASK) << 32;
    *nsec_r = extra >> EXT4_EPOCH_BITS;
  }
}

void
ext_encode_time (ext2_filsys fs, struct ext2_inode_large *in,
             uint32_t *sec, uint32_t *extra, size_t extra_end,
             int64_t s, int64_t ns)
{
  *sec = (uint32_t) s;
  if (ext_inode_has_field (fs, in, extra_end))
    *extra = (uint32_t) (((s - (int32_t) s) >> 32) & EXT4_EPOCH_MASK)
      | (uint32_t) ns << EXT4_EPOCH_BITS;
}

void
ext_now (int64_t *s, int64_t *ns)
{
  struct timespec ts;

  clock_gettime (CLOCK_REALTIME, &ts);
  *s = ts.tv_sec;
  *ns = ts.tv_nsec;
}

void
ext_touch_times (ext2_filsys fs, struct ext2_inode_large *in, int mtime)
{
  int64_t s, ns;

  ext_now (&s, &ns);
  SET_TIME (fs, in, ctime, s, ns);
  if (mtime)
    SET_TIME (fs, in, mtime, s, ns);
}

/* The largest size an inode can have, as the kernel computes its
 * s_maxbytes: 2^32 logical blocks for extent-mapped files, the blocks
 * the indirect tree can address for the others.  A larger i_size is
 * corruption, and trusting it makes a read loop over petabytes of
 * holes. */
uint64_t
ext_max_file_size (ext2_filsys fs, const struct ext2_inode_large *in)
{
  uint64_t bs = fs->blocksize, n = bs / 4, blocks;

  if (in->i_flags & (EXT4_EXTENTS_FL | EXT4_INLINE_DATA_FL))
    blocks = UINT64_C(1) << 32;
  else {
    blocks = EXT2_NDIR_BLOCKS + n + n * n + n * n * n;
    if (blocks > UINT64_C(1) << 32)
      blocks = UINT64_C(1) << 32;
  }
  return blocks * bs;
}

int
ext_read_inode (struct engine_fs *efs, uint64_t ino, struct ext2_inode_large *in)
{
  ext2_filsys fs = E2 (efs);
  errcode_t err;

  if (ino == 0 || ino > fs->super->s_inodes_count)
    return -ESTALE;
  memset (in, 0, sizeof *in);
  err = ext2fs_read_inode_full (fs, ino, (struct ext2_inode *) in,
                                sizeof *in);
  if (err)
    return ext_fail (efs, err, "read inode");
  if (in->i_links_count > 0 && EXT2_I_SIZE (in) > ext_max_file_size (fs, in)) {
    snprintf (efs->last_error, sizeof efs->last_error,
              "inode %" PRIu64 " has a size (%llu bytes) that no file on "
              "this filesystem can have (at most %llu): the filesystem "
              "needs e2fsck", ino, (unsigned long long) EXT2_I_SIZE (in),
              (unsigned long long) ext_max_file_size (fs, in));
    return -EUCLEAN;
  }
  return 0;
}

int
ext_write_inode (struct engine_fs *efs, uint64_t ino,
             struct ext2_inode_large *in)
{
  errcode_t err;

  err = ext2fs_write_inode_full (E2 (efs), ino, (struct ext2_inode *) in,
                                 sizeof *in);
  if (err)
    return ext_fail (efs, err, "write inode");
  return 0;
}

/* The inode changed: ctime (and mtime when mtime is set) move to now. */
int
ext_touch_inode (struct engine_fs *efs, uint64_t ino, int mtime)
{
  struct ext2_inode_large in;
  int r;

  r = ext_read_inode (efs, ino, &in);
  if (r < 0)
    return r;
  ext_touch_times (E2 (efs), &in, mtime);
  return ext_write_inode (efs, ino, &in);
}

static uint64_t
decode_rdev (const struct ext2_inode_large *in)
{
  uint32_t old = in->i_block[0], dev = in->i_block[1];
  unsigned maj, min;

  if (old) {
    maj = (old >> 8) & 0xff;
    min = old & 0xff;
  } else {
    maj = (dev & 0xfff00) >> 8;
    min = (dev & 0xff) | ((dev >> 12) & 0xfff00);
  }
  return makedev (maj, min);
}

void
ext_encode_rdev (struct ext2_inode_large *in, uint64_t rdev)
{
  unsigned maj = major (rdev), min = minor (rdev);

  if (maj < 256 && min < 256) {
    in->i_block[0] = maj << 8 | min;
    in->i_block[1] = 0;
  } else {
    in->i_block[0] = 0;
    in->i_block[1] = (min & 0xff) | (maj << 8) | ((min & ~0xffu) << 12);
  }
}

int
ext_ftype_of_mode (uint32_t mode)
{
  switch (mode & S_IFMT) {
  case S_IFREG: return EXT2_FT_REG_FILE;
  case S_IFDIR: return EXT2_FT_DIR;
  case S_IFCHR: return EXT2_FT_CHRDEV;
  case S_IFBLK: return EXT2_FT_BLKDEV;
  case S_IFIFO: return EXT2_FT_FIFO;
  case S_IFSOCK: return EXT2_FT_SOCK;
  case S_IFLNK: return EXT2_FT_SYMLINK;
  default: return EXT2_FT_UNKNOWN;
  }
}

enum engine_dtype
ext_dtype_of_ftype (int ft)
{
  switch (ft) {
  case EXT2_FT_REG_FILE: return ENGINE_DT_REG;
  case EXT2_FT_DIR: return ENGINE_DT_DIR;
  case EXT2_FT_CHRDEV: return ENGINE_DT_CHR;
  case EXT2_FT_BLKDEV: return ENGINE_DT_BLK;
  case EXT2_FT_FIFO: return ENGINE_DT_FIFO;
  case EXT2_FT_SOCK: return ENGINE_DT_SOCK;
  case EXT2_FT_SYMLINK: return ENGINE_DT_LNK;
  default: return ENGINE_DT_UNKNOWN;
  }
}

int
ext2_getattr (struct engine_fs *efs, uint64_t ino, struct engine_stat *st)
{
  ext2_filsys fs = E2 (efs);
  struct ext2_inode_large in;
  int r;

  r = ext_read_inode (efs, ino, &in);
  if (r < 0)
    return r;
  memset (st, 0, sizeof *st);
  st->ino = ino;
  st->mode = in.i_mode;
  st->nlink = in.i_links_count;
  st->uid = inode_uid (in);
  st->gid = inode_gid (in);
  if (LINUX_S_ISCHR (in.i_mode) || LINUX_S_ISBLK (in.i_mode))
    st->rdev = decode_rdev (&in);
  st->size = EXT2_I_SIZE (&in);
  st->blocks = ext2fs_get_stat_i_blocks (fs, (struct ext2_inode *) &in);
  st->blksize = fs->blocksize;
  GET_TIME (fs, &in, atime, &st->atime_sec, &st->atime_nsec);
  GET_TIME (fs, &in, mtime, &st->mtime_sec, &st->mtime_nsec);
  GET_TIME (fs, &in, ctime, &st->ctime_sec, &st->ctime_nsec);
  if (ext_inode_has_field (fs, &in, FIELD_END (i_crtime_extra)))
    GET_TIME (fs, &in, crtime, &st->crtime_sec, &st->crtime_nsec);
  st->flags = in.i_flags;
  st->generation = in.i_generation;
  return 0;
}

int
ext2_setattr (struct engine_fs *efs, uint64_t ino,
              const struct engine_setattr *sa)
{
  ext2_filsys fs = E2 (efs);
  struct ext2_inode_large in;
  int r;

  if (efs->readonly)
    return -EROFS;
  r = ext_read_inode (efs, ino, &in);
  if (r < 0)
    return r;
  if (sa->mask & ENGINE_SET_MODE)
    in.i_mode = (in.i_mode & S_IFMT) | (sa->mode & 07777);
  if (sa->mask & ENGINE_SET_UID) {
    in.i_uid = sa->uid & 0xffff;
    ext2fs_set_i_uid_high (in, sa->uid >> 16);
  }
  if (sa->mask & ENGINE_SET_GID) {
    in.i_gid = sa->gid & 0xffff;
    ext2fs_set_i_gid_high (in, sa->gid >> 16);
  }
  if (sa->mask & ENGINE_SET_ATIME)
    SET_TIME (fs, &in, atime, sa->atime_sec, sa->atime_nsec);
  if (sa->mask & ENGINE_SET_MTIME)
    SET_TIME (fs, &in, mtime, sa->mtime_sec, sa->mtime_nsec);
  ext_touch_times (fs, &in, 0);
  return ext_write_inode (efs, ino, &in);
}

int
ext2_readlink (struct engine_fs *efs, uint64_t ino, char **target_r)
{
  ext2_filsys fs = E2 (efs);
  struct ext2_inode_large in;
  uint64_t size;
  char *buf;
  errcode_t err;
  int r;

  r = ext_read_inode (efs, ino, &in);
  if (r < 0)
    return r;
  if (!LINUX_S_ISLNK (in.i_mode))
    return -EINVAL;
  size = EXT2_I_SIZE (&in);
  if (size >= fs->blocksize || size >= 65536)
    return -EUCLEAN;
  buf = calloc (1, size + 1 > 60 ? size + 1 : 61);
  if (buf == NULL)
    return -ENOMEM;

  if (ext2fs_is_fast_symlink ((struct ext2_inode *) &in))
    memcpy (buf, in.i_block, size);
  else if (in.i_flags & EXT4_INLINE_DATA_FL) {
    size_t isize = size + 1;
    char *tmp = calloc (1, fs->blocksize + 64);
    if (tmp == NULL) {
      free (buf);
      return -ENOMEM;
    }
    err = ext2fs_inline_data_get (fs, ino, (struct ext2_inode *) &in, tmp,
                                  &isize);
    if (err) {
      free (tmp);
      free (buf);
      return ext_fail (efs, err, "readlink");
    }
    memcpy (buf, tmp, size);
    free (tmp);
  } else {
    ext2_file_t file;
    unsigned got = 0;

    err = ext2fs_file_open2 (fs, ino, (struct ext2_inode *) &in, 0, &file);
    if (err == 0) {
      err = ext2fs_file_read (file, buf, size, &got);
      ext2fs_file_close (file);
    }
    if (err) {
      free (buf);
      return ext_fail (efs, err, "readlink");
    }
    if (got != size) {
      free (buf);
      return -EIO;
    }
  }
  buf[size] = '\0';
  *target_r = buf;
  return (int) size;
}
