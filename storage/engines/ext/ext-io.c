/* minnow: the ext2/3/4 engine — the io_manager: libext2fs reads and writes the drive's byte range
 * through it, with a write-back block cache and, for read-only mounts,
 * the replayed journal laid over what it reads.
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
/* The io_manager: a bounded, optionally read-only window on a range. */

static errcode_t
range_io_open (const char *name, int flags, io_channel *channel_r)
{
  int readonly;
  void *range = NULL;
  io_channel ch;
  struct range_io *r;

  /* The name is "RANGE:READONLY[:OVERLAY]", made by ext2_open: RANGE is
   * the address of the struct engine_range (copied here: it need not
   * outlive the open), OVERLAY the address of a struct overlay. */
  void *overlay = NULL;
  int n = sscanf (name, "%p:%d:%p", &range, &readonly, &overlay);

  if ((n != 2 && n != 3) || range == NULL)
    return EXT2_ET_BAD_DEVICE_NAME;
  if (readonly && (flags & IO_FLAG_RW))
    return EROFS;

  ch = calloc (1, sizeof *ch);
  r = calloc (1, sizeof *r);
  if (ch == NULL || r == NULL) {
    free (ch);
    free (r);
    return EXT2_ET_NO_MEMORY;
  }
  ch->name = strdup (name);
  if (ch->name == NULL) {
    free (ch);
    free (r);
    return EXT2_ET_NO_MEMORY;
  }
  r->range = *(const struct engine_range *) range;
  r->overlay = overlay;
  r->readonly = readonly || r->range.readonly || !(flags & IO_FLAG_RW);
  r->range.readonly = r->readonly;
  r->stats.num_fields = 2;
  ch->magic = EXT2_ET_MAGIC_IO_CHANNEL;
  ch->manager = &ext_io_manager;
  ch->block_size = 1024;
  ch->refcount = 1;
  ch->private_data = r;
  *channel_r = ch;
  return 0;
}

/* A negative errno of range-io or the cache as an errcode_t; ERANGE (a
 * write past the range) is ENOSPC, as a full device says. */
static errcode_t
errc (int r)
{
  return r == -ERANGE ? ENOSPC : (errcode_t) -r;
}

static errcode_t
cache_write_back_all (struct range_io *r)
{
  return r->cache ? errc (range_cache_flush (r->cache)) : 0;
}

static errcode_t
range_io_close (io_channel ch)
{
  struct range_io *r = ch->private_data;
  errcode_t err;

  if (--ch->refcount > 0)
    return 0;
  err = cache_write_back_all (r);
  range_cache_free (r->cache);
  free (r);
  free (ch->name);
  free (ch);
  return err;
}

errcode_t
ext_io_forget (struct range_io *r, uint64_t off, uint64_t size)
{
  return r->cache ? errc (range_cache_forget (r->cache, off, size)) : 0;
}

void
ext_io_overlay (struct range_io *r, void *data, uint64_t off, uint64_t size)
{
  if (r->cache)
    range_cache_overlay (r->cache, data, off, size);
}

static errcode_t
range_io_set_blksize (io_channel ch, int blksize)
{
  struct range_io *r = ch->private_data;

  ch->block_size = blksize;
  if (r->cache_bs != blksize) {
    errcode_t err = cache_write_back_all (r);
    if (err)
      return err;
    range_cache_free (r->cache);
    r->cache = range_cache_new (&r->range, (size_t) blksize, CACHE_SLOTS);
    r->cache_bs = r->cache ? blksize : 0;
  }
  return 0;
}

struct overlay_block *
ext_overlay_find (struct overlay *ov, uint64_t block)
{
  struct overlay_block *b = ov->buckets[block % OVERLAY_BUCKETS];

  while (b && b->block != block)
    b = b->next;
  return b;
}

/* Lays the overlay's blocks over bytes [off, off+size) just read. */
static void
overlay_apply (struct overlay *ov, char *buf, uint64_t off, size_t size)
{
  uint64_t first, last, blk;

  if (ov == NULL || ov->count == 0 || size == 0)
    return;
  first = off / ov->bs;
  last = (off + size - 1) / ov->bs;
  for (blk = first; blk <= last; blk++) {
    struct overlay_block *b = ext_overlay_find (ov, blk);
    uint64_t bs0 = blk * ov->bs, s0, s1;
    if (b == NULL)
      continue;
    s0 = bs0 > off ? bs0 : off;
    s1 = bs0 + ov->bs < off + size ? bs0 + ov->bs : off + size;
    memcpy (buf + (s0 - off), b->data + (s0 - bs0), s1 - s0);
  }
}

static errcode_t range_io_pread_disk (struct range_io *r, void *buf,
                                      size_t size, uint64_t off);

errcode_t
ext_io_pread (struct range_io *r, void *buf, size_t size, uint64_t off)
{
  errcode_t err = range_io_pread_disk (r, buf, size, off);

  if (err == 0)
    overlay_apply (r->overlay, buf, off, size);
  return err;
}

static errcode_t
range_io_pread_disk (struct range_io *r, void *buf, size_t size,
                     uint64_t off)
{
  int err = range_read (&r->range, buf, size, off);

  if (err == -ERANGE || err == -ENODATA)      /* a truncated image file */
    return EXT2_ET_SHORT_READ;
  if (err < 0)
    return -err;
  r->stats.bytes_read += size;
  return 0;
}

errcode_t
ext_io_pwrite (struct range_io *r, const void *buf, size_t size,
               uint64_t off)
{
  int err;

  if (r->readonly)
    return EROFS;
  r->dirty = 1;
  err = range_write (&r->range, buf, size, off);
  if (err == -ERANGE)
    return ENOSPC;
  if (err < 0)
    return -err;
  r->stats.bytes_written += size;
  return 0;
}

static size_t
range_io_size (io_channel ch, int count)
{
  return count < 0 ? (size_t) -count : (size_t) count * ch->block_size;
}

/* The cache's fill: a block read as ext_io_pread reads it (the journal
 * overlay laid over it). */
static int
fill_block (void *opaque, void *buf, uint64_t off, size_t len)
{
  errcode_t err = ext_io_pread (opaque, buf, len, off);

  return err ? -(int) err : 0;
}

static errcode_t
range_io_read_blk64 (io_channel ch, unsigned long long block, int count,
                     void *data)
{
  struct range_io *r = ch->private_data;
  errcode_t err;

  if (count != 1 || r->cache == NULL || r->cache_bs != ch->block_size) {
    size_t size = range_io_size (ch, count);
    err = ext_io_pread (r, data, size, block * ch->block_size);
    if (err == 0)
      ext_io_overlay (r, data, block * ch->block_size, size);
    return err;
  }
  return errc (range_cache_read (r->cache, block, data, fill_block, r));
}

static errcode_t
range_io_write_blk64 (io_channel ch, unsigned long long block, int count,
                      const void *data)
{
  struct range_io *r = ch->private_data;
  size_t size = range_io_size (ch, count);
  errcode_t err;

  if (r->readonly)
    return EROFS;
  if (block * ch->block_size > r->range.length
      || size > r->range.length - block * ch->block_size)
    return ENOSPC;
  if (count != 1 || r->cache == NULL || r->cache_bs != ch->block_size) {
    err = ext_io_forget (r, block * ch->block_size, size);
    if (err)
      return err;
    return ext_io_pwrite (r, data, size, block * ch->block_size);
  }
  err = errc (range_cache_write (r->cache, block, data));
  if (err == 0)
    r->dirty = 1;
  return err;
}

static errcode_t
range_io_read_blk (io_channel ch, unsigned long block, int count, void *data)
{
  return range_io_read_blk64 (ch, block, count, data);
}

static errcode_t
range_io_write_blk (io_channel ch, unsigned long block, int count,
                    const void *data)
{
  return range_io_write_blk64 (ch, block, count, data);
}

static errcode_t
range_io_write_byte (io_channel ch, unsigned long offset, int size,
                     const void *data)
{
  errcode_t err = ext_io_forget (ch->private_data, offset, size);

  if (err)
    return err;
  return ext_io_pwrite (ch->private_data, data, size, offset);
}

static errcode_t
range_io_flush (io_channel ch)
{
  struct range_io *r = ch->private_data;
  errcode_t err;

  if (!r->dirty)
    return 0;
  err = cache_write_back_all (r);
  if (err)
    return err;
  r->dirty = 0;
  return -range_flush (&r->range);
}

static errcode_t
range_io_set_option (io_channel ch, const char *option, const char *arg)
{
  return EXT2_ET_INVALID_ARGUMENT;
}

static errcode_t
range_io_get_stats (io_channel ch, io_stats *stats)
{
  struct range_io *r = ch->private_data;

  if (stats)
    *stats = &r->stats;
  return 0;
}

static errcode_t
range_io_zeroout (io_channel ch, unsigned long long block,
                  unsigned long long count)
{
  static const char zeroes[65536];
  uint64_t off = block * ch->block_size;
  uint64_t len = count * ch->block_size;

  {
    errcode_t err = ext_io_forget (ch->private_data, off, len);
    if (err)
      return err;
  }

  while (len > 0) {
    size_t n = len < sizeof zeroes ? len : sizeof zeroes;
    errcode_t err = ext_io_pwrite (ch->private_data, zeroes, n, off);
    if (err)
      return err;
    off += n;
    len -= n;
  }
  return 0;
}

static errcode_t
range_io_discard (io_channel ch, unsigned long long block,
                  unsigned long long count)
{
  return EXT2_ET_UNIMPLEMENTED;
}

static errcode_t
range_io_cache_readahead (io_channel ch, unsigned long long block,
                          unsigned long long count)
{
  return EXT2_ET_OP_NOT_SUPPORTED;
}

struct struct_io_manager ext_io_manager = {
  .magic = EXT2_ET_MAGIC_IO_MANAGER,
  .name = "minnow range I/O manager",
  .open = range_io_open,
  .close = range_io_close,
  .set_blksize = range_io_set_blksize,
  .read_blk = range_io_read_blk,
  .write_blk = range_io_write_blk,
  .flush = range_io_flush,
  .write_byte = range_io_write_byte,
  .set_option = range_io_set_option,
  .get_stats = range_io_get_stats,
  .read_blk64 = range_io_read_blk64,
  .write_blk64 = range_io_write_blk64,
  .discard = range_io_discard,
  .cache_readahead = range_io_cache_readahead,
  .zeroout = range_io_zeroout,
};
