/* libminnow: disk_create, a blank image file on the host.
 *
 * Library-side: it needs no daemon, so it works in any state.  Raw
 * images are made here; every other format by `qemu-img create`
 * (qemu.c runs it under limits).  The options that belong to formats
 * with backing files or clusters are refused by name for raw, so that a
 * script written for libguestfs fails clearly instead of getting a
 * different image than it asked for. */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "minnow-internal.h"
#include "actions-internal.h"
#include "command.h"

static int
refuse_option (minnow_h *g, const char *option)
{
  minnow_int_error_errno (g, EINVAL, "disk_create: %s: not supported for "
                          "the raw format", option);
  return -1;
}

static int
valid_compat (const char *c)
{
  return strcmp (c, "0.10") == 0 || strcmp (c, "1.1") == 0
    || strcmp (c, "v2") == 0 || strcmp (c, "v3") == 0;
}

static int
create_with_qemu_img (minnow_h *g, const char *filename, const char *format,
                      int64_t size,
                      const struct minnow_disk_create_argv *optargs)
{
  uint64_t bm = optargs->bitmask;
  const char *backing = (bm & MINNOW_DISK_CREATE_BACKINGFILE_BITMASK)
    ? optargs->backingfile : NULL;
  char *backing_format = NULL, *path, *backing_path = NULL;
  struct command *cmd;
  int r;

  if ((bm & MINNOW_DISK_CREATE_COMPAT_BITMASK)
      && (strcmp (format, "qcow2") != 0 || !valid_compat (optargs->compat))) {
    minnow_int_error_errno (g, EINVAL, "disk_create: compat \"%s\": expected "
                            "0.10 or 1.1, for qcow2 only", optargs->compat);
    return -1;
  }
  if (bm & MINNOW_DISK_CREATE_CLUSTERSIZE_BITMASK) {
    int cs = optargs->clustersize;
    if (cs < 512 || cs > 2097152 || (cs & (cs - 1)) != 0) {
      minnow_int_error_errno (g, EINVAL, "disk_create: clustersize %d: "
                              "expected a power of two from 512 to 2097152",
                              cs);
      return -1;
    }
  }
  if (bm & MINNOW_DISK_CREATE_PREALLOCATION_BITMASK) {
    const char *p = optargs->preallocation;
    if (strcmp (p, "off") != 0 && strcmp (p, "sparse") != 0
        && strcmp (p, "metadata") != 0 && strcmp (p, "falloc") != 0
        && strcmp (p, "full") != 0) {
      minnow_int_error_errno (g, EINVAL, "disk_create: preallocation \"%s\": "
                              "expected off, sparse, metadata, falloc or "
                              "full", p);
      return -1;
    }
  }
  if ((bm & MINNOW_DISK_CREATE_BACKINGFORMAT_BITMASK) && !backing) {
    minnow_int_error_errno (g, EINVAL, "disk_create: backingformat without "
                            "backingfile");
    return -1;
  }
  if (backing && backing[0] == '\0') {
    minnow_int_error_errno (g, EINVAL, "disk_create: backingfile is empty");
    return -1;
  }
  if (size < 0 && !(size == -1 && backing)) {
    minnow_int_error_errno (g, EINVAL, "disk_create: size must not be "
                            "negative (-1 only with a backing file), not "
                            "%lld", (long long) size);
    return -1;
  }
  if (backing) {
    if (bm & MINNOW_DISK_CREATE_BACKINGFORMAT_BITMASK) {
      if (!minnow_int_qemu_known_format (optargs->backingformat)) {
        minnow_int_error_errno (g, EINVAL, "disk_create: backingformat "
                                "\"%s\" is not a format minnow knows",
                                optargs->backingformat);
        return -1;
      }
      backing_format = minnow_int_safe_strdup (g, optargs->backingformat);
    }
    else {
      /* qemu-img insists on a backing format; probe it (under limits)
       * as libguestfs's callers would have had qemu do. */
      backing_format = minnow_int_qemu_probe_format (g, "disk_create",
                                                     backing);
      if (backing_format == NULL)
        return -1;
    }
    backing_path = minnow_int_qemu_safe_path (g, backing);
  }

  path = minnow_int_qemu_safe_path (g, filename);
  cmd = minnow_int_qemu_img_new ();
  command_add_arg_list (cmd, "create", "-q", "-f", format, NULL);
  if (backing)
    command_add_arg_list (cmd, "-b", backing_path, "-F", backing_format,
                          NULL);
  if (bm & MINNOW_DISK_CREATE_PREALLOCATION_BITMASK)
    command_add_arg_format (cmd, "-opreallocation=%s",
                            strcmp (optargs->preallocation, "sparse") == 0
                            ? "off" : optargs->preallocation);
  if (bm & MINNOW_DISK_CREATE_COMPAT_BITMASK)
    command_add_arg_format (cmd, "-ocompat=%s", optargs->compat);
  if (bm & MINNOW_DISK_CREATE_CLUSTERSIZE_BITMASK)
    command_add_arg_format (cmd, "-ocluster_size=%d", optargs->clustersize);
  command_add_arg (cmd, path);
  if (size >= 0)
    command_add_arg_format (cmd, "%lld", (long long) size);
  r = minnow_int_qemu_img_run (g, "disk_create", filename, cmd, NULL);
  command_free (cmd);
  free (path);
  free (backing_path);
  free (backing_format);
  return r;
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
  if (!minnow_int_qemu_known_format (format)) {
    minnow_int_error_errno (g, EINVAL, "disk_create: format \"%s\" is not "
                            "supported (raw, qcow2, vmdk, vdi, vhdx, vpc, "
                            "qed ...)", format);
    return -1;
  }
  if (strcmp (format, "raw") != 0)
    return create_with_qemu_img (g, filename, format, size, optargs);
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
