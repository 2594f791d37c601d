/* minnow: the FAT engine — the steps dosfstools does: mkfs (mkfs.fat)
 * and fsck (fsck.fat), on the range's descriptor (storage/tools.h). */

#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fat.h"
#include "tools.h"

const char *const fat_mkfs_types[] = { "vfat", "fat", "msdos", NULL };

/* mkfs.fat on the range: --offset in 512-byte sectors, the size in KiB;
 * blocksize is the cluster size. */
int
fat_mkfs (const struct engine_range *range,
          const struct engine_mkfs_opts *o, char **error_r)
{
  struct command *cmd;

  if (o->features || o->inode) {
    storage_set_error (error_r, "vfat has no features or inodes to choose");
    return -EINVAL;
  }
  if (o->blocksize != 0 && (o->blocksize < 512 || o->blocksize > 65536
                            || (o->blocksize & (o->blocksize - 1)) != 0)) {
    storage_set_error (error_r, "blocksize %d: FAT clusters are a power of "
                       "two from 512 to 65536 bytes", o->blocksize);
    return -EINVAL;
  }
  if (o->label && strlen (o->label) > 11) {
    storage_set_error (error_r, "label \"%s\" is too long (vfat: 11 bytes)",
                       o->label);
    return -ERANGE;
  }
  if (o->label && (o->label[0] == '-' || o->label[0] == 0)) {
    storage_set_error (error_r, "invalid label \"%s\"", o->label);
    return -EINVAL;
  }
  if (range->readonly) {
    storage_set_error (error_r, "the device is read-only");
    return -EROFS;
  }
  if (range->length < 64 * 1024 || range->offset % 512 != 0) {
    storage_set_error (error_r, "device too small or unaligned for FAT");
    return -ENOSPC;
  }
  cmd = command_new (MKFS_FAT);
  command_add_arg (cmd, "-I");  /* a partition's range, not a whole disk */
  /* mkfs.fat's own choice for a filesystem of this size.  Left to
   * itself it would judge by the bytes from the offset to the end of the
   * drive, and choose FAT32 for a small partition of a large drive. */
  command_add_arg (cmd, range->length >= 512 * 1024 * 1024 ? "-F32"
                   : range->length > 8 * 1024 * 1024 ? "-F16" : "-F12");
  if (o->blocksize)
    command_add_arg_format (cmd, "-s%d", o->blocksize / 512);
  if (o->label) {
    command_add_arg (cmd, "-n");
    command_add_arg (cmd, o->label);
  }
  command_add_arg_format (cmd, "--offset=%" PRIu64, range->offset / 512);
  command_add_arg (cmd, "/proc/self/fd/3");
  command_add_arg_format (cmd, "%" PRIu64, range->length / 1024);
  return storage_make_filesystem (cmd, range, "mkfs.fat", error_r);
}

/* fsck.fat -a (repair) or -n.  It has no offset option: a filesystem
 * that does not start the drive is checked as a sparse copy, and the
 * repairs are copied back. */
int
fat_fsck (const struct engine_range *range, int repair, char **output_r,
          char **error_r)
{
  struct engine_range copy = { .fd = -1 };
  const struct engine_range *target = range;
  struct command *cmd;
  char *out = NULL;
  int r, status;

  if (output_r)
    *output_r = NULL;
  if (repair && range->readonly) {
    storage_set_error (error_r, "the device is read-only");
    return -EROFS;
  }
  if (range->offset != 0 || range->fd < 0) {
    copy.fd = memfd_create ("minnow-fsck-fat", MFD_CLOEXEC);
    copy.length = range->length;
    if (copy.fd < 0 || ftruncate (copy.fd, (off_t) range->length) < 0) {
      storage_set_error (error_r, "copying the filesystem for fsck.fat: %m");
      if (copy.fd >= 0)
        close (copy.fd);
      return -EIO;
    }
    r = storage_copy_range (range, &copy, range->length);
    if (r < 0) {
      storage_set_error (error_r, "copying the filesystem for fsck.fat: %s",
                         strerror (-r));
      close (copy.fd);
      return -EIO;
    }
    target = &copy;
  }
  cmd = command_new (FSCK_FAT);
  command_add_arg (cmd, repair ? "-a" : "-n");
  command_add_arg (cmd, "/proc/self/fd/3");
  r = storage_run_tool (cmd, target, "fsck.fat", &out, &status, error_r);
  if (r < 0) {
    if (copy.fd >= 0)
      close (copy.fd);
    return r;
  }
  if (copy.fd >= 0 && repair && status == 1) {
    r = storage_copy_range (&copy, range, range->length);
    if (r < 0) {
      storage_set_error (error_r, "writing fsck.fat's repairs back: %s",
                         strerror (-r));
      status = -EIO;
    }
  }
  if (copy.fd >= 0)
    close (copy.fd);
  if (status >= 2) {
    char *line = storage_tool_last_line (out);
    storage_set_error (error_r, "fsck.fat failed (exit status %d): %s",
                       status, line ? line : "");
    free (line);
  }
  if (output_r)
    *output_r = out;
  else
    free (out);
  return status;
}
