/* minnow: the FAT engine — attributes, times and file data.
 *
 * FAT's times are kept as the kernel's vfat keeps them, in UTC (the
 * kernel's default without tz= is the system's zone, which is UTC in
 * our sandboxes): the modification time in 2-second steps, the
 * creation time in 10 ms steps (shown as ctime and crtime), the access
 * time as a date.  Every file and directory belongs to uid 0, gid 0 and
 * shows the mode the kernel shows with its default umask: 0755, without
 * the write bits when the read-only attribute is set.  A chmod between
 * those two modes sets or clears the attribute; any other mode, any
 * owner but root, symlinks, hard links, device nodes and extended
 * attributes fail as on the kernel's vfat (EPERM, EOPNOTSUPP).
 *
 * A file's data is its cluster chain; reads and writes go through
 * runs of consecutive clusters, one I/O each.  Growing a file writes
 * zeros from the old end to the new data (FAT has no holes).
 */

#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fat.h"

#define FAT_MAX_FILE 0xffffffffULL

/* 1980-01-01 and 2107-12-31 23:59:58, FAT's range. */
#define FAT_MIN_TIME 315532800LL
#define FAT_MAX_TIME 4354819198LL

void
fat_time_encode (int64_t t, int cs, uint16_t *date, uint16_t *time,
                 uint8_t *centis)
{
  struct tm tm;
  time_t tt;

  if (t < FAT_MIN_TIME)
    t = FAT_MIN_TIME, cs = 0;
  if (t > FAT_MAX_TIME)
    t = FAT_MAX_TIME, cs = 0;
  tt = t;
  gmtime_r (&tt, &tm);
  *date = ((tm.tm_year - 80) << 9) | ((tm.tm_mon + 1) << 5) | tm.tm_mday;
  if (time)
    *time = (tm.tm_hour << 11) | (tm.tm_min << 5) | (tm.tm_sec / 2);
  if (centis)
    *centis = (tm.tm_sec % 2) * 100 + cs;
}

int64_t
fat_time_decode (uint16_t date, uint16_t time)
{
  struct tm tm;

  memset (&tm, 0, sizeof tm);
  tm.tm_year = (date >> 9) + 80;
  tm.tm_mon = ((date >> 5) & 15) ? ((date >> 5) & 15) - 1 : 0;
  tm.tm_mday = (date & 31) ? (date & 31) : 1;
  tm.tm_hour = time >> 11;
  tm.tm_min = (time >> 5) & 63;
  tm.tm_sec = (time & 31) * 2;
  return timegm (&tm);
}

static void
now (int64_t *s, int *cs)
{
  struct timespec ts;

  clock_gettime (CLOCK_REALTIME, &ts);
  *s = ts.tv_sec;
  *cs = ts.tv_nsec / 10000000;
}

void
fat_stamp_modified (unsigned char *de)
{
  uint16_t d, t;
  int64_t s;
  int cs;

  now (&s, &cs);
  fat_time_encode (s, 0, &d, &t, NULL);
  fat_put16 (de + 22, t);
  fat_put16 (de + 24, d);
  fat_put16 (de + 18, d);
}

void
fat_stamp_new (unsigned char *de)
{
  uint16_t d, t;
  uint8_t c;
  int64_t s;
  int cs;

  now (&s, &cs);
  fat_time_encode (s, cs, &d, &t, &c);
  de[13] = c;
  fat_put16 (de + 14, t);
  fat_put16 (de + 16, d);
  fat_stamp_modified (de);
}

/* ---------------------------------------------------------------- */
/* Attributes.                                                        */

static int
chain_length (struct fat_fs *fs, uint32_t first, size_t *len_r)
{
  const uint32_t *chain;

  return fat_chain (fs, first, &chain, len_r);
}

static uint64_t
fat_root (struct engine_fs *efs)
{
  (void) efs;
  return FAT_ROOT_INO;
}

static int
fat_getattr (struct engine_fs *efs, uint64_t ino, struct engine_stat *st)
{
  struct fat_fs *fs = FAT (efs);
  unsigned char de[32];
  uint32_t subdirs = 0;
  size_t clusters = 0;
  int r;

  memset (st, 0, sizeof *st);
  st->ino = ino;
  st->blksize = fs->cluster_size;
  if (ino == FAT_ROOT_INO) {
    st->mode = S_IFDIR | 0755;
    if (fs->bits == 32) {
      r = chain_length (fs, fs->root_cluster, &clusters);
      if (r < 0)
        return r;
      st->size = (uint64_t) clusters * fs->cluster_size;
    } else
      st->size = (uint64_t) fs->root_entries * 32;
    st->blocks = st->size / 512;
    r = fat_count_subdirs (fs, ino, &subdirs);
    if (r < 0)
      return r;
    st->nlink = 2 + subdirs;
    return 0;
  }
  r = fat_read_entry (fs, ino, de);
  if (r < 0)
    return r;
  r = chain_length (fs, fat_de_cluster (fs, de), &clusters);
  if (r < 0)
    return r;
  st->blocks = (uint64_t) clusters * fs->cluster_size / 512;
  if (de[11] & FAT_ATTR_DIR) {
    st->mode = S_IFDIR | 0755;
    st->size = (uint64_t) clusters * fs->cluster_size;
    r = fat_count_subdirs (fs, ino, &subdirs);
    if (r < 0)
      return r;
    st->nlink = 2 + subdirs;
  } else {
    st->mode = S_IFREG | ((de[11] & FAT_ATTR_RO) ? 0555 : 0755);
    st->size = fat_le32 (de + 28);
    st->nlink = 1;
  }
  st->flags = de[11];
  st->mtime_sec = fat_time_decode (fat_le16 (de + 24), fat_le16 (de + 22));
  st->atime_sec = fat_time_decode (fat_le16 (de + 18), 0);
  st->crtime_sec = fat_time_decode (fat_le16 (de + 16), fat_le16 (de + 14));
  st->crtime_sec += de[13] / 100;
  st->crtime_nsec = (de[13] % 100) * 10000000LL;
  st->ctime_sec = st->crtime_sec;
  st->ctime_nsec = st->crtime_nsec;
  return 0;
}

static int
fat_setattr (struct engine_fs *efs, uint64_t ino,
             const struct engine_setattr *sa)
{
  struct fat_fs *fs = FAT (efs);
  unsigned char de[32];
  uint16_t d, t;
  int r, isdir;

  if (efs->readonly)
    return -EROFS;
  if (((sa->mask & ENGINE_SET_UID) && sa->uid != 0)
      || ((sa->mask & ENGINE_SET_GID) && sa->gid != 0))
    return fat_error (fs, EPERM, "FAT files all belong to uid 0, gid 0");
  if (ino == FAT_ROOT_INO) {
    if ((sa->mask & ENGINE_SET_MODE) && (sa->mode & 07777) != 0755)
      return fat_error (fs, EPERM, "FAT directories have mode 0755");
    return 0;                   /* the root directory has no times */
  }
  r = fat_read_entry (fs, ino, de);
  if (r < 0)
    return r;
  isdir = (de[11] & FAT_ATTR_DIR) != 0;
  if (sa->mask & ENGINE_SET_MODE) {
    uint32_t m = sa->mode & 07777;

    if (m == 0755)
      de[11] &= ~FAT_ATTR_RO;
    else if (m == 0555 && !isdir)
      de[11] |= FAT_ATTR_RO;
    else
      return fat_error (fs, EPERM, "mode %04o: FAT only knows 0755 and "
                        "read-only 0555 %s", m, isdir ? "(files)" : "");
  }
  if (sa->mask & ENGINE_SET_MTIME) {
    fat_time_encode (sa->mtime_sec, 0, &d, &t, NULL);
    fat_put16 (de + 22, t);
    fat_put16 (de + 24, d);
  }
  if (sa->mask & ENGINE_SET_ATIME) {
    fat_time_encode (sa->atime_sec, 0, &d, NULL, NULL);
    fat_put16 (de + 18, d);
  }
  return fat_write_entry (fs, ino, de);
}

/* ---------------------------------------------------------------- */
/* Data.                                                              */

/* Reads or writes [off, off + count) of the chain, one I/O per run of
 * consecutive clusters.  The chain covers the range. */
static int
chain_io (struct fat_fs *fs, const uint32_t *chain, size_t len, void *buf,
          size_t count, uint64_t off, int write)
{
  size_t done = 0;
  int r;

  while (done < count) {
    uint64_t pos = off + done;
    size_t i = pos / fs->cluster_size, j;
    uint64_t in = pos % fs->cluster_size, n;

    if (i >= len)
      return fat_error (fs, EUCLEAN, "the cluster chain is shorter than "
                        "the file");
    for (j = i + 1; j < len && chain[j] == chain[j - 1] + 1; j++)
      ;
    n = (uint64_t) (j - i) * fs->cluster_size - in;
    if (n > count - done)
      n = count - done;
    if (write)
      r = fat_write (fs, (char *) buf + done, n,
                     fat_cluster_offset (fs, chain[i]) + in);
    else
      r = fat_read (fs, (char *) buf + done, n,
                    fat_cluster_offset (fs, chain[i]) + in);
    if (r < 0)
      return r;
    done += n;
  }
  return 0;
}

static int
read_file_entry (struct fat_fs *fs, uint64_t ino, unsigned char de[32])
{
  int r;

  if (ino == FAT_ROOT_INO)
    return -EISDIR;
  r = fat_read_entry (fs, ino, de);
  if (r < 0)
    return r;
  if (de[11] & FAT_ATTR_DIR)
    return -EISDIR;
  return 0;
}

static ssize_t
fat_pread (struct engine_fs *efs, uint64_t ino, void *buf, size_t count,
           uint64_t offset)
{
  struct fat_fs *fs = FAT (efs);
  unsigned char de[32];
  const uint32_t *chain;
  uint64_t size;
  size_t len;
  int r;

  r = read_file_entry (fs, ino, de);
  if (r < 0)
    return r;
  size = fat_le32 (de + 28);
  if (offset >= size)
    return 0;
  if (count > size - offset)
    count = size - offset;
  r = fat_chain (fs, fat_de_cluster (fs, de), &chain, &len);
  if (r < 0)
    return r;
  if ((uint64_t) len * fs->cluster_size < size)
    return fat_error (fs, EUCLEAN, "file of %llu bytes has only %zu "
                      "clusters", (unsigned long long) size, len);
  r = chain_io (fs, chain, len, buf, count, offset, 0);
  return r < 0 ? r : (ssize_t) count;
}

/* Writes zeros over [from, to) of the chain. */
static int
zero_range (struct fat_fs *fs, const uint32_t *chain, size_t len,
            uint64_t from, uint64_t to)
{
  static char zeros[65536];
  int r;

  while (from < to) {
    size_t n = to - from > sizeof zeros ? sizeof zeros : to - from;

    r = chain_io (fs, chain, len, zeros, n, from, 1);
    if (r < 0)
      return r;
    from += n;
  }
  return 0;
}

/* Sets the size of the file whose entry is de to size, allocating or
 * freeing clusters; the data from the old size to zero_to is zeroed. */
static int
resize_file (struct fat_fs *fs, unsigned char *de, uint64_t size,
             uint64_t zero_to)
{
  uint32_t first = fat_de_cluster (fs, de);
  uint64_t old = fat_le32 (de + 28);
  size_t n = (size + fs->cluster_size - 1) / fs->cluster_size, len;
  const uint32_t *chain;
  int r;

  if (size > FAT_MAX_FILE)
    return fat_error (fs, EFBIG, "FAT files hold at most 4 GiB - 1 bytes");
  r = fat_resize_chain (fs, &first, n, 0);
  if (r < 0)
    return r;
  fat_de_set_cluster (fs, de, first);
  if (zero_to > old) {
    r = fat_chain (fs, first, &chain, &len);
    if (r < 0)
      return r;
    r = zero_range (fs, chain, len, old, zero_to);
    if (r < 0)
      return r;
  }
  fat_put32 (de + 28, size);
  return 0;
}

static void
modified (unsigned char *de)
{
  fat_stamp_modified (de);
  de[11] |= FAT_ATTR_ARCHIVE;
}

static ssize_t
fat_pwrite (struct engine_fs *efs, uint64_t ino, const void *buf,
            size_t count, uint64_t offset)
{
  struct fat_fs *fs = FAT (efs);
  unsigned char de[32];
  const uint32_t *chain;
  uint64_t size;
  size_t len;
  int r;

  if (efs->readonly)
    return -EROFS;
  r = read_file_entry (fs, ino, de);
  if (r < 0)
    return r;
  if (count == 0)
    return 0;
  if (offset + count > FAT_MAX_FILE)
    return fat_error (fs, EFBIG, "FAT files hold at most 4 GiB - 1 bytes");
  size = fat_le32 (de + 28);
  if (offset + count > size) {
    r = resize_file (fs, de, offset + count, offset);
    if (r < 0)
      return r;
  }
  r = fat_chain (fs, fat_de_cluster (fs, de), &chain, &len);
  if (r < 0)
    return r;
  r = chain_io (fs, chain, len, (void *) buf, count, offset, 1);
  if (r < 0)
    return r;
  modified (de);
  r = fat_write_entry (fs, ino, de);
  return r < 0 ? r : (ssize_t) count;
}

static int
fat_truncate (struct engine_fs *efs, uint64_t ino, uint64_t size)
{
  struct fat_fs *fs = FAT (efs);
  unsigned char de[32];
  int r;

  if (efs->readonly)
    return -EROFS;
  r = read_file_entry (fs, ino, de);
  if (r < 0)
    return r;
  r = resize_file (fs, de, size, size);
  if (r < 0)
    return r;
  modified (de);
  return fat_write_entry (fs, ino, de);
}

static int
fat_fallocate (struct engine_fs *efs, uint64_t ino, uint64_t offset,
               uint64_t len)
{
  struct fat_fs *fs = FAT (efs);
  unsigned char de[32];
  int r;

  if (efs->readonly)
    return -EROFS;
  if (len == 0)
    return -EINVAL;
  r = read_file_entry (fs, ino, de);
  if (r < 0)
    return r;
  if (offset + len <= fat_le32 (de + 28))
    return 0;
  r = resize_file (fs, de, offset + len, offset + len);
  if (r < 0)
    return r;
  modified (de);
  return fat_write_entry (fs, ino, de);
}

/* ---------------------------------------------------------------- */
/* What FAT cannot hold.                                              */

static int
fat_readlink (struct engine_fs *efs, uint64_t ino, char **target_r)
{
  (void) efs;
  (void) ino;
  *target_r = NULL;
  return -EINVAL;
}

static int
fat_symlink (struct engine_fs *efs, uint64_t dir, const char *name,
             const char *target, uint32_t uid, uint32_t gid, uint64_t *ino_r)
{
  (void) dir;
  (void) name;
  (void) target;
  (void) uid;
  (void) gid;
  (void) ino_r;
  return fat_error (FAT (efs), EPERM, "FAT cannot hold symbolic links");
}

static int
fat_link (struct engine_fs *efs, uint64_t dir, const char *name, uint64_t ino)
{
  (void) dir;
  (void) name;
  (void) ino;
  return fat_error (FAT (efs), EPERM, "FAT cannot hold hard links");
}

/* As the kernel: no names to list, nothing to get or set. */
static int
fat_listxattr (struct engine_fs *efs, uint64_t ino, engine_xattr_cb cb,
               void *opaque)
{
  (void) efs;
  (void) ino;
  (void) cb;
  (void) opaque;
  return 0;
}

static int
fat_getxattr (struct engine_fs *efs, uint64_t ino, const char *name,
              void **value_r, size_t *len_r)
{
  (void) ino;
  (void) name;
  *value_r = NULL;
  *len_r = 0;
  return fat_error (FAT (efs), EOPNOTSUPP, "FAT has no extended attributes");
}

static int
fat_setxattr (struct engine_fs *efs, uint64_t ino, const char *name,
              const void *value, size_t len)
{
  (void) ino;
  (void) name;
  (void) value;
  (void) len;
  return fat_error (FAT (efs), EOPNOTSUPP, "FAT has no extended attributes");
}

static int
fat_removexattr (struct engine_fs *efs, uint64_t ino, const char *name)
{
  (void) ino;
  (void) name;
  return fat_error (FAT (efs), EOPNOTSUPP, "FAT has no extended attributes");
}

static const char *const fat_mount_types[] = { "vfat", "msdos", NULL };

const struct engine_ops engine_fat_ops = {
  .name = "vfat",
  .mount_types = fat_mount_types,
  .flags = ENGINE_NO_UNIX_ATTRS,
  .probe = fat_probe,
  .open = fat_open,
  .close = fat_close,
  .sync = fat_sync,
  .root = fat_root,
  .lookup = fat_lookup,
  .getattr = fat_getattr,
  .setattr = fat_setattr,
  .readlink = fat_readlink,
  .pread = fat_pread,
  .pwrite = fat_pwrite,
  .truncate = fat_truncate,
  .fallocate = fat_fallocate,
  .mknod = fat_mknod,
  .mkdir = fat_mkdir,
  .symlink = fat_symlink,
  .link = fat_link,
  .unlink = fat_unlink,
  .rmdir = fat_rmdir,
  .rename = fat_rename,
  .remove_tree = fat_remove_tree,
  .readdir = fat_readdir,
  .listxattr = fat_listxattr,
  .getxattr = fat_getxattr,
  .setxattr = fat_setxattr,
  .removexattr = fat_removexattr,
  .statvfs = fat_statvfs,
  .get_label = fat_get_label,
  .get_uuid = fat_get_uuid,
  .get_uuid_string = fat_get_uuid_string,
  .set_label = fat_set_label,
  .mkfs_types = fat_mkfs_types,
  .mkfs = fat_mkfs,
  .fsck = fat_fsck,
};
