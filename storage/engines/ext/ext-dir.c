/* minnow: the ext2/3/4 engine — the name cache, lookup, links and every call that
 * changes a directory.
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
/* Lookup, attributes, links.                                         */

uint64_t
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

void
ext_dcache_clear (struct ext2_engine *e)
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

/* Records that name in dir is ino (0: absent), in the directory's
 * logical block lblk (DENTRY_NOWHERE: not known). */
static void
dcache_set_at (struct engine_fs *efs, uint64_t dir, const char *name,
               uint64_t ino, uint32_t lblk)
{
  struct ext2_engine *e = (struct ext2_engine *) efs;
  uint32_t hash = dcache_hash (dir, name);
  struct dentry **p = dcache_find (e, dir, name, hash), *d;
  size_t len;

  if (*p) {
    (*p)->ino = ino;
    (*p)->lblk = ino ? lblk : DENTRY_NOWHERE;
    return;
  }
  if (e->dcache_count >= DCACHE_MAX)
    ext_dcache_clear (e);
  len = strlen (name);
  d = malloc (sizeof *d + len + 1);
  if (d == NULL)
    return;                     /* a cache: forgetting is always correct */
  d->dir = dir;
  d->ino = ino;
  d->hash = hash;
  d->lblk = ino ? lblk : DENTRY_NOWHERE;
  memcpy (d->name, name, len + 1);
  d->next = e->dcache[hash % DCACHE_BUCKETS];
  e->dcache[hash % DCACHE_BUCKETS] = d;
  e->dcache_count++;
}

/* Records that name in dir is ino (0: absent). */
void
ext_dcache_set (struct engine_fs *efs, uint64_t dir, const char *name,
            uint64_t ino)
{
  dcache_set_at (efs, dir, name, ino, DENTRY_NOWHERE);
}

/* A directory was removed: its inode number may come back as another. */
void
ext_dcache_forget_dir (struct engine_fs *efs, uint64_t dir)
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

static int
load_one (void *opaque, const char *name, size_t namelen, uint64_t ino,
          enum engine_dtype type)
{
  struct load_ctx *c = opaque;

  if (strcmp (name, ".") != 0 && strcmp (name, "..") != 0)
    ext_dcache_set (c->efs, c->dir, name, ino);
  return ++c->count > DCACHE_MAX / 4;
}

/* The next entry of a directory block, or NULL at its end; *off_r
 * moves past it.  A rec_len that is not a multiple of 4, shorter than
 * the entry's name, or past end (the block size less the checksum
 * tail) makes it fail with *bad_r set: the caller leaves such a block
 * to libext2fs, which reports it. */
static struct ext2_dir_entry *
next_dirent (ext2_filsys fs, char *buf, unsigned end, unsigned *off_r,
             int *bad_r)
{
  struct ext2_dir_entry *de;
  unsigned off = *off_r, rec_len;

  if (off >= end)
    return NULL;
  de = (struct ext2_dir_entry *) (buf + off);
  if (end - off < 8 || ext2fs_get_rec_len (fs, de, &rec_len) != 0
      || rec_len < 8 || rec_len % 4 || rec_len > end - off
      || (de->inode && EXT2_DIR_REC_LEN (ext2fs_dirent_name_len (de))
          > rec_len)) {
    *bad_r = 1;
    return NULL;
  }
  *off_r = off + rec_len;
  return de;
}

/* Where a directory block's entries end: before the checksum tail of
 * metadata_csum filesystems. */
static unsigned
dirents_end (ext2_filsys fs)
{
  return fs->blocksize - (ext2fs_has_feature_metadata_csum (fs->super)
                          ? sizeof (struct ext2_dir_entry_tail) : 0);
}

struct load_blocks_ctx {
  struct engine_fs *efs;
  uint64_t dir;
  size_t count;
  char *buf;
  errcode_t err;
};

static int
load_block (ext2_filsys fs, blk64_t *blocknr, e2_blkcnt_t blockcnt,
            blk64_t ref_blk, int ref_offset, void *priv)
{
  struct load_blocks_ctx *c = priv;
  struct ext2_dir_entry *de;
  unsigned off = 0;
  int bad = 0;

  if (blockcnt < 0 || blockcnt >= DENTRY_NOWHERE) {
    c->err = EXT2_ET_DIR_CORRUPTED;
    return BLOCK_ABORT;
  }
  c->err = ext2fs_read_dir_block4 (fs, *blocknr, c->buf, 0, c->dir);
  if (c->err)
    return BLOCK_ABORT;
  while ((de = next_dirent (fs, c->buf, fs->blocksize, &off, &bad))) {
    int len = ext2fs_dirent_name_len (de);
    char name[EXT2_NAME_LEN + 1];

    if (de->inode == 0 || len == 0
        || (len == 1 && de->name[0] == '.')
        || (len == 2 && de->name[0] == '.' && de->name[1] == '.'))
      continue;
    memcpy (name, de->name, len);
    name[len] = '\0';
    dcache_set_at (c->efs, c->dir, name, de->inode, (uint32_t) blockcnt);
    if (++c->count > DCACHE_MAX / 4)
      return BLOCK_ABORT;
  }
  if (bad) {
    c->err = EXT2_ET_DIR_CORRUPTED;
    return BLOCK_ABORT;
  }
  return 0;
}

/* Reads a directory's blocks into the name cache, noting the block of
 * each entry.  Returns 1 when the whole directory was read, 0 when this
 * walk cannot read it (inline data, a block libext2fs must judge). */
static int
dcache_load_blocks (struct engine_fs *efs, uint64_t dir, size_t *count_r)
{
  ext2_filsys fs = E2 (efs);
  struct load_blocks_ctx c = { efs, dir, 0, NULL, 0 };
  struct ext2_inode inode;
  errcode_t err;

  if (ext2fs_read_inode (fs, dir, &inode) != 0
      || (inode.i_flags & (EXT4_INLINE_DATA_FL | EXT4_ENCRYPT_FL)))
    return 0;
  c.buf = malloc (fs->blocksize);
  if (c.buf == NULL)
    return 0;
  err = ext2fs_block_iterate3 (fs, dir, BLOCK_FLAG_READ_ONLY
                               | BLOCK_FLAG_DATA_ONLY, NULL, load_block, &c);
  free (c.buf);
  *count_r = c.count;
  return err == 0 && c.err == 0;
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
    ext_dcache_clear (e);
  if (!dcache_load_blocks (efs, dir, &c.count)) {
    c.count = 0;
    r = ext2_readdir (efs, dir, load_one, &c);
    if (r < 0)
      return r;
  }
  if (c.count <= DCACHE_MAX / 4)
    e->complete[dir % COMPLETE_SLOTS] = dir;
  return 0;
}

int
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
    if (ext_read_inode (efs, dir, &in) == 0 && LINUX_S_ISDIR (in.i_mode)
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
    ext_dcache_set (efs, dir, name, 0);
  if (err)
    return ext_fail (efs, err, "lookup");
  ext_dcache_set (efs, dir, name, ino);
  *ino_r = ino;
  return 0;
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
              uint64_t ino, int ftype, uint32_t *lblk_r)
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
  if (size == 0 || size % fs->blocksize != 0
      || size / fs->blocksize - 1 >= DENTRY_NOWHERE)
    return 0;
  *lblk_r = size / fs->blocksize - 1;
  if (ext2fs_bmap2 (fs, dir, &inode, NULL, 0, *lblk_r, NULL, &pblk) != 0
      || pblk == 0)
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
      return ext_fail (efs, err, "write directory");
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
  uint32_t lblk = DENTRY_NOWHERE;
  errcode_t err;
  int r;

  r = append_entry (efs, dir, name, ino, ftype, &lblk);
  if (r == 0 && dir_is_large (efs, dir)) {
    /* The last block is full: a new one, and the entry goes there. */
    err = ext2fs_expand_dir (fs, dir);
    if (err)
      return ext_fail (efs, err, "expand directory");
    r = append_entry (efs, dir, name, ino, ftype, &lblk);
  }
  if (r < 0)
    return r;
  if (r == 1) {
    dcache_set_at (efs, dir, name, ino, lblk);
    return 0;
  }
  err = ext2fs_link (fs, dir, name, ino, ftype);
  if (err == EXT2_ET_DIR_NO_SPACE) {
    err = ext2fs_expand_dir (fs, dir);
    if (err == 0)
      err = ext2fs_link (fs, dir, name, ino, ftype);
  }
  if (err)
    return ext_fail (efs, err, "link");
  ext_dcache_set (efs, dir, name, ino);
  return 0;
}

/* The directory changed: its mtime and ctime move. */
static int
dir_changed (struct engine_fs *efs, uint64_t dir, int nlink_delta)
{
  struct ext2_inode_large in;
  int r;

  r = ext_read_inode (efs, dir, &in);
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
  ext_touch_times (E2 (efs), &in, 1);
  return ext_write_inode (efs, dir, &in);
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
    return ext_fail (efs, err, "allocate inode");

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
  ext_now (&s, &ns);
  SET_TIME (fs, in, atime, s, ns);
  SET_TIME (fs, in, mtime, s, ns);
  SET_TIME (fs, in, ctime, s, ns);
  SET_TIME (fs, in, crtime, s, ns);

  if (LINUX_S_ISCHR (mode) || LINUX_S_ISBLK (mode))
    ext_encode_rdev (in, rdev);
  else if (LINUX_S_ISREG (mode) && ext2fs_has_feature_extents (fs->super)) {
    ext2_extent_handle_t handle;

    err = ext2fs_extent_open2 (fs, ino, (struct ext2_inode *) in, &handle);
    if (err)
      return ext_fail (efs, err, "extent header");
    ext2fs_extent_free (handle);
  }

  *ino_r = ino;
  return 0;
}

int
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
  r = add_link (efs, dir, name, ino, ext_ftype_of_mode (mode));
  if (r < 0)
    return r;
  ext2fs_inode_alloc_stats2 (fs, ino, +1, 0);
  err = ext2fs_write_new_inode (fs, ino, (struct ext2_inode *) &in);
  if (err)
    return ext_fail (efs, err, "write inode");
  r = ext_write_inode (efs, ino, &in);
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
  if (ext_read_inode (efs, ino, &in) == 0) {
    int64_t s, ns;
    if (ext2fs_inode_data_blocks2 (fs, (struct ext2_inode *) &in) > 0)
      ext2fs_punch (fs, ino, (struct ext2_inode *) &in, NULL, 0, ~0ULL);
    ext_now (&s, &ns);
    in.i_links_count = 0;
    in.i_dtime = (uint32_t) s;
    ext_write_inode (efs, ino, &in);
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

  r = ext_read_inode (efs, ino, &in);
  if (r < 0)
    return r;
  if (mode)
    in.i_mode = mode;
  in.i_uid = uid & 0xffff;
  ext2fs_set_i_uid_high (in, uid >> 16);
  in.i_gid = gid & 0xffff;
  ext2fs_set_i_gid_high (in, gid >> 16);
  ext_now (&s, &ns);
  SET_TIME (fs, &in, atime, s, ns);
  SET_TIME (fs, &in, mtime, s, ns);
  SET_TIME (fs, &in, ctime, s, ns);
  SET_TIME (fs, &in, crtime, s, ns);
  r = ext_write_inode (efs, ino, &in);
  if (r < 0)
    return r;
  r = dir_changed (efs, dir, 0);
  if (r < 0)
    return r;
  if (ino_r)
    *ino_r = ino;
  return 0;
}

int
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
    return ext_fail (efs, err, "allocate inode");
  /* Counts the parent's new ".." link, and marks ino in use. */
  err = ext2fs_mkdir (fs, dir, ino, NULL);
  if (err)
    return ext_fail (efs, err, "mkdir");
  r = link_new_node (efs, dir, name, ino, EXT2_FT_DIR);
  if (r < 0)
    return r;
  return finish_new (efs, dir, ino, LINUX_S_IFDIR | (mode & 07777), uid,
                     gid, ino_r);
}

int
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
    return ext_fail (efs, err, "allocate inode");
  t = strdup (target);          /* ext2fs_symlink takes a char * */
  if (t == NULL)
    return -ENOMEM;
  err = ext2fs_symlink (fs, dir, ino, NULL, t);
  free (t);
  if (err)
    return ext_fail (efs, err, "symlink");
  r = link_new_node (efs, dir, name, ino, EXT2_FT_SYMLINK);
  if (r < 0)
    return r;
  return finish_new (efs, dir, ino, 0, uid, gid, ino_r);
}

int
ext2_link (struct engine_fs *efs, uint64_t dir, const char *name,
           uint64_t ino)
{
  struct ext2_inode_large in;
  int r;

  if ((r = check_name (efs, name)) < 0 || (r = check_absent (efs, dir, name)) < 0)
    return r;
  r = ext_read_inode (efs, ino, &in);
  if (r < 0)
    return r;
  if (LINUX_S_ISDIR (in.i_mode))
    return -EPERM;
  if (in.i_links_count >= EXT2_LINK_MAX)
    return -EMLINK;
  r = add_link (efs, dir, name, ino, ext_ftype_of_mode (in.i_mode));
  if (r < 0)
    return r;
  in.i_links_count++;
  ext_touch_times (E2 (efs), &in, 0);
  r = ext_write_inode (efs, ino, &in);
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

  r = ext_read_inode (efs, ino, &in);
  if (r < 0)
    return r;
  if (all || in.i_links_count <= 1)
    in.i_links_count = 0;
  else
    in.i_links_count--;
  ext_touch_times (fs, &in, 0);
  if (in.i_links_count > 0)
    return ext_write_inode (efs, ino, &in);

  err = ext2fs_free_ext_attr (fs, ino, &in);
  if (err)
    return ext_fail (efs, err, "free xattrs");
  if (ext2fs_inode_has_valid_blocks2 (fs, (struct ext2_inode *) &in)) {
    err = ext2fs_punch (fs, ino, (struct ext2_inode *) &in, NULL, 0, ~0ULL);
    if (err)
      return ext_fail (efs, err, "free blocks");
  }
  in.i_dtime = (uint32_t) time (NULL);
  ext2fs_inode_alloc_stats2 (fs, ino, -1, LINUX_S_ISDIR (in.i_mode));
  return ext_write_inode (efs, ino, &in);
}

/* Removing one entry without scanning the directory (issue 16).
 * ext2fs_unlink reads every block of the directory until it finds the
 * name.  Here the block comes from the name cache, which notes where
 * each entry was read (dcache_load_blocks) or appended (add_link), or,
 * in an indexed directory, from its hash tree; the entry is removed in
 * that block alone, the way ext2fs_unlink and the kernel do: its space
 * goes to the entry before it, or it is emptied (inode 0) when it is
 * the block's first.  An htree leaf needs nothing more (the index maps
 * hashes to blocks, and the block stays), and write_dir_block4 renews
 * the block's checksum tail.  Every hint is checked against the block
 * (the entry must be there, with the same inode), and anything
 * unexpected falls back to ext2fs_unlink's scan. */

/* Unsigned variants of the hash, as the superblock asks. */
static int
htree_hash_version (ext2_filsys fs, int version)
{
  if (version > EXT2_HASH_TEA)
    return -1;                  /* siphash & co: not for this reader */
  if (fs->super->s_flags & EXT2_FLAGS_UNSIGNED_HASH)
    version += EXT2_HASH_LEGACY_UNSIGNED;
  return version;
}

/* Reads the directory's logical block lblk into buf.  0 or -1. */
static int
read_dir_lblk (ext2_filsys fs, uint64_t dir, struct ext2_inode *inode,
               blk64_t lblk, char *buf, blk64_t *pblk_r)
{
  blk64_t pblk = 0;
  int flags = 0;

  if (lblk >= EXT2_I_SIZE (inode) / fs->blocksize
      || ext2fs_bmap2 (fs, dir, inode, NULL, 0, lblk, &flags, &pblk) != 0
      || pblk == 0 || (flags & BMAP_RET_UNINIT)
      || ext2fs_read_dir_block4 (fs, pblk, buf, 0, dir) != 0)
    return -1;
  if (pblk_r)
    *pblk_r = pblk;
  return 0;
}

/* The leaf block of an indexed directory where name's hash leads, found
 * by walking the tree from its root (block 0).  Returns 1 with *lblk_r,
 * or 0 when the tree is not one this reader knows. */
static int
htree_leaf (ext2_filsys fs, uint64_t dir, struct ext2_inode *inode,
            const char *name, char *buf, blk64_t *lblk_r)
{
  const struct ext2_dx_root_info *info;
  ext2_dirhash_t hash, minor;
  blk64_t lblk = 0;
  unsigned level, levels;
  int version;

  if (read_dir_lblk (fs, dir, inode, 0, buf, NULL) < 0)
    return 0;
  /* The root: ".", "..", then the tree's description. */
  info = (const struct ext2_dx_root_info *) (buf + 24);
  version = htree_hash_version (fs, info->hash_version);
  levels = info->indirect_levels;
  if (info->reserved_zero != 0 || info->info_length != 8 || version < 0
      || levels >= ext2_dir_htree_level (fs)
      || ext2fs_dirhash2 (version, name, strlen (name), fs->encoding, 0,
                          fs->super->s_hash_seed, &hash, &minor) != 0)
    return 0;

  for (level = 0; ; level++) {
    struct ext2_dx_countlimit *cl;
    const struct ext2_dx_entry *ent;
    unsigned count, limit, lo, hi;
    int at;

    if (ext2fs_get_dx_countlimit (fs, (struct ext2_dir_entry *) buf, &cl,
                                  &at) != 0)
      return 0;
    count = ext2fs_le16_to_cpu (cl->count);
    limit = ext2fs_le16_to_cpu (cl->limit);
    if (count == 0 || count > limit
        || at < 0 || (size_t) at + count * sizeof *ent > fs->blocksize)
      return 0;
    /* Entry 0 covers the hashes below entry 1's; otherwise the last
     * entry whose hash is not above ours. */
    ent = (const struct ext2_dx_entry *) cl;
    lo = 1;
    hi = count;
    while (lo < hi) {
      unsigned mid = lo + (hi - lo) / 2;
      if (ext2fs_le32_to_cpu (ent[mid].hash) > hash)
        hi = mid;
      else
        lo = mid + 1;
    }
    lblk = ext2fs_le32_to_cpu (ent[lo - 1].block) & EXT4_DX_BLOCK_MASK;
    if (level == levels)
      break;
    if (read_dir_lblk (fs, dir, inode, lblk, buf, NULL) < 0)
      return 0;
  }
  *lblk_r = lblk;
  return 1;
}

/* Removes name (ino) from the directory's block lblk.  Returns 1 when
 * it did, 0 when the entry is not there (or the block is not as
 * expected), or a negative errno when writing the block failed. */
static int
remove_in_block (struct engine_fs *efs, uint64_t dir,
                 struct ext2_inode *inode, blk64_t lblk, const char *name,
                 uint64_t ino, char *buf)
{
  ext2_filsys fs = E2 (efs);
  struct ext2_dir_entry *de, *prev = NULL;
  unsigned off = 0, len = strlen (name), end = dirents_end (fs);
  blk64_t pblk;
  errcode_t err;
  int bad = 0;

  if (read_dir_lblk (fs, dir, inode, lblk, buf, &pblk) < 0)
    return 0;
  while ((de = next_dirent (fs, buf, end, &off, &bad))) {
    if (de->inode == ino && (unsigned) ext2fs_dirent_name_len (de) == len
        && memcmp (de->name, name, len) == 0)
      break;
    prev = de;
  }
  if (de == NULL)
    return 0;
  if (prev) {
    unsigned prev_len, rec_len;
    if (ext2fs_get_rec_len (fs, prev, &prev_len) != 0
        || ext2fs_get_rec_len (fs, de, &rec_len) != 0
        || ext2fs_set_rec_len (fs, prev_len + rec_len, prev) != 0)
      return 0;
  } else
    de->inode = 0;
  err = ext2fs_write_dir_block4 (fs, pblk, buf, 0, dir);
  if (err)
    return ext_fail (efs, err, "write directory");
  return 1;
}

/* Removes the entry name (which names ino) from dir. */
static int
remove_entry (struct engine_fs *efs, uint64_t dir, const char *name,
              uint64_t ino)
{
  struct ext2_engine *e = (struct ext2_engine *) efs;
  ext2_filsys fs = E2 (efs);
  struct ext2_inode inode;
  struct dentry *d;
  blk64_t lblk;
  errcode_t err;
  char *buf = NULL;
  int r = 0;

  if (ext2fs_read_inode (fs, dir, &inode) != 0
      || (inode.i_flags & (EXT4_INLINE_DATA_FL | EXT4_ENCRYPT_FL
                           | EXT4_CASEFOLD_FL))
      || (buf = malloc (fs->blocksize)) == NULL)
    goto scan;
  d = *dcache_find (e, dir, name, dcache_hash (dir, name));
  if (d && d->ino == ino && d->lblk != DENTRY_NOWHERE)
    r = remove_in_block (efs, dir, &inode, d->lblk, name, ino, buf);
  if (r == 0 && (inode.i_flags & EXT2_INDEX_FL)
      && htree_leaf (fs, dir, &inode, name, buf, &lblk)
      && (d == NULL || lblk != d->lblk))
    r = remove_in_block (efs, dir, &inode, lblk, name, ino, buf);
 scan:
  free (buf);
  if (r < 0)
    return r;
  if (r == 0) {
    err = ext2fs_unlink (fs, dir, name, ino, 0);
    if (err)
      return ext_fail (efs, err, "unlink");
  }
  ext_dcache_set (efs, dir, name, 0);
  return 0;
}

int
ext2_unlink (struct engine_fs *efs, uint64_t dir, const char *name)
{
  struct ext2_inode_large in;
  uint64_t ino;
  int r;

  if (efs->readonly)
    return -EROFS;
  r = ext2_lookup (efs, dir, name, &ino);
  if (r < 0)
    return r;
  r = ext_read_inode (efs, ino, &in);
  if (r < 0)
    return r;
  if (LINUX_S_ISDIR (in.i_mode))
    return -EISDIR;
  r = remove_entry (efs, dir, name, ino);
  if (r < 0)
    return r;
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
    return ext_fail (efs, err, "read directory");
  return c.entries == 0;
}

static int
remove_dir (struct engine_fs *efs, uint64_t dir, const char *name,
            uint64_t ino)
{
  int r;

  r = dir_is_empty (efs, ino);
  if (r < 0)
    return r;
  if (r == 0)
    return -ENOTEMPTY;
  r = remove_entry (efs, dir, name, ino);
  if (r < 0)
    return r;
  ext_dcache_forget_dir (efs, ino);
  r = drop_link (efs, ino, 1);
  if (r < 0)
    return r;
  return dir_changed (efs, dir, -1);
}

int
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
  r = ext_read_inode (efs, ino, &in);
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
  r = ext_read_inode (c->efs, de->inode, &in);
  if (r == 0 && LINUX_S_ISDIR (in.i_mode)) {
    r = remove_tree (c->efs, de->inode, c->depth + 1);
    if (r == 0) {
      ext_dcache_forget_dir (c->efs, de->inode);
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
    return ext_fail (efs, err, "remove directory contents");
  ext_dcache_forget_dir (efs, dir);
  r = ext_read_inode (efs, dir, &in);
  if (r < 0)
    return r;
  if (in.i_links_count > 1) {   /* 1: dir_nlink's "too many to count" */
    in.i_links_count = (unsigned) c.subdirs + 2 > in.i_links_count
      ? 2 : in.i_links_count - c.subdirs;
  }
  ext_touch_times (E2 (efs), &in, 1);
  return ext_write_inode (efs, dir, &in);
}

int
ext2_remove_tree (struct engine_fs *efs, uint64_t dir)
{
  struct ext2_inode_large in;
  int r;

  if (efs->readonly)
    return -EROFS;
  r = ext_read_inode (efs, dir, &in);
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

int
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
  r = ext_read_inode (efs, oino, &oin);
  if (r < 0)
    return r;
  isdir = LINUX_S_ISDIR (oin.i_mode);

  r = ext2_lookup (efs, newdir, newname, &nino);
  if (r < 0 && r != -ENOENT)
    return r;
  if (r == 0) {
    if (nino == oino)
      return 0;                 /* same file: rename(2) does nothing */
    r = ext_read_inode (efs, nino, &nin);
    if (r < 0)
      return r;
    if (isdir && !LINUX_S_ISDIR (nin.i_mode))
      return -ENOTDIR;
    if (!isdir && LINUX_S_ISDIR (nin.i_mode))
      return -EISDIR;
    if (isdir)
      r = remove_dir (efs, newdir, newname, nino);
    else {
      r = remove_entry (efs, newdir, newname, nino);
      if (r == 0)
        r = drop_link (efs, nino, 0);
    }
    if (r < 0)
      return r;
  }

  r = add_link (efs, newdir, newname, oino, ext_ftype_of_mode (oin.i_mode));
  if (r < 0)
    return r;
  r = remove_entry (efs, olddir, oldname, oino);
  if (r < 0)
    return r;

  if (isdir && olddir != newdir) {
    struct dotdot d = { newdir };
    err = iterate_dir (fs, oino, set_dotdot, &d);
    if (err)
      return ext_fail (efs, err, "update ..");
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
  r = ext_read_inode (efs, oino, &oin);
  if (r < 0)
    return r;
  ext_touch_times (fs, &oin, 0);
  return ext_write_inode (efs, oino, &oin);
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
                  ext_dtype_of_ftype (ext2fs_dirent_file_type (de)));
  return c->ret ? DIRENT_ABORT : 0;
}

int
ext2_readdir (struct engine_fs *efs, uint64_t dir, engine_readdir_cb cb,
              void *opaque)
{
  struct readdir_ctx c = { cb, opaque, 0 };
  errcode_t err;

  err = iterate_dir (E2 (efs), dir, readdir_one, &c);
  if (err)
    return ext_fail (efs, err, "read directory");
  return c.ret;
}
