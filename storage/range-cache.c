/* minnow storage: a write-back cache of a range's blocks (see
 * range-cache.h). */

#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "range-cache.h"

struct slot {
  uint64_t block;
  int valid;
  int dirty;
};

struct range_cache {
  const struct engine_range *range;
  size_t bs, nslots;
  size_t ndirty;
  struct slot *slots;
  char *data;                   /* nslots blocks */
};

struct range_cache *
range_cache_new (const struct engine_range *range, size_t block_size,
                 size_t slots)
{
  struct range_cache *c = calloc (1, sizeof *c);

  if (c == NULL || block_size == 0 || slots == 0)
    goto fail;
  c->range = range;
  c->bs = block_size;
  c->nslots = slots;
  c->slots = calloc (slots, sizeof *c->slots);
  c->data = malloc (slots * block_size);
  if (c->slots == NULL || c->data == NULL)
    goto fail;
  return c;
 fail:
  if (c) {
    free (c->slots);
    free (c->data);
    free (c);
  }
  return NULL;
}

void
range_cache_free (struct range_cache *c)
{
  if (c) {
    free (c->slots);
    free (c->data);
    free (c);
  }
}

size_t
range_cache_block_size (const struct range_cache *c)
{
  return c->bs;
}

int
range_cache_dirty (const struct range_cache *c)
{
  return c->ndirty > 0;
}

static char *
slot_data (struct range_cache *c, const struct slot *s)
{
  return c->data + (size_t) (s - c->slots) * c->bs;
}

static void
set_clean (struct range_cache *c, struct slot *s)
{
  if (s->dirty) {
    s->dirty = 0;
    c->ndirty--;
  }
}

static int
write_back (struct range_cache *c, struct slot *s)
{
  int r;

  if (!s->valid || !s->dirty)
    return 0;
  r = range_write (c->range, slot_data (c, s), c->bs, s->block * c->bs);
  if (r == 0)
    set_clean (c, s);
  return r;
}

int
range_cache_read (struct range_cache *c, uint64_t block, void *data,
                  int (*fill) (void *opaque, void *buf, uint64_t off,
                               size_t len),
                  void *opaque)
{
  struct slot *s = &c->slots[block % c->nslots];
  int r;

  if (s->valid && s->block == block) {
    memcpy (data, slot_data (c, s), c->bs);
    return 0;
  }
  r = write_back (c, s);        /* the slot's old block */
  if (r < 0)
    return r;
  r = fill (opaque, data, block * c->bs, c->bs);
  if (r == 0) {
    memcpy (slot_data (c, s), data, c->bs);
    s->block = block;
    s->valid = 1;
  }
  return r;
}

int
range_cache_write (struct range_cache *c, uint64_t block, const void *data)
{
  struct slot *s = &c->slots[block % c->nslots];
  int r;

  if (!(s->valid && s->block == block)) {
    r = write_back (c, s);
    if (r < 0)
      return r;
  }
  memcpy (slot_data (c, s), data, c->bs);
  s->block = block;
  s->valid = 1;
  if (!s->dirty) {
    s->dirty = 1;
    c->ndirty++;
  }
  return 0;
}

/* A run of dirty blocks that are neighbours on the range and sit in
 * neighbouring slots: one write, straight from the cache's memory. */
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

int
range_cache_flush (struct range_cache *c)
{
  struct dirty_run *runs;
  size_t i, j, n = 0;
  int r, first = 0;

  if (c->ndirty == 0)
    return 0;
  runs = malloc (c->nslots * sizeof *runs);
  if (runs == NULL) {           /* no memory for the list: block by block */
    for (i = 0; i < c->nslots; i++) {
      r = write_back (c, &c->slots[i]);
      if (r < 0 && first == 0)
        first = r;
    }
    return first;
  }
  for (i = 0; i < c->nslots; i = j) {
    j = i + 1;
    if (!c->slots[i].valid || !c->slots[i].dirty)
      continue;
    while (j < c->nslots && c->slots[j].valid && c->slots[j].dirty
           && c->slots[j].block == c->slots[j - 1].block + 1)
      j++;
    runs[n].block = c->slots[i].block;
    runs[n].slot = i;
    runs[n].count = j - i;
    n++;
  }
  qsort (runs, n, sizeof *runs, dirty_run_cmp);
  for (i = 0; i < n; i++) {
    r = range_write (c->range, c->data + runs[i].slot * c->bs,
                     runs[i].count * c->bs, runs[i].block * c->bs);
    if (r < 0) {
      if (first == 0)
        first = r;
      continue;
    }
    for (j = 0; j < runs[i].count; j++)
      set_clean (c, &c->slots[runs[i].slot + j]);
  }
  free (runs);
  return first;
}

/* Drops the slot if it holds a block of [first, last], after writing it
 * back when it is dirty and [off, off+size) covers it only in part (a
 * block covered whole is superseded). */
static int
forget_slot (struct range_cache *c, struct slot *s, uint64_t first,
             uint64_t last, uint64_t off, uint64_t size)
{
  uint64_t b = s->block;

  if (!s->valid || b < first || b > last)
    return 0;
  if (s->dirty && (b * c->bs < off || (b + 1) * c->bs > off + size)) {
    int r = write_back (c, s);
    if (r < 0)
      return r;
  }
  set_clean (c, s);
  s->valid = 0;
  return 0;
}

int
range_cache_forget (struct range_cache *c, uint64_t off, uint64_t size)
{
  uint64_t b, first, last;
  int r;

  if (size == 0)
    return 0;
  first = off / c->bs;
  last = (off + size - 1) / c->bs;
  if (last - first >= c->nslots) {
    /* A range longer than the cache looks at each slot once. */
    for (b = 0; b < c->nslots; b++)
      if ((r = forget_slot (c, &c->slots[b], first, last, off, size)) < 0)
        return r;
    return 0;
  }
  for (b = first; b <= last; b++)
    if ((r = forget_slot (c, &c->slots[b % c->nslots], first, last, off,
                          size)) < 0)
      return r;
  return 0;
}

void
range_cache_overlay (struct range_cache *c, void *data, uint64_t off,
                     uint64_t size)
{
  uint64_t i, first, last;

  if (size == 0 || c->ndirty == 0)
    return;
  first = off / c->bs;
  last = (off + size - 1) / c->bs;
  for (i = 0; i < c->nslots && i <= last - first; i++) {
    /* A range longer than the cache: each slot once. */
    struct slot *s = last - first >= c->nslots ? &c->slots[i]
      : &c->slots[(first + i) % c->nslots];
    uint64_t b = s->block;
    uint64_t bs = b * c->bs, be = bs + c->bs;
    uint64_t s0 = bs > off ? bs : off, s1 = be < off + size ? be : off + size;

    if (s->valid && s->dirty && b >= first && b <= last)
      memcpy ((char *) data + (s0 - off), slot_data (c, s) + (s0 - bs),
              s1 - s0);
  }
}
