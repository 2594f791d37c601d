/* minnow storage: running a program (mke2fs, e2fsck, mkfs.fat,
 * fsck.fat ...) on a range, through the command core.
 *
 * The drive's descriptor becomes the child's fd 3, opened there as
 * /proc/self/fd/3 and restricted to the range by the tool's own offset
 * option: no tool ever sees a host path.  Engines use this for their
 * mkfs, fsck and recover steps; it knows nothing of device names. */

#ifndef MINNOW_STORAGE_TOOLS_H
#define MINNOW_STORAGE_TOOLS_H

#include "command.h"
#include "engine.h"

/* Replaces *error_r (when error_r is not NULL) with a formatted message
 * (also in storage.h: engines include this header, not that one). */
void storage_set_error (char **error_r, const char *fmt, ...)
  __attribute__((format (printf, 2, 3)));

/* Runs cmd (then frees it) with the range's descriptor as its fd 3, in
 * the C locale; stdout and stderr together in *out (malloc'd), the exit
 * status in *status.  Returns 0, -EINVAL for a range that has no
 * descriptor (a file inside a filesystem), or -EIO when the tool could
 * not run, with a message. */
int storage_run_tool (struct command *cmd, const struct engine_range *range,
                      const char *tool, char **out, int *status,
                      char **error_r);

/* storage_run_tool for a mkfs: 0, or -EIO with the tool's last line of
 * output in the message when it fails. */
int storage_make_filesystem (struct command *cmd,
                             const struct engine_range *range,
                             const char *tool, char **error_r);

/* The last non-empty line of a tool's output (malloc'd, never NULL
 * unless out of memory). */
char *storage_tool_last_line (const char *out);

/* Copies the data of [0, len) from one range to another, skipping holes
 * of the source (a tool without an offset option works on a copy). */
int storage_copy_range (const struct engine_range *from,
                        const struct engine_range *to, uint64_t len);

#endif /* MINNOW_STORAGE_TOOLS_H */
