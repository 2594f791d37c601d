/* minnowd: drives and device names.
 *
 * Drive i is /dev/sd + the letters of i (a … z, aa … az, ba …), as
 * libguestfs names them; /dev/hdX, /dev/vdX and /dev/xvdX given by a
 * caller mean the same drive (storage_parse_device in part.c). */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>

#include "daemon.h"
#include "storage.h"

#define MAX_DRIVES 255

struct drive {
  int fd;
  uint64_t size;
  int readonly;
};

static struct drive drives[MAX_DRIVES];
static size_t nr_drives;

/* blockdev_setro: [drive][0] for the whole drive (its partitions
 * included), [drive][N] for partition N. */
#define MAX_PARTNUM 128
static unsigned char forced_ro[MAX_DRIVES][MAX_PARTNUM + 1];

int
add_drive_fd (int fd, const char *what)
{
  struct stat st;
  int flags;

  if (nr_drives >= MAX_DRIVES) {
    fprintf (stderr, "minnowd: %s: too many drives\n", what);
    return -1;
  }
  if (fstat (fd, &st) == -1) {
    fprintf (stderr, "minnowd: %s: %m\n", what);
    return -1;
  }
  if (S_ISBLK (st.st_mode)) {
    uint64_t size;

    if (ioctl (fd, BLKGETSIZE64, &size) == -1) {
      fprintf (stderr, "minnowd: %s: BLKGETSIZE64: %m\n", what);
      return -1;
    }
    drives[nr_drives].size = size;
  }
  else if (S_ISREG (st.st_mode))
    drives[nr_drives].size = st.st_size;
  else {
    fprintf (stderr, "minnowd: %s: not a regular file or block device\n",
             what);
    return -1;
  }
  flags = fcntl (fd, F_GETFL);
  drives[nr_drives].fd = fd;
  drives[nr_drives].readonly = flags != -1 && (flags & O_ACCMODE) == O_RDONLY;
  nr_drives++;
  return 0;
}

size_t
drive_count (void)
{
  return nr_drives;
}

int
drive_fd (size_t i)
{
  return i < nr_drives ? drives[i].fd : -1;
}

uint64_t
drive_size (size_t i)
{
  return i < nr_drives ? drives[i].size : 0;
}

int
drive_is_readonly (size_t i)
{
  return i < nr_drives ? drives[i].readonly || forced_ro[i][0] : 1;
}

int
drive_added_readonly (size_t i)
{
  return i < nr_drives ? drives[i].readonly : 1;
}

int
device_is_readonly (size_t i, int partnum)
{
  if (drive_is_readonly (i))
    return 1;
  return partnum > 0 && partnum <= MAX_PARTNUM && forced_ro[i][partnum];
}

int
device_set_readonly (size_t i, int partnum, int ro)
{
  if (i >= nr_drives || partnum < 0 || partnum > MAX_PARTNUM)
    return -1;
  forced_ro[i][partnum] = ro != 0;
  return 0;
}

void
device_clear_readonly (void)
{
  memset (forced_ro, 0, sizeof forced_ro);
}

/* One spelling of names and one parser for the whole daemon: part.c's. */
char *
drive_name (size_t i)
{
  return storage_drive_name (i);
}

int
device_lookup (const char *device, struct device_range *range)
{
  size_t drive;
  int partnum;
  uint64_t offset = 0, length;

  if (storage_parse_device (device, &drive, &partnum) < 0
      || drive >= nr_drives) {
    errno = ENOENT;
    return -1;
  }
  length = drives[drive].size;
  if (partnum > 0) {
    if (storage_partition_lookup == NULL ||
        storage_partition_lookup (drive, partnum, &offset, &length) == -1) {
      errno = ENOENT;
      return -1;
    }
  }
  range->drive = drive;
  range->partnum = partnum;
  range->fd = drives[drive].fd;
  range->offset = offset;
  range->length = length;
  range->readonly = device_is_readonly (drive, partnum);
  return 0;
}

char *
device_name_translation (const char *device)
{
  struct device_range range;
  char *name, *full;

  if (device_lookup (device, &range) == -1)
    return NULL;
  name = drive_name (range.drive);
  if (name == NULL || range.partnum == 0)
    return name;
  if (asprintf (&full, "%s%d", name, range.partnum) == -1)
    full = NULL;
  free (name);
  return full;
}
