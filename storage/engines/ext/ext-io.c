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

static errcode_t cache_write_back_all (struct range_io *r);

static errcode_t
range_io_close (io_channel ch)
{
  struct range_io *r = ch->private_data;
  errcode_t err;

  if (--ch->refcount > 0)
    return 0;
  err = cache_write_back_all (r);
  free (r->cache);
  free (r);
  free (ch->name);
  free (ch);
  return err;
}

static char *
cache_data (struct range_io *r, uint64_t block)
{
  return r->cache + (size_t) (block % CACHE_SLOTS) * r->cache_bs;
}

static errcode_t
cache_write_back (struct range_io *r, struct cache_slot *slot)
{
  errcode_t err;

  if (!slot->valid || !slot->dirty)
    return 0;
  err = ext_io_pwrite (r, cache_data (r, slot->block), r->cache_bs,
                         slot->block * r->cache_bs);
  if (err == 0)
    slot->dirty = 0;
  return err;
}

/* A run of dirty cached blocks that are neighbours on the image, in
 * neighbouring slots (the cache is direct-mapped, so block b+1 sits in
 * the slot after block b's): one pwrite writes it straight from the
 * cache's memory. */
struct dirty_run {
  uint64_t block;
  size_t slot, count;
};

static int
dirty_run_cmp (const void *a, const void *b)
{
  const struct dirty_run *x = a, *y = b;

  return x->block < y->block ? -1 : x->block > y->block;
}

/* Writes every dirty block back: the dirty runs sorted by block number,
 * neighbours merged into one pwrite each. */
static errcode_t
cache_write_back_all (struct range_io *r)
{
  struct dirty_run *runs;
  size_t i, j, n = 0;
  errcode_t err, first = 0;

  if (r->cache == NULL)
    return 0;
  runs = malloc (CACHE_SLOTS * sizeof *runs);
  if (runs == NULL) {           /* no memory for the list: block by block */
    for (i = 0; i < CACHE_SLOTS; i++) {
      err = cache_write_back (r, &r->slots[i]);
      if (err && !first)
        first = err;
    }
    return first;
  }
  for (i = 0; i < CACHE_SLOTS; i = j) {
    j = i + 1;
    if (!r->slots[i].valid || !r->slots[i].dirty)
      continue;
    while (j < CACHE_SLOTS && r->slots[j].valid && r->slots[j].dirty
           && r->slots[j].block == r->slots[j - 1].block + 1)
      j++;
    runs[n].block = r->slots[i].block;
    runs[n].slot = i;
    runs[n].count = j - i;
    n++;
  }
  qsort (runs, n, sizeof *runs, dirty_run_cmp);
  for (i = 0; i < n; i++) {
    err = ext_io_pwrite (r, r->cache + runs[i].slot * r->cache_bs,
                           runs[i].count * r->cache_bs,
                           runs[i].block * r->cache_bs);
    if (err) {
      if (!first)
        first = err;
      continue;
    }
    for (j = 0; j < runs[i].count; j++)
      r->slots[runs[i].slot + j].dirty = 0;
  }
  free (runs);
  return first;
}

/* Forgets the slot if it holds a block of [first, last], after writing
 * it back when it is dirty and bytes [off, off+size) cover it only in
 * part (a block covered whole is superseded). */
static errcode_t
cache_forget_slot (struct range_io *r, struct cache_slot *slot,
                   uint64_t first, uint64_t last, uint64_t off, uint64_t size)
{
  uint64_t b = slot->block;

  if (!slot->valid || b < first || b > last)
    return 0;
  if (slot->dirty && (b * r->cache_bs < off
                      || (b + 1) * r->cache_bs > off + size)) {
    errcode_t err = cache_write_back (r, slot);
    if (err)
      return err;
  }
  slot->valid = slot->dirty = 0;
  return 0;
}

/* Bytes [off, off+size) are about to be written past the cache: cached
 * blocks there are forgotten (see cache_forget_slot).  A range longer
 * than the cache looks at each slot once; the metadata cached outside
 * the range stays. */
errcode_t
ext_io_forget (struct range_io *r, uint64_t off, uint64_t size)
{
  uint64_t b, first, last;
  errcode_t err;

  if (r->cache == NULL || size == 0)
    return 0;
  first = off / r->cache_bs;
  last = (off + size - 1) / r->cache_bs;
  if (last - first >= CACHE_SLOTS) {
    for (b = 0; b < CACHE_SLOTS; b++)
      if ((err = cache_forget_slot (r, &r->slots[b], first, last, off, size)))
        return err;
    return 0;
  }
  for (b = first; b <= last; b++)
    if ((err = cache_forget_slot (r, &r->slots[b % CACHE_SLOTS], first, last,
                                  off, size)))
      return err;
  return 0;
}

/* Lays the dirty cached blocks over data just read from the image. */
void
ext_io_overlay (struct range_io *r, void *data, uint64_t off, uint64_t size)
{
  uint64_t i, first, last;

  if (r->cache == NULL || size == 0)
    return;
  first = off / r->cache_bs;
  last = (off + size - 1) / r->cache_bs;
  for (i = 0; i < CACHE_SLOTS && i <= last - first; i++) {
    /* A range longer than the cache: each slot once. */
    struct cache_slot *slot = last - first >= CACHE_SLOTS ? &r->slots[i]
      : &r->slots[(first + i) % CACHE_SLOTS];
    uint64_t b = slot->block;
    uint64_t bs = b * r->cache_bs, be = bs + r->cache_bs;
    uint64_t s0 = bs > off ? bs : off, s1 = be < off + size ? be : off + size;
    if (slot->valid && slot->dirty && b >= first && b <= last)
      memcpy ((char *) data + (s0 - off), cache_data (r, b) + (s0 - bs),
              s1 - s0);
  }
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
    free (r->cache);
    r->cache = malloc ((size_t) CACHE_SLOTS * blksize);
    r->cache_bs = r->cache ? blksize : 0;
    memset (r->slots, 0, sizeof r->slots);
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

static errcode_t
range_io_read_blk64 (io_channel ch, unsigned long long block, int count,
                     void *data)
{
  struct range_io *r = ch->private_data;
  struct cache_slot *slot;
  errcode_t err;

  if (count != 1 || r->cache == NULL || r->cache_bs != ch->block_size) {
    size_t size = range_io_size (ch, count);
    err = ext_io_pread (r, data, size, block * ch->block_size);
    if (err == 0 && r->cache)
      ext_io_overlay (r, data, block * ch->block_size, size);
    return err;
  }
  slot = &r->slots[block % CACHE_SLOTS];
  if (slot->valid && slot->block == block) {
    memcpy (data, cache_data (r, block), ch->block_size);
    return 0;
  }
  err = cache_write_back (r, slot);     /* the slot's old block */
  if (err)
    return err;
  err = ext_io_pread (r, data, ch->block_size, block * ch->block_size);
  if (err == 0) {
    memcpy (cache_data (r, block), data, ch->block_size);
    slot->block = block;
    slot->valid = 1;
    slot->dirty = 0;
  }
  return err;
}

static errcode_t
range_io_write_blk64 (io_channel ch, unsigned long long block, int count,
                      const void *data)
{
  struct range_io *r = ch->private_data;
  size_t size = range_io_size (ch, count);
  struct cache_slot *slot;
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
  slot = &r->slots[block % CACHE_SLOTS];
  if (!(slot->valid && slot->block == block)) {
    err = cache_write_back (r, slot);
    if (err)
      return err;
  }
  memcpy (cache_data (r, block), data, ch->block_size);
  slot->block = block;
  slot->valid = 1;
  slot->dirty = 1;
  r->dirty = 1;
  return 0;
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
