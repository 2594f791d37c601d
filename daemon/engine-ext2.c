/* minnow: the ext2/ext3/ext4 engine, over libext2fs.
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
 */

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

#include "engine.h"

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
  char name[];
};

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
};

#define E2(efs) (((struct ext2_engine *) (efs))->fs)

/* ---------------------------------------------------------------- */
/* The io_manager: a bounded, optionally read-only window on an fd.  */

/* A direct-mapped cache of single blocks, write-back: one call rewrites
 * the same inode-table and directory blocks several times, and the image
 * needs to see only the last version.  Dirty blocks reach the image when
 * their slot is reused, and all of them at flush (sync, umount, close).
 * Multi-block transfers go straight to the image (reads see the dirty
 * cached blocks laid over them). */
#define CACHE_SLOTS 4096

struct cache_slot {
  uint64_t block;
  int valid;
  int dirty;
};

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
  int fd;
  uint64_t offset, length;
  int readonly;
  struct overlay *overlay;      /* not owned; may be NULL */
  int dirty;                    /* written since the last flush */
  struct struct_io_stats stats;
  int cache_bs;                 /* block size of the cached data */
  struct cache_slot slots[CACHE_SLOTS];
  char *cache;                  /* CACHE_SLOTS blocks */
};

static struct struct_io_manager range_io_manager;

static errcode_t
range_io_open (const char *name, int flags, io_channel *channel_r)
{
  int fd, readonly;
  unsigned long long offset, length;
  io_channel ch;
  struct range_io *r;

  /* The name is "FD:OFFSET:LENGTH:READONLY[:OVERLAY]", made by
   * ext2_open: OVERLAY is the address of a struct overlay. */
  void *overlay = NULL;
  int n = sscanf (name, "%d:%llu:%llu:%d:%p", &fd, &offset, &length,
                  &readonly, &overlay);

  if (n != 4 && n != 5)
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
  r->fd = fd;
  r->overlay = overlay;
  r->offset = offset;
  r->length = length;
  r->readonly = readonly || !(flags & IO_FLAG_RW);
  r->stats.num_fields = 2;
  ch->magic = EXT2_ET_MAGIC_IO_CHANNEL;
  ch->manager = &range_io_manager;
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

static errcode_t range_io_pwrite (struct range_io *r, const void *buf,
                                  size_t size, uint64_t off);

static errcode_t
cache_write_back (struct range_io *r, struct cache_slot *slot)
{
  errcode_t err;

  if (!slot->valid || !slot->dirty)
    return 0;
  err = range_io_pwrite (r, cache_data (r, slot->block), r->cache_bs,
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
    err = range_io_pwrite (r, r->cache + runs[i].slot * r->cache_bs,
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
static errcode_t
cache_forget (struct range_io *r, uint64_t off, uint64_t size)
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
static void
cache_overlay (struct range_io *r, void *data, uint64_t off, uint64_t size)
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

static struct overlay_block *
overlay_find (struct overlay *ov, uint64_t block)
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
    struct overlay_block *b = overlay_find (ov, blk);
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

static errcode_t
range_io_pread (struct range_io *r, void *buf, size_t size, uint64_t off)
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
  char *p = buf;

  if (off > r->length || size > r->length - off)
    return EXT2_ET_SHORT_READ;
  while (size > 0) {
    ssize_t n = pread (r->fd, p, size, r->offset + off);
    if (n == -1) {
      if (errno == EINTR)
        continue;
      return errno;
    }
    if (n == 0) {               /* a truncated image file */
      memset (p, 0, size);
      return EXT2_ET_SHORT_READ;
    }
    p += n;
    size -= n;
    off += n;
    r->stats.bytes_read += n;
  }
  return 0;
}

static errcode_t
range_io_pwrite (struct range_io *r, const void *buf, size_t size,
                 uint64_t off)
{
  const char *p = buf;

  if (r->readonly)
    return EROFS;
  if (off > r->length || size > r->length - off)
    return ENOSPC;
  r->dirty = 1;
  while (size > 0) {
    ssize_t n = pwrite (r->fd, p, size, r->offset + off);
    if (n == -1) {
      if (errno == EINTR)
        continue;
      return errno;
    }
    p += n;
    size -= n;
    off += n;
    r->stats.bytes_written += n;
  }
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
    err = range_io_pread (r, data, size, block * ch->block_size);
    if (err == 0 && r->cache)
      cache_overlay (r, data, block * ch->block_size, size);
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
  err = range_io_pread (r, data, ch->block_size, block * ch->block_size);
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
  if (block * ch->block_size > r->length
      || size > r->length - block * ch->block_size)
    return ENOSPC;
  if (count != 1 || r->cache == NULL || r->cache_bs != ch->block_size) {
    err = cache_forget (r, block * ch->block_size, size);
    if (err)
      return err;
    return range_io_pwrite (r, data, size, block * ch->block_size);
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
  errcode_t err = cache_forget (ch->private_data, offset, size);

  if (err)
    return err;
  return range_io_pwrite (ch->private_data, data, size, offset);
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
  if (fdatasync (r->fd) == -1 && errno != EINVAL && errno != EROFS)
    return errno;
  return 0;
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
    errcode_t err = cache_forget (ch->private_data, off, len);
    if (err)
      return err;
  }

  while (len > 0) {
    size_t n = len < sizeof zeroes ? len : sizeof zeroes;
    errcode_t err = range_io_pwrite (ch->private_data, zeroes, n, off);
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

static struct struct_io_manager range_io_manager = {
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

/* ---------------------------------------------------------------- */
/* Errors.                                                            */

static int
errcode_to_errno (errcode_t err)
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
static int
fail (struct engine_fs *efs, errcode_t err, const char *what)
{
  if (efs)
    snprintf (efs->last_error, sizeof efs->last_error, "%s: %s",
              what, error_message (err));
  return -errcode_to_errno (err);
}

const char *
engine_last_error (struct engine_fs *efs)
{
  return efs->last_error;
}

static char engine_note_text[256];
static char engine_note_taken[256];

void
engine_note (const char *msg)
{
  snprintf (engine_note_text, sizeof engine_note_text, "%s", msg);
}

const char *
engine_take_note (void)
{
  memcpy (engine_note_taken, engine_note_text, sizeof engine_note_taken);
  engine_note_text[0] = '\0';
  return engine_note_taken;
}

/* ---------------------------------------------------------------- */
/* Inodes: times, ids, device numbers.                                */

static int
inode_has_field (ext2_filsys fs, const struct ext2_inode_large *in,
                 size_t field_end)
{
  return EXT2_INODE_SIZE (fs->super) > EXT2_GOOD_OLD_INODE_SIZE
    && EXT2_GOOD_OLD_INODE_SIZE + (size_t) in->i_extra_isize >= field_end;
}

#define FIELD_END(f) (offsetof (struct ext2_inode_large, f) \
                      + sizeof (((struct ext2_inode_large *) 0)->f))

static void
decode_time (ext2_filsys fs, const struct ext2_inode_large *in,
             uint32_t sec, uint32_t extra, size_t extra_end,
             int64_t *sec_r, int64_t *nsec_r)
{
  *sec_r = (int32_t) sec;
  *nsec_r = 0;
  if (inode_has_field (fs, in, extra_end)) {
    *sec_r += (int64_t) (extra & EXT4_EPOCH_MASK) << 32;
    *nsec_r = extra >> EXT4_EPOCH_BITS;
  }
}

static void
encode_time (ext2_filsys fs, struct ext2_inode_large *in,
             uint32_t *sec, uint32_t *extra, size_t extra_end,
             int64_t s, int64_t ns)
{
  *sec = (uint32_t) s;
  if (inode_has_field (fs, in, extra_end))
    *extra = (uint32_t) (((s - (int32_t) s) >> 32) & EXT4_EPOCH_MASK)
      | (uint32_t) ns << EXT4_EPOCH_BITS;
}

#define GET_TIME(fs, in, f, s, ns) \
  decode_time (fs, in, (in)->i_##f, (in)->i_##f##_extra, \
               FIELD_END (i_##f##_extra), s, ns)
#define SET_TIME(fs, in, f, s, ns) \
  encode_time (fs, in, &(in)->i_##f, &(in)->i_##f##_extra, \
               FIELD_END (i_##f##_extra), s, ns)

static void
now (int64_t *s, int64_t *ns)
{
  struct timespec ts;

  clock_gettime (CLOCK_REALTIME, &ts);
  *s = ts.tv_sec;
  *ns = ts.tv_nsec;
}

static void
touch_times (ext2_filsys fs, struct ext2_inode_large *in, int mtime)
{
  int64_t s, ns;

  now (&s, &ns);
  SET_TIME (fs, in, ctime, s, ns);
  if (mtime)
    SET_TIME (fs, in, mtime, s, ns);
}

/* The largest size an inode can have, as the kernel computes its
 * s_maxbytes: 2^32 logical blocks for extent-mapped files, the blocks
 * the indirect tree can address for the others.  A larger i_size is
 * corruption, and trusting it makes a read loop over petabytes of
 * holes. */
static uint64_t
max_file_size (ext2_filsys fs, const struct ext2_inode_large *in)
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

static int
read_inode (struct engine_fs *efs, uint64_t ino, struct ext2_inode_large *in)
{
  ext2_filsys fs = E2 (efs);
  errcode_t err;

  if (ino == 0 || ino > fs->super->s_inodes_count)
    return -ESTALE;
  memset (in, 0, sizeof *in);
  err = ext2fs_read_inode_full (fs, ino, (struct ext2_inode *) in,
                                sizeof *in);
  if (err)
    return fail (efs, err, "read inode");
  if (in->i_links_count > 0 && EXT2_I_SIZE (in) > max_file_size (fs, in)) {
    snprintf (efs->last_error, sizeof efs->last_error,
              "inode %" PRIu64 " has a size (%llu bytes) that no file on "
              "this filesystem can have (at most %llu): the filesystem "
              "needs e2fsck", ino, (unsigned long long) EXT2_I_SIZE (in),
              (unsigned long long) max_file_size (fs, in));
    return -EUCLEAN;
  }
  return 0;
}

static int
write_inode (struct engine_fs *efs, uint64_t ino,
             struct ext2_inode_large *in)
{
  errcode_t err;

  err = ext2fs_write_inode_full (E2 (efs), ino, (struct ext2_inode *) in,
                                 sizeof *in);
  if (err)
    return fail (efs, err, "write inode");
  return 0;
}

/* The inode changed: ctime (and mtime when mtime is set) move to now. */
static int
touch_inode (struct engine_fs *efs, uint64_t ino, int mtime)
{
  struct ext2_inode_large in;
  int r;

  r = read_inode (efs, ino, &in);
  if (r < 0)
    return r;
  touch_times (E2 (efs), &in, mtime);
  return write_inode (efs, ino, &in);
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

static void
encode_rdev (struct ext2_inode_large *in, uint64_t rdev)
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

static int
ftype_of_mode (uint32_t mode)
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

static enum engine_dtype
dtype_of_ftype (int ft)
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


/* ---------------------------------------------------------------- */
/* Journal replay in memory, for read-only mounts.                    */

/* A read-only mount must not write, yet a journal that needs recovery
 * holds committed changes that the rest of the filesystem does not show
 * yet.  As the kernel does for a read-only mount, replay the committed
 * transactions, here into an overlay that reads see instead of the
 * image.  The jbd2 format: a superblock, then descriptor blocks (tags
 * naming the filesystem blocks whose new contents follow), revoke
 * blocks and commit blocks, all big-endian. */

#define JBD2_MAGIC 0xc03b3998u
#define JBD2_DESCRIPTOR 1
#define JBD2_COMMIT 2
#define JBD2_REVOKE 5
#define JBD2_INCOMPAT_64BIT 0x2
#define JBD2_INCOMPAT_CSUM_V2 0x8
#define JBD2_INCOMPAT_CSUM_V3 0x10
#define JBD2_FLAG_ESCAPE 1
#define JBD2_FLAG_SAME_UUID 2
#define JBD2_FLAG_LAST_TAG 8

static uint32_t
be32 (const unsigned char *p)
{
  return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | p[2] << 8 | p[3];
}

static uint16_t
be16 (const unsigned char *p)
{
  return (uint16_t) (p[0] << 8 | p[1]);
}

static void
overlay_free (struct overlay *ov)
{
  size_t i;

  if (ov == NULL)
    return;
  for (i = 0; i < OVERLAY_BUCKETS; i++)
    while (ov->buckets[i]) {
      struct overlay_block *b = ov->buckets[i];
      ov->buckets[i] = b->next;
      free (b);
    }
  free (ov);
}

static int
overlay_put (struct overlay *ov, uint64_t block, const void *data)
{
  struct overlay_block *b = overlay_find (ov, block);

  if (b == NULL) {
    b = malloc (sizeof *b + ov->bs);
    if (b == NULL)
      return -ENOMEM;
    b->block = block;
    b->next = ov->buckets[block % OVERLAY_BUCKETS];
    ov->buckets[block % OVERLAY_BUCKETS] = b;
    ov->count++;
  }
  memcpy (b->data, data, ov->bs);
  return 0;
}

struct journal {
  ext2_filsys fs;
  ext2_ino_t ino;
  struct ext2_inode inode;
  uint32_t maxlen, first, incompat;
  unsigned tag_bytes;
  unsigned tail;                /* block tail of descriptors and revokes */
  /* Revoked blocks with the latest transaction that revoked them. */
  uint64_t *revoked;
  uint32_t *revoked_seq;
  size_t nrevoked, revoked_alloc;
};

static int
journal_read (struct journal *j, uint32_t lblk, unsigned char *buf)
{
  blk64_t pblk = 0;

  if (ext2fs_bmap2 (j->fs, j->ino, &j->inode, NULL, 0, lblk, NULL, &pblk)
      || pblk == 0
      || io_channel_read_blk64 (j->fs->io, pblk, 1, buf))
    return -EIO;
  return 0;
}

static uint32_t
journal_wrap (const struct journal *j, uint64_t n)
{
  while (n >= j->maxlen)
    n -= j->maxlen - j->first;
  return (uint32_t) n;
}

/* Calls fn for each tag of a descriptor block; returns the tag count. */
static unsigned
journal_tags (const struct journal *j, const unsigned char *buf,
              int (*fn) (void *, unsigned, uint64_t, unsigned), void *opaque)
{
  unsigned off = 12, n = 0, end = j->fs->blocksize - j->tail;

  while (off + j->tag_bytes <= end) {
    const unsigned char *t = buf + off;
    uint64_t blocknr = be32 (t);
    unsigned flags;

    if (j->incompat & JBD2_INCOMPAT_CSUM_V3) {
      flags = be32 (t + 4);
      if (j->incompat & JBD2_INCOMPAT_64BIT)
        blocknr |= (uint64_t) be32 (t + 8) << 32;
    } else {
      flags = be16 (t + 6);
      if (j->incompat & JBD2_INCOMPAT_64BIT)
        blocknr |= (uint64_t) be32 (t + 8) << 32;
    }
    if (fn && fn (opaque, n, blocknr, flags) < 0)
      return n;
    n++;
    off += j->tag_bytes;
    if (!(flags & JBD2_FLAG_SAME_UUID))
      off += 16;
    if (flags & JBD2_FLAG_LAST_TAG)
      break;
  }
  return n;
}

static int
journal_revoke (struct journal *j, const unsigned char *buf, uint32_t seq)
{
  unsigned rsize = j->incompat & JBD2_INCOMPAT_64BIT ? 8 : 4;
  unsigned count = be32 (buf + 12), off;

  if (count > j->fs->blocksize)
    return -EIO;
  for (off = 16; off + rsize <= count; off += rsize) {
    uint64_t blk = rsize == 8
      ? (uint64_t) be32 (buf + off) << 32 | be32 (buf + off + 4)
      : be32 (buf + off);
    size_t i;
    for (i = 0; i < j->nrevoked && j->revoked[i] != blk; i++)
      ;
    if (i == j->nrevoked) {
      if (j->nrevoked == j->revoked_alloc) {
        size_t na = j->revoked_alloc * 2 + 64;
        uint64_t *r = realloc (j->revoked, na * sizeof *r);
        uint32_t *q = r ? realloc (j->revoked_seq, na * sizeof *q) : NULL;
        if (r)
          j->revoked = r;
        if (q == NULL)
          return -ENOMEM;
        j->revoked_seq = q;
        j->revoked_alloc = na;
      }
      j->revoked[j->nrevoked] = blk;
      j->revoked_seq[j->nrevoked++] = seq;
    } else if ((int32_t) (seq - j->revoked_seq[i]) > 0)
      j->revoked_seq[i] = seq;
  }
  return 0;
}

static int
journal_is_revoked (const struct journal *j, uint64_t blk, uint32_t seq)
{
  size_t i;

  for (i = 0; i < j->nrevoked; i++)
    if (j->revoked[i] == blk)
      return (int32_t) (j->revoked_seq[i] - seq) >= 0;
  return 0;
}

struct replay_tag {
  struct journal *j;
  struct overlay *ov;
  uint32_t descriptor, seq;
  unsigned char *data;
  int err;
};

static int
replay_one (void *opaque, unsigned i, uint64_t blocknr, unsigned flags)
{
  struct replay_tag *t = opaque;

  if (journal_is_revoked (t->j, blocknr, t->seq))
    return 0;
  if (journal_read (t->j, journal_wrap (t->j, (uint64_t) t->descriptor + 1 + i),
                    t->data) < 0
      || blocknr >= ext2fs_blocks_count (t->j->fs->super)) {
    t->err = -EIO;
    return -1;
  }
  if (flags & JBD2_FLAG_ESCAPE) {
    t->data[0] = 0xc0; t->data[1] = 0x3b; t->data[2] = 0x39; t->data[3] = 0x98;
  }
  t->err = overlay_put (t->ov, blocknr, t->data);
  return t->err;
}

/* Builds the overlay of the committed transactions; *ov_r stays NULL when
 * there is nothing to replay. */
static int
journal_overlay (ext2_filsys fs, struct overlay **ov_r)
{
  struct journal j = { .fs = fs };
  unsigned char *buf = NULL, *data = NULL;
  uint32_t start, seq, end_seq, blk, pass;
  struct overlay *ov = NULL;
  int r = 0;

  *ov_r = NULL;
  j.ino = fs->super->s_journal_inum;
  if (j.ino == 0 || ext2fs_read_inode (fs, j.ino, &j.inode))
    return -EIO;
  buf = malloc (fs->blocksize);
  data = malloc (fs->blocksize);
  if (buf == NULL || data == NULL) {
    r = -ENOMEM;
    goto out;
  }
  if ((r = journal_read (&j, 0, buf)) < 0)
    goto out;
  if (be32 (buf) != JBD2_MAGIC || be32 (buf + 12) != fs->blocksize) {
    r = -EIO;
    goto out;
  }
  j.maxlen = be32 (buf + 16);
  j.first = be32 (buf + 20);
  seq = be32 (buf + 24);
  start = be32 (buf + 28);
  j.incompat = be32 (buf + 4) == 4 ? be32 (buf + 40) : 0;   /* V2 sb */
  if (start == 0)
    goto out;                   /* clean: nothing to replay */
  if (j.first == 0 || j.first >= j.maxlen || start >= j.maxlen) {
    r = -EIO;
    goto out;
  }
  if (j.incompat & JBD2_INCOMPAT_CSUM_V3)
    j.tag_bytes = 16;
  else {
    j.tag_bytes = 12 + (j.incompat & JBD2_INCOMPAT_CSUM_V2 ? 2 : 0);
    if (!(j.incompat & JBD2_INCOMPAT_64BIT))
      j.tag_bytes -= 4;
  }
  j.tail = j.incompat & (JBD2_INCOMPAT_CSUM_V2 | JBD2_INCOMPAT_CSUM_V3)
    ? 4 : 0;

  /* Pass 0 finds the end and the revokes, pass 1 replays. */
  end_seq = seq;
  for (pass = 0; pass < 2; pass++) {
    uint32_t s = seq, steps = 0;
    blk = start;
    for (;;) {
      uint32_t type;
      if (++steps > j.maxlen || journal_read (&j, blk, buf) < 0
          || be32 (buf) != JBD2_MAGIC || be32 (buf + 8) != s
          || (pass == 1 && s == end_seq))
        break;
      type = be32 (buf + 4);
      if (type == JBD2_DESCRIPTOR) {
        unsigned n;
        if (pass == 1) {
          struct replay_tag t = { &j, ov, blk, s, data, 0 };
          n = journal_tags (&j, buf, replay_one, &t);
          if (t.err) {
            r = t.err;
            goto out;
          }
        } else
          n = journal_tags (&j, buf, NULL, NULL);
        blk = journal_wrap (&j, (uint64_t) blk + 1 + n);
      } else if (type == JBD2_COMMIT) {
        s++;
        if (pass == 0)
          end_seq = s;
        blk = journal_wrap (&j, (uint64_t) blk + 1);
      } else if (type == JBD2_REVOKE) {
        if (pass == 0 && (r = journal_revoke (&j, buf, s)) < 0)
          goto out;
        blk = journal_wrap (&j, (uint64_t) blk + 1);
      } else
        break;
    }
    if (pass == 0) {
      /* Revokes of the unfinished transaction do not count. */
      size_t i;
      for (i = 0; i < j.nrevoked; i++)
        if ((int32_t) (j.revoked_seq[i] - end_seq) >= 0)
          j.revoked[i] = ~0ULL;
      if (end_seq == seq)
        goto out;               /* no complete transaction */
      ov = calloc (1, sizeof *ov);
      if (ov == NULL) {
        r = -ENOMEM;
        goto out;
      }
      ov->bs = fs->blocksize;
    }
  }
  *ov_r = ov;
  ov = NULL;
 out:
  overlay_free (ov);
  free (j.revoked);
  free (j.revoked_seq);
  free (buf);
  free (data);
  return r;
}

/* ---------------------------------------------------------------- */
/* Open, close, probe.                                                */

/* blkid's rule: ext3 is ext2 plus a journal and nothing newer; anything
 * with a feature ext3 does not know is ext4. */
static const char *
type_of_super (uint32_t compat, uint32_t incompat, uint32_t ro_compat)
{
  const uint32_t ext3_incompat = EXT2_FEATURE_INCOMPAT_FILETYPE
    | EXT3_FEATURE_INCOMPAT_RECOVER | EXT2_FEATURE_INCOMPAT_META_BG;
  const uint32_t ext3_ro_compat = EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER
    | EXT2_FEATURE_RO_COMPAT_LARGE_FILE | 0x0004 /* btree_dir */;

  if ((incompat & ~ext3_incompat) || (ro_compat & ~ext3_ro_compat))
    return "ext4";
  if (compat & EXT3_FEATURE_COMPAT_HAS_JOURNAL)
    return "ext3";
  return "ext2";
}

static int
ext2_probe (const struct engine_range *range, const char **type_r)
{
  struct ext2_super_block sb;
  ssize_t n;

  if (range->length < 2048)
    return 0;
  n = pread (range->fd, &sb, sizeof sb, range->offset + 1024);
  if (n != (ssize_t) sizeof sb)
    return 0;
  if (ext2fs_le16_to_cpu (sb.s_magic) != EXT2_SUPER_MAGIC)
    return 0;
  if (ext2fs_le32_to_cpu (sb.s_feature_incompat)
      & EXT3_FEATURE_INCOMPAT_JOURNAL_DEV)
    return 0;
  *type_r = type_of_super (ext2fs_le32_to_cpu (sb.s_feature_compat),
                           ext2fs_le32_to_cpu (sb.s_feature_incompat),
                           ext2fs_le32_to_cpu (sb.s_feature_ro_compat));
  return 1;
}

/* libext2fs trusts the superblock and the group descriptors: a block
 * bitmap placed outside its group makes ext2fs_read_bitmaps write past
 * its buffers.  Check them as the kernel and e2fsck do before anything
 * reads through them.  Returns a static message, or NULL when sane. */
static const char *
check_geometry (ext2_filsys fs, errcode_t *err_r)
{
  struct ext2_super_block *sb = fs->super;
  uint32_t first = (fs->blocksize == 1024
                    && EXT2FS_CLUSTER_RATIO (fs) == 1) ? 1 : 0;

  *err_r = 0;
  if (sb->s_first_data_block != first)
    return "the superblock is corrupt: its first data block is wrong for "
      "its block size";
  if (ext2fs_blocks_count (sb) <= sb->s_first_data_block)
    return "the superblock is corrupt: it counts fewer blocks than its "
      "first data block";
  if (sb->s_inodes_count < EXT2_FIRST_INODE (sb))
    return "the superblock is corrupt: too few inodes";
  *err_r = ext2fs_check_desc (fs);
  if (*err_r)
    return error_message (*err_r);
  return NULL;
}

/* Starts the message table libext2fs's error codes are looked up in;
 * without it error_message says "Unknown code ext2 N". */
static void
load_error_table (void)
{
  static int done;

  if (!done) {
    initialize_ext2_error_table ();
    done = 1;
  }
}

/* Opens the range with libext2fs and refuses a filesystem whose
 * geometry cannot be trusted (EUCLEAN, with what is wrong). */
static int
open_checked (const char *name, int flags, ext2_filsys *fs_r,
              char **error_r)
{
  errcode_t err;
  const char *msg;

  err = ext2fs_open2 (name, NULL, flags, 0, 0, &range_io_manager, fs_r);
  if (err) {
    if (asprintf (error_r, "%s", error_message (err)) == -1)
      *error_r = NULL;
    return -errcode_to_errno (err);
  }
  msg = check_geometry (*fs_r, &err);
  if (msg) {
    if (asprintf (error_r, "%s (the filesystem needs e2fsck)", msg) == -1)
      *error_r = NULL;
    ext2fs_close_free (fs_r);
    return -EUCLEAN;
  }
  return 0;
}

/* While the filesystem is open for writing, the image says it is not
 * clean, as the kernel's superblock does while mounted: if the daemon
 * dies before its last flush, the boot-time e2fsck -p checks it instead
 * of trusting a "clean" flag.  Only the primary superblock is written,
 * and it reaches the image before any other write of this session. */
static int
mark_in_use (struct ext2_engine *e)
{
  ext2_filsys fs = e->fs;
  errcode_t err;

  e->mount_state = fs->super->s_state;
  fs->super->s_state &= ~EXT2_VALID_FS;
  fs->flags |= EXT2_FLAG_MASTER_SB_ONLY;
  ext2fs_mark_super_dirty (fs);
  err = ext2fs_flush (fs);
  if (err == 0)
    err = io_channel_flush (fs->io);
  fs->flags &= ~EXT2_FLAG_MASTER_SB_ONLY;
  return err ? -errcode_to_errno (err) : 0;
}

static int
ext2_open (const struct engine_range *range, struct engine_fs **fs_r,
           char **error_r)
{
  char name[128];
  int flags = EXT2_FLAG_64BITS | EXT2_FLAG_SKIP_MMP;
  ext2_filsys fs;
  errcode_t err;
  struct ext2_engine *e;
  const char *msg = NULL;
  int r;

  *error_r = NULL;
  snprintf (name, sizeof name, "%d:%" PRIu64 ":%" PRIu64 ":%d",
            range->fd, range->offset, range->length, range->readonly);
  if (!range->readonly)
    flags |= EXT2_FLAG_RW;
  load_error_table ();
  r = open_checked (name, flags, &fs, error_r);
  if (r < 0)
    return r;
  if (!range->readonly) {
    if (ext2fs_has_feature_journal_needs_recovery (fs->super)) {
      msg = "the journal needs recovery (run e2fsck first)";
      r = ENGINE_NEEDS_RECOVERY;
      goto error;
    }
    if (ext2fs_has_feature_journal_dev (fs->super)) {
      msg = "this is an external journal, not a filesystem";
      r = -EINVAL;
      goto error;
    }
    err = ext2fs_read_bitmaps (fs);
    if (err) {
      msg = error_message (err);
      r = -errcode_to_errno (err);
      goto error;
    }
  }
  fs->umask = 0;

  e = calloc (1, sizeof *e);
  if (e && range->readonly
      && ext2fs_has_feature_journal_needs_recovery (fs->super)
      && ext2fs_has_feature_journal (fs->super)) {
    /* Reads must see the committed transactions: replay them in memory
     * and open again, so that the superblock and group descriptors come
     * through the overlay too. */
    struct overlay *ov = NULL;
    r = journal_overlay (fs, &ov);
    if (r < 0) {
      msg = "the journal needs recovery and cannot be read";
      free (e);
      goto error;
    }
    if (ov) {
      ext2fs_close_free (&fs);
      snprintf (name, sizeof name, "%d:%" PRIu64 ":%" PRIu64 ":1:%p",
                range->fd, range->offset, range->length, (void *) ov);
      r = open_checked (name, flags, &fs, error_r);
      if (r < 0) {
        char *inner = *error_r;

        overlay_free (ov);
        free (e);
        if (asprintf (error_r, "after replaying the journal: %s",
                      inner ? inner : strerror (-r)) == -1)
          *error_r = NULL;
        free (inner);
        return r;
      }
      fs->umask = 0;
      e->overlay = ov;
    }
  }
  if (e == NULL) {
    r = -ENOMEM;
    goto error;
  }
  e->base.ops = &engine_ext2_ops;
  e->base.readonly = range->readonly;
  e->fs = fs;
  if (!range->readonly) {
    r = mark_in_use (e);
    if (r < 0) {
      msg = "cannot mark the filesystem in use";
      free (e);
      goto error;
    }
  }
  *fs_r = &e->base;
  return 0;

 error:
  if (msg && asprintf (error_r, "%s", msg) == -1)
    *error_r = NULL;
  ext2fs_close_free (&fs);
  return r;
}

int
engine_ext2_clear_recover (const struct engine_range *range, char **error_r)
{
  char name[128];
  ext2_filsys fs;
  struct ext2_inode inode;
  blk64_t pblk = 0;
  unsigned char *buf = NULL;
  errcode_t err;
  int r = 0;

  *error_r = NULL;
  if (range->readonly)
    return -EROFS;
  snprintf (name, sizeof name, "%d:%" PRIu64 ":%" PRIu64 ":0",
            range->fd, range->offset, range->length);
  load_error_table ();
  r = open_checked (name, EXT2_FLAG_RW | EXT2_FLAG_64BITS
                    | EXT2_FLAG_SKIP_MMP, &fs, error_r);
  if (r < 0)
    return r;
  if (!ext2fs_has_feature_journal_needs_recovery (fs->super))
    goto out;
  if (fs->super->s_journal_inum == 0) {
    r = -EUCLEAN;               /* an external journal: not ours to judge */
    goto out;
  }
  buf = malloc (fs->blocksize);
  err = buf == NULL ? EXT2_ET_NO_MEMORY
    : ext2fs_read_inode (fs, fs->super->s_journal_inum, &inode);
  if (err == 0)
    err = ext2fs_bmap2 (fs, fs->super->s_journal_inum, &inode, NULL, 0, 0,
                        NULL, &pblk);
  if (err == 0)
    err = io_channel_read_blk64 (fs->io, pblk, 1, buf);
  if (err) {
    r = -errcode_to_errno (err);
    goto out;
  }
  /* jbd2 superblock, big-endian: magic at 0, s_start at 28. */
  if (buf[0] != 0xc0 || buf[1] != 0x3b || buf[2] != 0x39 || buf[3] != 0x98
      || (buf[28] | buf[29] | buf[30] | buf[31]) != 0) {
    r = -EUCLEAN;
    goto out;
  }
  ext2fs_clear_feature_journal_needs_recovery (fs->super);
  ext2fs_mark_super_dirty (fs);
 out:
  free (buf);
  err = ext2fs_close_free (&fs);
  if (r == 0 && err)
    r = -errcode_to_errno (err);
  return r;
}

static int
ext2_sync (struct engine_fs *efs)
{
  ext2_filsys fs = E2 (efs);
  errcode_t err;

  if (efs->readonly)
    return 0;
  err = ext2fs_write_bitmaps (fs);
  if (err == 0 && (fs->flags & EXT2_FLAG_DIRTY))
    err = ext2fs_flush (fs);
  if (err == 0)
    err = io_channel_flush (fs->io);
  if (err)
    return fail (efs, err, "sync");
  return 0;
}

static void dcache_clear (struct ext2_engine *e);
static void dcache_set (struct engine_fs *efs, uint64_t dir,
                        const char *name, uint64_t ino);
static void dcache_forget_dir (struct engine_fs *efs, uint64_t dir);

static int
ext2_close (struct engine_fs *efs)
{
  struct ext2_engine *e = (struct ext2_engine *) efs;
  errcode_t err;
  int r = 0;

  dcache_clear (e);
  if (!efs->readonly) {
    /* Everything reaches the image, still marked in use; only then is
     * the state it had before the open given back.  A failed flush
     * leaves the filesystem marked not clean. */
    r = ext2_sync (efs);
    if (r == 0) {
      e->fs->super->s_state = e->mount_state;
      ext2fs_mark_super_dirty (e->fs);
    }
    err = ext2fs_close (e->fs);
    if (err) {
      if (r == 0)
        r = -errcode_to_errno (err);
      ext2fs_free (e->fs);
    }
  } else
    ext2fs_free (e->fs);
  overlay_free (e->overlay);
  free (e);
  return r;
}

/* ---------------------------------------------------------------- */
/* Lookup, attributes, links.                                         */

static uint64_t
ext2_root (struct engine_fs *efs)
{
  return EXT2_ROOT_INO;
}

static uint32_t
dcache_hash (uint64_t dir, const char *name)
{
  uint32_t h = 2166136261u ^ (uint32_t) dir;     /* FNV-1a */

  for (; *name; name++)
    h = (h ^ (unsigned char) *name) * 16777619u;
  return h;
}

static struct dentry **
dcache_find (struct ext2_engine *e, uint64_t dir, const char *name,
             uint32_t hash)
{
  struct dentry **p = &e->dcache[hash % DCACHE_BUCKETS];

  for (; *p; p = &(*p)->next)
    if ((*p)->hash == hash && (*p)->dir == dir && strcmp ((*p)->name, name) == 0)
      return p;
  return p;
}

static void
dcache_clear (struct ext2_engine *e)
{
  size_t i;

  memset (e->complete, 0, sizeof e->complete);
  for (i = 0; i < DCACHE_BUCKETS; i++)
    while (e->dcache[i]) {
      struct dentry *d = e->dcache[i];
      e->dcache[i] = d->next;
      free (d);
    }
  e->dcache_count = 0;
}

/* Records that name in dir is ino (0: absent). */
static void
dcache_set (struct engine_fs *efs, uint64_t dir, const char *name,
            uint64_t ino)
{
  struct ext2_engine *e = (struct ext2_engine *) efs;
  uint32_t hash = dcache_hash (dir, name);
  struct dentry **p = dcache_find (e, dir, name, hash), *d;
  size_t len;

  if (*p) {
    (*p)->ino = ino;
    return;
  }
  if (e->dcache_count >= DCACHE_MAX)
    dcache_clear (e);
  len = strlen (name);
  d = malloc (sizeof *d + len + 1);
  if (d == NULL)
    return;                     /* a cache: forgetting is always correct */
  d->dir = dir;
  d->ino = ino;
  d->hash = hash;
  memcpy (d->name, name, len + 1);
  d->next = e->dcache[hash % DCACHE_BUCKETS];
  e->dcache[hash % DCACHE_BUCKETS] = d;
  e->dcache_count++;
}

/* A directory was removed: its inode number may come back as another. */
static void
dcache_forget_dir (struct engine_fs *efs, uint64_t dir)
{
  struct ext2_engine *e = (struct ext2_engine *) efs;
  size_t i;

  if (e->complete[dir % COMPLETE_SLOTS] == dir)
    e->complete[dir % COMPLETE_SLOTS] = 0;
  for (i = 0; i < DCACHE_BUCKETS; i++) {
    struct dentry **p = &e->dcache[i];
    while (*p) {
      if ((*p)->dir == dir) {
        struct dentry *d = *p;
        *p = d->next;
        free (d);
        e->dcache_count--;
      } else
        p = &(*p)->next;
    }
  }
}

static errcode_t iterate_dir (ext2_filsys fs, ext2_ino_t dir,
                              int (*cb) (ext2_ino_t, int,
                                         struct ext2_dir_entry *, int, int,
                                         char *, void *),
                              void *priv);

struct load_ctx {
  struct engine_fs *efs;
  uint64_t dir;
  size_t count;
};

static int ext2_readdir (struct engine_fs *efs, uint64_t dir,
                         engine_readdir_cb cb, void *opaque);

static int
load_one (void *opaque, const char *name, size_t namelen, uint64_t ino,
          enum engine_dtype type)
{
  struct load_ctx *c = opaque;

  if (strcmp (name, ".") != 0 && strcmp (name, "..") != 0)
    dcache_set (c->efs, c->dir, name, ino);
  return ++c->count > DCACHE_MAX / 4;
}

/* Reads the whole directory into the name cache and marks it complete;
 * very large directories are left to per-name scans. */
static int
dcache_load_dir (struct engine_fs *efs, uint64_t dir)
{
  struct ext2_engine *e = (struct ext2_engine *) efs;
  struct load_ctx c = { efs, dir, 0 };
  int r;

  if (e->dcache_count + DCACHE_MAX / 4 >= DCACHE_MAX)
    dcache_clear (e);
  r = ext2_readdir (efs, dir, load_one, &c);
  if (r < 0)
    return r;
  if (c.count <= DCACHE_MAX / 4)
    e->complete[dir % COMPLETE_SLOTS] = dir;
  return 0;
}

static int
ext2_lookup (struct engine_fs *efs, uint64_t dir, const char *name,
             uint64_t *ino_r)
{
  struct ext2_engine *e = (struct ext2_engine *) efs;
  uint32_t hash;
  struct dentry **p;
  ext2_ino_t ino;
  errcode_t err;
  size_t len = strlen (name);

  if (len > EXT2_NAME_LEN)
    return -ENAMETOOLONG;
  hash = dcache_hash (dir, name);
  p = dcache_find (e, dir, name, hash);
  if (*p) {
    if ((*p)->ino == 0)
      return -ENOENT;
    *ino_r = (*p)->ino;
    return 0;
  }
  if (e->complete[dir % COMPLETE_SLOTS] == dir)
    return -ENOENT;
  /* First miss in this directory: learn all of it at once. */
  if (dir != 0 && e->complete[dir % COMPLETE_SLOTS] != dir) {
    struct ext2_inode_large in;
    if (read_inode (efs, dir, &in) == 0 && LINUX_S_ISDIR (in.i_mode)
        && dcache_load_dir (efs, dir) == 0
        && e->complete[dir % COMPLETE_SLOTS] == dir) {
      p = dcache_find (e, dir, name, hash);
      if (*p == NULL || (*p)->ino == 0)
        return -ENOENT;
      *ino_r = (*p)->ino;
      return 0;
    }
  }
  err = ext2fs_lookup (E2 (efs), dir, name, len, NULL, &ino);
  if (err == EXT2_ET_FILE_NOT_FOUND)
    dcache_set (efs, dir, name, 0);
  if (err)
    return fail (efs, err, "lookup");
  dcache_set (efs, dir, name, ino);
  *ino_r = ino;
  return 0;
}

static int
ext2_getattr (struct engine_fs *efs, uint64_t ino, struct engine_stat *st)
{
  ext2_filsys fs = E2 (efs);
  struct ext2_inode_large in;
  int r;

  r = read_inode (efs, ino, &in);
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
  if (inode_has_field (fs, &in, FIELD_END (i_crtime_extra)))
    GET_TIME (fs, &in, crtime, &st->crtime_sec, &st->crtime_nsec);
  st->flags = in.i_flags;
  st->generation = in.i_generation;
  return 0;
}

static int
ext2_setattr (struct engine_fs *efs, uint64_t ino,
              const struct engine_setattr *sa)
{
  ext2_filsys fs = E2 (efs);
  struct ext2_inode_large in;
  int r;

  if (efs->readonly)
    return -EROFS;
  r = read_inode (efs, ino, &in);
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
  touch_times (fs, &in, 0);
  return write_inode (efs, ino, &in);
}

static int
ext2_readlink (struct engine_fs *efs, uint64_t ino, char **target_r)
{
  ext2_filsys fs = E2 (efs);
  struct ext2_inode_large in;
  uint64_t size;
  char *buf;
  errcode_t err;
  int r;

  r = read_inode (efs, ino, &in);
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
      return fail (efs, err, "readlink");
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
      return fail (efs, err, "readlink");
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

/* Large enough that a new block beats ext2fs_link's scan for a hole. */
static int
dir_is_large (struct engine_fs *efs, uint64_t dir)
{
  struct ext2_inode inode;
  ext2_filsys fs = E2 (efs);

  return ext2fs_read_inode (fs, dir, &inode) == 0
    && !(inode.i_flags & (EXT2_INDEX_FL | EXT4_INLINE_DATA_FL
                          | EXT4_CASEFOLD_FL | EXT4_ENCRYPT_FL))
    && EXT2_I_SIZE (&inode) >= 4ULL * fs->blocksize;
}

/* Tries to put the entry in the directory's last block, where the free
 * space of a growing directory is.  ext2fs_link searches from the first
 * block every time, which makes filling a large directory quadratic.
 * Returns 1 when the entry was added, 0 when ext2fs_link must do it
 * (indexed, inline, casefolded or encrypted directories, no room, or
 * anything unexpected), or a negative errno. */
static int
append_entry (struct engine_fs *efs, uint64_t dir, const char *name,
              uint64_t ino, int ftype)
{
  ext2_filsys fs = E2 (efs);
  struct ext2_inode inode;
  unsigned int size, csum_size = 0, off, rec_len, used;
  unsigned int len = strlen (name), needed = EXT2_DIR_REC_LEN (len);
  blk64_t pblk = 0;
  char *buf;
  errcode_t err;
  int added = 0;

  if (ext2fs_read_inode (fs, dir, &inode) != 0
      || (inode.i_flags & (EXT2_INDEX_FL | EXT4_INLINE_DATA_FL
                           | EXT4_CASEFOLD_FL | EXT4_ENCRYPT_FL))
      || !LINUX_S_ISDIR (inode.i_mode))
    return 0;
  size = EXT2_I_SIZE (&inode);
  if (size == 0 || size % fs->blocksize != 0)
    return 0;
  if (ext2fs_bmap2 (fs, dir, &inode, NULL, 0, size / fs->blocksize - 1,
                    NULL, &pblk) != 0 || pblk == 0)
    return 0;
  buf = malloc (fs->blocksize);
  if (buf == NULL)
    return -ENOMEM;
  if (ext2fs_read_dir_block4 (fs, pblk, buf, 0, dir) != 0)
    goto out;
  if (ext2fs_has_feature_metadata_csum (fs->super))
    csum_size = sizeof (struct ext2_dir_entry_tail);

  for (off = 0; off < fs->blocksize - csum_size; off += rec_len) {
    struct ext2_dir_entry *de = (struct ext2_dir_entry *) (buf + off), *nde;

    if (ext2fs_get_rec_len (fs, de, &rec_len) != 0 || rec_len < 8
        || rec_len % 4 || off + rec_len > fs->blocksize - csum_size)
      goto out;                 /* not what we expect: let libext2fs judge */
    used = de->inode ? EXT2_DIR_REC_LEN (ext2fs_dirent_name_len (de)) : 0;
    if (rec_len < used + needed)
      continue;
    if (used > 0) {
      ext2fs_set_rec_len (fs, used, de);
      nde = (struct ext2_dir_entry *) (buf + off + used);
      ext2fs_set_rec_len (fs, rec_len - used, nde);
    } else
      nde = de;
    nde->inode = ino;
    ext2fs_dirent_set_name_len (nde, len);
    ext2fs_dirent_set_file_type (nde, ext2fs_has_feature_filetype (fs->super)
                                 ? ftype : 0);
    memcpy (nde->name, name, len);
    err = ext2fs_write_dir_block4 (fs, pblk, buf, 0, dir);
    if (err) {
      free (buf);
      return fail (efs, err, "write directory");
    }
    added = 1;
    break;
  }
 out:
  free (buf);
  return added;
}

/* Adds an entry, growing the directory when its blocks are full. */
static int
add_link (struct engine_fs *efs, uint64_t dir, const char *name,
          uint64_t ino, int ftype)
{
  ext2_filsys fs = E2 (efs);
  errcode_t err;
  int r;

  r = append_entry (efs, dir, name, ino, ftype);
  if (r == 0 && dir_is_large (efs, dir)) {
    /* The last block is full: a new one, and the entry goes there. */
    err = ext2fs_expand_dir (fs, dir);
    if (err)
      return fail (efs, err, "expand directory");
    r = append_entry (efs, dir, name, ino, ftype);
  }
  if (r < 0)
    return r;
  if (r == 1) {
    dcache_set (efs, dir, name, ino);
    return 0;
  }
  err = ext2fs_link (fs, dir, name, ino, ftype);
  if (err == EXT2_ET_DIR_NO_SPACE) {
    err = ext2fs_expand_dir (fs, dir);
    if (err == 0)
      err = ext2fs_link (fs, dir, name, ino, ftype);
  }
  if (err)
    return fail (efs, err, "link");
  dcache_set (efs, dir, name, ino);
  return 0;
}

/* The directory changed: its mtime and ctime move. */
static int
dir_changed (struct engine_fs *efs, uint64_t dir, int nlink_delta)
{
  struct ext2_inode_large in;
  int r;

  r = read_inode (efs, dir, &in);
  if (r < 0)
    return r;
  /* dir_nlink: a count of 1 means "too many to count"; leave it. */
  if (nlink_delta > 0 && in.i_links_count > 1) {
    if (in.i_links_count + 1 >= EXT2_LINK_MAX)
      in.i_links_count = 1;
    else
      in.i_links_count++;
  } else if (nlink_delta < 0 && in.i_links_count > 2)
    in.i_links_count--;
  touch_times (E2 (efs), &in, 1);
  return write_inode (efs, dir, &in);
}

static int
check_name (struct engine_fs *efs, const char *name)
{
  size_t len = strlen (name);

  if (efs->readonly)
    return -EROFS;
  if (len == 0)
    return -ENOENT;
  if (len > EXT2_NAME_LEN)
    return -ENAMETOOLONG;
  if (strchr (name, '/') || strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
    return -EINVAL;
  return 0;
}

/* Fails with EEXIST when the name is taken. */
static int
check_absent (struct engine_fs *efs, uint64_t dir, const char *name)
{
  uint64_t ino;
  int r = ext2_lookup (efs, dir, name, &ino);

  if (r == 0)
    return -EEXIST;
  if (r == -ENOENT)
    return 0;
  return r;
}

static int
new_inode (struct engine_fs *efs, uint64_t dir, uint32_t mode,
           uint32_t uid, uint32_t gid, uint64_t rdev,
           struct ext2_inode_large *in, ext2_ino_t *ino_r)
{
  ext2_filsys fs = E2 (efs);
  ext2_ino_t ino;
  errcode_t err;
  int64_t s, ns;

  err = ext2fs_new_inode (fs, dir, mode, 0, &ino);
  if (err)
    return fail (efs, err, "allocate inode");

  memset (in, 0, sizeof *in);
  in->i_mode = mode;
  in->i_links_count = 1;
  in->i_uid = uid & 0xffff;
  ext2fs_set_i_uid_high (*in, uid >> 16);
  in->i_gid = gid & 0xffff;
  ext2fs_set_i_gid_high (*in, gid >> 16);
  if (EXT2_INODE_SIZE (fs->super) > EXT2_GOOD_OLD_INODE_SIZE)
    in->i_extra_isize = sizeof (struct ext2_inode_large)
      - EXT2_GOOD_OLD_INODE_SIZE;
  now (&s, &ns);
  SET_TIME (fs, in, atime, s, ns);
  SET_TIME (fs, in, mtime, s, ns);
  SET_TIME (fs, in, ctime, s, ns);
  SET_TIME (fs, in, crtime, s, ns);

  if (LINUX_S_ISCHR (mode) || LINUX_S_ISBLK (mode))
    encode_rdev (in, rdev);
  else if (LINUX_S_ISREG (mode) && ext2fs_has_feature_extents (fs->super)) {
    ext2_extent_handle_t handle;

    err = ext2fs_extent_open2 (fs, ino, (struct ext2_inode *) in, &handle);
    if (err)
      return fail (efs, err, "extent header");
    ext2fs_extent_free (handle);
  }

  *ino_r = ino;
  return 0;
}

static int
ext2_mknod (struct engine_fs *efs, uint64_t dir, const char *name,
            uint32_t mode, uint64_t rdev, uint32_t uid, uint32_t gid,
            uint64_t *ino_r)
{
  ext2_filsys fs = E2 (efs);
  struct ext2_inode_large in;
  ext2_ino_t ino = 0;
  errcode_t err;
  int r;

  if ((r = check_name (efs, name)) < 0 || (r = check_absent (efs, dir, name)) < 0)
    return r;
  switch (mode & S_IFMT) {
  case S_IFREG: case S_IFIFO: case S_IFSOCK: case S_IFCHR: case S_IFBLK:
    break;
  default:
    return -EINVAL;
  }
  r = new_inode (efs, dir, mode, uid, gid, rdev, &in, &ino);
  if (r < 0)
    return r;
  r = add_link (efs, dir, name, ino, ftype_of_mode (mode));
  if (r < 0)
    return r;
  ext2fs_inode_alloc_stats2 (fs, ino, +1, 0);
  err = ext2fs_write_new_inode (fs, ino, (struct ext2_inode *) &in);
  if (err)
    return fail (efs, err, "write inode");
  r = write_inode (efs, ino, &in);
  if (r < 0)
    return r;
  r = dir_changed (efs, dir, 0);
  if (r < 0)
    return r;
  if (ino_r)
    *ino_r = ino;
  return 0;
}

/* Directory creation without directory scans (issue 16).  Given a
 * name, ext2fs_mkdir and ext2fs_symlink look it up and link it with two
 * scans of the whole parent: quadratic when filling a directory.  So the
 * inode is chosen here, libext2fs makes the node unnamed, and add_link
 * names it (appending to the last block); the check that the name is
 * free (check_absent) answers from the name cache, which holds whole
 * directories. */

/* Names the node that ext2fs_mkdir or ext2fs_symlink just made unnamed;
 * when that fails, the node is taken back (its blocks, its inode, and
 * for a directory the parent's link to it), so nothing is left
 * allocated that no entry reaches. */
static int
link_new_node (struct engine_fs *efs, uint64_t dir, const char *name,
               ext2_ino_t ino, int ftype)
{
  ext2_filsys fs = E2 (efs);
  struct ext2_inode_large in;
  int r, isdir = ftype == EXT2_FT_DIR;

  r = add_link (efs, dir, name, ino, ftype);
  if (r == 0)
    return 0;
  if (read_inode (efs, ino, &in) == 0) {
    int64_t s, ns;
    if (ext2fs_inode_data_blocks2 (fs, (struct ext2_inode *) &in) > 0)
      ext2fs_punch (fs, ino, (struct ext2_inode *) &in, NULL, 0, ~0ULL);
    now (&s, &ns);
    in.i_links_count = 0;
    in.i_dtime = (uint32_t) s;
    write_inode (efs, ino, &in);
  }
  ext2fs_inode_alloc_stats2 (fs, ino, -1, isdir);
  if (isdir)
    dir_changed (efs, dir, -1);
  return r;
}

/* After ext2fs_mkdir or ext2fs_symlink made ino: the owner, the mode
 * (when not 0) and nanosecond times that libext2fs leaves out, and the
 * parent's times. */
static int
finish_new (struct engine_fs *efs, uint64_t dir, ext2_ino_t ino,
            uint32_t mode, uint32_t uid, uint32_t gid, uint64_t *ino_r)
{
  ext2_filsys fs = E2 (efs);
  struct ext2_inode_large in;
  int64_t s, ns;
  int r;

  r = read_inode (efs, ino, &in);
  if (r < 0)
    return r;
  if (mode)
    in.i_mode = mode;
  in.i_uid = uid & 0xffff;
  ext2fs_set_i_uid_high (in, uid >> 16);
  in.i_gid = gid & 0xffff;
  ext2fs_set_i_gid_high (in, gid >> 16);
  now (&s, &ns);
  SET_TIME (fs, &in, atime, s, ns);
  SET_TIME (fs, &in, mtime, s, ns);
  SET_TIME (fs, &in, ctime, s, ns);
  SET_TIME (fs, &in, crtime, s, ns);
  r = write_inode (efs, ino, &in);
  if (r < 0)
    return r;
  r = dir_changed (efs, dir, 0);
  if (r < 0)
    return r;
  if (ino_r)
    *ino_r = ino;
  return 0;
}

static int
ext2_mkdir (struct engine_fs *efs, uint64_t dir, const char *name,
            uint32_t mode, uint32_t uid, uint32_t gid, uint64_t *ino_r)
{
  ext2_filsys fs = E2 (efs);
  ext2_ino_t ino;
  errcode_t err;
  int r;

  if ((r = check_name (efs, name)) < 0 || (r = check_absent (efs, dir, name)) < 0)
    return r;
  err = ext2fs_new_inode (fs, dir, LINUX_S_IFDIR | 0755, 0, &ino);
  if (err)
    return fail (efs, err, "allocate inode");
  /* Counts the parent's new ".." link, and marks ino in use. */
  err = ext2fs_mkdir (fs, dir, ino, NULL);
  if (err)
    return fail (efs, err, "mkdir");
  r = link_new_node (efs, dir, name, ino, EXT2_FT_DIR);
  if (r < 0)
    return r;
  return finish_new (efs, dir, ino, LINUX_S_IFDIR | (mode & 07777), uid,
                     gid, ino_r);
}

static int
ext2_symlink (struct engine_fs *efs, uint64_t dir, const char *name,
              const char *target, uint32_t uid, uint32_t gid,
              uint64_t *ino_r)
{
  ext2_filsys fs = E2 (efs);
  ext2_ino_t ino;
  errcode_t err;
  char *t;
  int r;

  if ((r = check_name (efs, name)) < 0 || (r = check_absent (efs, dir, name)) < 0)
    return r;
  if (strlen (target) >= fs->blocksize || strlen (target) >= 4096)
    return -ENAMETOOLONG;
  if (*target == '\0')
    return -ENOENT;
  err = ext2fs_new_inode (fs, dir, LINUX_S_IFLNK | 0777, 0, &ino);
  if (err)
    return fail (efs, err, "allocate inode");
  t = strdup (target);          /* ext2fs_symlink takes a char * */
  if (t == NULL)
    return -ENOMEM;
  err = ext2fs_symlink (fs, dir, ino, NULL, t);
  free (t);
  if (err)
    return fail (efs, err, "symlink");
  r = link_new_node (efs, dir, name, ino, EXT2_FT_SYMLINK);
  if (r < 0)
    return r;
  return finish_new (efs, dir, ino, 0, uid, gid, ino_r);
}

static int
ext2_link (struct engine_fs *efs, uint64_t dir, const char *name,
           uint64_t ino)
{
  struct ext2_inode_large in;
  int r;

  if ((r = check_name (efs, name)) < 0 || (r = check_absent (efs, dir, name)) < 0)
    return r;
  r = read_inode (efs, ino, &in);
  if (r < 0)
    return r;
  if (LINUX_S_ISDIR (in.i_mode))
    return -EPERM;
  if (in.i_links_count >= EXT2_LINK_MAX)
    return -EMLINK;
  r = add_link (efs, dir, name, ino, ftype_of_mode (in.i_mode));
  if (r < 0)
    return r;
  in.i_links_count++;
  touch_times (E2 (efs), &in, 0);
  r = write_inode (efs, ino, &in);
  if (r < 0)
    return r;
  return dir_changed (efs, dir, 0);
}

/* Drops one link of ino; at zero links the inode and everything it
 * holds (blocks, xattr block) go back to the free pool. */
static int
drop_link (struct engine_fs *efs, uint64_t ino, int all)
{
  ext2_filsys fs = E2 (efs);
  struct ext2_inode_large in;
  errcode_t err;
  int r;

  r = read_inode (efs, ino, &in);
  if (r < 0)
    return r;
  if (all || in.i_links_count <= 1)
    in.i_links_count = 0;
  else
    in.i_links_count--;
  touch_times (fs, &in, 0);
  if (in.i_links_count > 0)
    return write_inode (efs, ino, &in);

  err = ext2fs_free_ext_attr (fs, ino, &in);
  if (err)
    return fail (efs, err, "free xattrs");
  if (ext2fs_inode_has_valid_blocks2 (fs, (struct ext2_inode *) &in)) {
    err = ext2fs_punch (fs, ino, (struct ext2_inode *) &in, NULL, 0, ~0ULL);
    if (err)
      return fail (efs, err, "free blocks");
  }
  in.i_dtime = (uint32_t) time (NULL);
  ext2fs_inode_alloc_stats2 (fs, ino, -1, LINUX_S_ISDIR (in.i_mode));
  return write_inode (efs, ino, &in);
}

static int
ext2_unlink (struct engine_fs *efs, uint64_t dir, const char *name)
{
  struct ext2_inode_large in;
  uint64_t ino;
  errcode_t err;
  int r;

  if (efs->readonly)
    return -EROFS;
  r = ext2_lookup (efs, dir, name, &ino);
  if (r < 0)
    return r;
  r = read_inode (efs, ino, &in);
  if (r < 0)
    return r;
  if (LINUX_S_ISDIR (in.i_mode))
    return -EISDIR;
  err = ext2fs_unlink (E2 (efs), dir, name, ino, 0);
  if (err)
    return fail (efs, err, "unlink");
  dcache_set (efs, dir, name, 0);
  r = dir_changed (efs, dir, 0);
  if (r < 0)
    return r;
  return drop_link (efs, ino, 0);
}

/* Walks a directory.  Inline-data directories need their own flag, which
 * fails on ordinary ones, so it is given only when the first try says so. */
static errcode_t
iterate_dir (ext2_filsys fs, ext2_ino_t dir,
             int (*cb) (ext2_ino_t, int, struct ext2_dir_entry *, int, int,
                        char *, void *),
             void *priv)
{
  errcode_t err = ext2fs_dir_iterate2 (fs, dir, 0, NULL, cb, priv);

  if (err == EXT2_ET_INLINE_DATA_CANT_ITERATE)
    err = ext2fs_dir_iterate2 (fs, dir, DIRENT_FLAG_INCLUDE_INLINE_DATA,
                               NULL, cb, priv);
  return err;
}

struct empty_check { int entries; };

static int
count_entries (ext2_ino_t dir, int entry, struct ext2_dir_entry *de,
               int offset, int blocksize, char *buf, void *priv)
{
  struct empty_check *c = priv;
  int len = ext2fs_dirent_name_len (de);

  if (de->inode == 0)
    return 0;
  if ((len == 1 && de->name[0] == '.')
      || (len == 2 && de->name[0] == '.' && de->name[1] == '.'))
    return 0;
  c->entries++;
  return DIRENT_ABORT;
}

static int
dir_is_empty (struct engine_fs *efs, uint64_t ino)
{
  struct empty_check c = { 0 };
  errcode_t err;

  err = iterate_dir (E2 (efs), ino, count_entries, &c);
  if (err)
    return fail (efs, err, "read directory");
  return c.entries == 0;
}

static int
remove_dir (struct engine_fs *efs, uint64_t dir, const char *name,
            uint64_t ino)
{
  errcode_t err;
  int r;

  r = dir_is_empty (efs, ino);
  if (r < 0)
    return r;
  if (r == 0)
    return -ENOTEMPTY;
  err = ext2fs_unlink (E2 (efs), dir, name, ino, 0);
  if (err)
    return fail (efs, err, "unlink");
  dcache_set (efs, dir, name, 0);
  dcache_forget_dir (efs, ino);
  r = drop_link (efs, ino, 1);
  if (r < 0)
    return r;
  return dir_changed (efs, dir, -1);
}

static int
ext2_rmdir (struct engine_fs *efs, uint64_t dir, const char *name)
{
  struct ext2_inode_large in;
  uint64_t ino;
  int r;

  if (efs->readonly)
    return -EROFS;
  if (strcmp (name, ".") == 0)
    return -EINVAL;
  if (strcmp (name, "..") == 0)
    return -ENOTEMPTY;
  r = ext2_lookup (efs, dir, name, &ino);
  if (r < 0)
    return r;
  r = read_inode (efs, ino, &in);
  if (r < 0)
    return r;
  if (!LINUX_S_ISDIR (in.i_mode))
    return -ENOTDIR;
  if (ino == EXT2_ROOT_INO)
    return -EBUSY;
  return remove_dir (efs, dir, name, ino);
}

struct tree_ctx {
  struct engine_fs *efs;
  int depth;
  int subdirs;
  int err;
};

static int remove_tree (struct engine_fs *efs, uint64_t dir, int depth);

static int
remove_one (ext2_ino_t dir, int entry, struct ext2_dir_entry *de,
            int offset, int blocksize, char *buf, void *priv)
{
  struct tree_ctx *c = priv;
  int len = ext2fs_dirent_name_len (de);
  struct ext2_inode_large in;
  int r;

  if (de->inode == 0 || (len == 1 && de->name[0] == '.')
      || (len == 2 && de->name[0] == '.' && de->name[1] == '.'))
    return 0;
  r = read_inode (c->efs, de->inode, &in);
  if (r == 0 && LINUX_S_ISDIR (in.i_mode)) {
    r = remove_tree (c->efs, de->inode, c->depth + 1);
    if (r == 0) {
      dcache_forget_dir (c->efs, de->inode);
      r = drop_link (c->efs, de->inode, 1);
      c->subdirs++;
    }
  } else if (r == 0)
    r = drop_link (c->efs, de->inode, 0);
  if (r < 0) {
    c->err = r;
    return DIRENT_ABORT;
  }
  de->inode = 0;
  return DIRENT_CHANGED;
}

static int
remove_tree (struct engine_fs *efs, uint64_t dir, int depth)
{
  struct tree_ctx c = { efs, depth, 0, 0 };
  struct ext2_inode_large in;
  errcode_t err;
  int r;

  if (depth > 4096)
    return -ELOOP;
  err = iterate_dir (E2 (efs), dir, remove_one, &c);
  if (c.err)
    return c.err;
  if (err)
    return fail (efs, err, "remove directory contents");
  dcache_forget_dir (efs, dir);
  r = read_inode (efs, dir, &in);
  if (r < 0)
    return r;
  if (in.i_links_count > 1) {   /* 1: dir_nlink's "too many to count" */
    in.i_links_count = (unsigned) c.subdirs + 2 > in.i_links_count
      ? 2 : in.i_links_count - c.subdirs;
  }
  touch_times (E2 (efs), &in, 1);
  return write_inode (efs, dir, &in);
}

static int
ext2_remove_tree (struct engine_fs *efs, uint64_t dir)
{
  struct ext2_inode_large in;
  int r;

  if (efs->readonly)
    return -EROFS;
  r = read_inode (efs, dir, &in);
  if (r < 0)
    return r;
  if (!LINUX_S_ISDIR (in.i_mode))
    return -ENOTDIR;
  return remove_tree (efs, dir, 0);
}

struct dotdot { ext2_ino_t parent; };

static int
set_dotdot (ext2_ino_t dir, int entry, struct ext2_dir_entry *de,
            int offset, int blocksize, char *buf, void *priv)
{
  struct dotdot *d = priv;

  if (ext2fs_dirent_name_len (de) == 2 && de->name[0] == '.'
      && de->name[1] == '.') {
    de->inode = d->parent;
    return DIRENT_CHANGED | DIRENT_ABORT;
  }
  return 0;
}

static int
ext2_rename (struct engine_fs *efs, uint64_t olddir, const char *oldname,
             uint64_t newdir, const char *newname)
{
  ext2_filsys fs = E2 (efs);
  struct ext2_inode_large oin, nin;
  uint64_t oino, nino;
  int isdir, r;
  errcode_t err;

  if ((r = check_name (efs, newname)) < 0)
    return r;
  if (strcmp (oldname, ".") == 0 || strcmp (oldname, "..") == 0)
    return -EINVAL;
  r = ext2_lookup (efs, olddir, oldname, &oino);
  if (r < 0)
    return r;
  r = read_inode (efs, oino, &oin);
  if (r < 0)
    return r;
  isdir = LINUX_S_ISDIR (oin.i_mode);

  r = ext2_lookup (efs, newdir, newname, &nino);
  if (r < 0 && r != -ENOENT)
    return r;
  if (r == 0) {
    if (nino == oino)
      return 0;                 /* same file: rename(2) does nothing */
    r = read_inode (efs, nino, &nin);
    if (r < 0)
      return r;
    if (isdir && !LINUX_S_ISDIR (nin.i_mode))
      return -ENOTDIR;
    if (!isdir && LINUX_S_ISDIR (nin.i_mode))
      return -EISDIR;
    if (isdir)
      r = remove_dir (efs, newdir, newname, nino);
    else {
      err = ext2fs_unlink (fs, newdir, newname, nino, 0);
      if (err == 0)
        dcache_set (efs, newdir, newname, 0);
      r = err ? fail (efs, err, "unlink") : drop_link (efs, nino, 0);
    }
    if (r < 0)
      return r;
  }

  r = add_link (efs, newdir, newname, oino, ftype_of_mode (oin.i_mode));
  if (r < 0)
    return r;
  err = ext2fs_unlink (fs, olddir, oldname, oino, 0);
  if (err)
    return fail (efs, err, "unlink");
  dcache_set (efs, olddir, oldname, 0);

  if (isdir && olddir != newdir) {
    struct dotdot d = { newdir };
    err = iterate_dir (fs, oino, set_dotdot, &d);
    if (err)
      return fail (efs, err, "update ..");
    if ((r = dir_changed (efs, olddir, -1)) < 0
        || (r = dir_changed (efs, newdir, +1)) < 0)
      return r;
  } else {
    if ((r = dir_changed (efs, olddir, 0)) < 0)
      return r;
    if (newdir != olddir && (r = dir_changed (efs, newdir, 0)) < 0)
      return r;
  }
  /* The moved inode's ctime changes, as on Linux. */
  r = read_inode (efs, oino, &oin);
  if (r < 0)
    return r;
  touch_times (fs, &oin, 0);
  return write_inode (efs, oino, &oin);
}

struct readdir_ctx {
  engine_readdir_cb cb;
  void *opaque;
  int ret;
};

static int
readdir_one (ext2_ino_t dir, int entry, struct ext2_dir_entry *de,
             int offset, int blocksize, char *buf, void *priv)
{
  struct readdir_ctx *c = priv;
  int len = ext2fs_dirent_name_len (de);
  char name[EXT2_NAME_LEN + 1];

  if (de->inode == 0)
    return 0;
  memcpy (name, de->name, len);
  name[len] = '\0';
  c->ret = c->cb (c->opaque, name, len, de->inode,
                  dtype_of_ftype (ext2fs_dirent_file_type (de)));
  return c->ret ? DIRENT_ABORT : 0;
}

static int
ext2_readdir (struct engine_fs *efs, uint64_t dir, engine_readdir_cb cb,
              void *opaque)
{
  struct readdir_ctx c = { cb, opaque, 0 };
  errcode_t err;

  err = iterate_dir (E2 (efs), dir, readdir_one, &c);
  if (err)
    return fail (efs, err, "read directory");
  return c.ret;
}

/* ---------------------------------------------------------------- */
/* File contents.                                                     */

static int
open_file (struct engine_fs *efs, uint64_t ino, int flags,
           ext2_file_t *file_r)
{
  struct ext2_inode_large in;
  errcode_t err;
  int r;

  r = read_inode (efs, ino, &in);
  if (r < 0)
    return r;
  if (LINUX_S_ISDIR (in.i_mode))
    return -EISDIR;
  if (!LINUX_S_ISREG (in.i_mode))
    return -EINVAL;
  err = ext2fs_file_open2 (E2 (efs), ino, (struct ext2_inode *) &in, flags,
                           file_r);
  if (err)
    return fail (efs, err, "open file");
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
    return fail (efs, err, "read");
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
    return fail (efs, err, "write");
  r = read_inode (efs, ino, &in);
  if (r < 0)
    return r;
  touch_times (E2 (efs), &in, 1);
  r = write_inode (efs, ino, &in);
  if (r < 0)
    return r;
  return done;
}

static int
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
    return fail (efs, err, "truncate");
  return touch_inode (efs, ino, 1);
}

static int
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
  r = read_inode (efs, ino, &in);
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
    return fail (efs, err, "fallocate");
  r = read_inode (efs, ino, &in);
  if (r < 0)
    return r;
  if (offset + len > EXT2_I_SIZE (&in)) {
    err = ext2fs_inode_size_set (fs, (struct ext2_inode *) &in, offset + len);
    if (err)
      return fail (efs, err, "fallocate");
  }
  touch_times (fs, &in, 1);
  return write_inode (efs, ino, &in);
}

/* ---------------------------------------------------------------- */
/* Extended attributes.                                               */

static int
open_xattrs (struct engine_fs *efs, uint64_t ino,
             struct ext2_xattr_handle **h_r)
{
  errcode_t err;

  err = ext2fs_xattrs_open (E2 (efs), ino, h_r);
  if (err)
    return fail (efs, err, "xattrs");
  err = ext2fs_xattrs_read (*h_r);
  if (err) {
    ext2fs_xattrs_close (h_r);
    return fail (efs, err, "read xattrs");
  }
  return 0;
}

/* system.data holds inline file data: an implementation detail that the
 * kernel does not show either. */
static int
hidden_xattr (const char *name)
{
  return strcmp (name, "system.data") == 0;
}

struct xattr_ctx {
  engine_xattr_cb cb;
  void *opaque;
  int ret;
};

static int
xattr_one (char *name, char *value, size_t len, void *priv)
{
  struct xattr_ctx *c = priv;

  if (hidden_xattr (name))
    return 0;
  c->ret = c->cb (c->opaque, name, value, len);
  return c->ret ? XATTR_ABORT : 0;
}

static int
ext2_listxattr (struct engine_fs *efs, uint64_t ino, engine_xattr_cb cb,
                void *opaque)
{
  struct ext2_xattr_handle *h;
  struct xattr_ctx c = { cb, opaque, 0 };
  errcode_t err;
  int r;

  r = open_xattrs (efs, ino, &h);
  if (r < 0)
    return r;
  err = ext2fs_xattrs_iterate (h, xattr_one, &c);
  ext2fs_xattrs_close (&h);
  if (err)
    return fail (efs, err, "list xattrs");
  return c.ret;
}

static int
ext2_getxattr (struct engine_fs *efs, uint64_t ino, const char *name,
               void **value_r, size_t *len_r)
{
  struct ext2_xattr_handle *h;
  void *value = NULL;
  size_t len = 0;
  errcode_t err;
  int r;

  if (hidden_xattr (name))
    return -ENODATA;
  r = open_xattrs (efs, ino, &h);
  if (r < 0)
    return r;
  err = ext2fs_xattr_get (h, name, &value, &len);
  ext2fs_xattrs_close (&h);
  if (err)
    return fail (efs, err, name);
  /* Give the caller plain malloc memory with a spare NUL. */
  *value_r = malloc (len + 1);
  if (*value_r == NULL) {
    ext2fs_free_mem (&value);
    return -ENOMEM;
  }
  memcpy (*value_r, value, len);
  ((char *) *value_r)[len] = '\0';
  *len_r = len;
  ext2fs_free_mem (&value);
  return 0;
}

static int
ext2_setxattr (struct engine_fs *efs, uint64_t ino, const char *name,
               const void *value, size_t len)
{
  struct ext2_xattr_handle *h;
  errcode_t err, err2;
  int r;

  if (efs->readonly)
    return -EROFS;
  if (hidden_xattr (name) || strchr (name, '.') == NULL)
    return -EOPNOTSUPP;
  if (strlen (name) > 255)
    return -ERANGE;
  r = open_xattrs (efs, ino, &h);
  if (r < 0)
    return r;
  err = ext2fs_xattr_set (h, name, value, len);
  err2 = ext2fs_xattrs_close (&h);
  if (err == 0)
    err = err2;
  if (err)
    return fail (efs, err, name);
  return touch_inode (efs, ino, 0);
}

static int
ext2_removexattr (struct engine_fs *efs, uint64_t ino, const char *name)
{
  struct ext2_xattr_handle *h;
  void *value = NULL;
  size_t len;
  errcode_t err, err2;
  int r;

  if (efs->readonly)
    return -EROFS;
  if (hidden_xattr (name))
    return -ENODATA;
  r = open_xattrs (efs, ino, &h);
  if (r < 0)
    return r;
  /* ext2fs_xattr_remove succeeds on a missing key; removexattr(2) does not. */
  err = ext2fs_xattr_get (h, name, &value, &len);
  if (err == 0) {
    ext2fs_free_mem (&value);
    err = ext2fs_xattr_remove (h, name);
  }
  err2 = ext2fs_xattrs_close (&h);
  if (err == 0)
    err = err2;
  if (err)
    return fail (efs, err, name);
  return touch_inode (efs, ino, 0);
}

/* ---------------------------------------------------------------- */
/* Whole filesystem.                                                  */

static int
ext2_statvfs (struct engine_fs *efs, struct engine_statvfs *sv)
{
  ext2_filsys fs = E2 (efs);
  struct ext2_super_block *sb = fs->super;
  uint64_t reserved = ext2fs_r_blocks_count (sb);
  uint64_t overhead = 0;
  unsigned char *u = sb->s_uuid;

  memset (sv, 0, sizeof *sv);
  sv->bsize = sv->frsize = fs->blocksize;
  /* Like the kernel's default (bsddf), leave out the metadata overhead
   * when the superblock records it. */
  overhead = sb->s_overhead_clusters;
  sv->blocks = ext2fs_blocks_count (sb) - overhead;
  sv->bfree = ext2fs_free_blocks_count (sb);
  sv->bavail = sv->bfree > reserved ? sv->bfree - reserved : 0;
  sv->files = sb->s_inodes_count;
  sv->ffree = sb->s_free_inodes_count;
  sv->favail = sv->ffree;
  sv->fsid = ((uint64_t) (u[0] ^ u[4] ^ u[8] ^ u[12]) << 24)
    | ((u[1] ^ u[5] ^ u[9] ^ u[13]) << 16)
    | ((u[2] ^ u[6] ^ u[10] ^ u[14]) << 8) | (u[3] ^ u[7] ^ u[11] ^ u[15]);
  sv->flag = efs->readonly ? 1 /* ST_RDONLY */ : 0;
  sv->namemax = EXT2_NAME_LEN;
  return 0;
}

static int
ext2_get_label (struct engine_fs *efs, char **label_r)
{
  const char *l = (const char *) E2 (efs)->super->s_volume_name;

  *label_r = strndup (l, sizeof E2 (efs)->super->s_volume_name);
  return *label_r ? 0 : -ENOMEM;
}

static int
ext2_get_uuid (struct engine_fs *efs, unsigned char uuid[16])
{
  memcpy (uuid, E2 (efs)->super->s_uuid, 16);
  return 0;
}

static int
ext2_set_label (struct engine_fs *efs, const char *label)
{
  ext2_filsys fs = E2 (efs);

  if (efs->readonly)
    return -EROFS;
  if (strlen (label) > sizeof fs->super->s_volume_name)
    return -ERANGE;
  memset (fs->super->s_volume_name, 0, sizeof fs->super->s_volume_name);
  memcpy (fs->super->s_volume_name, label, strlen (label));
  ext2fs_mark_super_dirty (fs);
  return 0;
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
 * files are read the same way through ext2fs_bmap2 (blockmap_read) but
 * written through libext2fs's file calls (file_pwrite above), as are
 * inline-data files both ways. */

/* Requests of up to this many blocks go through one bounce buffer: one
 * system call per extent, partial blocks included. */
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
    if (ch->manager == &range_io_manager) {
      r = ch->private_data;
      if (off <= r->length && size <= r->length - off)
        posix_fadvise (r->fd, r->offset + off, size, POSIX_FADV_WILLNEED);
    }
    return 0;
  }

  if (ch->manager != &range_io_manager)
    return write ? io_channel_write_blk64 (ch, pblk, (int) n, p)
      : io_channel_read_blk64 (ch, pblk, (int) n, p);
  r = ch->private_data;
  if (r->cache_bs && r->cache_bs != ch->block_size)
    return write ? io_channel_write_blk64 (ch, pblk, (int) n, p)
      : io_channel_read_blk64 (ch, pblk, (int) n, p);
  if (write) {
    if (r->readonly)
      return EROFS;
    err = cache_forget (r, off, size);
    return err ? err : range_io_pwrite (r, p, size, off);
  }
  err = range_io_pread (r, p, size, off);
  if (err == 0)
    cache_overlay (r, p, off, size);
  return err;
}

/* Reads the whole blocks [start, start+count) of a block-mapped (ext2,
 * ext3) file into buf, one pread per run of physically contiguous
 * blocks (holes read as zeroes); RUN_ADVISE only asks the host to read
 * them ahead. */
static int
blockmap_read (struct engine_fs *efs, uint64_t ino,
               struct ext2_inode_large *in, char *buf, blk64_t start,
               blk64_t count, enum run_op op)
{
  ext2_filsys fs = E2 (efs);
  blk64_t i = 0, run = 0, run_pblk = 0;
  errcode_t err;

  for (i = 0; i <= count; i++) {
    blk64_t pblk = 0;

    if (i < count) {
      err = ext2fs_bmap2 (fs, ino, (struct ext2_inode *) in, NULL, 0,
                          start + i, NULL, &pblk);
      if (err)
        return fail (efs, err, "block map");
      if (pblk != 0 && run > 0 && pblk == run_pblk + run) {
        run++;
        continue;
      }
    }
    /* The run so far ends here. */
    if (run > 0) {
      err = data_io (fs, run_pblk, run, op == RUN_ADVISE ? NULL
                     : buf + (size_t) (i - run) * fs->blocksize, op);
      if (err)
        return fail (efs, err, "read");
    }
    run = 0;
    if (i == count)
      break;
    if (pblk == 0) {
      if (op != RUN_ADVISE)
        memset (buf + (size_t) i * fs->blocksize, 0, fs->blocksize);
    } else {
      run = 1;
      run_pblk = pblk;
    }
  }
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
    return write ? -EAGAIN : blockmap_read (efs, ino, in, buf, start, count,
                                            op);
  ext2_filsys fs = E2 (efs);
  ext2_extent_handle_t h;
  blk64_t lblk = start, end = start + count;
  errcode_t err;
  int ret = 0;

  err = ext2fs_extent_open2 (fs, ino, (struct ext2_inode *) in, &h);
  if (err)
    return fail (efs, err, "extent map");
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
      ret = fail (efs, err, "extent map");
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
        ret = fail (efs, err, write ? "write" : "read");
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
  int head_part, tail_part;
  errcode_t err;
  int r;

  if (efs->readonly)
    return -EROFS;
  r = read_inode (efs, ino, &in);
  if (r < 0)
    return r;
  if (!LINUX_S_ISREG (in.i_mode))
    return LINUX_S_ISDIR (in.i_mode) ? -EISDIR : -EINVAL;
  if (count == 0 || !uses_extents (&in))
    return file_pwrite (efs, ino, buf, count, offset);
  if (end < offset || end > max_file_size (fs, &in))
    return -EFBIG;
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

  /* The whole range's extents at once: allocated (mapped blocks stay),
   * initialised without zeroing, since every block is written right
   * after.  Given no inode, ext2fs_fallocate reads and writes it. */
  err = ext2fs_fallocate (fs, EXT2_FALLOCATE_FORCE_INIT
                          | EXT2_FALLOCATE_INIT_BEYOND_EOF, ino,
                          NULL, ~0ULL, first, nblk);
  if (err) {
    r = fail (efs, err, "allocate");
    goto out;
  }
  r = read_inode (efs, ino, &in);
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
  r = read_inode (efs, ino, &in);
  if (r < 0)
    goto out;
  if (end > EXT2_I_SIZE (&in)) {
    err = ext2fs_inode_size_set (fs, (struct ext2_inode *) &in, end);
    if (err) {
      r = fail (efs, err, "write");
      goto out;
    }
  }
  touch_times (fs, &in, 1);
  r = write_inode (efs, ino, &in);
 out:
  free (bounce);
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

  r = read_inode (efs, ino, &in);
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
  /* Read-ahead: a long read that starts where the last one ended asks
   * the host to fetch the next as many blocks of the file. */
  if (e->ra_ino == ino && e->ra_next == offset && end < size) {
    blk64_t next = (end + bs - 1) / bs, eof = (size + bs - 1) / bs;
    if (next < eof)
      extent_io (efs, ino, &in, NULL, next,
                 eof - next < nblk ? eof - next : nblk, RUN_ADVISE);
  }
  e->ra_ino = ino;
  e->ra_next = end;
  return count;
}

const struct engine_ops engine_ext2_ops = {
  .name = "ext2",
  .probe = ext2_probe,
  .open = ext2_open,
  .close = ext2_close,
  .sync = ext2_sync,
  .root = ext2_root,
  .lookup = ext2_lookup,
  .getattr = ext2_getattr,
  .setattr = ext2_setattr,
  .readlink = ext2_readlink,
  .pread = engine_ext2_read_run,
  .pwrite = engine_ext2_write_run,
  .truncate = ext2_truncate,
  .fallocate = ext2_fallocate,
  .mknod = ext2_mknod,
  .mkdir = ext2_mkdir,
  .symlink = ext2_symlink,
  .link = ext2_link,
  .unlink = ext2_unlink,
  .rmdir = ext2_rmdir,
  .rename = ext2_rename,
  .remove_tree = ext2_remove_tree,
  .readdir = ext2_readdir,
  .listxattr = ext2_listxattr,
  .getxattr = ext2_getxattr,
  .setxattr = ext2_setxattr,
  .removexattr = ext2_removexattr,
  .statvfs = ext2_statvfs,
  .get_label = ext2_get_label,
  .get_uuid = ext2_get_uuid,
  .set_label = ext2_set_label,
  .read_run = engine_ext2_read_run,
  .write_run = engine_ext2_write_run,
};

const struct engine_ops *const engine_list[] = {
  &engine_ext2_ops, &engine_fat_ops, &engine_iso9660_ops, NULL
};

const struct engine_ops *
engine_probe (const struct engine_range *range, const char **type_r)
{
  size_t i;

  for (i = 0; engine_list[i]; i++)
    if (engine_list[i]->probe (range, type_r))
      return engine_list[i];
  return NULL;
}

/* ---------------------------------------------------------------- */
/* chattr flags and generation numbers (issue 9: set_e2attrs,         */
/* set_e2generation).  Reading them is getattr's flags/generation.    */

int
engine_ext2_set_inode_flags (struct engine_fs *efs, uint64_t ino,
                             uint32_t flags)
{
  struct ext2_inode_large in;
  int r;

  if (efs->ops != &engine_ext2_ops)
    return -ENOTSUP;
  if (efs->readonly)
    return -EROFS;
  r = read_inode (efs, ino, &in);
  if (r < 0)
    return r;
  in.i_flags = flags;
  touch_times (E2 (efs), &in, 0);
  return write_inode (efs, ino, &in);
}

int
engine_ext2_set_generation (struct engine_fs *efs, uint64_t ino,
                            uint32_t generation)
{
  struct ext2_inode_large in;
  int r;

  if (efs->ops != &engine_ext2_ops)
    return -ENOTSUP;
  if (efs->readonly)
    return -EROFS;
  /* With metadata_csum the generation seeds the checksums of the
   * inode's extent and directory blocks: Linux refuses the change. */
  if (ext2fs_has_feature_metadata_csum (E2 (efs)->super))
    return -ENOTTY;
  r = read_inode (efs, ino, &in);
  if (r < 0)
    return r;
  in.i_generation = generation;
  touch_times (E2 (efs), &in, 0);
  return write_inode (efs, ino, &in);
}

/* ---------------------------------------------------------------- */
/* Free space (issue 9: fstrim, zero_free_space, zerofree ...).       */

int
engine_ext2_free_extents (struct engine_fs *efs,
                          int (*cb) (void *opaque, uint64_t offset,
                                     uint64_t len),
                          void *opaque)
{
  ext2_filsys fs;
  blk64_t start, end, first, last;
  errcode_t err;
  int r;

  if (efs->ops != &engine_ext2_ops)
    return -ENOTSUP;
  fs = E2 (efs);
  if (fs->block_map == NULL) {
    err = ext2fs_read_block_bitmap (fs);
    if (err)
      return fail (efs, err, "read block bitmap");
  }
  first = fs->super->s_first_data_block;
  last = ext2fs_blocks_count (fs->super) - 1;
  for (start = first; start <= last; start = end + 1) {
    if (ext2fs_find_first_zero_block_bitmap2 (fs->block_map, start, last,
                                              &start) != 0)
      break;                    /* no free block left */
    if (ext2fs_find_first_set_block_bitmap2 (fs->block_map, start, last,
                                             &end) != 0)
      end = last + 1;
    r = cb (opaque, (uint64_t) start * fs->blocksize,
            (uint64_t) (end - start) * fs->blocksize);
    if (r != 0)
      return r;
  }
  return 0;
}
