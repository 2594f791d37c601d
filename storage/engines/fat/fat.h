/* minnow: the FAT engine (vfat: FAT12, FAT16 and FAT32 with long names),
 * written against Microsoft's FAT specification.
 *
 * The engine's files, by concern:
 *   fat-table.c  boot sector (BPB) and geometry, probe/open/sync/close,
 *                the FAT itself (kept in memory with per-sector dirty
 *                bits, written to every copy), cluster chains and the
 *                FSInfo free count, statvfs, label and serial number
 *   fat-dir.c    directories: loading, long (UTF-16) and 8.3 short
 *                names, lookup, readdir, creating and removing entries,
 *                rename
 *   fat-file.c   attributes and times, file data (pread/pwrite/truncate),
 *                the calls FAT cannot express, the ops table
 *   fat-tools.c  mkfs.fat and fsck.fat, run on the range
 *
 * FAT has no inodes.  An inode number here is the position of a file's
 * short directory entry: its byte offset in the range divided by 32,
 * plus FAT_INO_BASE; the root directory, which has no entry, is
 * FAT_ROOT_INO.  A rename moves the entry and so changes the number, as
 * on the kernel's vfat after a remount.
 *
 * Hostile images: every chain walk is bounded by the cluster count (a
 * longer chain is a loop), a chain must not run into a free, reserved
 * or bad cluster, two FAT entries pointing at one cluster (a cross-link)
 * make open fail, a chain starting at a cluster that another chain
 * links to is a cross-link too, directories are bounded at 2 MiB as the kernel bounds
 * them, and recursion into directories is bounded by a depth.  Each
 * gives -EUCLEAN with a message in engine_last_error.
 */

#ifndef MINNOW_FAT_H
#define MINNOW_FAT_H

#include <stdint.h>
#include <stddef.h>

#include "engine.h"

#define FAT_ROOT_INO  1
#define FAT_INO_BASE  16

/* Attribute bits of a directory entry. */
#define FAT_ATTR_RO      0x01
#define FAT_ATTR_HIDDEN  0x02
#define FAT_ATTR_SYSTEM  0x04
#define FAT_ATTR_VOLUME  0x08
#define FAT_ATTR_DIR     0x10
#define FAT_ATTR_ARCHIVE 0x20
#define FAT_ATTR_LFN     0x0f

/* The kernel's bound on a directory's size (65536 entries). */
#define FAT_MAX_DIR_BYTES (2u << 20)
/* The longest long name, in UTF-16 units. */
#define FAT_MAX_LFN 255

struct fat_fs {
  struct engine_fs hdr;         /* first: the engine header */
  struct engine_range range;
  int bits;                     /* 12, 16 or 32 */
  uint32_t sector_size;
  uint32_t cluster_size;        /* bytes */
  uint32_t nfats;
  uint64_t fat_offset;          /* bytes from the range's start */
  uint64_t fat_bytes;           /* size of one FAT copy */
  uint64_t root_offset;         /* FAT12/16: the fixed root directory */
  uint32_t root_entries;        /* FAT12/16 */
  uint64_t data_offset;         /* cluster 2 starts here */
  uint32_t nclusters;           /* data clusters: 2 .. nclusters + 1 */
  uint32_t root_cluster;        /* FAT32 */
  uint32_t fsinfo_sector;       /* FAT32, 0 when none */
  uint32_t backup_boot;         /* FAT32, 0 when none */

  unsigned char boot[512];      /* the boot sector, as read */
  int boot_dirty;
  unsigned char *fat;           /* one FAT copy in memory */
  unsigned char *fat_dirty;     /* one flag per sector of the FAT */
  int any_dirty;
  uint32_t free_count;
  uint32_t next_free;
  /* One bit per cluster: some FAT entry links to it.  A chain must not
   * start at such a cluster (it would share the rest of another). */
  unsigned char *linked;

  /* The last chain walked (by first cluster), for sequential I/O. */
  uint32_t chain_first;
  uint32_t *chain;
  size_t chain_len, chain_cap;
};

#define FAT(efs) ((struct fat_fs *) (efs))

/* fat-table.c */
int fat_error (struct fat_fs *fs, int err, const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));
int fat_read (struct fat_fs *fs, void *buf, size_t len, uint64_t off);
int fat_write (struct fat_fs *fs, const void *buf, size_t len, uint64_t off);
uint64_t fat_cluster_offset (struct fat_fs *fs, uint32_t cluster);
uint32_t fat_get (struct fat_fs *fs, uint32_t cluster);
void fat_set (struct fat_fs *fs, uint32_t cluster, uint32_t value);
int fat_is_eoc (struct fat_fs *fs, uint32_t value);
uint32_t fat_eoc (struct fat_fs *fs);
/* The clusters of the chain starting at first, in *chain_r (owned by
 * fs, valid until the next chain call); checks loops and bad links. */
int fat_chain (struct fat_fs *fs, uint32_t first, const uint32_t **chain_r,
               size_t *len_r);
/* Makes the chain starting at *first exactly n clusters long
 * (allocating, zeroing new clusters when zero is set, or freeing);
 * *first becomes 0 when n is 0. */
int fat_resize_chain (struct fat_fs *fs, uint32_t *first, size_t n, int zero);
void fat_chain_forget (struct fat_fs *fs);
int fat_flush (struct fat_fs *fs);

int fat_probe (const struct engine_range *range, const char **type);
int fat_open (const struct engine_range *range, struct engine_fs **fs_r,
              char **error_r);
int fat_close (struct engine_fs *efs);
int fat_sync (struct engine_fs *efs);
int fat_statvfs (struct engine_fs *efs, struct engine_statvfs *sv);
int fat_get_label (struct engine_fs *efs, char **label_r);
int fat_get_uuid_string (struct engine_fs *efs, char **uuid_r);
int fat_get_uuid (struct engine_fs *efs, unsigned char uuid[16]);
int fat_set_label (struct engine_fs *efs, const char *label);

/* fat-dir.c */

/* Where one name lives: the short entry's slot, its first slot (the
 * first long-name slot, or the short one) and the short entry. */
struct fat_entry {
  uint64_t pos;                 /* byte offset of the short entry */
  uint32_t slot, first_slot;
  unsigned char de[32];
};

uint32_t fat_de_cluster (struct fat_fs *fs, const unsigned char *de);
void fat_de_set_cluster (struct fat_fs *fs, unsigned char *de, uint32_t c);
/* Reads the short entry of inode ino (not the root). */
int fat_read_entry (struct fat_fs *fs, uint64_t ino, unsigned char de[32]);
int fat_write_entry (struct fat_fs *fs, uint64_t ino,
                     const unsigned char de[32]);
/* The first cluster of directory ino (0 for the fixed FAT12/16 root). */
int fat_dir_cluster (struct fat_fs *fs, uint64_t ino, uint32_t *cluster_r);
int fat_count_subdirs (struct fat_fs *fs, uint64_t ino, uint32_t *n_r);
/* Finds the label entry of the root directory: 1 found, 0 none. */
int fat_find_volume_entry (struct fat_fs *fs, uint64_t *pos_r);
int fat_create_volume_entry (struct fat_fs *fs, const unsigned char name[11]);

int fat_lookup (struct engine_fs *efs, uint64_t dir, const char *name,
                uint64_t *ino_r);
int fat_readdir (struct engine_fs *efs, uint64_t dir, engine_readdir_cb cb,
                 void *opaque);
int fat_mknod (struct engine_fs *efs, uint64_t dir, const char *name,
               uint32_t mode, uint64_t rdev, uint32_t uid, uint32_t gid,
               uint64_t *ino_r);
int fat_mkdir (struct engine_fs *efs, uint64_t dir, const char *name,
               uint32_t mode, uint32_t uid, uint32_t gid, uint64_t *ino_r);
int fat_remove_tree (struct engine_fs *efs, uint64_t dir);
int fat_unlink (struct engine_fs *efs, uint64_t dir, const char *name);
int fat_rmdir (struct engine_fs *efs, uint64_t dir, const char *name);
int fat_rename (struct engine_fs *efs, uint64_t olddir, const char *oldname,
                uint64_t newdir, const char *newname);

/* fat-file.c */
void fat_time_encode (int64_t t, int cs, uint16_t *date, uint16_t *time,
                      uint8_t *centis);
int64_t fat_time_decode (uint16_t date, uint16_t time);
void fat_stamp_new (unsigned char *de);
void fat_stamp_modified (unsigned char *de);

static inline uint16_t
fat_le16 (const unsigned char *p)
{
  return p[0] | (p[1] << 8);
}

static inline uint32_t
fat_le32 (const unsigned char *p)
{
  return p[0] | (p[1] << 8) | (p[2] << 16) | ((uint32_t) p[3] << 24);
}

static inline void
fat_put16 (unsigned char *p, uint16_t v)
{
  p[0] = v;
  p[1] = v >> 8;
}

static inline void
fat_put32 (unsigned char *p, uint32_t v)
{
  p[0] = v;
  p[1] = v >> 8;
  p[2] = v >> 16;
  p[3] = v >> 24;
}

/* fat-tools.c: mkfs.fat and fsck.fat. */
extern const char *const fat_mkfs_types[];
int fat_mkfs (const struct engine_range *range,
              const struct engine_mkfs_opts *o, char **error_r);
int fat_fsck (const struct engine_range *range, int repair, char **output_r,
              char **error_r);

#endif /* MINNOW_FAT_H */
