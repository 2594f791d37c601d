/* minnow: libguestfs's deprecated sfdisk family and dd.
 *
 * sfdisk's input lines ("start,size,type,bootable", sectors, the
 * fields as sfdisk(8) documents them) are parsed and applied by
 * libfdisk's script code, the same code sfdisk runs: no sfdisk process
 * and no parser of our own.  Geometry is libfdisk's (there is no
 * kernel here). */

#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <libfdisk/libfdisk.h>

#include "storage-actions.h"
#include "part.h"
#include "actions.h"

/* A whole drive with nothing of it mounted; replies on failure. */
static int
drive_to_change (const char *device, size_t *index)
{
  struct mount *m;
  int partnum;

  if (device_drive (device, index, &partnum, 1, 0) < 0)
    return -1;
  if ((m = device_in_use (device)) != NULL) {
    reply_with_error_errno (EBUSY, "%s: %s is mounted on %s", device,
                            m->device, m->mountpoint);
    return -1;
  }
  return 0;
}

static int
check_geometry (int cyls, int heads, int sectors)
{
  if (cyls < 0 || heads < 0 || sectors < 0) {
    reply_with_error_errno (EINVAL, "cyls, heads and sectors must not be "
                            "negative (0: not given)");
    return -1;
  }
  if (heads > 255 || sectors > 63) {
    reply_with_error_errno (EINVAL, "at most 255 heads and 63 sectors per "
                            "track");
    return -1;
  }
  return 0;
}

/* Reads a script: header "label: LABEL" then the lines.  Replies on
 * failure. */
static struct fdisk_script *
read_script (struct fdisk_context *cxt, const char *label,
             char *const *lines)
{
  struct fdisk_script *dp;
  char *text = NULL;
  size_t len = 0, i;
  FILE *fp;
  int r;

  for (i = 0; lines[i]; i++)
    if (strpbrk (lines[i], "\n\r") != NULL) {
      reply_with_error_errno (EINVAL, "line %zu: a line must not contain "
                              "a newline", i + 1);
      return NULL;
    }
  fp = open_memstream (&text, &len);
  if (fp == NULL) {
    reply_with_perror ("open_memstream");
    return NULL;
  }
  fprintf (fp, "label: %s\n", label);
  for (i = 0; lines[i]; i++)
    fprintf (fp, "%s\n", lines[i]);
  if (fclose (fp) != 0) {
    free (text);
    reply_with_perror ("open_memstream");
    return NULL;
  }
  dp = fdisk_new_script (cxt);
  fp = fmemopen (text, len, "r");
  if (dp == NULL || fp == NULL) {
    if (fp)
      fclose (fp);
    fdisk_unref_script (dp);
    free (text);
    reply_with_perror ("fdisk_new_script");
    return NULL;
  }
  r = fdisk_script_read_file (dp, fp);
  fclose (fp);
  free (text);
  if (r < 0) {
    fdisk_unref_script (dp);
    reply_with_error_errno (EINVAL, "the sfdisk lines cannot be parsed "
                            "(\"start,size,type,bootable\" per partition): "
                            "%s", strerror (-r));
    return NULL;
  }
  return dp;
}

/* sfdisk and sfdiskM: a new MBR table with the partitions of lines. */
static int
sfdisk_new_table (const char *device, int cyls, int heads, int sectors,
                  char *const *lines)
{
  struct fdisk_context *cxt;
  struct fdisk_script *dp;
  struct engine_range drive;
  size_t index;
  char *msg = NULL;
  int r;

  if (check_geometry (cyls, heads, sectors) < 0
      || drive_to_change (device, &index) < 0)
    return -1;
  r = part_open (index, 1, &cxt, &drive, &msg);
  if (r < 0) {
    reply_errno_msg (r, device, msg);
    return -1;
  }
  if ((cyls || heads || sectors)
      && (r = fdisk_override_geometry (cxt, cyls, heads, sectors)) < 0) {
    part_close (cxt, 0, NULL);
    reply_with_error_errno (EINVAL, "%s: geometry %d/%d/%d: %s", device,
                            cyls, heads, sectors, strerror (-r));
    return -1;
  }
  dp = read_script (cxt, "dos", lines);
  if (dp == NULL) {
    part_close (cxt, 0, NULL);
    return -1;
  }
  r = fdisk_apply_script (cxt, dp);
  fdisk_unref_script (dp);
  if (r < 0) {
    part_close (cxt, 0, NULL);
    reply_with_error_errno (EINVAL, "%s: the partitions cannot be made as "
                            "given: %s", device, strerror (-r));
    return -1;
  }
  r = part_close (cxt, 1, &msg);
  if (r < 0) {
    reply_errno_msg (r, device, msg);
    return -1;
  }
  return 0;
}

int
do_sfdisk (const char *device, int cyls, int heads, int sectors,
           char *const *lines)
{
  return sfdisk_new_table (device, cyls, heads, sectors, lines);
}

/* sfdiskM: start and size in MiB.  A field that is a bare number gets
 * the MiB suffix libfdisk's script parser understands. */
int
do_sfdiskM (const char *device, char *const *lines)
{
  size_t n, i;
  char **mib;
  int r;

  for (n = 0; lines[n]; n++)
    ;
  mib = calloc (n + 1, sizeof *mib);
  if (mib == NULL) {
    reply_with_perror ("calloc");
    return -1;
  }
  for (i = 0; i < n; i++) {
    const char *p = lines[i];
    size_t cap = strlen (p) + 2 * 3 + 1, o = 0;
    int field = 0;

    mib[i] = malloc (cap);
    if (mib[i] == NULL) {
      strlist_free (mib);
      reply_with_perror ("malloc");
      return -1;
    }
    while (*p) {
      size_t flen = strcspn (p, ",");
      size_t k, digits = 0;

      while (digits < flen && p[digits] == ' ')
        digits++;
      for (k = digits; k < flen && isdigit ((unsigned char) p[k]); k++)
        ;
      memcpy (mib[i] + o, p, flen);
      o += flen;
      if (field < 2 && k > digits && k == flen) {
        memcpy (mib[i] + o, "MiB", 3);
        o += 3;
      }
      p += flen;
      if (*p == ',')
        mib[i][o++] = *p++;
      field++;
    }
    mib[i][o] = '\0';
  }
  r = sfdisk_new_table (device, 0, 0, 0, mib);
  strlist_free (mib);
  return r;
}

int
do_sfdisk_N (const char *device, int partnum, int cyls, int heads,
             int sectors, const char *line)
{
  struct fdisk_context *cxt;
  struct fdisk_script *dp;
  struct fdisk_partition *pa;
  struct engine_range drive;
  char *const lines[] = { (char *) line, NULL };
  size_t index;
  char *msg = NULL;
  int r;

  if (check_geometry (cyls, heads, sectors) < 0
      || drive_to_change (device, &index) < 0)
    return -1;
  if (partnum < 1) {
    reply_with_error_errno (EINVAL, "%d: partition numbers count from 1",
                            partnum);
    return -1;
  }
  r = part_open (index, 1, &cxt, &drive, &msg);
  if (r < 0) {
    reply_errno_msg (r, device, msg);
    return -1;
  }
  if (!fdisk_has_label (cxt)) {
    part_close (cxt, 0, NULL);
    reply_with_error_errno (EINVAL, "%s: the device has no partition table",
                            device);
    return -1;
  }
  if ((cyls || heads || sectors)
      && (r = fdisk_override_geometry (cxt, cyls, heads, sectors)) < 0) {
    part_close (cxt, 0, NULL);
    reply_with_error_errno (EINVAL, "%s: geometry: %s", device,
                            strerror (-r));
    return -1;
  }
  dp = read_script (cxt, fdisk_label_get_name (fdisk_get_label (cxt, NULL)),
                    lines);
  if (dp == NULL) {
    part_close (cxt, 0, NULL);
    return -1;
  }
  pa = fdisk_table_get_partition (fdisk_script_get_table (dp), 0);
  if (pa == NULL) {
    fdisk_unref_script (dp);
    part_close (cxt, 0, NULL);
    reply_with_error_errno (EINVAL, "\"%s\": no partition in the line", line);
    return -1;
  }
  /* As sfdisk -N: the fields given change partition partnum (made if
   * missing); the others stay. */
  if (fdisk_is_partition_used (cxt, partnum - 1))
    r = fdisk_set_partition (cxt, partnum - 1, pa);
  else {
    fdisk_partition_partno_follow_default (pa, 0);
    fdisk_partition_set_partno (pa, partnum - 1);
    r = fdisk_add_partition (cxt, pa, NULL);
  }
  fdisk_unref_script (dp);
  if (r < 0) {
    part_close (cxt, 0, NULL);
    reply_with_error_errno (r == -ERANGE || r == -EINVAL ? EINVAL : -r,
                            "%s: partition %d cannot be changed as \"%s\": "
                            "%s", device, partnum, line, strerror (-r));
    return -1;
  }
  r = part_close (cxt, 1, &msg);
  if (r < 0) {
    reply_errno_msg (r, device, msg);
    return -1;
  }
  return 0;
}

/* The table in sfdisk's dump format (sfdisk -d), which it reads back. */
char *
do_sfdisk_l (const char *device)
{
  struct fdisk_context *cxt;
  struct fdisk_script *dp;
  struct engine_range drive;
  size_t index;
  char *msg = NULL, *text = NULL;
  size_t len = 0;
  FILE *fp;
  int partnum, r;

  if (device_drive (device, &index, &partnum, 1, 0) < 0)
    return NULL;
  r = part_open (index, 0, &cxt, &drive, &msg);
  if (r < 0) {
    reply_errno_msg (r, device, msg);
    return NULL;
  }
  if (!fdisk_has_label (cxt)) {
    part_close (cxt, 0, NULL);
    reply_with_error_errno (EINVAL, "%s: the device has no partition table",
                            device);
    return NULL;
  }
  dp = fdisk_new_script (cxt);
  fp = open_memstream (&text, &len);
  if (dp == NULL || fp == NULL
      || (r = fdisk_script_read_context (dp, cxt)) < 0
      || (r = fdisk_script_set_header (dp, "device", device)) < 0
      || (r = fdisk_script_write_file (dp, fp)) < 0) {
    if (fp)
      fclose (fp);
    free (text);
    fdisk_unref_script (dp);
    part_close (cxt, 0, NULL);
    reply_with_error_errno (EIO, "%s: reading the partition table failed",
                            device);
    return NULL;
  }
  fclose (fp);
  fdisk_unref_script (dp);
  part_close (cxt, 0, NULL);
  return text;
}

static char *
geometry (const char *device)
{
  struct fdisk_context *cxt;
  struct engine_range drive;
  size_t index;
  char *msg = NULL, *text = NULL;
  int partnum, r;

  if (device_drive (device, &index, &partnum, 1, 0) < 0)
    return NULL;
  r = part_open (index, 0, &cxt, &drive, &msg);
  if (r < 0) {
    reply_errno_msg (r, device, msg);
    return NULL;
  }
  if (asprintf (&text, "%s: %ju cylinders, %u heads, %ju sectors/track\n",
                device, (uintmax_t) fdisk_get_geom_cylinders (cxt),
                fdisk_get_geom_heads (cxt),
                (uintmax_t) fdisk_get_geom_sectors (cxt)) == -1) {
    text = NULL;
    reply_with_perror ("asprintf");
  }
  part_close (cxt, 0, NULL);
  return text;
}

char *
do_sfdisk_kernel_geometry (const char *device)
{
  return geometry (device);
}

char *
do_sfdisk_disk_geometry (const char *device)
{
  return geometry (device);
}

/* dd: the whole of src over dest, as dd if=SRC of=DEST (a file
 * destination is truncated first; a device must be large enough). */
int
do_dd (const char *src, const char *dest)
{
  if (strncmp (dest, "/dev/", 5) != 0) {
    struct engine_stat st;
    int r = fsop_stat (dest, 0, &st);

    if (r == 0 && S_ISREG (st.mode) && strcmp (src, dest) != 0)
      r = fsop_truncate (dest, 0);
    else if (r == -ENOENT)
      r = 0;
    if (r < 0) {
      reply_errno_path (r, dest);
      return -1;
    }
  }
  /* copy_device_to_file copies between any two targets, files or
   * devices; no optional arguments: everything, from 0 to 0. */
  optargs_bitmask = 0;
  return do_copy_device_to_file (src, dest, 0, 0, 0, 0);
}
