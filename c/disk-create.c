/* libminnow: disk_create, a blank image file on the host.
 *
 * Library-side: it needs no daemon, so it works in any state.  Only raw
 * images exist in minnow for now; the options that belong to formats
 * with backing files or clusters are refused by name, so that a script
 * written for libguestfs fails clearly instead of getting a different
 * image than it asked for. */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "minnow-internal.h"
#include "actions-internal.h"

static int
refuse_option (minnow_h *g, const char *option)
{
  minnow_int_error_errno (g, EINVAL, "disk_create: %s: not supported for "
                          "the raw format", option);
  return -1;
}

int
minnow_impl_disk_create (minnow_h *g, const char *filename,
                         const char *format, int64_t size,
                         const struct minnow_disk_create_argv *optargs)
{
  int full = 0;
  int fd, err;
  struct stat st;

  if (filename[0] == '\0') {
    minnow_int_error_errno (g, EINVAL, "disk_create: filename is empty");
    return -1;
  }
  if (strcmp (format, "raw") != 0) {
    minnow_int_error_errno (g, EINVAL, "disk_create: format \"%s\" is not "
                            "supported (only \"raw\"); qcow2 and other "
                            "formats need a later backend", format);
    return -1;
  }
  if (size < 0) {
    minnow_int_error_errno (g, EINVAL, "disk_create: size must not be "
                            "negative, not %lld", (long long) size);
    return -1;
  }
  if (optargs->bitmask & MINNOW_DISK_CREATE_BACKINGFILE_BITMASK)
    return refuse_option (g, "backingfile");
  if (optargs->bitmask & MINNOW_DISK_CREATE_BACKINGFORMAT_BITMASK)
    return refuse_option (g, "backingformat");
  if (optargs->bitmask & MINNOW_DISK_CREATE_COMPAT_BITMASK)
    return refuse_option (g, "compat");
  if (optargs->bitmask & MINNOW_DISK_CREATE_CLUSTERSIZE_BITMASK)
    return refuse_option (g, "clustersize");
  if (optargs->bitmask & MINNOW_DISK_CREATE_PREALLOCATION_BITMASK) {
    const char *p = optargs->preallocation;
    if (strcmp (p, "full") == 0)
      full = 1;
    else if (strcmp (p, "off") != 0 && strcmp (p, "sparse") != 0) {
      minnow_int_error_errno (g, EINVAL, "disk_create: preallocation \"%s\": "
                              "expected off, sparse or full", p);
      return -1;
    }
  }

  /* A block device is written over, not truncated (as libguestfs). */
  if (stat (filename, &st) == 0 && S_ISBLK (st.st_mode)) {
    minnow_int_error_errno (g, EINVAL, "disk_create: %s: is a block device; "
                            "use add_drive on it instead", filename);
    return -1;
  }

  fd = open (filename, O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY | O_CLOEXEC,
             0666);
  if (fd == -1) {
    minnow_int_perrorf (g, "disk_create: %s", filename);
    return -1;
  }
  if (ftruncate (fd, size) == -1) {
    err = errno;
    close (fd);
    unlink (filename);
    minnow_int_error_errno (g, err, "disk_create: %s: cannot make it %lld "
                            "bytes: %s", filename, (long long) size,
                            strerror (err));
    return -1;
  }
  if (full && size > 0 && (err = posix_fallocate (fd, 0, size)) != 0) {
    close (fd);
    unlink (filename);
    minnow_int_error_errno (g, err, "disk_create: %s: cannot allocate "
                            "%lld bytes: %s", filename, (long long) size,
                            strerror (err));
    return -1;
  }
  if (close (fd) == -1) {
    minnow_int_perrorf (g, "disk_create: %s", filename);
    return -1;
  }
  return 0;
}
