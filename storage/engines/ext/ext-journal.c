/* minnow: the ext2/3/4 engine — the journal's committed transactions replayed in
 * memory, so that a read-only mount sees them without writing.
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

void
ext_overlay_free (struct overlay *ov)
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
  struct overlay_block *b = ext_overlay_find (ov, block);

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
int
ext_journal_overlay (ext2_filsys fs, struct overlay **ov_r)
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
  ext_overlay_free (ov);
  free (j.revoked);
  free (j.revoked_seq);
  free (buf);
  free (data);
  return r;
}
