/* minnow storage: the drive table.
 *
 * The daemon hands its drives over at start-up (storage_add_drive_fd),
 * the storage tests hand over image files the same way; from then on
 * this file is the only owner of the drives and of their blockdev_setro
 * flags.  Partitions (part.c) are read from these drives, and device
 * names (devices.c) are turned into ranges on top of both. */

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

#include "storage.h"

#define MAX_DRIVES 255

struct drive {
  int fd;
  uint64_t size;
  int readonly;
  struct storage_nbd *nbd;      /* the engines' way to the bytes, or NULL */
  int no_discard;               /* discards are ignored (discard=disable) */
};

static struct drive drives[MAX_DRIVES];
static size_t nr_drives;

/* blockdev_setro: [drive][0] for the whole drive (its partitions
 * included), [drive][N] for partition N. */
#define MAX_PARTNUM 128
static unsigned char forced_ro[MAX_DRIVES][MAX_PARTNUM + 1];

/* ---------------------------------------------------------------- */
/* The drive table.                                                   */

int
storage_add_drive_fd (int fd, const char *what)
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
  drives[nr_drives].nbd = NULL;
  drives[nr_drives].no_discard = 0;
  drives[nr_drives].readonly = flags != -1 && (flags & O_ACCMODE) == O_RDONLY;
  nr_drives++;
  return 0;
}

int
storage_drive_attach_nbd (size_t index, int sock)
{
  char what[32];

  if (index >= nr_drives || drives[index].nbd) {
    fprintf (stderr, "minnowd: NBD connection for drive %zu: no such drive"
             " or already connected\n", index);
    close (sock);
    return -1;
  }
  snprintf (what, sizeof what, "drive %zu", index);
  drives[index].nbd = storage_nbd_connect (sock, what, drives[index].size);
  return drives[index].nbd ? 0 : -1;
}

int
storage_drive_ignore_discards (size_t index)
{
  if (index >= nr_drives)
    return -1;
  drives[index].no_discard = 1;
  return 0;
}

void
storage_close_drives (void)
{
  size_t i;

  for (i = 0; i < nr_drives; i++) {
    storage_nbd_close (drives[i].nbd);
    drives[i].nbd = NULL;
    close (drives[i].fd);
  }
  nr_drives = 0;
  memset (forced_ro, 0, sizeof forced_ro);
}

size_t
storage_drive_count (void)
{
  return nr_drives;
}

int
storage_drive_fd (size_t i)
{
  return i < nr_drives ? drives[i].fd : -1;
}

uint64_t
storage_drive_size (size_t i)
{
  return i < nr_drives ? drives[i].size : 0;
}

int
storage_drive_readonly (size_t i)
{
  return i < nr_drives ? drives[i].readonly || forced_ro[i][0] : 1;
}

int
storage_drive_added_readonly (size_t i)
{
  return i < nr_drives ? drives[i].readonly : 1;
}

int
storage_device_readonly (size_t i, int partnum)
{
  if (storage_drive_readonly (i))
    return 1;
  return partnum > 0 && partnum <= MAX_PARTNUM && forced_ro[i][partnum];
}

int
storage_device_set_readonly (size_t i, int partnum, int ro)
{
  if (i >= nr_drives || partnum < 0 || partnum > MAX_PARTNUM)
    return -1;
  forced_ro[i][partnum] = ro != 0;
  return 0;
}

void
storage_device_clear_readonly (void)
{
  memset (forced_ro, 0, sizeof forced_ro);
}

int
storage_drive_range (size_t index, struct engine_range *r)
{
  if (index >= nr_drives)
    return -ENOENT;
  memset (r, 0, sizeof *r);
  r->fd = drives[index].fd;
  if (drives[index].nbd) {
    r->backend = &storage_nbd_backend;
    r->handle = drives[index].nbd;
  }
  r->offset = 0;
  r->no_discard = drives[index].no_discard;
  r->length = drives[index].size;
  r->readonly = storage_drive_readonly (index);
  return 0;
}
