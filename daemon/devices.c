/* minnowd: drives and device names.
 *
 * Drive i is /dev/sd + the letters of i (a … z, aa … az, ba …), as
 * libguestfs names them; /dev/hdX and /dev/vdX given by a caller mean
 * the same drive. */

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

#define MAX_DRIVES 255

struct drive {
  int fd;
  uint64_t size;
  int readonly;
};

static struct drive drives[MAX_DRIVES];
static size_t nr_drives;

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
  return i < nr_drives ? drives[i].readonly : 1;
}

char *
drive_name (size_t i)
{
  char letters[8];
  char *name;
  size_t n = 0, k, j;

  /* Bijective base 26: 0 → a, 25 → z, 26 → aa. */
  k = i + 1;
  while (k > 0 && n < sizeof letters) {
    letters[n++] = 'a' + (k - 1) % 26;
    k = (k - 1) / 26;
  }
  name = malloc (7 + n + 1);
  if (name == NULL)
    return NULL;
  memcpy (name, "/dev/sd", 7);
  for (j = 0; j < n; ++j)
    name[7 + j] = letters[n - 1 - j];
  name[7 + n] = '\0';
  return name;
}

/* Parses /dev/[shv]d<letters>[<digits>]. */
static int
parse_device (const char *device, size_t *drive, int *partnum)
{
  const char *p;
  size_t index = 0;
  long part = 0;

  if (strncmp (device, "/dev/", 5) != 0)
    return -1;
  p = device + 5;
  if ((p[0] != 's' && p[0] != 'h' && p[0] != 'v') || p[1] != 'd')
    return -1;
  p += 2;
  if (*p < 'a' || *p > 'z')
    return -1;
  for (; *p >= 'a' && *p <= 'z'; ++p) {
    index = index * 26 + (*p - 'a' + 1);
    if (index > MAX_DRIVES)
      return -1;
  }
  if (*p) {
    char *end;

    if (*p < '1' || *p > '9')
      return -1;
    errno = 0;
    part = strtol (p, &end, 10);
    if (errno || *end || part > 255)
      return -1;
  }
  *drive = index - 1;
  *partnum = (int) part;
  return 0;
}

int
device_lookup (const char *device, struct device_range *range)
{
  size_t drive;
  int partnum;
  uint64_t offset = 0, length;

  if (parse_device (device, &drive, &partnum) == -1 || drive >= nr_drives) {
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
  range->readonly = drives[drive].readonly;
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
