/* minnow storage: partition tables (libfdisk).
 *
 * Partition tables are read and written with libfdisk on the drive the
 * daemon was given, reopened through /proc/self/fd/N so that libfdisk
 * owns (and closes) its own descriptor.  Nothing is cached: every call
 * reads the table again, so a table written by pwrite_device is seen.
 */

#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <libfdisk/libfdisk.h>

#include "storage.h"
#include "part.h"

/* ---------------------------------------------------------------- */
/* libfdisk.                                                          */

int
part_open (size_t index, int write, struct fdisk_context **cxt_r,
           struct engine_range *drive, char **error_r)
{
  struct fdisk_context *cxt;
  char path[64];
  int r;

  r = storage_drive_range (index, drive);
  if (r < 0) {
    storage_set_error (error_r, "no such drive");
    return r;
  }
  if (write && drive->readonly) {
    storage_set_error (error_r, "drive is read-only");
    return -EROFS;
  }
  cxt = fdisk_new_context ();
  if (cxt == NULL)
    return -ENOMEM;
  fdisk_disable_dialogs (cxt, 1);
  /* Sectors given to part_add are used as they are (libguestfs, parted
   * in sector units): no rounding to libfdisk's 1 MiB grain. */
  fdisk_save_user_grain (cxt, 512);
  snprintf (path, sizeof path, "/proc/self/fd/%d", drive->fd);
  r = fdisk_assign_device (cxt, path, !write);
  if (r < 0) {
    storage_set_error (error_r, "cannot read the partition table: %s",
               strerror (-r));
    fdisk_unref_context (cxt);
    return r;
  }
  /* libfdisk keeps the first 1 MiB free on MBR; libguestfs (parted)
   * lets a partition start at sector 1.  A GPT's limit comes from its
   * header's first usable LBA, read with the table. */
  if (fdisk_has_label (cxt) && fdisk_is_label (cxt, DOS))
    fdisk_set_first_lba (cxt, 1);
  *cxt_r = cxt;
  return 0;
}

int
part_close (struct fdisk_context *cxt, int write, char **error_r)
{
  int r = 0;

  if (write) {
    r = fdisk_write_disklabel (cxt);
    if (r < 0)
      storage_set_error (error_r, "writing the partition table: %s", strerror (-r));
  }
  fdisk_deassign_device (cxt, !write);
  fdisk_unref_context (cxt);
  return r;
}

static int
compare_parts (const void *a, const void *b)
{
  const struct storage_partition *x = a, *y = b;

  return x->partnum - y->partnum;
}

int
storage_list_partitions (size_t index, struct storage_partition **parts_r,
                         char **error_r)
{
  struct fdisk_context *cxt;
  struct fdisk_table *tb = NULL;
  struct fdisk_iter *it = NULL;
  struct fdisk_partition *pa;
  struct engine_range drive;
  struct storage_partition *parts = NULL;
  unsigned long ss;
  size_t n = 0;
  int r;

  *parts_r = NULL;
  r = part_open (index, 0, &cxt, &drive, error_r);
  if (r < 0)
    return r;
  if (!fdisk_has_label (cxt)) {
    part_close (cxt, 0, NULL);
    return 0;
  }
  ss = fdisk_get_sector_size (cxt);
  r = fdisk_get_partitions (cxt, &tb);
  if (r < 0) {
    storage_set_error (error_r, "reading partitions: %s", strerror (-r));
    part_close (cxt, 0, NULL);
    return r;
  }
  it = fdisk_new_iter (FDISK_ITER_FORWARD);
  parts = calloc (fdisk_table_get_nents (tb) + 1, sizeof *parts);
  if (it == NULL || parts == NULL) {
    r = -ENOMEM;
    goto out;
  }
  while (fdisk_table_next_partition (tb, it, &pa) == 0) {
    if (!fdisk_partition_has_partno (pa) || !fdisk_partition_has_start (pa)
        || !fdisk_partition_has_size (pa))
      continue;
    parts[n].partnum = (int) fdisk_partition_get_partno (pa) + 1;
    parts[n].start = (uint64_t) fdisk_partition_get_start (pa) * ss;
    parts[n].size = (uint64_t) fdisk_partition_get_size (pa) * ss;
    parts[n].end = parts[n].start + parts[n].size - 1;
    n++;
  }
  qsort (parts, n, sizeof *parts, compare_parts);
  *parts_r = parts;
  parts = NULL;
  r = (int) n;
 out:
  free (parts);
  fdisk_free_iter (it);
  fdisk_unref_table (tb);
  part_close (cxt, 0, NULL);
  return r;
}

/* ---------------------------------------------------------------- */
/* Editing.                                                           */

static char *
upper (const char *s)
{
  char *r = s ? strdup (s) : NULL;
  char *p;

  for (p = r; p && *p; p++)
    *p = toupper ((unsigned char) *p);
  return r;
}

/* libfdisk's name for a libguestfs partition table type. */
static const char *
label_of (const char *parttype, char **error_r)
{
  if (strcmp (parttype, "msdos") == 0 || strcmp (parttype, "mbr") == 0)
    return "dos";
  if (strcmp (parttype, "gpt") == 0 || strcmp (parttype, "efi") == 0)
    return "gpt";
  storage_set_error (error_r, "unknown partition table type: %s "
                     "(use \"msdos\" or \"gpt\")", parttype);
  return NULL;
}

/* Opens drive index for writing with a new, empty table in memory. */
static int
new_table (size_t index, const char *label, const char *parttype,
           struct fdisk_context **cxt_r, char **error_r)
{
  struct engine_range drive;
  int r;

  r = part_open (index, 1, cxt_r, &drive, error_r);
  if (r < 0)
    return r;
  /* As parted makes them: a GPT's first usable sector right after its
   * 128 entries (34), an MBR's partitions from sector 1 on. */
  fdisk_set_first_lba (*cxt_r, strcmp (label, "gpt") == 0 ? 34 : 1);
  r = fdisk_create_disklabel (*cxt_r, label);
  if (r < 0) {
    storage_set_error (error_r, "creating the %s partition table: %s",
                       parttype, strerror (-r));
    part_close (*cxt_r, 0, NULL);
    return r;
  }
  /* Replacing an existing table, libfdisk resets the alignment from the
   * old one's and moves the first usable sector back to 1 MiB: set it
   * again (part_disk over a partitioned disk failed otherwise). */
  if (strcmp (label, "gpt") != 0)
    fdisk_set_first_lba (*cxt_r, 1);
  else if (fdisk_get_first_lba (*cxt_r) != 34) {
    /* The GPT header took its first usable sector from that alignment.
     * Changing the entry count recomputes it from the entry array (34
     * for 128 entries); libfdisk ignores a change to the same count. */
    if (fdisk_gpt_set_npartitions (*cxt_r, 129) < 0 ||
        fdisk_gpt_set_npartitions (*cxt_r, 128) < 0) {
      storage_set_error (error_r, "creating the %s partition table: "
                         "cannot place its first usable sector", parttype);
      part_close (*cxt_r, 0, NULL);
      return -EIO;
    }
  }
  return 0;
}

int
storage_part_init (size_t index, const char *parttype, char **error_r)
{
  struct fdisk_context *cxt;
  const char *label = label_of (parttype, error_r);
  int r;

  if (label == NULL)
    return -EINVAL;
  r = new_table (index, label, parttype, &cxt, error_r);
  if (r < 0)
    return r;
  return part_close (cxt, 1, error_r);
}

/* Needs a table: EINVAL "no partition table" otherwise. */
static int
need_label (struct fdisk_context *cxt, char **error_r)
{
  if (!fdisk_has_label (cxt)) {
    storage_set_error (error_r, "the device has no partition table "
               "(use part_init first)");
    return -EINVAL;
  }
  return 0;
}

static int add_partition (struct fdisk_context *cxt, int kind,
                          int64_t startsect, int64_t endsect, char **error_r);

int
storage_part_add (size_t index, const char *prlogex, int64_t startsect,
                  int64_t endsect, char **error_r)
{
  struct fdisk_context *cxt;
  struct engine_range drive;
  int kind, r;

  if (strcmp (prlogex, "p") == 0 || strcmp (prlogex, "primary") == 0)
    kind = 'p';
  else if (strcmp (prlogex, "e") == 0 || strcmp (prlogex, "extended") == 0)
    kind = 'e';
  else if (strcmp (prlogex, "l") == 0 || strcmp (prlogex, "logical") == 0)
    kind = 'l';
  else {
    storage_set_error (error_r, "prlogex must be \"p\", \"l\" or \"e\", not \"%s\"",
               prlogex);
    return -EINVAL;
  }
  r = part_open (index, 1, &cxt, &drive, error_r);
  if (r < 0)
    return r;
  if ((r = need_label (cxt, error_r)) < 0
      || (r = add_partition (cxt, kind, startsect, endsect, error_r)) < 0) {
    part_close (cxt, 0, NULL);
    return r;
  }
  return part_close (cxt, 1, error_r);
}

/* Adds a partition in an open context (the table is written by the
 * caller). */
static int
add_partition (struct fdisk_context *cxt, int kind, int64_t startsect,
               int64_t endsect, char **error_r)
{
  struct fdisk_partition *pa = NULL;
  struct fdisk_parttype *type = NULL;
  int r, is_dos;
  size_t partno, i, n;
  uint64_t nsectors;

  is_dos = fdisk_is_label (cxt, DOS);
  if (!is_dos && kind != 'p') {
    storage_set_error (error_r, "only primary partitions exist on a GPT disk");
    r = -EINVAL;
    goto fail;
  }
  nsectors = fdisk_get_nsectors (cxt);
  if (endsect < 0)
    endsect = (int64_t) fdisk_get_last_lba (cxt) + 1 + endsect;
  if (startsect < 0 || endsect < startsect
      || (uint64_t) endsect >= nsectors) {
    storage_set_error (error_r, "invalid sector range %" PRIi64 "..%" PRIi64
               " (the disk has %" PRIu64 " sectors)", startsect, endsect,
               nsectors);
    r = -EINVAL;
    goto fail;
  }

  /* The partition number: first free primary slot, or the next logical. */
  n = fdisk_get_npartitions (cxt);
  partno = n;
  if (kind == 'l') {
    for (i = 4; i < n && fdisk_is_partition_used (cxt, i); i++)
      ;
    partno = i;
  } else {
    for (i = 0; i < (is_dos ? 4 : n); i++)
      if (!fdisk_is_partition_used (cxt, i)) {
        partno = i;
        break;
      }
  }
  if (partno >= n && !(is_dos && kind == 'l')) {
    storage_set_error (error_r, "no free partition slot left");
    r = -ENOSPC;
    goto fail;
  }

  pa = fdisk_new_partition ();
  if (pa == NULL) {
    r = -ENOMEM;
    goto fail;
  }
  fdisk_partition_set_partno (pa, partno);
  fdisk_partition_set_start (pa, startsect);
  fdisk_partition_set_size (pa, endsect - startsect + 1);
  if (kind == 'e') {
    type = fdisk_label_get_parttype_from_code (fdisk_get_label (cxt, NULL),
                                               0x05);
    if (type)
      fdisk_partition_set_type (pa, type);
  }
  r = fdisk_add_partition (cxt, pa, NULL);
  if (r < 0) {
    storage_set_error (error_r, "adding the partition (sectors %" PRIi64 "..%" PRIi64
               "): %s", startsect, endsect,
               r == -ERANGE ? "out of the free space" : strerror (-r));
    goto fail;
  }
  fdisk_unref_partition (pa);
  return 0;

 fail:
  fdisk_unref_partition (pa);
  return r;
}

/* One context from label to partition: libfdisk reads uninitialised
 * memory when it probes an MBR without partitions, so the empty table
 * is never read back. */
int
storage_part_disk (size_t index, const char *parttype, char **error_r)
{
  struct fdisk_context *cxt;
  const char *label = label_of (parttype, error_r);
  int64_t last;
  int r;

  if (label == NULL)
    return -EINVAL;
  r = new_table (index, label, parttype, &cxt, error_r);
  if (r < 0)
    return r;
  /* libguestfs: from sector 128 to 129 sectors before the end, so that
   * the last 128 sectors stay free (on MBR and GPT alike). */
  last = (int64_t) fdisk_get_nsectors (cxt) - 129;
  if ((int64_t) fdisk_get_last_lba (cxt) < last)
    last = (int64_t) fdisk_get_last_lba (cxt);
  if (last < 128 + 64) {
    storage_set_error (error_r, "the disk is too small to partition");
    part_close (cxt, 0, NULL);
    return -ENOSPC;
  }
  r = add_partition (cxt, 'p', 128, last, error_r);
  if (r < 0) {
    part_close (cxt, 0, NULL);
    return r;
  }
  return part_close (cxt, 1, error_r);
}

static int
check_partnum (struct fdisk_context *cxt, int partnum, char **error_r)
{
  if (partnum < 1 || (size_t) partnum > fdisk_get_npartitions (cxt)
      || !fdisk_is_partition_used (cxt, partnum - 1)) {
    storage_set_error (error_r, "partition %d does not exist", partnum);
    return -ENOENT;
  }
  return 0;
}

int
storage_part_del (size_t index, int partnum, char **error_r)
{
  struct fdisk_context *cxt;
  struct engine_range drive;
  int r;

  r = part_open (index, 1, &cxt, &drive, error_r);
  if (r < 0)
    return r;
  if ((r = need_label (cxt, error_r)) < 0
      || (r = check_partnum (cxt, partnum, error_r)) < 0)
    goto fail;
  r = fdisk_delete_partition (cxt, partnum - 1);
  if (r < 0) {
    storage_set_error (error_r, "deleting partition %d: %s", partnum, strerror (-r));
    goto fail;
  }
  return part_close (cxt, 1, error_r);
 fail:
  part_close (cxt, 0, NULL);
  return r;
}

int
storage_part_get_parttype (size_t index, char **type_r, char **error_r)
{
  struct fdisk_context *cxt;
  struct engine_range drive;
  int r;

  r = part_open (index, 0, &cxt, &drive, error_r);
  if (r < 0)
    return r;
  if ((r = need_label (cxt, error_r)) == 0) {
    *type_r = strdup (fdisk_is_label (cxt, GPT) ? "gpt"
                      : fdisk_is_label (cxt, DOS) ? "msdos"
                      : fdisk_label_get_name (fdisk_get_label (cxt, NULL)));
    if (*type_r == NULL)
      r = -ENOMEM;
  }
  part_close (cxt, 0, NULL);
  return r;
}

/* libfdisk reports the boot flag of MBR partitions only; on GPT it is
 * the legacy BIOS bootable attribute (bit 2). */
static int
part_is_bootable (struct fdisk_context *cxt, int partnum,
                  struct fdisk_partition *pa)
{
  uint64_t attrs = 0;

  if (fdisk_is_label (cxt, GPT))
    return fdisk_gpt_get_partition_attrs (cxt, partnum - 1, &attrs) == 0
      && (attrs & (UINT64_C(1) << 2)) != 0;
  return fdisk_partition_is_bootable (pa) == 1;
}

int
storage_part_get_info (size_t index, int partnum,
                       struct storage_part_info *info, char **error_r)
{
  struct fdisk_context *cxt;
  struct fdisk_partition *pa = NULL;
  struct fdisk_parttype *type;
  struct engine_range drive;
  int r;

  memset (info, 0, sizeof *info);
  info->mbr_id = -1;
  r = part_open (index, 0, &cxt, &drive, error_r);
  if (r < 0)
    return r;
  if ((r = need_label (cxt, error_r)) < 0
      || (r = check_partnum (cxt, partnum, error_r)) < 0)
    goto out;
  r = fdisk_get_partition (cxt, partnum - 1, &pa);
  if (r < 0) {
    storage_set_error (error_r, "reading partition %d: %s", partnum, strerror (-r));
    goto out;
  }
  info->is_gpt = fdisk_is_label (cxt, GPT);
  info->bootable = part_is_bootable (cxt, partnum, pa);
  type = fdisk_partition_get_type (pa);
  if (info->is_gpt) {
    const char *name = fdisk_partition_get_name (pa);
    info->name = strdup (name ? name : "");
    info->gpt_type = upper (type ? fdisk_parttype_get_string (type) : "");
    info->gpt_guid = upper (fdisk_partition_get_uuid (pa)
                            ? fdisk_partition_get_uuid (pa) : "");
  } else
    info->mbr_id = type ? (int) fdisk_parttype_get_code (type) : 0;
  r = 0;
 out:
  fdisk_unref_partition (pa);
  part_close (cxt, 0, NULL);
  return r;
}

void
storage_part_info_free (struct storage_part_info *info)
{
  free (info->name);
  free (info->gpt_type);
  free (info->gpt_guid);
}

/* Opens for writing and checks the partition and the table kind
 * (need: 'g' GPT only, 'm' MBR only, 0 either). */
static int
open_partition (size_t index, int partnum, int need,
                struct fdisk_context **cxt_r, char **error_r)
{
  struct engine_range drive;
  int r;

  r = part_open (index, 1, cxt_r, &drive, error_r);
  if (r < 0)
    return r;
  if ((r = need_label (*cxt_r, error_r)) < 0
      || (r = check_partnum (*cxt_r, partnum, error_r)) < 0)
    goto fail;
  if (need == 'g' && !fdisk_is_label (*cxt_r, GPT)) {
    storage_set_error (error_r, "this is only possible on a GPT partition table");
    r = -EINVAL;
    goto fail;
  }
  if (need == 'm' && !fdisk_is_label (*cxt_r, DOS)) {
    storage_set_error (error_r, "this is only possible on an MBR partition table");
    r = -EINVAL;
    goto fail;
  }
  return 0;
 fail:
  part_close (*cxt_r, 0, NULL);
  return r;
}

int
storage_part_set_bootable (size_t index, int partnum, int bootable,
                           char **error_r)
{
  struct fdisk_context *cxt;
  struct fdisk_partition *pa = NULL;
  int r, now;

  r = open_partition (index, partnum, 0, &cxt, error_r);
  if (r < 0)
    return r;
  r = fdisk_get_partition (cxt, partnum - 1, &pa);
  if (r < 0)
    goto fail;
  now = part_is_bootable (cxt, partnum, pa);
  fdisk_unref_partition (pa);
  if (now != !!bootable) {
    r = fdisk_toggle_partition_flag (cxt, partnum - 1,
                                     fdisk_is_label (cxt, GPT)
                                     ? GPT_FLAG_LEGACYBOOT : DOS_FLAG_ACTIVE);
    if (r < 0)
      goto fail;
  }
  return part_close (cxt, 1, error_r);
 fail:
  storage_set_error (error_r, "partition %d: %s", partnum, strerror (-r));
  part_close (cxt, 0, NULL);
  return r;
}

static int
set_type (size_t index, int partnum, int need, unsigned code,
          const char *guid, char **error_r)
{
  struct fdisk_context *cxt;
  struct fdisk_parttype *type;
  struct fdisk_label *lb;
  int r;

  r = open_partition (index, partnum, need, &cxt, error_r);
  if (r < 0)
    return r;
  lb = fdisk_get_label (cxt, NULL);
  type = guid ? fdisk_label_get_parttype_from_string (lb, guid)
    : fdisk_label_get_parttype_from_code (lb, code);
  if (type == NULL)
    type = fdisk_new_unknown_parttype (code, guid);
  if (type == NULL) {
    part_close (cxt, 0, NULL);
    return -ENOMEM;
  }
  r = fdisk_set_partition_type (cxt, partnum - 1, type);
  fdisk_unref_parttype (type);
  if (r < 0) {
    storage_set_error (error_r, "partition %d: setting the type: %s", partnum,
               strerror (-r));
    part_close (cxt, 0, NULL);
    return r;
  }
  return part_close (cxt, 1, error_r);
}

int
storage_part_set_mbr_id (size_t index, int partnum, int id, char **error_r)
{
  if (id < 0 || id > 255) {
    storage_set_error (error_r, "MBR partition id %d is not a byte", id);
    return -EINVAL;
  }
  return set_type (index, partnum, 'm', (unsigned) id, NULL, error_r);
}

static int
valid_guid (const char *s)
{
  static const char pattern[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
  size_t i;

  if (strlen (s) != sizeof pattern - 1)
    return 0;
  for (i = 0; pattern[i]; i++)
    if (pattern[i] == 'x' ? !isxdigit ((unsigned char) s[i]) : s[i] != '-')
      return 0;
  return 1;
}

int
storage_part_set_gpt_type (size_t index, int partnum, const char *guid,
                           char **error_r)
{
  if (!valid_guid (guid)) {
    storage_set_error (error_r, "%s: not a GUID", guid);
    return -EINVAL;
  }
  return set_type (index, partnum, 'g', 0, guid, error_r);
}

static int
set_field (size_t index, int partnum, const char *name, const char *uuid,
           char **error_r)
{
  struct fdisk_context *cxt;
  struct fdisk_partition *pa;
  int r;

  r = open_partition (index, partnum, 'g', &cxt, error_r);
  if (r < 0)
    return r;
  pa = fdisk_new_partition ();
  if (pa == NULL) {
    part_close (cxt, 0, NULL);
    return -ENOMEM;
  }
  if (name)
    r = fdisk_partition_set_name (pa, name);
  else
    r = fdisk_partition_set_uuid (pa, uuid);
  if (r == 0)
    r = fdisk_set_partition (cxt, partnum - 1, pa);
  fdisk_unref_partition (pa);
  if (r < 0) {
    storage_set_error (error_r, "partition %d: %s", partnum, strerror (-r));
    part_close (cxt, 0, NULL);
    return r;
  }
  return part_close (cxt, 1, error_r);
}

int
storage_part_set_name (size_t index, int partnum, const char *name,
                       char **error_r)
{
  if (strlen (name) > 36 * 3) {     /* 36 UTF-16 units */
    storage_set_error (error_r, "partition name too long");
    return -EINVAL;
  }
  return set_field (index, partnum, name, NULL, error_r);
}

int
storage_part_set_gpt_guid (size_t index, int partnum, const char *guid,
                           char **error_r)
{
  if (!valid_guid (guid)) {
    storage_set_error (error_r, "%s: not a GUID", guid);
    return -EINVAL;
  }
  return set_field (index, partnum, NULL, guid, error_r);
}

int
storage_part_get_disk_guid (size_t index, char **guid_r, char **error_r)
{
  struct fdisk_context *cxt;
  struct engine_range drive;
  char *id = NULL;
  int r;

  r = part_open (index, 0, &cxt, &drive, error_r);
  if (r < 0)
    return r;
  if ((r = need_label (cxt, error_r)) == 0) {
    if (!fdisk_is_label (cxt, GPT)) {
      storage_set_error (error_r, "the disk GUID exists only on GPT disks");
      r = -EINVAL;
    } else if ((r = fdisk_get_disklabel_id (cxt, &id)) < 0)
      storage_set_error (error_r, "reading the disk GUID: %s", strerror (-r));
    else {
      *guid_r = upper (id);
      free (id);
      r = *guid_r ? 0 : -ENOMEM;
    }
  }
  part_close (cxt, 0, NULL);
  return r;
}

/* ---------------------------------------------------------------- */
/* More of libguestfs's partition calls (issue 9).                    */

int
storage_part_expand_gpt (size_t index, char **error_r)
{
  struct fdisk_context *cxt;
  struct engine_range drive;
  int r;

  r = part_open (index, 1, &cxt, &drive, error_r);
  if (r < 0)
    return r;
  if ((r = need_label (cxt, error_r)) < 0)
    goto fail;
  if (!fdisk_is_label (cxt, GPT)) {
    storage_set_error (error_r, "this is only possible on a GPT partition table");
    r = -EINVAL;
    goto fail;
  }
  /* libfdisk moves a backup table that is not at the end of the disk
   * (and the last usable sector with it) when it reads the table;
   * writing it out is all that is left. */
  return part_close (cxt, 1, error_r);
 fail:
  part_close (cxt, 0, NULL);
  return r;
}

int
storage_part_get_gpt_attributes (size_t index, int partnum, uint64_t *attrs,
                                 char **error_r)
{
  struct fdisk_context *cxt;
  struct engine_range drive;
  int r;

  r = part_open (index, 0, &cxt, &drive, error_r);
  if (r < 0)
    return r;
  if ((r = need_label (cxt, error_r)) < 0
      || (r = check_partnum (cxt, partnum, error_r)) < 0)
    goto out;
  if (!fdisk_is_label (cxt, GPT)) {
    storage_set_error (error_r, "this is only possible on a GPT partition table");
    r = -EINVAL;
    goto out;
  }
  r = fdisk_gpt_get_partition_attrs (cxt, partnum - 1, attrs);
  if (r < 0)
    storage_set_error (error_r, "partition %d: reading the attributes: %s",
                       partnum, strerror (-r));
 out:
  part_close (cxt, 0, NULL);
  return r;
}

int
storage_part_set_gpt_attributes (size_t index, int partnum, uint64_t attrs,
                                 char **error_r)
{
  struct fdisk_context *cxt;
  int r;

  r = open_partition (index, partnum, 'g', &cxt, error_r);
  if (r < 0)
    return r;
  r = fdisk_gpt_set_partition_attrs (cxt, partnum - 1, attrs);
  if (r < 0) {
    storage_set_error (error_r, "partition %d: setting the attributes: %s",
                       partnum, strerror (-r));
    part_close (cxt, 0, NULL);
    return r;
  }
  return part_close (cxt, 1, error_r);
}

static int
is_extended_code (unsigned code)
{
  return code == 0x05 || code == 0x0f || code == 0x85;
}

int
storage_part_get_mbr_part_type (size_t index, int partnum, char **type_r,
                                char **error_r)
{
  struct fdisk_context *cxt;
  struct engine_range drive;
  struct fdisk_partition *pa = NULL;
  struct fdisk_parttype *type;
  const char *what = "primary";
  int r;

  r = part_open (index, 0, &cxt, &drive, error_r);
  if (r < 0)
    return r;
  if ((r = need_label (cxt, error_r)) < 0
      || (r = check_partnum (cxt, partnum, error_r)) < 0)
    goto out;
  if (fdisk_is_label (cxt, DOS)) {
    r = fdisk_get_partition (cxt, partnum - 1, &pa);
    if (r < 0) {
      storage_set_error (error_r, "reading partition %d: %s", partnum,
                         strerror (-r));
      goto out;
    }
    type = fdisk_partition_get_type (pa);
    if (partnum > 4)
      what = "logical";
    else if (type && is_extended_code (fdisk_parttype_get_code (type)))
      what = "extended";
  }
  *type_r = strdup (what);
  r = *type_r ? 0 : -ENOMEM;
 out:
  fdisk_unref_partition (pa);
  part_close (cxt, 0, NULL);
  return r;
}

int
storage_part_resize (size_t index, int partnum, int64_t endsect,
                     char **error_r)
{
  struct storage_partition *parts = NULL;
  struct fdisk_context *cxt;
  struct fdisk_partition *pa = NULL;
  uint64_t start, oldend, ext_end = 0;
  int n, i, r, is_dos, logical, extended = 0;

  r = open_partition (index, partnum, 0, &cxt, error_r);
  if (r < 0)
    return r;
  is_dos = fdisk_is_label (cxt, DOS);
  if (endsect < 0)
    endsect = (int64_t) fdisk_get_last_lba (cxt) + 1 + endsect;
  r = fdisk_get_partition (cxt, partnum - 1, &pa);
  if (r < 0) {
    storage_set_error (error_r, "reading partition %d: %s", partnum,
                       strerror (-r));
    goto fail;
  }
  start = fdisk_partition_get_start (pa);
  oldend = start + fdisk_partition_get_size (pa) - 1;
  if (is_dos && partnum <= 4 && fdisk_partition_get_type (pa))
    extended = is_extended_code (fdisk_parttype_get_code
                                 (fdisk_partition_get_type (pa)));
  fdisk_unref_partition (pa);
  pa = NULL;
  logical = is_dos && partnum > 4;
  if (endsect < (int64_t) start
      || (uint64_t) endsect > fdisk_get_last_lba (cxt)) {
    storage_set_error (error_r, "partition %d: end sector %" PRIi64 " is "
                       "not between its start (%" PRIu64 ") and the last "
                       "usable sector (%" PRIu64 ")", partnum, endsect, start,
                       (uint64_t) fdisk_get_last_lba (cxt));
    r = -EINVAL;
    goto fail;
  }
  /* The new end must not run into another partition.  A logical one
   * stays inside its extended partition; an extended one keeps its
   * logical ones inside. */
  n = storage_list_partitions (index, &parts, error_r);
  if (n < 0) {
    r = n;
    goto fail;
  }
  for (i = 0; i < n; i++) {
    uint64_t s = parts[i].start / 512, e = parts[i].end / 512;
    int other_logical = is_dos && parts[i].partnum > 4, other_extended = 0;

    if (parts[i].partnum == partnum)
      continue;
    if (is_dos && !other_logical) {
      struct storage_part_info info;
      if (storage_part_get_info (index, parts[i].partnum, &info, NULL) == 0) {
        other_extended = is_extended_code ((unsigned) info.mbr_id);
        storage_part_info_free (&info);
      }
    }
    if (logical && other_extended) {
      ext_end = e;
      continue;
    }
    if (extended && other_logical) {
      if ((uint64_t) endsect < e) {
        storage_set_error (error_r, "partition %d: its logical partition "
                           "%d would end outside it", partnum,
                           parts[i].partnum);
        r = -EINVAL;
        goto fail;
      }
      continue;
    }
    if (logical != other_logical)
      continue;
    if (s > start && s <= (uint64_t) endsect) {
      storage_set_error (error_r, "partition %d: the new end %" PRIi64
                         " overlaps partition %d", partnum, endsect,
                         parts[i].partnum);
      r = -EINVAL;
      goto fail;
    }
  }
  if (logical && ext_end && (uint64_t) endsect > ext_end) {
    storage_set_error (error_r, "partition %d: the new end %" PRIi64 " is "
                       "outside the extended partition", partnum, endsect);
    r = -EINVAL;
    goto fail;
  }
  free (parts);
  parts = NULL;
  if ((uint64_t) endsect == oldend)
    return part_close (cxt, 0, error_r);
  pa = fdisk_new_partition ();
  if (pa == NULL) {
    r = -ENOMEM;
    goto fail;
  }
  fdisk_partition_set_size (pa, (uint64_t) endsect - start + 1);
  r = fdisk_set_partition (cxt, partnum - 1, pa);
  fdisk_unref_partition (pa);
  pa = NULL;
  if (r < 0) {
    storage_set_error (error_r, "partition %d: resizing: %s", partnum,
                       strerror (-r));
    goto fail;
  }
  return part_close (cxt, 1, error_r);
 fail:
  free (parts);
  fdisk_unref_partition (pa);
  part_close (cxt, 0, NULL);
  return r;
}

int
storage_part_set_disk_guid (size_t index, const char *guid, char **error_r)
{
  struct fdisk_context *cxt;
  struct engine_range drive;
  char random_guid[37];
  int r;

  if (guid == NULL) {
    unsigned char b[16];
    FILE *fp = fopen ("/dev/urandom", "re");

    if (fp == NULL || fread (b, 1, sizeof b, fp) != sizeof b) {
      if (fp)
        fclose (fp);
      storage_set_error (error_r, "reading random bytes: %s",
                         strerror (errno ? errno : EIO));
      return -EIO;
    }
    fclose (fp);
    b[6] = (b[6] & 0x0f) | 0x40;      /* version 4: random */
    b[8] = (b[8] & 0x3f) | 0x80;      /* RFC 4122 variant */
    snprintf (random_guid, sizeof random_guid,
              "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-"
              "%02X%02X%02X%02X%02X%02X", b[0], b[1], b[2], b[3], b[4],
              b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
              b[14], b[15]);
    guid = random_guid;
  } else if (!valid_guid (guid)) {
    storage_set_error (error_r, "%s: not a GUID", guid);
    return -EINVAL;
  }
  r = part_open (index, 1, &cxt, &drive, error_r);
  if (r < 0)
    return r;
  if ((r = need_label (cxt, error_r)) < 0)
    goto fail;
  if (!fdisk_is_label (cxt, GPT)) {
    storage_set_error (error_r, "the disk GUID exists only on GPT disks");
    r = -EINVAL;
    goto fail;
  }
  r = fdisk_set_disklabel_id_from_string (cxt, guid);
  if (r < 0) {
    storage_set_error (error_r, "setting the disk GUID: %s", strerror (-r));
    goto fail;
  }
  return part_close (cxt, 1, error_r);
 fail:
  part_close (cxt, 0, NULL);
  return r;
}
