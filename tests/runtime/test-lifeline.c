/* The daemon's life and its client's: a daemon whose client is killed in
 * the middle of a long call exits (and does not hold the client's
 * stdout); a daemon killed in the middle of writes leaves a filesystem
 * that says it is not clean and that e2fsck repairs; minnowd --listen
 * is sandboxed like a daemon the library starts.
 *
 * The killed client is this program run again as "test-lifeline client
 * IMAGE", which launches a handle, prints its daemon's pid and sleeps in
 * the daemon. */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "minnow.h"
#include "command.h"
#include "tap.h"

static char tmpdir[] = "/tmp/minnow-test-lifelineXXXXXX";

static void
quiet (minnow_h *g, void *opaque, const char *msg)
{
  if (getenv ("VERBOSE"))
    fprintf (stderr, "(error: %s)\n", msg);
}

static minnow_h *
new_handle (void)
{
  minnow_h *g = minnow_create_flags (MINNOW_CREATE_NO_ENVIRONMENT);

  minnow_set_error_handler (g, quiet, NULL);
  return g;
}

static int64_t
now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits (at most limit_ms) for our child or adopted orphan pid to exit. */
static int
reaped_within (pid_t pid, int limit_ms)
{
  int64_t deadline = now_ms () + limit_ms;

  do {
    pid_t r = waitpid (pid, NULL, WNOHANG);

    if (r == pid || (r == -1 && errno == ECHILD))
      return 1;
    usleep (10000);
  } while (now_ms () < deadline);
  return 0;
}

static int
client_main (const char *image)
{
  minnow_h *g = new_handle ();

  if (minnow_add_drive (g, image) == -1 || minnow_launch (g) == -1)
    return EXIT_FAILURE;
  printf ("%d\n", minnow_get_pid (g));
  fflush (stdout);
  minnow_internal_test_sleep (g, 600000);
  return EXIT_SUCCESS;
}

static char *
make_image (const char *name, off_t size)
{
  char *path;
  int fd;

  if (asprintf (&path, "%s/%s", tmpdir, name) == -1)
    exit (EXIT_FAILURE);
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd == -1 || ftruncate (fd, size) == -1)
    exit (EXIT_FAILURE);
  close (fd);
  return path;
}

/* A client killed while its daemon sleeps in a call: the daemon exits
 * and the client's stdout is not kept open by it. */
static void
test_orphan (const char *self)
{
  char *image = make_image ("orphan.img", 1 << 20);
  struct command *cmd = command_new (self);
  char line[64] = "";
  size_t used = 0;
  int out = -1, eof = 0;
  pid_t client, daemon_pid = 0;
  int64_t deadline;

  command_add_arg (cmd, "client");
  command_add_arg (cmd, image);
  command_add_env_pass_common (cmd);
  command_add_env_pass (cmd, "MINNOW_DAEMON");
  command_add_env_pass (cmd, "MINNOWD_NO_SANDBOX");
  command_set_output_pipe (cmd, &out);
  if (command_run_async (cmd, &client) == -1) {
    tap_ok (0, "start the client: %s", command_get_error (cmd));
    command_free (cmd);
    free (image);
    return;
  }
  /* The daemon's pid, one line. */
  deadline = now_ms () + 20000;
  while (!strchr (line, '\n') && now_ms () < deadline) {
    struct pollfd pfd = { .fd = out, .events = POLLIN };
    ssize_t n;

    if (poll (&pfd, 1, 100) <= 0)
      continue;
    n = read (out, line + used, sizeof line - 1 - used);
    if (n <= 0)
      break;
    used += n;
    line[used] = '\0';
  }
  daemon_pid = atoi (line);
  if (!tap_ok (daemon_pid > 0, "the client launched and told its daemon's "
               "pid")) {
    kill (client, SIGKILL);
    command_free (cmd);
    free (image);
    return;
  }
  usleep (100000);              /* let the long call begin */
  kill (client, SIGKILL);
  waitpid (client, NULL, 0);

  /* End of file on the client's stdout: nobody else holds it. */
  deadline = now_ms () + 20000;
  while (!eof && now_ms () < deadline) {
    struct pollfd pfd = { .fd = out, .events = POLLIN };
    char buf[256];

    if (poll (&pfd, 1, 100) > 0 && read (out, buf, sizeof buf) == 0)
      eof = 1;
  }
  tap_ok (eof, "the killed client's stdout reaches end of file (the "
          "daemon does not hold it)");
  tap_ok (reaped_within (daemon_pid, 30000), "the daemon of a killed "
          "client stops its call and exits");
  close (out);
  command_free (cmd);
  free (image);
}

/* s_state of the ext superblock at offset 0 of the image: 1 clean. */
static int
super_state (const char *image)
{
  unsigned char b[2] = { 0xff, 0xff };
  int fd = open (image, O_RDONLY | O_CLOEXEC);

  if (fd == -1 || pread (fd, b, 2, 1024 + 58) != 2)
    b[0] = b[1] = 0xff;
  if (fd >= 0)
    close (fd);
  return b[0] | b[1] << 8;
}

static int
run_e2fsck (const char *opts, const char *image)
{
  struct command *cmd = command_new ("e2fsck");
  char *out = NULL;
  size_t len;
  int status;

  command_add_arg (cmd, opts);
  command_add_arg (cmd, image);
  command_add_env_pass_common (cmd);
  command_set_output_buffer (cmd, &out, &len);
  command_set_error_buffer (cmd, &out, &len);
  if (command_run (cmd, &status) == -1)
    status = -1;
  if (status != 0 && getenv ("VERBOSE"))
    fprintf (stderr, "e2fsck %s: %s\n", opts, out ? out : "");
  command_free (cmd);
  free (out);
  return status;
}

/* The daemon SIGKILLed between acknowledged writes. */
static void
test_killed_daemon (void)
{
  char *image = make_image ("killed.img", 64 << 20);
  minnow_h *g = new_handle ();
  char path[64], data[3000];
  int i, r = 0, state;

  memset (data, 'x', sizeof data);
  if (minnow_add_drive (g, image) == -1 || minnow_launch (g) == -1 ||
      minnow_mkfs (g, "ext4", "/dev/sda") == -1 ||
      minnow_mount (g, "/dev/sda", "/") == -1) {
    tap_ok (0, "prepare a mounted ext4: %s", minnow_last_error (g));
    minnow_close (g);
    free (image);
    return;
  }
  for (i = 0; i < 300 && r == 0; i++) {
    snprintf (path, sizeof path, "/f%d", i);
    r = minnow_write (g, path, data, sizeof data);
    if (i % 50 == 0 && r == 0)
      r = minnow_mkdir (g, (snprintf (path, sizeof path, "/d%d", i), path));
  }
  tap_is_int (r, 0, "300 acknowledged writes");
  kill (minnow_get_pid (g), SIGKILL);
  minnow_close (g);

  state = super_state (image);
  tap_ok (state != 0xffff && (state & 1) == 0,
          "the killed daemon's filesystem says it is not clean (s_state %d)",
          state);
  tap_ok (run_e2fsck ("-fy", image) < 4, "e2fsck -fy repairs it");
  tap_is_int (run_e2fsck ("-fn", image), 0, "then e2fsck -fn finds it clean");
  tap_is_int (super_state (image) & 1, 1, "and it says it is clean");
  free (image);
}

/* Our namespace of a kind, and a process's. */
static int
same_ns (pid_t pid, const char *kind)
{
  char a[PATH_MAX], b[PATH_MAX], p[64];
  ssize_t n, m;

  snprintf (p, sizeof p, "/proc/%d/ns/%s", (int) pid, kind);
  n = readlink (p, a, sizeof a - 1);
  snprintf (p, sizeof p, "/proc/self/ns/%s", kind);
  m = readlink (p, b, sizeof b - 1);
  if (n <= 0 || m <= 0)
    return -1;
  a[n] = b[m] = '\0';
  return strcmp (a, b) == 0;
}

/* minnowd --listen moves into the namespaces a library-started daemon
 * gets. */
static void
test_listen_sandbox (const char *daemon)
{
  char *image = make_image ("listen.img", 1 << 20), *sock, *backend;
  struct command *cmd = command_new (daemon);
  minnow_h *g = new_handle ();
  const char *kinds[] = { "net", "ipc" };
  pid_t pid;
  int i, r = -1, local_net, local_mnt;

  /* What the kernel allows here: look at a daemon the library started. */
  minnow_add_drive_scratch (g, 1 << 20, -1);
  if (minnow_launch (g) == -1) {
    tap_ok (0, "launch: %s", minnow_last_error (g));
    return;
  }
  local_net = same_ns (minnow_get_pid (g), "net");
  local_mnt = same_ns (minnow_get_pid (g), "mnt");
  minnow_close (g);

  if (asprintf (&sock, "%s/sock", tmpdir) == -1 ||
      asprintf (&backend, "unix:%s", sock) == -1)
    exit (EXIT_FAILURE);
  command_add_arg_format (cmd, "--listen=%s", sock);
  command_add_arg (cmd, image);
  command_add_env_pass_common (cmd);
  if (command_run_async (cmd, &pid) == -1) {
    tap_ok (0, "start minnowd --listen: %s", command_get_error (cmd));
    return;
  }
  g = new_handle ();
  minnow_set_backend (g, backend);
  for (i = 0; i < 200 && r == -1; ++i) {
    if (access (sock, F_OK) == 0)
      r = minnow_launch (g);
    if (r == -1)
      usleep (20000);
  }
  tap_is_int (r, 0, "a client reaches minnowd --listen");
  if (local_net != 0 || getenv ("MINNOWD_NO_SANDBOX")) {
    tap_skip ("the kernel gives no new namespaces here", "minnowd --listen "
              "runs in its own namespaces");
  }
  else {
    int separate = 1;

    for (i = 0; i < 2; i++)
      if (same_ns (pid, kinds[i]) != 0) {
        tap_diag ("minnowd --listen shares our %s namespace", kinds[i]);
        separate = 0;
      }
    tap_ok (separate, "minnowd --listen runs in its own net and ipc "
            "namespaces, as a library-started daemon does");
  }
  /* A mount namespace of its own would keep every host filesystem that
   * the host unmounts meanwhile mounted (and its loop device held). */
  tap_ok (same_ns (pid, "mnt") == 1 && local_mnt == 1, "neither daemon "
          "makes a mount namespace that would pin the host's mounts");
  minnow_close (g);
  command_free (cmd);           /* kills the listening daemon */
  unlink (sock);
  free (sock);
  free (backend);
  free (image);
}

static void
cleanup (void)
{
  char p[PATH_MAX];
  const char *names[] = { "orphan.img", "killed.img", "listen.img", "sock" };
  size_t i;

  for (i = 0; i < sizeof names / sizeof names[0]; i++) {
    snprintf (p, sizeof p, "%s/%s", tmpdir, names[i]);
    unlink (p);
  }
  rmdir (tmpdir);
}

int
main (int argc, char *argv[])
{
  const char *daemon = getenv ("MINNOW_DAEMON");
  char self[PATH_MAX];
  ssize_t n;

  if (argc == 3 && strcmp (argv[1], "client") == 0)
    return client_main (argv[2]);

  tap_plan (11);
  if (daemon == NULL || mkdtemp (tmpdir) == NULL) {
    printf ("# MINNOW_DAEMON is not set, or no temporary directory\n");
    return 1;
  }
  atexit (cleanup);
  /* Orphaned daemons become our children, so we can wait for them. */
  prctl (PR_SET_CHILD_SUBREAPER, 1);
  n = readlink ("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0)
    return 1;
  self[n] = '\0';

  test_orphan (self);
  test_killed_daemon ();
  test_listen_sandbox (daemon);
  return tap_done ();
}
