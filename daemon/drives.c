/* minnow: the storage engine's side of devices.c.
 *
 * The runtime owns the drives (descriptors, sizes, read-only flags); the
 * engine owns partition tables and the mount table.  These functions
 * join the two: storage_drive_* give the engine the drives, and the
 * hooks declared in daemon.h give the runtime partitions and flushing.
 * The tests replace this file with their own drives.
 */

#include <config.h>

#include <errno.h>
#include <stdlib.h>

#include "daemon.h"
#include "storage.h"

size_t
storage_drive_count (void)
{
  return drive_count ();
}

int
storage_drive_range (size_t index, struct engine_range *r)
{
  if (index >= drive_count ())
    return -ENOENT;
  r->fd = drive_fd (index);
  r->offset = 0;
  r->length = drive_size (index);
  r->readonly = drive_is_readonly (index);
  return 0;
}

int
storage_partition_lookup (size_t drive, int partnum, uint64_t *offset,
                          uint64_t *length)
{
  struct storage_partition *parts;
  int n, i;

  n = storage_list_partitions (drive, &parts, NULL);
  if (n < 0)
    return -1;
  for (i = 0; i < n; i++)
    if (parts[i].partnum == partnum) {
      *offset = parts[i].start;
      *length = parts[i].size;
      free (parts);
      return 0;
    }
  free (parts);
  errno = ENOENT;
  return -1;
}

int
storage_sync (void)
{
  int r = storage_sync_all ();

  if (r < 0) {
    errno = -r;
    return -1;
  }
  return 0;
}

void
storage_shutdown (void)
{
  storage_umount_all (NULL);
  storage_umask = 022;
  device_clear_readonly ();
}

int
storage_partition_readonly (size_t index, int partnum)
{
  return device_is_readonly (index, partnum);
}
