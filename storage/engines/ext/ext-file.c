/* minnow: the ext2/3/4 engine — file contents: truncate, fallocate, and the data path
 * that moves file data in whole runs.
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
/* File contents.                                                     */

static int
open_file (struct engine_fs *efs, uint64_t ino, int flags,
           ext2_file_t *file_r)
{
  struct ext2_inode_large in;
  errcode_t err;
  int r;

  r = ext_read_inode (efs, ino, &in);
  if (r < 0)
    return r;
  if (LINUX_S_ISDIR (in.i_mode))
    return -EISDIR;
  if (!LINUX_S_ISREG (in.i_mode))
    return -EINVAL;
  err = ext2fs_file_open2 (E2 (efs), ino, (struct ext2_inode *) &in, flags,
                           file_r);
  if (err)
    return ext_fail (efs, err, "open file");
  return 0;
}

static ssize_t
file_pread (struct engine_fs *efs, uint64_t ino, void *buf, size_t count,
            uint64_t offset)
{
  ext2_file_t file;
  errcode_t err;
  size_t done = 0;
  int r;

  r = open_file (efs, ino, 0, &file);
  if (r < 0)
    return r;
  err = ext2fs_file_llseek (file, offset, EXT2_SEEK_SET, NULL);
  while (err == 0 && done < count) {
    unsigned chunk = count - done > (1u << 30) ? (1u << 30) : count - done;
    unsigned got = 0;
    err = ext2fs_file_read (file, (char *) buf + done, chunk, &got);
    if (got == 0)
      break;
    done += got;
  }
  ext2fs_file_close (file);
  if (err)
    return ext_fail (efs, err, "read");
  return done;
}

/* Whether writing [offset, offset+count) of ino can get every block it
 * needs.  libext2fs running out of blocks in the middle of
 * ext2fs_file_write leaves blocks marked in use that no inode owns (the
 * next unlink then fails with EIO and e2fsck finds bitmap differences),
 * so a write that cannot fit is refused before it starts.  The blocks
 * already mapped need nothing; they are counted only when the free
 * space is short, and a margin covers the extent tree's own blocks. */
static int
write_fits (struct engine_fs *efs, uint64_t ino, size_t count,
            uint64_t offset)
{
  ext2_filsys fs = E2 (efs);
  uint64_t bs = fs->blocksize, first = offset / bs;
  uint64_t last = count ? (offset + count - 1) / bs : first;
  uint64_t want = count ? last - first + 1 : 0, lblk;
  uint64_t avail = ext2fs_free_blocks_count (fs->super);
  uint64_t margin = 8 + want / 64;

  if (want + margin <= avail)
    return 1;
  for (lblk = first; lblk <= last && want > 0; lblk++) {
    blk64_t pblk = 0;

    if (ext2fs_bmap2 (fs, ino, NULL, NULL, 0, lblk, NULL, &pblk) == 0
        && pblk != 0)
      want--;
  }
  return want == 0 || want + 8 + want / 64 <= avail;
}

static ssize_t
file_pwrite (struct engine_fs *efs, uint64_t ino, const void *buf,
             size_t count, uint64_t offset)
{
  struct ext2_inode_large in;
  ext2_file_t file;
  errcode_t err, err2;
  size_t done = 0;
  int r;

  if (efs->readonly)
    return -EROFS;
  if (!write_fits (efs, ino, count, offset)) {
    snprintf (efs->last_error, sizeof efs->last_error,
              "write: %zu bytes at offset %" PRIu64 " do not fit in the "
              "free space", count, offset);
    return -ENOSPC;
  }
  r = open_file (efs, ino, EXT2_FILE_WRITE, &file);
  if (r < 0)
    return r;
  err = ext2fs_file_llseek (file, offset, EXT2_SEEK_SET, NULL);
  while (err == 0 && done < count) {
    unsigned chunk = count - done > (1u << 30) ? (1u << 30) : count - done;
    unsigned wrote = 0;
    err = ext2fs_file_write (file, (const char *) buf + done, chunk, &wrote);
    if (wrote == 0)
      break;
    done += wrote;
  }
  err2 = ext2fs_file_close (file);
  if (err == 0)
    err = err2;
  if (err)
    return ext_fail (efs, err, "write");
  r = ext_read_inode (efs, ino, &in);
  if (r < 0)
    return r;
  ext_touch_times (E2 (efs), &in, 1);
  r = ext_write_inode (efs, ino, &in);
  if (r < 0)
    return r;
  return done;
}

int
ext2_truncate (struct engine_fs *efs, uint64_t ino, uint64_t size)
{
  ext2_file_t file;
  errcode_t err, err2;
  int r;

  if (efs->readonly)
    return -EROFS;
  r = open_file (efs, ino, EXT2_FILE_WRITE, &file);
  if (r < 0)
    return r;
  err = ext2fs_file_set_size2 (file, size);
  err2 = ext2fs_file_close (file);
  if (err == 0)
    err = err2;
  if (err)
    return ext_fail (efs, err, "truncate");
  return ext_touch_inode (efs, ino, 1);
}

int
ext2_fallocate (struct engine_fs *efs, uint64_t ino, uint64_t offset,
                uint64_t len)
{
  ext2_filsys fs = E2 (efs);
  struct ext2_inode_large in;
  uint64_t start, end;
  errcode_t err;
  int r;

  if (efs->readonly)
    return -EROFS;
  if (len == 0)
    return -EINVAL;
  r = ext_read_inode (efs, ino, &in);
  if (r < 0)
    return r;
  if (!LINUX_S_ISREG (in.i_mode))
    return LINUX_S_ISDIR (in.i_mode) ? -EISDIR : -ENODEV;
  start = offset / fs->blocksize;
  end = (offset + len + fs->blocksize - 1) / fs->blocksize;
  err = ext2fs_fallocate (fs, EXT2_FALLOCATE_ZERO_BLOCKS
                          | EXT2_FALLOCATE_INIT_BEYOND_EOF, ino,
                          (struct ext2_inode *) &in, ~0ULL, start,
                          end - start);
  if (err)
    return ext_fail (efs, err, "fallocate");
  r = ext_read_inode (efs, ino, &in);
  if (r < 0)
    return r;
  if (offset + len > EXT2_I_SIZE (&in)) {
    err = ext2fs_inode_size_set (fs, (struct ext2_inode *) &in, offset + len);
    if (err)
      return ext_fail (efs, err, "fallocate");
  }
  ext_touch_times (fs, &in, 1);
  return ext_write_inode (efs, ino, &in);
}

/* ---------------------------------------------------------------- */
/* The data path: file contents in whole runs (issue 16).             */

/* Every read and write of a file's contents (pread, pwrite, write,
 * read_file, and the transfers' run calls) comes here.  Files mapped by
 * extents move in whole runs: a write allocates the extents of its whole
 * range at once (ext2fs_fallocate), then writes each physically
 * contiguous piece with one pwrite; a read reads each piece with one
 * pread.  File data goes past the block cache (which is left to the
 * metadata: inode tables, directories, extent blocks), forgetting or
 * overlaying the cached copies of the blocks it touches, so a cached
 * dirty block is never lost nor read stale.  Block-mapped (ext2/ext3)
 * files move the same way, mapped through ext2fs_bmap2 (blockmap_io),
 * their holes given runs of blocks first (blockmap_alloc).  Inline-data
 * files are written in the inode while they fit (inline_write) and read
 * through libext2fs's file calls (file_pread above). */

/* Turns an inline-data file into one with a block (extent-mapped where
 * the filesystem has extents).  Exported by libext2fs since 1.43, but
 * declared only in its private header. */
errcode_t ext2fs_inline_data_expand (ext2_filsys fs, ext2_ino_t ino);

/* Writes into an inline-data file whose data still fit in the inode
 * afterwards.  Returns 1 when written, 0 when they do not fit, or a
 * negative errno.  (libext2fs 1.47.0's ext2fs_file_write crashes on a
 * write past the end of inline data, so it is not used for them.) */
static int
inline_write (struct engine_fs *efs, uint64_t ino,
              struct ext2_inode_large *in, const void *buf, size_t count,
              uint64_t offset)
{
  ext2_filsys fs = E2 (efs);
  size_t size = EXT2_I_SIZE (in), cap = EXT2_INODE_SIZE (fs->super), got = 0;
  uint64_t end = offset + count;
  char *data;
  errcode_t err;
  int r;

  if (end > cap || size > cap)
    return 0;
  data = calloc (1, cap);
  if (data == NULL)
    return -ENOMEM;
  err = ext2fs_inline_data_get (fs, ino, (struct ext2_inode *) in, data, &got);
  if (err) {
    free (data);
    return ext_fail (efs, err, "read inline data");
  }
  if (got < size)               /* the rest reads as zeroes */
    memset (data + got, 0, size - got);
  memcpy (data + offset, buf, count);
  if (end > size)
    size = end;
  err = ext2fs_inline_data_set (fs, ino, (struct ext2_inode *) in, data, size);
  free (data);
  if (err == EXT2_ET_INLINE_DATA_NO_SPACE)
    return 0;
  if (err)
    return ext_fail (efs, err, "write inline data");
  r = ext_read_inode (efs, ino, in);
  if (r < 0)
    return r;
  err = ext2fs_inode_size_set (fs, (struct ext2_inode *) in, size);
  if (err)
    return ext_fail (efs, err, "write");
  ext_touch_times (fs, in, 1);
  r = ext_write_inode (efs, ino, in);
  return r < 0 ? r : 1;
}

/* Requests of up to this many blocks go through one bounce buffer: one
 * system call per extent, partial blocks included. */
/* How far ahead a sequential read asks the host to read. */
#define RA_WINDOW (32u << 20)
#define SMALL_RUN_BLOCKS 32

/* Whether the inode maps its blocks with extents (and has no inline
 * data): only then do the run functions work on whole extents. */
static int
uses_extents (const struct ext2_inode_large *in)
{
  return (in->i_flags & EXT4_EXTENTS_FL) && !(in->i_flags & EXT4_INLINE_DATA_FL);
}

/* What extent_io and data_io do with the blocks. */
enum run_op { RUN_READ, RUN_WRITE, RUN_ADVISE };

/* Moves blocks [pblk, pblk+n) of the image past the block cache, or
 * (RUN_ADVISE) tells the host they will be read soon. */
static errcode_t
data_io (ext2_filsys fs, blk64_t pblk, blk64_t n, void *p, enum run_op op)
{
  io_channel ch = fs->io;
  struct range_io *r;
  uint64_t off = pblk * ch->block_size, size = n * ch->block_size;
  int write = op == RUN_WRITE;
  errcode_t err;

  if (op == RUN_ADVISE) {
    if (ch->manager == &ext_io_manager) {
      r = ch->private_data;
      range_readahead (&r->range, off, size);
    }
    return 0;
  }

  if (ch->manager != &ext_io_manager)
    return write ? io_channel_write_blk64 (ch, pblk, (int) n, p)
      : io_channel_read_blk64 (ch, pblk, (int) n, p);
  r = ch->private_data;
  if (r->cache_bs && r->cache_bs != ch->block_size)
    return write ? io_channel_write_blk64 (ch, pblk, (int) n, p)
      : io_channel_read_blk64 (ch, pblk, (int) n, p);
  if (write) {
    if (r->readonly)
      return EROFS;
    err = ext_io_forget (r, off, size);
    return err ? err : ext_io_pwrite (r, p, size, off);
  }
  err = ext_io_pread (r, p, size, off);
  if (err == 0)
    ext_io_overlay (r, p, off, size);
  return err;
}

/* Moves the whole blocks [start, start+count) of a block-mapped (ext2,
 * ext3) file to or from buf, one pread or pwrite per run of physically
 * contiguous blocks.  Holes read as zeroes; writing needs every block
 * mapped (else -EAGAIN: see blockmap_alloc).  RUN_ADVISE only asks the
 * host to read them ahead. */
static int
blockmap_io (struct engine_fs *efs, uint64_t ino,
             struct ext2_inode_large *in, char *buf, blk64_t start,
             blk64_t count, enum run_op op)
{
  ext2_filsys fs = E2 (efs);
  blk64_t i = 0, run = 0, run_pblk = 0;
  char *bbuf;
  errcode_t err;
  int ret = 0;

  /* bmap2's scratch space for the indirect blocks, given once. */
  bbuf = malloc (2 * fs->blocksize);
  if (bbuf == NULL)
    return -ENOMEM;
  for (i = 0; i <= count; i++) {
    blk64_t pblk = 0;

    if (i < count) {
      err = ext2fs_bmap2 (fs, ino, (struct ext2_inode *) in, bbuf, 0,
                          start + i, NULL, &pblk);
      if (err) {
        ret = ext_fail (efs, err, "block map");
        break;
      }
      if (pblk != 0 && run > 0 && pblk == run_pblk + run) {
        run++;
        continue;
      }
    }
    /* The run so far ends here. */
    if (run > 0) {
      err = data_io (fs, run_pblk, run, op == RUN_ADVISE ? NULL
                     : buf + (size_t) (i - run) * fs->blocksize, op);
      if (err) {
        ret = ext_fail (efs, err, op == RUN_WRITE ? "write" : "read");
        break;
      }
    }
    run = 0;
    if (i == count)
      break;
    if (pblk == 0) {
      if (op == RUN_WRITE) {
        ret = -EAGAIN;
        break;
      }
      if (op != RUN_ADVISE)
        memset (buf + (size_t) i * fs->blocksize, 0, fs->blocksize);
    } else {
      run = 1;
      run_pblk = pblk;
    }
  }
  free (bbuf);
  return ret;
}

/* Gives the holes among the blocks [first, first+count) of a
 * block-mapped file new blocks, in runs as long as the free space has
 * (ext2fs_new_range, starting where the block before ends), so that the
 * data goes in few writes.  The blocks are only mapped (BMAP_SET, which
 * adds the indirect blocks a mapping needs): libext2fs's BMAP_ALLOC
 * would zero each one through the block cache, and every one of them is
 * written by the caller.  On failure the blocks taken and not yet mapped
 * go back; the ones mapped stay the file's (e2fsck-clean), as holes
 * filled early. */
static int
blockmap_alloc (struct engine_fs *efs, uint64_t ino, blk64_t first,
                blk64_t count)
{
  ext2_filsys fs = E2 (efs);
  struct ext2_inode_large in;
  blk64_t *map, i, goal = 0, mapped = 0;
  char *bbuf;
  errcode_t err = 0;
  int r;

  r = ext_read_inode (efs, ino, &in);
  if (r < 0)
    return r;
  map = calloc (count, sizeof *map);
  bbuf = malloc (2 * fs->blocksize);
  if (map == NULL || bbuf == NULL) {
    free (map);
    free (bbuf);
    return -ENOMEM;
  }
  for (i = 0; i < count && err == 0; i++)
    err = ext2fs_bmap2 (fs, ino, (struct ext2_inode *) &in, bbuf, 0,
                        first + i, NULL, &map[i]);
  /* Appending: the new blocks follow the file's last one. */
  if (err == 0 && first > 0 && map[0] == 0
      && ext2fs_bmap2 (fs, ino, (struct ext2_inode *) &in, bbuf, 0,
                       first - 1, NULL, &goal) == 0 && goal != 0)
    goal++;

  for (i = 0; i < count && err == 0; ) {
    blk64_t hole_end, pblk, plen, k;

    if (map[i] != 0) {
      goal = map[i] + 1;
      i++;
      continue;
    }
    for (hole_end = i; hole_end < count && map[hole_end] == 0; hole_end++)
      ;
    if (goal == 0)
      goal = ext2fs_find_inode_goal (fs, ino, (struct ext2_inode *) &in,
                                     first + i);
    err = ext2fs_new_range (fs, 0, goal, hole_end - i, NULL, &pblk, &plen);
    if (err)
      break;
    if (plen > hole_end - i)
      plen = hole_end - i;
    if (pblk + plen > (1ULL << 32)) {
      err = EXT2_ET_BLOCK_ALLOC_FAIL;   /* beyond what a block map holds */
      break;
    }
    ext2fs_block_alloc_stats_range (fs, pblk, (blk_t) plen, +1);
    for (k = 0; k < plen && err == 0; k++) {
      map[i + k] = pblk + k;
      err = ext2fs_bmap2 (fs, ino, (struct ext2_inode *) &in, bbuf,
                          BMAP_SET | BMAP_ALLOC, first + i + k, NULL,
                          &map[i + k]);
      if (err == 0)
        mapped++;
    }
    if (err) {
      k--;                      /* the block that failed is not mapped */
      ext2fs_block_alloc_stats_range (fs, pblk + k, (blk_t) (plen - k), -1);
      break;
    }
    goal = pblk + plen;
    i += plen;
  }
  free (map);
  free (bbuf);
  /* BMAP_SET counts the indirect blocks it adds; the data blocks are
   * counted here. */
  if (mapped > 0) {
    errcode_t err2 = ext2fs_iblk_add_blocks (fs, (struct ext2_inode *) &in,
                                             mapped);
    if (err2 == 0)
      r = ext_write_inode (efs, ino, &in);
    if (err == 0)
      err = err2;
    if (err == 0 && r < 0)
      return r;
  }
  if (err)
    return ext_fail (efs, err, "allocate");
  return 0;
}

/* Transfers the whole blocks [start, start+count) of ino to or from buf
 * through the extent map, one I/O per piece of an extent.  Blocks in a
 * hole read as zeroes; writing needs every block mapped and
 * initialised (else -EAGAIN: the caller falls back).  RUN_ADVISE reads
 * nothing (buf is unused): it asks the host to read the written pieces
 * ahead. */
static int
extent_io (struct engine_fs *efs, uint64_t ino, struct ext2_inode_large *in,
           char *buf, blk64_t start, blk64_t count, enum run_op op)
{
  int write = op == RUN_WRITE, advise = op == RUN_ADVISE;

  if (!uses_extents (in))
    return blockmap_io (efs, ino, in, buf, start, count, op);
  ext2_filsys fs = E2 (efs);
  ext2_extent_handle_t h;
  blk64_t lblk = start, end = start + count;
  errcode_t err;
  int ret = 0;

  err = ext2fs_extent_open2 (fs, ino, (struct ext2_inode *) in, &h);
  if (err)
    return ext_fail (efs, err, "extent map");
  while (lblk < end) {
    struct ext2fs_extent ex;
    blk64_t n;
    char *p = advise ? NULL : buf + (size_t) (lblk - start) * fs->blocksize;

    err = ext2fs_extent_goto (h, lblk);
    if (err == 0)
      err = ext2fs_extent_get (h, EXT2_EXTENT_CURRENT, &ex);
    if (err == EXT2_ET_EXTENT_NOT_FOUND ||
        (err == 0 && (lblk < ex.e_lblk || lblk >= ex.e_lblk + ex.e_len))) {
      if (write) {
        ret = -EAGAIN;
        break;
      }
      if (!advise)
        memset (p, 0, fs->blocksize);
      lblk++;
      continue;
    }
    if (err) {
      ret = ext_fail (efs, err, "extent map");
      break;
    }
    n = ex.e_lblk + ex.e_len - lblk;
    if (n > end - lblk)
      n = end - lblk;
    if (ex.e_flags & EXT2_EXTENT_FLAGS_UNINIT) {
      if (write) {
        ret = -EAGAIN;
        break;
      }
      if (!advise)
        memset (p, 0, (size_t) n * fs->blocksize);
    }
    else {
      blk64_t pblk = ex.e_pblk + (lblk - ex.e_lblk);
      err = data_io (fs, pblk, n, p, op);
      if (err) {
        ret = ext_fail (efs, err, write ? "write" : "read");
        break;
      }
    }
    lblk += n;
  }
  ext2fs_extent_free (h);
  return ret;
}

/* The current contents of block lblk as a write that covers it in part
 * must keep them: zeroes past the end of the file (size bytes), and
 * for a block wholly past it. */
static int
partial_block (struct engine_fs *efs, uint64_t ino,
               struct ext2_inode_large *in, uint64_t size, blk64_t lblk,
               char *blk)
{
  uint64_t bs = E2 (efs)->blocksize, start = lblk * bs;
  int r;

  if (start >= size) {
    memset (blk, 0, bs);
    return 0;
  }
  r = extent_io (efs, ino, in, blk, lblk, 1, RUN_READ);
  if (r == 0 && start + bs > size)
    memset (blk + (size - start), 0, start + bs - size);
  return r;
}

ssize_t
engine_ext2_write_run (struct engine_fs *efs, uint64_t ino, const void *buf,
                       size_t count, uint64_t offset)
{
  ext2_filsys fs = E2 (efs);
  struct ext2_inode_large in;
  uint64_t bs = fs->blocksize, size, end = offset + count;
  blk64_t first, last, nblk;
  char *bounce = NULL, *headblk = NULL, *tailblk = NULL;
  int head_part, tail_part, blockmap_grew = 0;
  errcode_t err;
  int r;

  if (efs->readonly)
    return -EROFS;
  r = ext_read_inode (efs, ino, &in);
  if (r < 0)
    return r;
  if (!LINUX_S_ISREG (in.i_mode))
    return LINUX_S_ISDIR (in.i_mode) ? -EISDIR : -EINVAL;
  if (count == 0)
    return file_pwrite (efs, ino, buf, count, offset);
  if (end < offset || end > ext_max_file_size (fs, &in))
    return -EFBIG;
  if (in.i_flags & EXT4_INLINE_DATA_FL) {
    /* What still fits in the inode stays there; a write that outgrows
     * it turns the file into an ordinary one once, and goes on as for
     * any other. */
    r = inline_write (efs, ino, &in, buf, count, offset);
    if (r != 0)
      return r < 0 ? r : (ssize_t) count;
    err = ext2fs_inline_data_expand (fs, ino);
    if (err)
      return ext_fail (efs, err, "move inline data to a block");
    r = ext_read_inode (efs, ino, &in);
    if (r < 0)
      return r;
    if (in.i_flags & EXT4_INLINE_DATA_FL)
      return file_pwrite (efs, ino, buf, count, offset);
  }
  if (!write_fits (efs, ino, count, offset)) {
    snprintf (efs->last_error, sizeof efs->last_error,
              "write: %zu bytes at offset %" PRIu64 " do not fit in the "
              "free space", count, offset);
    return -ENOSPC;
  }
  size = EXT2_I_SIZE (&in);
  first = offset / bs;
  last = (end - 1) / bs;
  nblk = last - first + 1;
  head_part = offset % bs != 0;
  tail_part = end % bs != 0;

  /* The bytes the partial blocks keep, read before the allocation
   * below turns unwritten extents into written ones. */
  if (nblk <= SMALL_RUN_BLOCKS) {
    bounce = malloc (nblk * bs);
    if (bounce == NULL)
      return -ENOMEM;
    headblk = bounce;
    tailblk = bounce + (nblk - 1) * bs;
  } else if (head_part || tail_part) {
    bounce = malloc (2 * bs);
    if (bounce == NULL)
      return -ENOMEM;
    headblk = bounce;
    tailblk = bounce + bs;
  }
  r = 0;
  if (head_part)
    r = partial_block (efs, ino, &in, size, first, headblk);
  if (r == 0 && tail_part && (last != first || !head_part))
    r = partial_block (efs, ino, &in, size, last, tailblk);
  if (r < 0)
    goto out;
  if (nblk <= SMALL_RUN_BLOCKS)
    memcpy (bounce + offset % bs, buf, count);
  else {
    if (head_part)
      memcpy (headblk + offset % bs, buf, bs - offset % bs);
    if (tail_part)
      memcpy (tailblk, (const char *) buf + (last * bs - offset), end % bs);
  }

  /* The whole range's blocks at once: allocated (mapped blocks stay),
   * extents initialised without zeroing, since every block is written
   * right after.  Given no inode, ext2fs_fallocate reads and writes
   * it. */
  if (uses_extents (&in)) {
    err = ext2fs_fallocate (fs, EXT2_FALLOCATE_FORCE_INIT
                            | EXT2_FALLOCATE_INIT_BEYOND_EOF, ino,
                            NULL, ~0ULL, first, nblk);
    if (err) {
      r = ext_fail (efs, err, "allocate");
      goto out;
    }
  } else {
    blockmap_grew = 1;
    r = blockmap_alloc (efs, ino, first, nblk);
    if (r < 0)
      goto out;
  }
  r = ext_read_inode (efs, ino, &in);
  if (r < 0)
    goto out;
  if (nblk <= SMALL_RUN_BLOCKS)
    r = extent_io (efs, ino, &in, bounce, first, nblk, RUN_WRITE);
  else {
    blk64_t mfirst = first + head_part, mlast = last - tail_part;
    if (head_part)
      r = extent_io (efs, ino, &in, headblk, first, 1, RUN_WRITE);
    if (r == 0 && mlast >= mfirst)
      r = extent_io (efs, ino, &in,
                     (char *) buf + (mfirst * bs - offset), mfirst,
                     mlast - mfirst + 1, RUN_WRITE);
    if (r == 0 && tail_part)
      r = extent_io (efs, ino, &in, tailblk, last, 1, RUN_WRITE);
  }
  if (r == -EAGAIN) {
    /* Something ext2fs_fallocate left unwritten or unmapped: the
     * byte-wise path writes the whole range again. */
    free (bounce);
    return file_pwrite (efs, ino, buf, count, offset);
  }
  if (r < 0)
    goto out;
  r = ext_read_inode (efs, ino, &in);
  if (r < 0)
    goto out;
  if (end > EXT2_I_SIZE (&in)) {
    err = ext2fs_inode_size_set (fs, (struct ext2_inode *) &in, end);
    if (err) {
      r = ext_fail (efs, err, "write");
      goto out;
    }
  }
  ext_touch_times (fs, &in, 1);
  r = ext_write_inode (efs, ino, &in);
 out:
  free (bounce);
  if (r < 0 && blockmap_grew)
    /* A block map may not reach past the end of the file (e2fsck
     * would correct the size): blocks mapped there go back. */
    ext2fs_punch (fs, ino, NULL, NULL, (size + bs - 1) / bs, ~0ULL);
  return r < 0 ? r : (ssize_t) count;
}

ssize_t
engine_ext2_read_run (struct engine_fs *efs, uint64_t ino, void *buf,
                      size_t count, uint64_t offset)
{
  struct ext2_engine *e = (struct ext2_engine *) efs;
  ext2_filsys fs = E2 (efs);
  struct ext2_inode_large in;
  uint64_t bs = fs->blocksize, size, end;
  blk64_t first, last, nblk;
  char *bounce, *p = buf;
  int r;

  r = ext_read_inode (efs, ino, &in);
  if (r < 0)
    return r;
  if (LINUX_S_ISDIR (in.i_mode))
    return -EISDIR;
  if (!LINUX_S_ISREG (in.i_mode))
    return -EINVAL;
  size = EXT2_I_SIZE (&in);
  if (offset >= size || count == 0)
    return 0;
  if (count > size - offset)
    count = size - offset;
  if (in.i_flags & EXT4_INLINE_DATA_FL)
    return file_pread (efs, ino, buf, count, offset);
  end = offset + count;
  first = offset / bs;
  last = (end - 1) / bs;
  nblk = last - first + 1;
  if (nblk <= SMALL_RUN_BLOCKS) {
    bounce = malloc (nblk * bs);
    if (bounce == NULL)
      return -ENOMEM;
    r = extent_io (efs, ino, &in, bounce, first, nblk, RUN_READ);
    if (r == 0)
      memcpy (buf, bounce + offset % bs, count);
    free (bounce);
    return r < 0 ? r : (ssize_t) count;
  }
  /* Whole blocks straight into the caller's buffer; the partial first
   * and last blocks through a bounce block. */
  bounce = malloc (bs);
  if (bounce == NULL)
    return -ENOMEM;
  if (offset % bs) {
    r = extent_io (efs, ino, &in, bounce, first, 1, RUN_READ);
    if (r == 0)
      memcpy (p, bounce + offset % bs, bs - offset % bs);
    first++;
  }
  if (r == 0 && end % bs) {
    r = extent_io (efs, ino, &in, bounce, last, 1, RUN_READ);
    if (r == 0)
      memcpy (p + (last * bs - offset), bounce, end % bs);
    last--;
  }
  if (r == 0 && last >= first)
    r = extent_io (efs, ino, &in, p + (first * bs - offset), first,
                   last - first + 1, RUN_READ);
  free (bounce);
  if (r < 0)
    return r;
  /* Read-ahead: a long read that starts where the last one ended keeps
   * the host reading RA_WINDOW bytes (at least this read's size) ahead
   * of it, asking each time only for what it has not asked for yet, so
   * that several reads are in flight on the drive while the caller
   * takes this one: one read's worth ahead was enough with the image in
   * the host's cache, not from its disk. */
  if (e->ra_ino == ino && e->ra_next == offset && end < size) {
    uint64_t want = RA_WINDOW > count ? RA_WINDOW : count;
    uint64_t from = e->ra_until > end ? e->ra_until : end;
    uint64_t to = end + want < size ? end + want : size;
    blk64_t b0 = (from + bs - 1) / bs, b1 = (to + bs - 1) / bs;

    if (b1 > b0)
      extent_io (efs, ino, &in, NULL, b0, b1 - b0, RUN_ADVISE);
    if (to > e->ra_until)
      e->ra_until = to;
  } else
    e->ra_until = 0;
  e->ra_ino = ino;
  e->ra_next = end;
  return count;
}
