/* libminnow: copy_in and copy_out, library-side over tar streams as in
 * libguestfs: GNU tar on the host (through the command core) packs or
 * unpacks, and tar_in / tar_out move the stream through a pipe (the
 * chunk stream, since a pipe cannot be passed as a file). */

#include <config.h>

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "command.h"
#include "minnow-internal.h"
#include "actions-internal.h"

/* dirname and basename of path without trailing slashes; caller frees. */
static int
split_path (minnow_h *g, const char *path, char **dir_r, char **base_r)
{
  char *a = minnow_int_safe_strdup (g, path);
  char *b = minnow_int_safe_strdup (g, path);
  size_t n = strlen (a);

  while (n > 1 && a[n - 1] == '/') {
    n--;
    a[n] = b[n] = '\0';
  }
  *dir_r = minnow_int_safe_strdup (g, dirname (a));
  *base_r = minnow_int_safe_strdup (g, basename (b));
  free (a);
  free (b);
  return 0;
}

/* Waits for tar; -1 with an error naming what it said. */
static int
finish_tar (minnow_h *g, const char *name, struct command *cmd,
            char *errbuf, int call_failed)
{
  int status = 0, r;

  r = command_wait (cmd, &status);
  if (!call_failed && (r == -1 || status != 0)) {
    size_t n = errbuf ? strlen (errbuf) : 0;

    while (n > 0 && errbuf[n - 1] == '\n')
      errbuf[--n] = '\0';
    minnow_int_error_errno (g, EIO, "%s: tar failed (exit status %d)%s%s",
                            name, status, n ? ": " : "", n ? errbuf : "");
    return -1;
  }
  return call_failed ? -1 : 0;
}

int
minnow_impl_copy_in (minnow_h *g, const char *localpath,
                     const char *remotedir)
{
  struct command *cmd;
  struct stat st;
  char *dir, *base, *errbuf = NULL, fdpath[64];
  size_t errlen = 0;
  int fd = -1, r;

  if (lstat (localpath, &st) == -1) {
    minnow_int_perrorf (g, "copy_in: %s", localpath);
    return -1;
  }
  r = minnow_is_dir (g, remotedir);
  if (r == -1)
    return -1;
  if (r == 0) {
    minnow_int_error_errno (g, ENOTDIR, "copy_in: %s: not a directory in "
                            "the image", remotedir);
    return -1;
  }
  split_path (g, localpath, &dir, &base);
  cmd = command_new_args ("tar", "-C", dir, "-cf", "-", "--", base, NULL);
  command_add_env_pass_common (cmd);
  command_set_output_pipe (cmd, &fd);
  command_set_error_buffer (cmd, &errbuf, &errlen);
  free (dir);
  free (base);
  if (command_run_async (cmd, NULL) == -1) {
    minnow_int_error (g, "copy_in: %s", command_get_error (cmd));
    command_free (cmd);
    return -1;
  }
  snprintf (fdpath, sizeof fdpath, "/dev/fd/%d", fd);
  r = minnow_tar_in (g, fdpath, remotedir);
  close (fd);
  r = finish_tar (g, "copy_in", cmd, errbuf, r == -1);
  command_free (cmd);
  free (errbuf);
  return r;
}

int
minnow_impl_copy_out (minnow_h *g, const char *remotepath,
                      const char *localdir)
{
  struct command *cmd;
  struct stat st;
  char *dir, *base, *target, *errbuf = NULL, fdpath[64];
  size_t errlen = 0;
  int fd = -1, r;

  if (stat (localdir, &st) == -1 || !S_ISDIR (st.st_mode)) {
    minnow_int_error_errno (g, ENOTDIR, "copy_out: %s: not a directory on "
                            "the host", localdir);
    return -1;
  }
  split_path (g, remotepath, &dir, &base);
  free (dir);
  target = minnow_int_safe_asprintf (g, "%s/%s", localdir,
                                     strcmp (base, "/") ? base : "");
  free (base);
  r = minnow_is_file (g, remotepath);
  if (r == 1) {
    r = minnow_download (g, remotepath, target);
    free (target);
    return r;
  }
  if (r == 0 && (r = minnow_is_dir (g, remotepath)) == 0) {
    minnow_int_error_errno (g, ENOENT, "copy_out: %s: not a file or a "
                            "directory in the image", remotepath);
    r = -1;
  }
  if (r == -1) {
    free (target);
    return -1;
  }
  if (mkdir (target, 0777) == -1 && errno != EEXIST) {
    minnow_int_perrorf (g, "copy_out: %s", target);
    free (target);
    return -1;
  }
  cmd = command_new_args ("tar", "-C", target, "-xf", "-", NULL);
  command_add_env_pass_common (cmd);
  command_set_input_pipe (cmd, &fd);
  command_set_error_buffer (cmd, &errbuf, &errlen);
  free (target);
  if (command_run_async (cmd, NULL) == -1) {
    minnow_int_error (g, "copy_out: %s", command_get_error (cmd));
    command_free (cmd);
    return -1;
  }
  snprintf (fdpath, sizeof fdpath, "/dev/fd/%d", fd);
  r = minnow_tar_out (g, remotepath, fdpath);
  close (fd);
  r = finish_tar (g, "copy_out", cmd, errbuf, r == -1);
  command_free (cmd);
  free (errbuf);
  return r;
}
