/* minnow: actions on devices and partition tables (libguestfs's names
 * and semantics; the work is in part.c). */

#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "storage-actions.h"
#include "part.h"
#include "actions.h"

/* A whole drive that is not in use by a mount (changing its table would
 * pull the filesystem from under the mount). */
static int
drive_for_change (const char *device, size_t *index)
{
  int partnum;
  size_t i, mi;
  int mp;

  if (device_drive (device, index, &partnum, 1, 0) < 0)
    return -1;
  for (i = 0; i < mount_count; i++)
    if (storage_parse_device (mount_table[i].device, &mi, &mp) == 0
        && mi == *index) {
      reply_with_error_errno (EBUSY, "%s: %s is mounted on %s", device,
                              mount_table[i].device,
                              mount_table[i].mountpoint);
      return -1;
    }
  return 0;
}

char **
do_list_partitions (void)
{
  size_t d, nd = storage_drive_count (), n = 0, cap = 16;
  char **list = strlist_new (cap);

  if (list == NULL)
    return NULL;
  for (d = 0; d < nd; d++) {
    struct storage_partition *parts;
    char *msg = NULL, *drive = storage_drive_name (d);
    int np, i;

    np = storage_list_partitions (d, &parts, &msg);
    if (np < 0) {
      free (drive);
      strlist_free (list);
      reply_errno_msg (np, "list_partitions", msg);
      return NULL;
    }
    free (msg);
    for (i = 0; i < np; i++) {
      if (n + 1 >= cap) {
        char **l = realloc (list, (cap *= 2) * sizeof *l);
        if (l == NULL) {
          free (parts);
          free (drive);
          strlist_free (list);
          reply_with_perror ("realloc");
          return NULL;
        }
        list = l;
      }
      if (asprintf (&list[n], "%s%d", drive, parts[i].partnum) == -1) {
        list[n] = NULL;
        free (parts);
        free (drive);
        strlist_free (list);
        reply_with_perror ("asprintf");
        return NULL;
      }
      list[++n] = NULL;
    }
    free (parts);
    free (drive);
  }
  return list;
}

int
do_part_init (const char *device, const char *parttype)
{
  size_t index;
  char *msg = NULL;
  int r;

  if (drive_for_change (device, &index) < 0)
    return -1;
  r = storage_part_init (index, parttype, &msg);
  if (r < 0) {
    reply_errno_msg (r, device, msg);
    return -1;
  }
  return 0;
}

int
do_part_disk (const char *device, const char *parttype)
{
  size_t index;
  char *msg = NULL;
  int r;

  if (drive_for_change (device, &index) < 0)
    return -1;
  r = storage_part_disk (index, parttype, &msg);
  if (r < 0) {
    reply_errno_msg (r, device, msg);
    return -1;
  }
  return 0;
}

int
do_part_add (const char *device, const char *prlogex, int64_t startsect,
             int64_t endsect)
{
  size_t index;
  char *msg = NULL;
  int r;

  if (drive_for_change (device, &index) < 0)
    return -1;
  r = storage_part_add (index, prlogex, startsect, endsect, &msg);
  if (r < 0) {
    reply_errno_msg (r, device, msg);
    return -1;
  }
  return 0;
}

int
do_part_del (const char *device, int partnum)
{
  size_t index;
  char *msg = NULL;
  int r;

  if (drive_for_change (device, &index) < 0)
    return -1;
  r = storage_part_del (index, partnum, &msg);
  if (r < 0) {
    reply_errno_msg (r, device, msg);
    return -1;
  }
  return 0;
}

minnow_int_partition_list *
do_part_list (const char *device)
{
  size_t index;
  int partnum, n, i;
  struct storage_partition *parts;
  minnow_int_partition_list *ret;
  char *msg = NULL;

  if (device_drive (device, &index, &partnum, 1, 0) < 0)
    return NULL;
  n = storage_list_partitions (index, &parts, &msg);
  if (n < 0) {
    reply_errno_msg (n, device, msg);
    return NULL;
  }
  free (msg);
  ret = calloc (1, sizeof *ret);
  if (ret == NULL || (n > 0 && (ret->minnow_int_partition_list_val =
                                calloc (n, sizeof (minnow_int_partition)))
                      == NULL)) {
    free (ret);
    free (parts);
    reply_with_perror ("calloc");
    return NULL;
  }
  ret->minnow_int_partition_list_len = n;
  for (i = 0; i < n; i++) {
    minnow_int_partition *p = &ret->minnow_int_partition_list_val[i];
    p->part_num = parts[i].partnum;
    p->part_start = parts[i].start;
    p->part_end = parts[i].end;
    p->part_size = parts[i].size;
  }
  free (parts);
  return ret;
}

char *
do_part_get_parttype (const char *device)
{
  size_t index;
  int partnum, r;
  char *type = NULL, *msg = NULL;

  if (device_drive (device, &index, &partnum, 1, 0) < 0)
    return NULL;
  r = storage_part_get_parttype (index, &type, &msg);
  if (r < 0) {
    reply_errno_msg (r, device, msg);
    return NULL;
  }
  return type;
}

char *
do_part_to_dev (const char *partition)
{
  size_t index;
  int partnum;

  if (device_drive (partition, &index, &partnum, 0, 1) < 0)
    return NULL;
  return storage_drive_name (index);
}

int
do_part_to_partnum (const char *partition)
{
  size_t index;
  int partnum;

  if (device_drive (partition, &index, &partnum, 0, 1) < 0)
    return -1;
  return partnum;
}

static int
get_info (const char *device, int partnum, struct storage_part_info *info)
{
  size_t index;
  int pn, r;
  char *msg = NULL;

  if (device_drive (device, &index, &pn, 1, 0) < 0)
    return -1;
  r = storage_part_get_info (index, partnum, info, &msg);
  if (r < 0) {
    reply_errno_msg (r, device, msg);
    return -1;
  }
  return 0;
}

static char *
gpt_field (const char *device, int partnum, int which)
{
  struct storage_part_info info;
  char *r;

  if (get_info (device, partnum, &info) < 0)
    return NULL;
  if (!info.is_gpt) {
    storage_part_info_free (&info);
    reply_with_error_errno (EINVAL, "%s: not a GPT partition table", device);
    return NULL;
  }
  r = which == 0 ? info.name : which == 1 ? info.gpt_type : info.gpt_guid;
  if (which != 0) free (info.name);
  if (which != 1) free (info.gpt_type);
  if (which != 2) free (info.gpt_guid);
  return r;
}

char *
do_part_get_name (const char *device, int partnum)
{
  return gpt_field (device, partnum, 0);
}

char *
do_part_get_gpt_type (const char *device, int partnum)
{
  return gpt_field (device, partnum, 1);
}

char *
do_part_get_gpt_guid (const char *device, int partnum)
{
  return gpt_field (device, partnum, 2);
}

int
do_part_get_bootable (const char *device, int partnum)
{
  struct storage_part_info info;

  if (get_info (device, partnum, &info) < 0)
    return -1;
  storage_part_info_free (&info);
  return info.bootable;
}

int
do_part_get_mbr_id (const char *device, int partnum)
{
  struct storage_part_info info;

  if (get_info (device, partnum, &info) < 0)
    return -1;
  storage_part_info_free (&info);
  if (info.is_gpt) {
    reply_with_error_errno (EINVAL, "%s: not an MBR partition table", device);
    return -1;
  }
  return info.mbr_id;
}

/* The setters share their shape: check, call, reply. */
#define SETTER(call)                                            \
  size_t index;                                                 \
  char *msg = NULL;                                             \
  int r;                                                        \
                                                                \
  if (drive_for_change (device, &index) < 0)                    \
    return -1;                                                  \
  r = call;                                                     \
  if (r < 0) {                                                  \
    reply_errno_msg (r, device, msg);                           \
    return -1;                                                  \
  }                                                             \
  return 0

int
do_part_set_name (const char *device, int partnum, const char *name)
{
  SETTER (storage_part_set_name (index, partnum, name, &msg));
}

int
do_part_set_bootable (const char *device, int partnum, int bootable)
{
  SETTER (storage_part_set_bootable (index, partnum, bootable, &msg));
}

int
do_part_set_mbr_id (const char *device, int partnum, int idbyte)
{
  SETTER (storage_part_set_mbr_id (index, partnum, idbyte, &msg));
}

int
do_part_set_gpt_type (const char *device, int partnum, const char *guid)
{
  SETTER (storage_part_set_gpt_type (index, partnum, guid, &msg));
}

int
do_part_set_gpt_guid (const char *device, int partnum, const char *guid)
{
  SETTER (storage_part_set_gpt_guid (index, partnum, guid, &msg));
}

char *
do_part_get_disk_guid (const char *device)
{
  size_t index;
  int partnum, r;
  char *guid = NULL, *msg = NULL;

  if (device_drive (device, &index, &partnum, 1, 0) < 0)
    return NULL;
  r = storage_part_get_disk_guid (index, &guid, &msg);
  if (r < 0) {
    reply_errno_msg (r, device, msg);
    return NULL;
  }
  return guid;
}

/* ---------------------------------------------------------------- */
/* Block devices.                                                     */

static int
range_of (const char *device, struct engine_range *range)
{
  char *msg = NULL;
  int r = storage_device_range (device, range, &msg);

  if (r < 0) {
    reply_errno_msg (r, device, msg);
    return -1;
  }
  free (msg);
  return 0;
}

int64_t
do_blockdev_getsz (const char *device)
{
  struct engine_range range;

  if (range_of (device, &range) < 0)
    return -1;
  return range.length / 512;
}

int
do_blockdev_flushbufs (const char *device)
{
  struct engine_range range;

  if (range_of (device, &range) < 0)
    return -1;
  if (storage_sync_all () < 0 || fdatasync (range.fd) == -1) {
    reply_with_perror ("%s: flush", device);
    return -1;
  }
  return 0;
}

/* Writes zeroes over [off, off+len) of the range. */
static int
zero_range (const char *device, const struct engine_range *range,
            uint64_t off, uint64_t len)
{
  static const char zeroes[65536];

  if (range->readonly) {
    reply_with_error_errno (EROFS, "%s: device is read-only", device);
    return -1;
  }
  if (device_in_use (device)) {
    reply_with_error_errno (EBUSY, "%s: device is mounted", device);
    return -1;
  }
  if (off > range->length)
    return 0;
  if (len > range->length - off)
    len = range->length - off;
  while (len > 0) {
    size_t n = len < sizeof zeroes ? len : sizeof zeroes;
    ssize_t w;

    if (storage_stop_requested ()) {
      reply_with_error_errno (EINTR, "%s: the client went away", device);
      return -1;
    }
    w = pwrite (range->fd, zeroes, n, range->offset + off);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      reply_with_perror ("%s: write", device);
      return -1;
    }
    off += w;
    len -= w;
  }
  return 0;
}

int
do_zero (const char *device)
{
  struct engine_range range;

  if (range_of (device, &range) < 0)
    return -1;
  /* libguestfs: the first 32 sectors, enough to kill any signature. */
  return zero_range (device, &range, 0, 32 * 512);
}

int
do_zero_device (const char *device)
{
  struct engine_range range;
  uint64_t off;

  if (range_of (device, &range) < 0)
    return -1;
  for (off = 0; off < range.length; off += 1 << 26) {
    if (zero_range (device, &range, off, 1 << 26) < 0)
      return -1;
    notify_progress (off, range.length);
  }
  return 0;
}

int
do_wipefs (const char *device)
{
  struct engine_range range;
  size_t index;
  int partnum;

  if (device_drive (device, &index, &partnum, 0, 0) < 0
      || range_of (device, &range) < 0)
    return -1;
  /* ext2/3/4 superblock, MBR, GPT header (and the backup at the end). */
  if (zero_range (device, &range, 0, 8192) < 0)
    return -1;
  if (partnum == 0 && range.length > 33 * 512
      && zero_range (device, &range, range.length - 33 * 512, 33 * 512) < 0)
    return -1;
  return 0;
}

char *
do_canonical_device_name (const char *device)
{
  size_t index;
  int partnum;
  char *drive, *ret;

  if (storage_parse_device (device, &index, &partnum) < 0) {
    ret = strdup (device);      /* not a device: libguestfs returns it as is */
    if (ret == NULL)
      reply_with_perror ("strdup");
    return ret;
  }
  drive = storage_drive_name (index);
  if (drive == NULL || (partnum
                        ? asprintf (&ret, "%s%d", drive, partnum)
                        : asprintf (&ret, "%s", drive)) == -1) {
    free (drive);
    reply_with_perror ("asprintf");
    return NULL;
  }
  free (drive);
  return ret;
}

int
do_device_index (const char *device)
{
  size_t index;
  int partnum;

  if (device_drive (device, &index, &partnum, 1, 0) < 0)
    return -1;
  return (int) index;
}

/* ---------------------------------------------------------------- */
/* More of libguestfs's partition calls (issue 9).                    */

int
do_part_expand_gpt (const char *device)
{
  SETTER (storage_part_expand_gpt (index, &msg));
}

int64_t
do_part_get_gpt_attributes (const char *device, int partnum)
{
  size_t index;
  int whole, r;
  uint64_t attrs = 0;
  char *msg = NULL;

  if (device_drive (device, &index, &whole, 1, 0) < 0)
    return -1;
  r = storage_part_get_gpt_attributes (index, partnum, &attrs, &msg);
  if (r < 0) {
    reply_errno_msg (r, device, msg);
    return -1;
  }
  return (int64_t) attrs;
}

int
do_part_set_gpt_attributes (const char *device, int partnum,
                            int64_t attributes)
{
  SETTER (storage_part_set_gpt_attributes (index, partnum,
                                           (uint64_t) attributes, &msg));
}

char *
do_part_get_mbr_part_type (const char *device, int partnum)
{
  size_t index;
  int whole, r;
  char *type = NULL, *msg = NULL;

  if (device_drive (device, &index, &whole, 1, 0) < 0)
    return NULL;
  r = storage_part_get_mbr_part_type (index, partnum, &type, &msg);
  if (r < 0) {
    reply_errno_msg (r, device, msg);
    return NULL;
  }
  return type;
}

int
do_part_resize (const char *device, int partnum, int64_t endsect)
{
  SETTER (storage_part_resize (index, partnum, endsect, &msg));
}

int
do_part_set_disk_guid (const char *device, const char *guid)
{
  SETTER (storage_part_set_disk_guid (index, guid, &msg));
}

int
do_part_set_disk_guid_random (const char *device)
{
  SETTER (storage_part_set_disk_guid (index, NULL, &msg));
}
