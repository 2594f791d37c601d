/* minnow: partition table editing (core of part.c, no replies).
 * Every function returns 0 (or a value) or a negative errno, with a
 * message in *error_r (malloc'd) when one helps.  index is the drive
 * (0 = /dev/sda), partnum counts from 1. */

#ifndef MINNOW_PART_H
#define MINNOW_PART_H

#include <stdint.h>

#include "engine.h"

struct fdisk_context;

/* Opens drive index with libfdisk (write: for changing the table, EROFS
 * on a read-only drive); part_close writes the table when write is set. */
int part_open (size_t index, int write, struct fdisk_context **cxt_r,
               struct engine_range *drive, char **error_r);
int part_close (struct fdisk_context *cxt, int write, char **error_r);

/* parttype: "msdos" or "mbr", "gpt" or "efi". */
int storage_part_init (size_t index, const char *parttype, char **error_r);
/* prlogex: "p"/"primary", "e"/"extended", "l"/"logical"; sectors are
 * inclusive; a negative endsect counts from the end of the disk (-1 is
 * the last usable sector). */
int storage_part_add (size_t index, const char *prlogex, int64_t startsect,
                      int64_t endsect, char **error_r);
/* The whole disk as one partition, as libguestfs's part_disk. */
int storage_part_disk (size_t index, const char *parttype, char **error_r);
int storage_part_del (size_t index, int partnum, char **error_r);
/* "msdos" or "gpt"; caller frees. */
int storage_part_get_parttype (size_t index, char **type_r, char **error_r);

struct storage_part_info {
  int bootable;
  int mbr_id;                   /* MBR only, else -1 */
  char *name;                   /* GPT only, else NULL */
  char *gpt_type;               /* GPT only: upper-case GUID */
  char *gpt_guid;               /* GPT only: upper-case GUID */
  int is_gpt;
};
int storage_part_get_info (size_t index, int partnum,
                           struct storage_part_info *info, char **error_r);
void storage_part_info_free (struct storage_part_info *info);
int storage_part_set_bootable (size_t index, int partnum, int bootable,
                               char **error_r);
int storage_part_set_mbr_id (size_t index, int partnum, int id,
                             char **error_r);
int storage_part_set_name (size_t index, int partnum, const char *name,
                           char **error_r);
int storage_part_set_gpt_type (size_t index, int partnum, const char *guid,
                               char **error_r);
int storage_part_set_gpt_guid (size_t index, int partnum, const char *guid,
                               char **error_r);
int storage_part_get_disk_guid (size_t index, char **guid_r, char **error_r);



/* issue 9: libguestfs's other partition calls. */
/* Moves the backup GPT to the end of the disk (EINVAL on MBR). */
int storage_part_expand_gpt (size_t index, char **error_r);
int storage_part_get_gpt_attributes (size_t index, int partnum,
                                     uint64_t *attrs, char **error_r);
int storage_part_set_gpt_attributes (size_t index, int partnum,
                                     uint64_t attrs, char **error_r);
/* "primary", "extended" or "logical" (GPT: always "primary"). */
int storage_part_get_mbr_part_type (size_t index, int partnum,
                                    char **type_r, char **error_r);
/* Moves the end of a partition (inclusive sector; negative counts from
 * the end of the disk), checking it runs into no other partition. */
int storage_part_resize (size_t index, int partnum, int64_t endsect,
                         char **error_r);
/* guid NULL: a random one. */
int storage_part_set_disk_guid (size_t index, const char *guid,
                                char **error_r);
#endif /* MINNOW_PART_H */
