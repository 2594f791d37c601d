/* minnow: helpers shared by the storage actions. */

#include <config.h>

#include <stdio.h>
#include <string.h>

#include "storage-actions.h"

void
reply_errno_path (int r, const char *path)
{
  const char *note = engine_take_note ();

  if ((r == -EUCLEAN || r == -EIO) && note[0])
    reply_with_error_errno (-r, "%s: %s: %s", path, strerror (-r), note);
  else if (r == -ENODEV && storage_virtual_mountpoints ())
    reply_with_error_errno (ENODEV, "%s: no filesystem is mounted there "
                            "(nothing is mounted on /, and this is a "
                            "mount point of mkmountpoint)", path);
  else if (r == -ENODEV)
    reply_with_error_errno (ENODEV, "%s: no filesystem is mounted on / "
                            "(call mount first)", path);
  else
    reply_with_perror_errno (-r, "%s", path);
}

void
reply_errno_msg (int r, const char *what, char *msg)
{
  if (msg && *msg)
    reply_with_error_errno (-r, "%s", msg);
  else
    reply_errno_path (r, what);
  free (msg);
}

int
device_drive (const char *device, size_t *index_r, int *partnum_r,
              int need_whole, int need_part)
{
  if (storage_parse_device (device, index_r, partnum_r) < 0) {
    reply_with_error_errno (ENOENT, "%s: not a device name", device);
    return -1;
  }
  if (need_whole && *partnum_r != 0) {
    reply_with_error_errno (EINVAL, "%s: a whole device is needed, "
                            "not a partition", device);
    return -1;
  }
  if (need_part && *partnum_r == 0) {
    reply_with_error_errno (EINVAL, "%s: a partition is needed, "
                            "not a whole device", device);
    return -1;
  }
  return 0;
}

struct mount *
device_in_use (const char *device)
{
  size_t index, mi, i;
  int partnum, mp;

  if (storage_parse_device (device, &index, &partnum) < 0)
    return storage_mount_of_device (device);
  for (i = 0; i < mount_count; i++)
    if (storage_parse_device (mount_table[i].device, &mi, &mp) == 0
        && mi == index
        && (mp == partnum || partnum == 0 || mp == 0))
      return &mount_table[i];
  return NULL;
}

char **
strlist_new (size_t n)
{
  char **l = calloc (n + 1, sizeof *l);

  if (l == NULL)
    reply_with_perror ("calloc");
  return l;
}

static int
cmp (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

void
strlist_sort (char **list)
{
  size_t n = 0;

  while (list[n])
    n++;
  qsort (list, n, sizeof *list, cmp);
}

void
strlist_free (char **list)
{
  size_t i;

  for (i = 0; list && list[i]; i++)
    free (list[i]);
  free (list);
}
