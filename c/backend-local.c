/* libminnow: the local backend.
 *
 * The library opens the drives itself and starts minnowd through the
 * spawning core with a clean environment.  In the daemon, the drives are
 * descriptors 3, 4, … (in the order they were added) and the socket of
 * the RPC is the next one, 3 + number of drives:
 *
 *   minnowd --drives=N --socket=3+N [--verbose]
 *
 * A drive in another format than raw, or on an NBD server, is first
 * made a plain file by fuse-drive.c (nbdfuse + qemu-nbd, started for all
 * such drives at once); the daemon gets that file's descriptor.  For a
 * drive served by its own qemu-nbd it also gets a socket connected to
 * it, after the RPC socket, named by --nbd=INDEX:FD: the engines read
 * and write that drive over NBD (storage/nbd.c).
 */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "minnow-internal.h"
#include "command.h"

/* How long shutdown waits for the daemon to exit after closing its
 * socket, before killing it. */
#define SHUTDOWN_GRACE_MS 5000

static int
local_launch (minnow_h *g, const char *arg)
{
  struct command *cmd;
  int sv[2], devnull, r, next;
  size_t i;
  pid_t pid;

  if (minnow_int_fuse_start_all (g) == -1)
    return -1;
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
    minnow_int_perrorf (g, "launch: socketpair");
    minnow_int_fuse_stop_all (g);
    return -1;
  }

  cmd = command_new (minnow_int_daemon_path ());
  command_add_arg_format (cmd, "--drives=%zu", g->nr_drives);
  command_add_arg_format (cmd, "--socket=%zu", 3 + g->nr_drives);
  if (g->verbose)
    command_add_arg (cmd, "--verbose");
  command_add_env_pass_common (cmd);
  command_add_env_pass (cmd, "MINNOWD_NO_SANDBOX");
  command_add_env_pass (cmd, "MINNOW_SPIN_US");
  for (i = 0; i < g->nr_drives; ++i) {
    int fd = minnow_int_open_drive (g, i);

    if (fd == -1) {
      command_free (cmd);
      close (sv[0]);
      close (sv[1]);
      minnow_int_fuse_stop_all (g);
      return -1;
    }
    command_pass_fd (cmd, fd, COMMAND_PASS_FD_CLOSE_PARENT);
  }
  command_pass_fd (cmd, sv[1], COMMAND_PASS_FD_CLOSE_PARENT);
  /* After the socket: each qemu-nbd drive's own NBD connection. */
  for (i = 0, next = 3 + g->nr_drives + 1; i < g->nr_drives; ++i) {
    int fd = minnow_int_drive_nbd_socket (g, i);

    if (fd >= 0) {
      command_add_arg_format (cmd, "--nbd=%zu:%d", i, next++);
      command_pass_fd (cmd, fd, COMMAND_PASS_FD_CLOSE_PARENT);
    }
  }
  /* discard "disable", or a format that keeps discarded data: the
   * daemon leaves the drive's bytes alone on fstrim and blkdiscard, and
   * blkdiscardzeroes says so. */
  for (i = 0; i < g->nr_drives; ++i)
    if (!minnow_int_drive_discards (&g->drives[i]))
      command_add_arg_format (cmd, "--no-discard=%zu", i);
  command_set_renumber_fds (cmd);
  command_set_error_pipe (cmd, &g->stderr_fd);
  /* Not the caller's stdout: a daemon that outlived its client would
   * keep `prog | cat` waiting. */
  devnull = open ("/dev/null", O_WRONLY | O_CLOEXEC);
  if (devnull >= 0)
    command_set_output_fd (cmd, devnull);
  command_raw_status (cmd);
  /* set_pgroup: out of the caller's process group, so that a Ctrl-C in
   * its terminal reaches the caller only (who may cancel the call). */
  if (g->pgroup)
    command_set_new_pgroup (cmd);

  if (g->verbose) {
    char *line = command_to_string (cmd);

    if (line) {
      debug (g, "launch: %s", line);
      free (line);
    }
  }

  r = command_run_async (cmd, &pid);
  if (devnull >= 0)
    close (devnull);
  if (r == -1) {
    minnow_int_error (g, "launch: cannot start the daemon: %s",
                      command_get_error (cmd));
    command_free (cmd);
    close (sv[0]);
    if (g->stderr_fd >= 0) {
      close (g->stderr_fd);
      g->stderr_fd = -1;
    }
    minnow_int_fuse_stop_all (g);
    return -1;
  }
  if (g->stderr_fd >= 0)
    fcntl (g->stderr_fd, F_SETFL,
           fcntl (g->stderr_fd, F_GETFL) | O_NONBLOCK);
  g->cmd = cmd;
  g->pid = pid;
  g->cancel_pid = pid;
  g->sock = sv[0];
  debug (g, "launch: daemon pid %d", (int) pid);
  return 0;
}

/* Closing the socket tells the daemon to exit; its stderr reaching end of
 * file says it has.  A daemon that lingers is killed. */
static void
local_shutdown (minnow_h *g, int *exit_status)
{
  int64_t deadline = minnow_int_now_ns () +
    (int64_t) SHUTDOWN_GRACE_MS * 1000000;

  if (g->sock >= 0) {
    close (g->sock);
    g->sock = -1;
  }
  while (g->stderr_fd >= 0) {
    struct pollfd pfd = { .fd = g->stderr_fd, .events = POLLIN };
    int64_t left = (deadline - minnow_int_now_ns ()) / 1000000;

    if (left <= 0) {
      minnow_int_warning (g, "shutdown: the daemon did not exit within 5 "
                          "seconds, killing it");
      if (g->pid > 0)
        kill (g->pid, SIGKILL);
      close (g->stderr_fd);
      g->stderr_fd = -1;
      break;
    }
    if (poll (&pfd, 1, (int) left) > 0)
      minnow_int_drain_stderr (g);
  }
  if (g->cmd) {
    if (command_wait (g->cmd, exit_status) == -1)
      debug (g, "shutdown: %s", command_get_error (g->cmd));
    command_free (g->cmd);
    g->cmd = NULL;
  }
  g->pid = 0;
  g->cancel_pid = 0;
  minnow_rbuf_reset (&g->rbuf);
  /* The daemon has closed the FUSE files: their chains are ending. */
  minnow_int_fuse_stop_all (g);
}

const struct backend_ops minnow_backend_local = {
  .name = "local",
  .launch = local_launch,
  .shutdown = local_shutdown,
};
