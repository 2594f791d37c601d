/* minnow storage: a write-back cache of a range's blocks, for an
 * engine's metadata (inode tables, directories, allocation maps).
 *
 * Direct-mapped: block b lives in slot b % slots, so the neighbours of
 * a block sit in the neighbouring slots.  One call of an engine often
 * rewrites the same blocks several times and the range needs to see the
 * last version only: a dirty block reaches the range when its slot is
 * taken by another block, and all of them at range_cache_flush, sorted
 * by block, neighbours merged into one write each.  File data should go
 * past the cache (range_read/range_write) after range_cache_forget, and
 * a direct read sees the dirty blocks through range_cache_overlay. */

#ifndef MINNOW_RANGE_CACHE_H
#define MINNOW_RANGE_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

struct range_cache;

/* A cache of slots blocks of block_size bytes over range (which must
 * outlive it); NULL when out of memory. */
struct range_cache *range_cache_new (const struct engine_range *range,
                                     size_t block_size, size_t slots);
/* Frees the cache without writing anything back (flush first). */
void range_cache_free (struct range_cache *c);
size_t range_cache_block_size (const struct range_cache *c);

/* Reads block into data (block_size bytes): from the cache, else by
 * fill (which reads len bytes at off of the range, with whatever the
 * engine lays over them) into the cache.  Returns 0 or fill's error. */
int range_cache_read (struct range_cache *c, uint64_t block, void *data,
                      int (*fill) (void *opaque, void *buf, uint64_t off,
                                   size_t len),
                      void *opaque);
/* Writes block (block_size bytes) into the cache, dirty.  0, or the
 * negative errno of writing back the block it displaced. */
int range_cache_write (struct range_cache *c, uint64_t block,
                       const void *data);
/* Bytes [off, off+size) are about to be written past the cache: the
 * cached blocks there are dropped, after being written back when the
 * bytes cover them only in part. */
int range_cache_forget (struct range_cache *c, uint64_t off, uint64_t size);
/* Lays the dirty cached blocks over data just read from [off, off+size). */
void range_cache_overlay (struct range_cache *c, void *data, uint64_t off,
                          uint64_t size);
/* Writes every dirty block back; 0 or the first negative errno. */
int range_cache_flush (struct range_cache *c);
/* 1 when a block is dirty. */
int range_cache_dirty (const struct range_cache *c);

#endif /* MINNOW_RANGE_CACHE_H */
