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

static int
valid_word (const char *s)
{
  /* Options go to mke2fs as separate argv entries, but a leading '-'
   * would still be read as an option. */
  return s[0] != '-';
}

int
storage_mkfs (const char *fstype, const char *device, int blocksize,
              const char *features, int inode, const char *label,
              char **error_r)
{
  struct engine_range range;
  struct command *cmd;
  char *out = NULL, *line;
  int r, status;

  if (error_r)
    *error_r = NULL;
  if (strcmp (fstype, "ext2") != 0 && strcmp (fstype, "ext3") != 0
      && strcmp (fstype, "ext4") != 0) {
    storage_set_error (error_r, "%s: unsupported filesystem type "
               "(minnow makes ext2, ext3 and ext4)", fstype);
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
  if (run_on_drive (cmd, range.fd, "mke2fs", &out, &status, error_r) < 0)
    return -EIO;
  if (status != 0) {
    line = last_line (out);
    storage_set_error (error_r, "mke2fs failed: %s", line ? line : "");
    free (line);
    free (out);
    return -EIO;
  }
  free (out);
  return 0;
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
  char *out = NULL, *line;
  size_t i;
  int r, status;

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
  if (run_on_drive (cmd, range.fd, "mke2fs", &out, &status, error_r) < 0)
    return -EIO;
  if (status != 0) {
    line = last_line (out);
    storage_set_error (error_r, "mke2fs failed: %s", line ? line : "");
    free (line);
    free (out);
    return -EIO;
  }
  free (out);
  return 0;
}
