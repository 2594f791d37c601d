/* minnow: making and checking ext2/3/4 filesystems (core, no replies).
 *
 * mke2fs and e2fsck run through the command core on the drive's
 * descriptor, passed as the child's fd 3 and opened there as
 * /proc/self/fd/3, restricted to the device's byte range: mke2fs with
 * "-E offset=N" and an explicit size, e2fsck with libext2fs's
 * "?offset=N" device-name option.  Neither ever sees a host path.
 */

#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "command.h"
#include "storage.h"

/* The last non-empty line of a tool's output, for error messages. */
static char *
last_line (const char *out)
{
  const char *end, *start;

  if (out == NULL)
    return strdup ("");
  end = out + strlen (out);
  while (end > out && (end[-1] == '\n' || end[-1] == ' '))
    end--;
  start = end;
  while (start > out && start[-1] != '\n')
    start--;
  return strndup (start, end - start);
}

/* Runs cmd (then frees it) with the drive's descriptor as its fd 3, in
 * the C locale; its stdout and stderr together in *out. */
static int
run_on_drive (struct command *cmd, int fd, const char *tool, char **out,
              int *status, char **error_r)
{
  size_t len;

  *out = NULL;
  command_pass_fd (cmd, fd, 0);
  command_set_renumber_fds (cmd);
  command_set_output_buffer (cmd, out, &len);
  command_set_error_buffer (cmd, out, &len);
  command_add_env_pair (cmd, "LC_ALL", "C");
  command_add_env_pass (cmd, "PATH");
  if (command_run (cmd, status) == -1) {
    storage_set_error (error_r, "%s: %s", tool, command_get_error (cmd));
    command_free (cmd);
    free (*out);
    *out = NULL;
    return -1;
  }
  command_free (cmd);
  return 0;
}

/* Runs a mkfs tool on the drive: 0, or -EIO with the tool's last line
 * of output as the message. */
static int
make_filesystem (struct command *cmd, int fd, const char *tool,
                 char **error_r)
{
  char *out, *line;
  int status;

  if (run_on_drive (cmd, fd, tool, &out, &status, error_r) < 0)
    return -EIO;
  if (status != 0) {
    line = last_line (out);
    storage_set_error (error_r, "%s failed: %s", tool, line ? line : "");
    free (line);
    free (out);
    return -EIO;
  }
  free (out);
  return 0;
}

static int
valid_word (const char *s)
{
  /* Options go to mke2fs as separate argv entries, but a leading '-'
   * would still be read as an option. */
  return s[0] != '-';
}

int
storage_is_fat_type (const char *fstype)
{
  return strcmp (fstype, "vfat") == 0 || strcmp (fstype, "fat") == 0
    || strcmp (fstype, "msdos") == 0;
}

/* mkfs.fat on the device's range: --offset in 512-byte sectors, the
 * size in KiB; blocksize is the cluster size. */
static int
mkfs_fat (const char *device, int blocksize, const char *features,
          int inode, const char *label, char **error_r)
{
  struct engine_range range;
  struct command *cmd;
  int r;

  if (features || inode) {
    storage_set_error (error_r, "vfat has no features or inodes to choose");
    return -EINVAL;
  }
  if (blocksize != 0 && (blocksize < 512 || blocksize > 65536
                         || (blocksize & (blocksize - 1)) != 0)) {
    storage_set_error (error_r, "blocksize %d: FAT clusters are a power of "
                       "two from 512 to 65536 bytes", blocksize);
    return -EINVAL;
  }
  if (label && strlen (label) > 11) {
    storage_set_error (error_r, "label \"%s\" is too long (vfat: 11 bytes)",
                       label);
    return -ERANGE;
  }
  if (label && (label[0] == '-' || label[0] == 0)) {
    storage_set_error (error_r, "invalid label \"%s\"", label);
    return -EINVAL;
  }
  r = storage_device_range (device, &range, error_r);
  if (r < 0)
    return r;
  if (range.readonly) {
    storage_set_error (error_r, "%s: device is read-only", device);
    return -EROFS;
  }
  if (range.length < 64 * 1024 || range.offset % 512 != 0) {
    storage_set_error (error_r, "%s: device too small or unaligned for FAT",
                       device);
    return -ENOSPC;
  }
  cmd = command_new (MKFS_FAT);
  command_add_arg (cmd, "-I");  /* a partition's range, not a whole disk */
  if (blocksize)
    command_add_arg_format (cmd, "-s%d", blocksize / 512);
  if (label) {
    command_add_arg (cmd, "-n");
    command_add_arg (cmd, label);
  }
  command_add_arg_format (cmd, "--offset=%" PRIu64, range.offset / 512);
  command_add_arg (cmd, "/proc/self/fd/3");
  command_add_arg_format (cmd, "%" PRIu64, range.length / 1024);
  return make_filesystem (cmd, range.fd, "mkfs.fat", error_r);
}

int
storage_mkfs (const char *fstype, const char *device, int blocksize,
              const char *features, int inode, const char *label,
              char **error_r)
{
  struct engine_range range;
  struct command *cmd;
  int r;

  if (error_r)
    *error_r = NULL;
  if (storage_is_fat_type (fstype))
    return mkfs_fat (device, blocksize, features, inode, label, error_r);
  if (strcmp (fstype, "ext2") != 0 && strcmp (fstype, "ext3") != 0
      && strcmp (fstype, "ext4") != 0) {
    storage_set_error (error_r, "%s: unsupported filesystem type "
               "(minnow makes ext2, ext3, ext4 and vfat)", fstype);
    return -EINVAL;
  }
  if (blocksize != 0 && blocksize != 1024 && blocksize != 2048
      && blocksize != 4096 && blocksize != 65536) {
    storage_set_error (error_r, "blocksize %d: must be 1024, 2048, 4096 or 65536",
               blocksize);
    return -EINVAL;
  }
  if (inode != 0 && (inode < 128 || (inode & (inode - 1)) != 0)) {
    storage_set_error (error_r, "inode size %d: must be a power of two >= 128", inode);
    return -EINVAL;
  }
  if (label && strlen (label) > 16) {
    storage_set_error (error_r, "label \"%s\" is too long (ext2/3/4: 16 bytes)",
               label);
    return -ERANGE;
  }
  if (features && !valid_word (features)) {
    storage_set_error (error_r, "invalid features \"%s\"", features);
    return -EINVAL;
  }
  r = storage_device_range (device, &range, error_r);
  if (r < 0)
    return r;
  if (range.readonly) {
    storage_set_error (error_r, "%s: device is read-only", device);
    return -EROFS;
  }
  if (range.length < 64 * 1024) {
    storage_set_error (error_r, "%s: device too small for a filesystem", device);
    return -ENOSPC;
  }

  cmd = command_new (MKE2FS);
  command_add_arg_list (cmd, "-F", "-q", "-t", fstype, NULL);
  if (blocksize)
    command_add_arg_format (cmd, "-b%d", blocksize);
  if (features)
  {
    command_add_arg (cmd, "-O");
    command_add_arg (cmd, features);
  }
  if (inode)
    command_add_arg_format (cmd, "-I%d", inode);
  if (label) {
    command_add_arg (cmd, "-L");
    command_add_arg (cmd, label);
  }
  command_add_arg (cmd, "-E");
  command_add_arg_format (cmd, "offset=%" PRIu64 ",nodiscard,root_owner=0:0",
                          range.offset);
  command_add_arg (cmd, "/proc/self/fd/3");
  command_add_arg_format (cmd, "%" PRIu64 "k", range.length / 1024);
  return make_filesystem (cmd, range.fd, "mke2fs", error_r);
}

int
storage_e2fsck (const char *device, const char *flags, char **output_r,
                char **error_r)
{
  struct engine_range range;
  struct command *cmd;
  char *out = NULL;
  int r, status;

  if (error_r)
    *error_r = NULL;
  if (output_r)
    *output_r = NULL;
  r = storage_device_range (device, &range, error_r);
  if (r < 0)
    return r;
  if (range.readonly && strchr (flags, 'n') == NULL) {
    storage_set_error (error_r, "%s: device is read-only", device);
    return -EROFS;
  }
  cmd = command_new (E2FSCK);
  command_add_arg (cmd, flags);
  command_add_arg_format (cmd, "/proc/self/fd/3?offset=%" PRIu64,
                          range.offset);
  if (run_on_drive (cmd, range.fd, "e2fsck", &out, &status, error_r) < 0)
    return -EIO;
  if (status >= 4) {
    char *line = last_line (out);
    storage_set_error (error_r, "e2fsck found errors it could not fix "
               "(exit status %d): %s", status, line ? line : "");
    free (line);
  }
  if (output_r)
    *output_r = out;
  else
    free (out);
  return status;
}

/* ---------------------------------------------------------------- */
/* The other e2fsprogs tools (tune2fs, resize2fs ...).                */

char *
storage_e2fsprogs_path (const char *tool)
{
  const char *slash = strrchr (MKE2FS, '/');
  char *p;

  /* They live beside mke2fs. */
  if (asprintf (&p, "%.*s%s", slash ? (int) (slash - MKE2FS + 1) : 0,
                MKE2FS, tool) == -1)
    return NULL;
  return p;
}

int
storage_run_e2tool (const char *tool, const char *device,
                    const char *const *args, const char *after, int write,
                    char **output_r, char **error_r)
{
  struct engine_range range;
  struct command *cmd;
  char *out = NULL, *prog;
  size_t i;
  int r, status;

  if (error_r)
    *error_r = NULL;
  if (output_r)
    *output_r = NULL;
  r = storage_device_range (device, &range, error_r);
  if (r < 0)
    return r;
  if (write && range.readonly) {
    storage_set_error (error_r, "%s: device is read-only", device);
    return -EROFS;
  }
  prog = storage_e2fsprogs_path (tool);
  if (prog == NULL)
    return -ENOMEM;
  cmd = command_new (prog);
  free (prog);
  for (i = 0; args && args[i]; i++)
    command_add_arg (cmd, args[i]);
  command_add_arg_format (cmd, "/proc/self/fd/3?offset=%" PRIu64,
                          range.offset);
  if (after)
    command_add_arg (cmd, after);
  if (run_on_drive (cmd, range.fd, tool, &out, &status, error_r) < 0)
    return -EIO;
  if (output_r)
    *output_r = out;
  else
    free (out);
  return status;
}

int
storage_mke2fs (const char *device, const char *const *args,
                const char *extended, uint64_t size, char **error_r)
{
  struct engine_range range;
  struct command *cmd;
  size_t i;
  int r;

  if (error_r)
    *error_r = NULL;
  r = storage_device_range (device, &range, error_r);
  if (r < 0)
    return r;
  if (range.readonly) {
    storage_set_error (error_r, "%s: device is read-only", device);
    return -EROFS;
  }
  if (size == 0)
    size = range.length;
  if (size > range.length) {
    storage_set_error (error_r, "%s: %" PRIu64 " bytes asked for, the device "
                       "has %" PRIu64, device, size, range.length);
    return -EINVAL;
  }
  if (size < 64 * 1024) {
    storage_set_error (error_r, "%s: device too small for a filesystem", device);
    return -ENOSPC;
  }
  cmd = command_new (MKE2FS);
  command_add_arg_list (cmd, "-F", "-q", NULL);
  for (i = 0; args && args[i]; i++)
    command_add_arg (cmd, args[i]);
  command_add_arg (cmd, "-E");
  command_add_arg_format (cmd, "offset=%" PRIu64 ",nodiscard,root_owner=0:0"
                          "%s%s", range.offset, extended ? "," : "",
                          extended ? extended : "");
  command_add_arg (cmd, "/proc/self/fd/3");
  command_add_arg_format (cmd, "%" PRIu64 "k", size / 1024);
  return make_filesystem (cmd, range.fd, "mke2fs", error_r);
}

/* ---------------------------------------------------------------- */
/* fsck.fat.                                                          */

/* Copies the data extents of [off, off + len) of from (at from_base)
 * to to (at to_base); holes stay holes. */
static int
copy_extents (int from, uint64_t from_base, int to, uint64_t to_base,
              uint64_t len)
{
  static char buf[1 << 20];
  uint64_t pos = 0;

  while (pos < len) {
    off_t data = lseek (from, from_base + pos, SEEK_DATA), hole;

    if (data < 0 && errno == ENXIO)
      return 0;
    if (data < 0 && errno == EINVAL) /* no SEEK_DATA here: all is data */
      data = from_base + pos, hole = from_base + len;
    else if (data < 0)
      return -errno;
    else if ((uint64_t) data >= from_base + len)
      return 0;
    else if ((hole = lseek (from, data, SEEK_HOLE)) < 0)
      return -errno;
    if ((uint64_t) hole > from_base + len)
      hole = from_base + len;
    for (pos = data - from_base; pos < (uint64_t) hole - from_base;) {
      size_t n = (uint64_t) hole - from_base - pos;
      ssize_t got;

      if (n > sizeof buf)
        n = sizeof buf;
      got = pread (from, buf, n, from_base + pos);
      if (got <= 0)
        return got < 0 ? -errno : -EIO;
      if (pwrite (to, buf, got, to_base + pos) != got)
        return -errno;
      pos += got;
    }
  }
  return 0;
}

int
storage_fsck_fat (const char *device, int repair, char **output_r,
                  char **error_r)
{
  struct engine_range range;
  struct command *cmd;
  char *out = NULL;
  int r, status, fd, copy = -1;

  if (error_r)
    *error_r = NULL;
  if (output_r)
    *output_r = NULL;
  r = storage_device_range (device, &range, error_r);
  if (r < 0)
    return r;
  if (repair && range.readonly) {
    storage_set_error (error_r, "%s: device is read-only", device);
    return -EROFS;
  }
  fd = range.fd;
  if (range.offset != 0) {
    /* fsck.fat has no offset option: it checks a sparse copy. */
    copy = memfd_create ("minnow-fsck-fat", MFD_CLOEXEC);
    if (copy < 0 || ftruncate (copy, range.length) < 0
        || (r = copy_extents (range.fd, range.offset, copy, 0,
                              range.length)) < 0) {
      storage_set_error (error_r, "%s: copying the filesystem for fsck.fat: "
                         "%s", device, strerror (r < 0 ? -r : errno));
      if (copy >= 0)
        close (copy);
      return -EIO;
    }
    fd = copy;
  }
  cmd = command_new (FSCK_FAT);
  command_add_arg (cmd, repair ? "-a" : "-n");
  command_add_arg (cmd, "/proc/self/fd/3");
  if (run_on_drive (cmd, fd, "fsck.fat", &out, &status, error_r) < 0) {
    if (copy >= 0)
      close (copy);
    return -EIO;
  }
  if (copy >= 0 && repair && status == 1) {
    r = copy_extents (copy, 0, range.fd, range.offset, range.length);
    if (r < 0) {
      storage_set_error (error_r, "%s: writing fsck.fat's repairs back: %s",
                         device, strerror (-r));
      status = -EIO;
    }
  }
  if (copy >= 0)
    close (copy);
  if (status >= 2) {
    char *line = last_line (out);
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
