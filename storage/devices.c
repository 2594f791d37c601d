/* minnow storage: device names — the one parser, and the one place
 * that turns a device name into a byte range (a drive's, or a
 * partition's from part.c).
 *
 * Drive i is /dev/sd + the letters of i (a … z, aa … az, ba …), as
 * libguestfs names them; /dev/hdX, /dev/vdX and /dev/xvdX given by a
 * caller mean the same drive. */

#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage.h"

/* ---------------------------------------------------------------- */
/* Names: the one parser.                                             */

int
storage_parse_device (const char *device, size_t *index_r, int *partnum_r)
{
  const char *p;
  size_t index = 0;
  long partnum = 0;

  if (strncmp (device, "/dev/", 5) != 0)
    return -EINVAL;
  p = device + 5;
  if (strncmp (p, "sd", 2) == 0 || strncmp (p, "hd", 2) == 0
      || strncmp (p, "vd", 2) == 0)
    p += 2;
  else if (strncmp (p, "xvd", 3) == 0)
    p += 3;
  else
    return -EINVAL;
  if (!islower ((unsigned char) *p))
    return -EINVAL;
  /* Letters are bijective base 26: a..z, aa..zz, aaa... */
  while (islower ((unsigned char) *p)) {
    index = index * 26 + (size_t) (*p - 'a' + 1);
    if (index > 1000000)
      return -EINVAL;
    p++;
  }
  index--;
  if (*p) {
    char *end;
    if (!isdigit ((unsigned char) *p) || *p == '0')
      return -EINVAL;
    errno = 0;
    partnum = strtol (p, &end, 10);
    if (errno || *end || partnum < 1 || partnum > 128)
      return -EINVAL;
  }
  *index_r = index;
  *partnum_r = (int) partnum;
  return 0;
}

char *
storage_drive_name (size_t index)
{
  char letters[16];
  int n = 0, i;
  char *ret;

  index++;
  while (index > 0 && n < 15) {
    index--;
    letters[n++] = 'a' + index % 26;
    index /= 26;
  }
  ret = malloc (8 + n + 1);
  if (ret == NULL)
    return NULL;
  strcpy (ret, "/dev/sd");
  for (i = 0; i < n; i++)
    ret[7 + i] = letters[n - 1 - i];
  ret[7 + n] = '\0';
  return ret;
}

int
storage_device_range (const char *device, struct engine_range *r,
                      char **error_r)
{
  struct storage_device dev;

  return storage_device_open (device, &dev, r, error_r);
}

int
storage_device_open (const char *device, struct storage_device *dev,
                     struct engine_range *r, char **error_r)
{
  struct storage_partition *parts;
  size_t index;
  int partnum, n, i;

  if (error_r)
    *error_r = NULL;
  if (storage_parse_device (device, &index, &partnum) < 0) {
    storage_set_error (error_r, "%s: not a device name", device);
    return -ENOENT;
  }
  if (storage_drive_range (index, r) < 0) {
    storage_set_error (error_r, "%s: no such device", device);
    return -ENOENT;
  }
  dev->drive = index;
  dev->partnum = partnum;
  if (partnum > 0) {
    n = storage_list_partitions (index, &parts, error_r);
    if (n < 0)
      return n;
    for (i = 0; i < n; i++)
      if (parts[i].partnum == partnum)
        break;
    if (i == n) {
      free (parts);
      storage_set_error (error_r, "%s: no such partition", device);
      return -ENOENT;
    }
    if (parts[i].start + parts[i].size > r->length) {
      storage_set_error (error_r,
                         "%s: partition extends beyond the end of the drive",
                         device);
      free (parts);
      return -EIO;
    }
    r->offset = parts[i].start;
    r->length = parts[i].size;
    free (parts);
    r->readonly = storage_device_readonly (index, partnum);
  }
  dev->fd = r->fd;
  dev->offset = r->offset;
  dev->length = r->length;
  dev->readonly = r->readonly;
  return 0;
}

int
storage_device_lookup (const char *device, struct storage_device *dev)
{
  struct engine_range r;
  char *err = NULL;
  int ret = storage_device_open (device, dev, &r, &err);

  free (err);
  if (ret < 0) {
    errno = ENOENT;
    return -1;
  }
  return 0;
}

char *
storage_device_canonical (const char *device)
{
  struct storage_device dev;
  char *name, *full;

  /* An image mounted with mount_loop is named in the mount table only. */
  if (strncmp (device, "/dev/loop", 9) == 0) {
    if (storage_mount_of_device (device))
      return strdup (device);
    errno = ENOENT;
    return NULL;
  }
  if (storage_device_lookup (device, &dev) == -1)
    return NULL;
  name = storage_drive_name (dev.drive);
  if (name == NULL || dev.partnum == 0)
    return name;
  if (asprintf (&full, "%s%d", name, dev.partnum) == -1)
    full = NULL;
  free (name);
  return full;
}
