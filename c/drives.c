/* libminnow: add_drive, add_drive_ro, add_drive_scratch.
 *
 * Drives are only recorded here; launch opens them (read-only when
 * asked) and hands the descriptors to the daemon.  A scratch drive is a
 * sparse temporary file, unlinked as soon as it is made and kept open, so
 * that it disappears with the handle even if the program dies. */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "minnow-internal.h"
#include "actions-internal.h"

/* /dev/sda … /dev/sdzz; far more than anyone adds. */
#define MAX_DRIVES 255

static int
check_can_add (minnow_h *g, const char *name)
{
  if (g->state != STATE_CONFIG) {
    minnow_int_error (g, "%s: drives can only be added before launch", name);
    return -1;
  }
  if (g->nr_drives >= MAX_DRIVES) {
    minnow_int_error_errno (g, EMFILE, "%s: too many drives (at most %d)",
                            name, MAX_DRIVES);
    return -1;
  }
  return 0;
}

static int
check_label (minnow_h *g, const char *name, const char *label)
{
  const char *p;

  if (label[0] == '\0' || strlen (label) > 20)
    goto bad;
  for (p = label; *p; ++p)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
      goto bad;
  return 0;
 bad:
  minnow_int_error_errno (g, EINVAL, "%s: label \"%s\": a label is 1 to 20 "
                          "letters", name, label);
  return -1;
}

static void
append_drive (minnow_h *g, const char *filename, int readonly,
              const char *label, int scratch_fd)
{
  struct drive *d;

  g->drives = minnow_int_safe_realloc (g, g->drives,
                                       (g->nr_drives + 1) * sizeof *d);
  d = &g->drives[g->nr_drives++];
  d->filename = minnow_int_safe_strdup (g, filename);
  d->label = label ? minnow_int_safe_strdup (g, label) : NULL;
  d->readonly = readonly;
  d->scratch_fd = scratch_fd;
  debug (g, "drive %zu: %s%s", g->nr_drives - 1, filename,
         readonly ? " (read-only)" : "");
}

int
minnow_impl_add_drive (minnow_h *g, const char *filename,
                       const struct minnow_add_drive_opts_argv *optargs)
{
  int readonly = 0;
  const char *label = NULL;

  if (check_can_add (g, "add_drive") == -1)
    return -1;
  if (optargs->bitmask & MINNOW_ADD_DRIVE_OPTS_READONLY_BITMASK)
    readonly = optargs->readonly;
  if ((optargs->bitmask & MINNOW_ADD_DRIVE_OPTS_FORMAT_BITMASK) &&
      strcmp (optargs->format, "raw") != 0) {
    minnow_int_error_errno (g, EINVAL, "add_drive: %s: format \"%s\" is not "
                            "supported: minnow reads raw images only",
                            filename, optargs->format);
    return -1;
  }
  if (optargs->bitmask & MINNOW_ADD_DRIVE_OPTS_LABEL_BITMASK) {
    label = optargs->label;
    if (check_label (g, "add_drive", label) == -1)
      return -1;
  }
  if (filename[0] == '\0') {
    minnow_int_error_errno (g, EINVAL, "add_drive: the filename is empty");
    return -1;
  }
  if (access (filename, readonly ? R_OK : R_OK | W_OK) == -1) {
    minnow_int_perrorf (g, "add_drive: %s", filename);
    return -1;
  }
  append_drive (g, filename, readonly, label, -1);
  return 0;
}

int
minnow_impl_add_drive_ro (minnow_h *g, const char *filename)
{
  struct minnow_add_drive_opts_argv optargs = {
    .bitmask = MINNOW_ADD_DRIVE_OPTS_READONLY_BITMASK,
    .readonly = 1,
  };

  return minnow_impl_add_drive (g, filename, &optargs);
}

int
minnow_impl_add_drive_scratch (minnow_h *g, int64_t size,
                               const struct minnow_add_drive_scratch_argv *optargs)
{
  const char *tmpdir = minnow_int_tmpdir (g);
  const char *label = NULL;
  char *template;
  int fd;

  if (check_can_add (g, "add_drive_scratch") == -1)
    return -1;
  if (size <= 0) {
    minnow_int_error_errno (g, EINVAL, "add_drive_scratch: size must be "
                            "greater than 0, not %lld", (long long) size);
    return -1;
  }
  if (optargs->bitmask & MINNOW_ADD_DRIVE_SCRATCH_LABEL_BITMASK) {
    label = optargs->label;
    if (check_label (g, "add_drive_scratch", label) == -1)
      return -1;
  }
  template = minnow_int_safe_asprintf (g, "%s/minnow-scratchXXXXXX", tmpdir);
  fd = mkostemp (template, O_CLOEXEC);
  if (fd == -1) {
    minnow_int_perrorf (g, "add_drive_scratch: %s", template);
    free (template);
    return -1;
  }
  unlink (template);
  free (template);
  if (ftruncate (fd, size) == -1) {
    minnow_int_perrorf (g, "add_drive_scratch: cannot make a %lld byte "
                        "file", (long long) size);
    close (fd);
    return -1;
  }
  append_drive (g, "scratch", 0, label, fd);
  return 0;
}

int
minnow_int_open_drive (minnow_h *g, size_t i)
{
  struct drive *d = &g->drives[i];
  int fd;

  if (d->scratch_fd >= 0)
    fd = fcntl (d->scratch_fd, F_DUPFD_CLOEXEC, 3);
  else
    fd = open (d->filename,
               (d->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY);
  if (fd == -1)
    minnow_int_perrorf (g, "launch: %s", d->filename);
  return fd;
}

void
minnow_int_free_drives (minnow_h *g)
{
  size_t i;

  for (i = 0; i < g->nr_drives; ++i) {
    free (g->drives[i].filename);
    free (g->drives[i].label);
    if (g->drives[i].scratch_fd >= 0)
      close (g->drives[i].scratch_fd);
  }
  free (g->drives);
  g->drives = NULL;
  g->nr_drives = 0;
}

int
minnow_impl_max_disks (minnow_h *g)
{
  (void) g;
  return MAX_DRIVES;
}

/* Each labelled drive's label maps to its device, and LABELn to its
 * partition n, as libguestfs's /dev/disk/guestfs/LABEL names. */
char **
minnow_impl_list_disk_labels (minnow_h *g)
{
  char **parts, **ret;
  size_t i, j, n = 0, nparts;

  if (g->state != STATE_READY) {
    minnow_int_error_errno (g, EINVAL, "list_disk_labels: the handle is not "
                            "launched (call launch first)");
    return NULL;
  }
  parts = minnow_list_partitions (g);
  if (parts == NULL)
    return NULL;
  for (nparts = 0; parts[nparts]; nparts++)
    ;
  ret = minnow_int_safe_calloc (g, 2 * (g->nr_drives + nparts) + 1,
                                sizeof *ret);
  for (i = 0; i < g->nr_drives; i++) {
    char *dev;
    size_t dl;

    if (g->drives[i].label == NULL)
      continue;
    dev = minnow_device_name (g, (int) i);
    if (dev == NULL) {
      for (j = 0; j < n; j++)
        free (ret[j]);
      free (ret);
      for (j = 0; j < nparts; j++)
        free (parts[j]);
      free (parts);
      return NULL;
    }
    dl = strlen (dev);
    ret[n++] = minnow_int_safe_strdup (g, g->drives[i].label);
    ret[n++] = dev;
    for (j = 0; j < nparts; j++)
      if (strncmp (parts[j], dev, dl) == 0
          && parts[j][dl] >= '0' && parts[j][dl] <= '9') {
        ret[n++] = minnow_int_safe_asprintf (g, "%s%s", g->drives[i].label,
                                             parts[j] + dl);
        ret[n++] = minnow_int_safe_strdup (g, parts[j]);
      }
  }
  ret[n] = NULL;
  for (j = 0; j < nparts; j++)
    free (parts[j]);
  free (parts);
  return ret;
}
