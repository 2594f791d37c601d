/* minnow storage: running a program on a range (see tools.h). */

#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage.h"
#include "tools.h"

char *
storage_tool_last_line (const char *out)
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

/* Runs cmd on range; stderr goes to *err when err is not NULL, else
 * into *out with stdout. */
static int
run (struct command *cmd, const struct engine_range *range, const char *tool,
     char **out, char **err, int *status, char **error_r)
{
  size_t len, elen;

  *out = NULL;
  if (err)
    *err = NULL;
  if (range->fd < 0) {
    storage_set_error (error_r, "%s cannot run on a filesystem image that "
                       "is a file inside another filesystem", tool);
    command_free (cmd);
    return -EINVAL;
  }
  command_pass_fd (cmd, range->fd, 0);
  command_set_renumber_fds (cmd);
  command_set_output_buffer (cmd, out, &len);
  if (err)
    command_set_error_buffer (cmd, err, &elen);
  else
    command_set_error_buffer (cmd, out, &len);
  command_add_env_pair (cmd, "LC_ALL", "C");
  command_add_env_pass (cmd, "PATH");
  if (command_run (cmd, status) == -1) {
    storage_set_error (error_r, "%s: %s", tool, command_get_error (cmd));
    command_free (cmd);
    free (*out);
    *out = NULL;
    if (err) {
      free (*err);
      *err = NULL;
    }
    return -EIO;
  }
  command_free (cmd);
  return 0;
}

int
storage_run_tool (struct command *cmd, const struct engine_range *range,
                  const char *tool, char **out, int *status, char **error_r)
{
  return run (cmd, range, tool, out, NULL, status, error_r);
}

int
storage_make_filesystem (struct command *cmd,
                         const struct engine_range *range, const char *tool,
                         char **error_r)
{
  char *out, *err, *line;
  int status, r;

  /* The reason is the last line of what it said on stderr (stdout may
   * end with a banner), else of stdout. */
  r = run (cmd, range, tool, &out, &err, &status, error_r);
  if (r < 0)
    return r;
  if (status != 0) {
    line = storage_tool_last_line (err && *err ? err : out);
    storage_set_error (error_r, "%s failed: %s", tool, line ? line : "");
    free (line);
  }
  free (out);
  free (err);
  return status != 0 ? -EIO : 0;
}

int
storage_copy_range (const struct engine_range *from,
                    const struct engine_range *to, uint64_t len)
{
  static char buf[1 << 20];
  uint64_t pos = 0;

  while (pos < len) {
    off_t data = -1, hole;
    int r;

    if (from->fd >= 0)
      data = lseek (from->fd, (off_t) (from->offset + pos), SEEK_DATA);
    if (data < 0 && from->fd >= 0 && errno == ENXIO)
      return 0;
    if (data < 0)               /* no SEEK_DATA here: all is data */
      data = (off_t) (from->offset + pos), hole = (off_t) (from->offset + len);
    else if ((uint64_t) data >= from->offset + len)
      return 0;
    else if ((hole = lseek (from->fd, data, SEEK_HOLE)) < 0)
      return -errno;
    if ((uint64_t) hole > from->offset + len)
      hole = (off_t) (from->offset + len);
    for (pos = (uint64_t) data - from->offset;
         pos < (uint64_t) hole - from->offset;) {
      size_t n = (uint64_t) hole - from->offset - pos;

      if (n > sizeof buf)
        n = sizeof buf;
      r = range_read (from, buf, n, pos);
      if (r == 0)
        r = range_write (to, buf, n, pos);
      if (r < 0)
        return r;
      pos += n;
    }
  }
  return 0;
}
