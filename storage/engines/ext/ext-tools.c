/* minnow: the ext2/3/4 engine — the steps e2fsprogs does: mkfs (mke2fs),
 * fsck and journal recovery (e2fsck), and the other e2fsprogs tools
 * (tune2fs, resize2fs ...) for the ext-only calls.  Each runs on the
 * range's descriptor (storage/tools.h): mke2fs with "-E offset=N" and an
 * explicit size, the others with libext2fs's "?offset=N" device-name
 * option.  See ext.h for the engine's files. */

#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ext.h"
#include "tools.h"

const char *const ext_mkfs_types[] = { "ext2", "ext3", "ext4", NULL };

/* Options go to the tools as separate argv entries, but a leading '-'
 * would still be read as an option. */
static int
valid_word (const char *s)
{
  return s[0] != '-';
}

static int
writable (const struct engine_range *range, char **error_r)
{
  if (range->readonly) {
    storage_set_error (error_r, "the device is read-only");
    return -EROFS;
  }
  return 0;
}

int
ext_mkfs (const struct engine_range *range,
          const struct engine_mkfs_opts *o, char **error_r)
{
  struct command *cmd;
  int r;

  if (o->blocksize != 0 && o->blocksize != 1024 && o->blocksize != 2048
      && o->blocksize != 4096 && o->blocksize != 65536) {
    storage_set_error (error_r, "blocksize %d: must be 1024, 2048, 4096 "
                       "or 65536", o->blocksize);
    return -EINVAL;
  }
  if (o->inode != 0 && (o->inode < 128 || (o->inode & (o->inode - 1)) != 0)) {
    storage_set_error (error_r, "inode size %d: must be a power of two "
                       ">= 128", o->inode);
    return -EINVAL;
  }
  if (o->label && strlen (o->label) > 16) {
    storage_set_error (error_r, "label \"%s\" is too long (ext2/3/4: 16 "
                       "bytes)", o->label);
    return -ERANGE;
  }
  if (o->features && !valid_word (o->features)) {
    storage_set_error (error_r, "invalid features \"%s\"", o->features);
    return -EINVAL;
  }
  if ((r = writable (range, error_r)) < 0)
    return r;
  if (range->length < 64 * 1024) {
    storage_set_error (error_r, "device too small for a filesystem");
    return -ENOSPC;
  }

  cmd = command_new (MKE2FS);
  command_add_arg_list (cmd, "-F", "-q", "-t", o->fstype, NULL);
  if (o->blocksize)
    command_add_arg_format (cmd, "-b%d", o->blocksize);
  if (o->features) {
    command_add_arg (cmd, "-O");
    command_add_arg (cmd, o->features);
  }
  if (o->inode)
    command_add_arg_format (cmd, "-I%d", o->inode);
  if (o->label) {
    command_add_arg (cmd, "-L");
    command_add_arg (cmd, o->label);
  }
  command_add_arg (cmd, "-E");
  command_add_arg_format (cmd, "offset=%" PRIu64 ",nodiscard,root_owner=0:0",
                          range->offset);
  command_add_arg (cmd, "/proc/self/fd/3");
  command_add_arg_format (cmd, "%" PRIu64 "k", range->length / 1024);
  return storage_make_filesystem (cmd, range, "mke2fs", error_r);
}

int
engine_ext2_e2fsck (const struct engine_range *range, const char *flags,
                    char **output_r, char **error_r)
{
  struct command *cmd;
  char *out = NULL;
  int r, status;

  if (output_r)
    *output_r = NULL;
  if (strchr (flags, 'n') == NULL && (r = writable (range, error_r)) < 0)
    return r;
  cmd = command_new (E2FSCK);
  command_add_arg (cmd, flags);
  command_add_arg_format (cmd, "/proc/self/fd/3?offset=%" PRIu64,
                          range->offset);
  r = storage_run_tool (cmd, range, "e2fsck", &out, &status, error_r);
  if (r < 0)
    return r;
  if (status >= 4) {
    char *line = storage_tool_last_line (out);
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

int
ext_fsck (const struct engine_range *range, int repair, char **output_r,
          char **error_r)
{
  return engine_ext2_e2fsck (range, repair ? "-p" : "-n", output_r, error_r);
}

/* e2fsck replays the journal, then fails to re-open a filesystem that is
 * not at offset 0 of its file; when the journal is empty after that, the
 * needs_recovery flag is ours to clear and a second e2fsck checks. */
int
ext_recover (const struct engine_range *range, char **error_r)
{
  char *fsck_err = NULL;
  int status;

  status = engine_ext2_e2fsck (range, "-fy", NULL, &fsck_err);
  if (status >= 4 && range->offset > 0) {
    char *clear_err = NULL;

    if (engine_ext2_clear_recover (range, &clear_err) == 0) {
      free (fsck_err);
      fsck_err = NULL;
      status = engine_ext2_e2fsck (range, "-fy", NULL, &fsck_err);
    }
    free (clear_err);
  }
  if (status < 0 || status >= 4) {
    storage_set_error (error_r, "the journal needs recovery and e2fsck "
                       "could not recover it: %s",
                       fsck_err ? fsck_err : "e2fsck failed");
    free (fsck_err);
    return -EUCLEAN;
  }
  free (fsck_err);
  return 0;
}

/* ---------------------------------------------------------------- */
/* The other e2fsprogs tools (tune2fs, resize2fs ...).                */

/* They live beside mke2fs. */
static char *
e2fsprogs_path (const char *tool)
{
  const char *slash = strrchr (MKE2FS, '/');
  char *p;

  if (asprintf (&p, "%.*s%s", slash ? (int) (slash - MKE2FS + 1) : 0,
                MKE2FS, tool) == -1)
    return NULL;
  return p;
}

int
engine_ext2_run_tool (const struct engine_range *range, const char *tool,
                      const char *const *args, const char *after, int write,
                      char **output_r, char **error_r)
{
  struct command *cmd;
  char *out = NULL, *prog;
  size_t i;
  int r, status;

  if (output_r)
    *output_r = NULL;
  if (write && (r = writable (range, error_r)) < 0)
    return r;
  prog = e2fsprogs_path (tool);
  if (prog == NULL)
    return -ENOMEM;
  cmd = command_new (prog);
  free (prog);
  for (i = 0; args && args[i]; i++)
    command_add_arg (cmd, args[i]);
  command_add_arg_format (cmd, "/proc/self/fd/3?offset=%" PRIu64,
                          range->offset);
  if (after)
    command_add_arg (cmd, after);
  r = storage_run_tool (cmd, range, tool, &out, &status, error_r);
  if (r < 0)
    return r;
  if (output_r)
    *output_r = out;
  else
    free (out);
  return status;
}

int
engine_ext2_mke2fs (const struct engine_range *range,
                    const char *const *args, const char *extended,
                    uint64_t size, char **error_r)
{
  struct command *cmd;
  size_t i;
  int r;

  if ((r = writable (range, error_r)) < 0)
    return r;
  if (size == 0)
    size = range->length;
  if (size > range->length) {
    storage_set_error (error_r, "%" PRIu64 " bytes asked for, the device "
                       "has %" PRIu64, size, range->length);
    return -EINVAL;
  }
  if (size < 64 * 1024) {
    storage_set_error (error_r, "device too small for a filesystem");
    return -ENOSPC;
  }
  cmd = command_new (MKE2FS);
  command_add_arg_list (cmd, "-F", "-q", NULL);
  for (i = 0; args && args[i]; i++)
    command_add_arg (cmd, args[i]);
  command_add_arg (cmd, "-E");
  command_add_arg_format (cmd, "offset=%" PRIu64 ",nodiscard,root_owner=0:0"
                          "%s%s", range->offset, extended ? "," : "",
                          extended ? extended : "");
  command_add_arg (cmd, "/proc/self/fd/3");
  command_add_arg_format (cmd, "%" PRIu64 "k", size / 1024);
  return storage_make_filesystem (cmd, range, "mke2fs", error_r);
}
