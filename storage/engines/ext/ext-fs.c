/* minnow: the ext2/3/4 engine — probe, open, close and sync, the whole-filesystem
 * calls, chattr flags and generations, free extents, and the ops table.
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

  if (range->length < 2048)
    return 0;
  if (range_read (range, &sb, sizeof sb, 1024) < 0)
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

  err = ext2fs_open2 (name, NULL, flags, 0, 0, &ext_io_manager, fs_r);
  if (err) {
    if (asprintf (error_r, "%s", error_message (err)) == -1)
      *error_r = NULL;
    return -ext_errno (err);
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
  return err ? -ext_errno (err) : 0;
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
  snprintf (name, sizeof name, "%p:%d", (void *) range, range->readonly);
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
      r = -ext_errno (err);
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
    r = ext_journal_overlay (fs, &ov);
    if (r < 0) {
      msg = "the journal needs recovery and cannot be read";
      free (e);
      goto error;
    }
    if (ov) {
      ext2fs_close_free (&fs);
      snprintf (name, sizeof name, "%p:1:%p", (void *) range, (void *) ov);
      r = open_checked (name, flags, &fs, error_r);
      if (r < 0) {
        char *inner = *error_r;

        ext_overlay_free (ov);
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
  snprintf (name, sizeof name, "%p:0", (void *) range);
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
    r = -ext_errno (err);
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
    r = -ext_errno (err);
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
    return ext_fail (efs, err, "sync");
  return 0;
}

static int
ext2_close (struct engine_fs *efs)
{
  struct ext2_engine *e = (struct ext2_engine *) efs;
  errcode_t err;
  int r = 0;

  ext_dcache_clear (e);
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
        r = -ext_errno (err);
      ext2fs_free (e->fs);
    }
  } else
    ext2fs_free (e->fs);
  ext_overlay_free (e->overlay);
  free (e);
  return r;
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
  if (strlen (label) > sizeof fs->super->s_volume_name) {
    snprintf (efs->last_error, sizeof efs->last_error, "label \"%s\" is "
              "too long (ext2/3/4 labels hold 16 bytes)", label);
    return -ERANGE;
  }
  memset (fs->super->s_volume_name, 0, sizeof fs->super->s_volume_name);
  memcpy (fs->super->s_volume_name, label, strlen (label));
  ext2fs_mark_super_dirty (fs);
  return 0;
}

static const char *const ext2_mount_types[] = { "ext2", "ext3", "ext4", NULL };

const struct engine_ops engine_ext2_ops = {
  .name = "ext2",
  .mount_types = ext2_mount_types,
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
  .mkfs_types = ext_mkfs_types,
  .mkfs = ext_mkfs,
  .fsck = ext_fsck,
  .recover = ext_recover,
  .read_run = engine_ext2_read_run,
  .write_run = engine_ext2_write_run,
};

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
  r = ext_read_inode (efs, ino, &in);
  if (r < 0)
    return r;
  in.i_flags = flags;
  ext_touch_times (E2 (efs), &in, 0);
  return ext_write_inode (efs, ino, &in);
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
  r = ext_read_inode (efs, ino, &in);
  if (r < 0)
    return r;
  in.i_generation = generation;
  ext_touch_times (E2 (efs), &in, 0);
  return ext_write_inode (efs, ino, &in);
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
      return ext_fail (efs, err, "read block bitmap");
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
