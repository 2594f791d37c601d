/* The library with a running daemon: launch and its events, devices,
 * read-only drives, progress, file streams and user_cancel, errno names
 * end to end, the daemon dying in the middle of a call and relaunching,
 * close reaping the daemon without leaking descriptors, and the unix:
 * backend. */

#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "minnow.h"
#include "command.h"
#include "tap.h"

static char tmpdir[] = "/tmp/minnow-test-daemonXXXXXX";

struct counts {
  int events[8];
  uint64_t last_array[4];
  size_t last_array_len;
  int progress_monotonic;
  uint64_t last_position;
  char appliance[4096];
};

static void
count_cb (minnow_h *g, void *opaque, uint64_t event, int eh, int flags,
          const char *buf, size_t buf_len, const uint64_t *array,
          size_t array_len)
{
  struct counts *c = opaque;
  int bit = __builtin_ctzll (event);

  c->events[bit]++;
  if (event == MINNOW_EVENT_PROGRESS) {
    if (array_len == 4 && array[2] < c->last_position)
      c->progress_monotonic = 0;
    if (array_len == 4)
      c->last_position = array[2];
    memcpy (c->last_array, array, (array_len < 4 ? array_len : 4) * 8);
    c->last_array_len = array_len;
  }
  if (event == MINNOW_EVENT_APPLIANCE) {
    size_t used = strlen (c->appliance);

    snprintf (c->appliance + used, sizeof c->appliance - used, "%.*s",
              (int) buf_len, buf);
  }
}

#define N_CLOSE 0
#define N_QUIT 1
#define N_LAUNCH 2
#define N_PROGRESS 3
#define N_APPLIANCE 4

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

static char *
make_file (const char *name, size_t size, int fill)
{
  char *path;
  int fd;

  if (asprintf (&path, "%s/%s", tmpdir, name) == -1)
    exit (EXIT_FAILURE);
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd == -1 || ftruncate (fd, size) == -1)
    exit (EXIT_FAILURE);
  if (fill) {
    char *buf = malloc (size);
    size_t i;

    for (i = 0; i < size; ++i)
      buf[i] = (char) (i * 7 + 3);
    if (write (fd, buf, size) != (ssize_t) size)
      exit (EXIT_FAILURE);
    free (buf);
  }
  close (fd);
  return path;
}

static int
count_fds (void)
{
  DIR *d = opendir ("/proc/self/fd");
  struct dirent *e;
  int n = 0;

  while ((e = readdir (d)) != NULL)
    if (e->d_name[0] != '.')
      n++;
  closedir (d);
  return n - 1;                 /* the directory's own descriptor */
}

static int
process_gone (pid_t pid)
{
  /* Reaped: neither a child to wait for, nor a process to signal. */
  return waitpid (pid, NULL, WNOHANG) == -1 && errno == ECHILD &&
    kill (pid, 0) == -1 && errno == ESRCH;
}

static volatile pid_t victim;
static minnow_h *volatile cancel_target;

static void
on_alarm (int sig)
{
  if (victim > 0)
    kill (victim, SIGKILL);
  if (cancel_target)
    minnow_user_cancel (cancel_target);
}

static void
arm_timer (int ms)
{
  struct itimerval it = { .it_value = { ms / 1000, (ms % 1000) * 1000 } };

  setitimer (ITIMER_REAL, &it, NULL);
}

static uint64_t
fnv1a (const char *path, size_t *len)
{
  uint64_t h = UINT64_C(0xcbf29ce484222325);
  FILE *fp = fopen (path, "r");
  int c;

  *len = 0;
  while ((c = getc (fp)) != EOF) {
    h ^= (unsigned char) c;
    h *= UINT64_C(0x100000001b3);
    ++*len;
  }
  fclose (fp);
  return h;
}

static void
test_basics (void)
{
  struct counts c = { .progress_monotonic = 1 };
  minnow_h *g = new_handle ();
  char *disk = make_file ("disk.img", 1024 * 1024, 0);
  char *ro = make_file ("ro.img", 1024 * 1024, 1);
  char **devs, *buf, expect[64];
  size_t len;
  int r;

  minnow_set_event_callback (g, count_cb, MINNOW_EVENT_ALL & ~(uint64_t)
                             (MINNOW_EVENT_TRACE | MINNOW_EVENT_LIBRARY |
                              MINNOW_EVENT_ENTER), 0, &c);
  minnow_add_drive (g, disk);
  minnow_add_drive_ro (g, ro);
  tap_is_int (minnow_launch (g), 0, "launch with two drives");
  tap_is_int (c.events[N_LAUNCH], 1, "LAUNCH_DONE fired once");
  tap_ok (minnow_is_ready (g), "ready after launch");
  tap_ok (minnow_get_pid (g) > 0, "get_pid gives the daemon's pid");
  tap_is_int (minnow_launch (g), -1, "launch twice is an error");
  tap_is_int (minnow_add_drive (g, disk), -1,
              "add_drive after launch is an error");

  devs = minnow_list_devices (g);
  tap_ok (devs && devs[0] && devs[1] && !devs[2] &&
          strcmp (devs[0], "/dev/sda") == 0 &&
          strcmp (devs[1], "/dev/sdb") == 0, "list_devices: sda, sdb");
  for (len = 0; devs && devs[len]; ++len)
    free (devs[len]);
  free (devs);

  tap_is_int (minnow_blockdev_getsize64 (g, "/dev/vdb"), 1024 * 1024,
              "blockdev_getsize64 /dev/vdb (translated to sdb)");
  tap_is_int (minnow_blockdev_getsize64 (g, "/dev/sdz"), -1,
              "no such device: error");
  tap_is_int (minnow_last_errno (g), ENOENT, "no such device: ENOENT");

  r = minnow_pwrite_device (g, "/dev/sda", "abc\0def", 7, 4096);
  tap_is_int (r, 7, "pwrite_device writes 7 bytes");
  buf = minnow_pread_device (g, "/dev/hda", 7, 4096, &len);
  tap_ok (buf && len == 7 && memcmp (buf, "abc\0def", 7) == 0,
          "pread_device reads them back (via /dev/hda)");
  free (buf);
  buf = minnow_pread_device (g, "/dev/sda", 100, 1024 * 1024 - 10, &len);
  tap_is_int (buf ? (long long) len : -1, 10, "pread_device stops at the end");
  free (buf);

  r = minnow_pwrite_device (g, "/dev/sdb", "x", 1, 0);
  tap_is_int (r, -1, "pwrite_device on a read-only drive fails");
  tap_is_int (minnow_last_errno (g), EROFS, "... with EROFS");
  tap_ok (minnow_last_error (g) &&
          strstr (minnow_last_error (g), "read-only") != NULL,
          "... and says read-only: %s", minnow_last_error (g));
  buf = minnow_pread_device (g, "/dev/sdb", 2, 1, &len);
  snprintf (expect, sizeof expect, "%c%c", 1 * 7 + 3, 2 * 7 + 3);
  tap_ok (buf && len == 2 && memcmp (buf, expect, 2) == 0,
          "the read-only drive can be read");
  free (buf);

  tap_is_int (minnow_internal_test_daemon_rint (g, "error:ENOSPC"), -1,
              "requested error fails");
  tap_is_int (minnow_last_errno (g), ENOSPC,
              "errno name ENOSPC maps back to ENOSPC");
  tap_ok (strstr (minnow_last_error (g), "internal_test_daemon_rint: ") ==
          minnow_last_error (g), "the message names the action: %s",
          minnow_last_error (g));
  tap_is_int (minnow_internal_test_daemon_rint (g, "-17"), -17, "rint -17");

  c.last_position = 0;
  tap_is_int (minnow_internal_test_progress (g, 25), 0,
              "internal_test_progress 25");
  tap_ok (c.events[N_PROGRESS] >= 2, "PROGRESS fired (%d times)",
          c.events[N_PROGRESS]);
  tap_ok (c.last_array_len == 4 && c.last_array[2] == 25 &&
          c.last_array[3] == 25, "PROGRESS: last is position = total = 25");
  tap_ok (c.last_array[0] == 912 && c.progress_monotonic,
          "PROGRESS: array = {proc 912, serial, position, total}, "
          "monotonic");

  tap_is_int (minnow_shutdown (g), 0, "shutdown");
  tap_ok (minnow_is_config (g), "config after shutdown");
  tap_is_int (c.events[N_QUIT], 1, "SUBPROCESS_QUIT fired by shutdown");
  tap_is_int (minnow_launch (g), 0, "relaunch after shutdown");
  buf = minnow_pread_device (g, "/dev/sda", 7, 4096, &len);
  tap_ok (buf && len == 7 && memcmp (buf, "abc\0def", 7) == 0,
          "the data written survived (autosync + shutdown)");
  free (buf);
  minnow_close (g);
  tap_is_int (c.events[N_CLOSE], 1, "CLOSE fired once");
  free (disk);
  free (ro);
}

static void
test_files (void)
{
  minnow_h *g = new_handle ();
  char *in = make_file ("in.bin", 3 * 1024 * 1024 + 17, 1);
  char *out, *r, expect[64];
  uint64_t h;
  size_t len, i;
  int ok = 1, fd;
  struct stat st;

  minnow_add_drive_scratch (g, 1024 * 1024, -1);
  minnow_launch (g);

  h = fnv1a (in, &len);
  snprintf (expect, sizeof expect, "%zu %016" PRIx64, len, h);
  r = minnow_internal_test_filein (g, in);
  tap_is_str (r, expect, "FileIn: length and FNV-1a of 3 MiB + 17");
  free (r);
  r = minnow_internal_test_filein (g, "/nonexistent/file");
  tap_ok (r == NULL && minnow_last_errno (g) == ENOENT,
          "FileIn of a missing host file: ENOENT");
  tap_is_int (minnow_internal_test_noop (g), 0, "... and the handle works");

  if (asprintf (&out, "%s/out.bin", tmpdir) == -1)
    exit (EXIT_FAILURE);
  tap_is_int (minnow_internal_test_fileout (g, 1000003, out), 0,
              "FileOut of 1000003 bytes");
  fd = open (out, O_RDONLY);
  if (fd >= 0 && fstat (fd, &st) == 0 && st.st_size == 1000003) {
    unsigned char *buf = malloc (st.st_size);

    if (read (fd, buf, st.st_size) != st.st_size)
      ok = 0;
    for (i = 0; ok && i < (size_t) st.st_size; ++i)
      if (buf[i] != i % 251)
        ok = 0;
    free (buf);
  }
  else
    ok = 0;
  if (fd >= 0)
    close (fd);
  tap_ok (ok, "FileOut: byte i is i mod 251");

  /* user_cancel from a signal handler in the middle of a FileOut. */
  cancel_target = g;
  signal (SIGALRM, on_alarm);
  arm_timer (100);
  tap_is_int (minnow_internal_test_fileout (g, INT64_C(1) << 40, "/dev/null"),
              -1, "user_cancel stops a 1 TiB FileOut");
  tap_is_int (minnow_last_errno (g), EINTR, "... with EINTR");
  cancel_target = NULL;
  tap_is_int (minnow_internal_test_noop (g), 0,
              "the handle works after the cancel");

  /* The same for an endless FileIn. */
  cancel_target = g;
  arm_timer (100);
  r = minnow_internal_test_filein (g, "/dev/zero");
  tap_ok (r == NULL && minnow_last_errno (g) == EINTR,
          "user_cancel stops an endless FileIn with EINTR");
  cancel_target = NULL;
  tap_is_int (minnow_internal_test_noop (g), 0,
              "the handle works after the cancel");

  /* A call over the 4 MiB limit is refused by the library. */
  {
    size_t big = 5 * 1024 * 1024;
    char *buf = calloc (1, big);

    tap_is_int (minnow_pwrite_device (g, "/dev/sda", buf, big, 0), -1,
                "a 5 MiB pwrite_device is refused");
    tap_is_int (minnow_last_errno (g), EMSGSIZE, "... with EMSGSIZE");
    tap_is_int (minnow_internal_test_noop (g), 0, "... and the handle works");
    free (buf);
  }
  minnow_close (g);
  unlink (out);
  free (out);
  free (in);
}

static void
test_death (void)
{
  struct counts c = { .progress_monotonic = 1 };
  minnow_h *g = new_handle ();
  int64_t t0;

  minnow_set_event_callback (g, count_cb, MINNOW_EVENT_SUBPROCESS_QUIT, 0,
                             &c);
  minnow_add_drive_scratch (g, 1024 * 1024, -1);
  minnow_launch (g);
  victim = minnow_get_pid (g);
  signal (SIGALRM, on_alarm);
  arm_timer (200);
  t0 = time (NULL);
  tap_is_int (minnow_internal_test_sleep (g, 20000), -1,
              "a call fails when the daemon is killed");
  victim = 0;
  tap_ok (time (NULL) - t0 < 10, "... promptly");
  tap_ok (minnow_last_error (g) &&
          strstr (minnow_last_error (g), "daemon") != NULL,
          "... with a clear error: %s", minnow_last_error (g));
  tap_is_int (c.events[N_QUIT], 1, "SUBPROCESS_QUIT fired");
  tap_ok (minnow_is_config (g), "the handle is back in config");
  tap_is_int (minnow_internal_test_noop (g), -1,
              "calls fail until relaunch");
  tap_is_int (minnow_launch (g), 0, "relaunch");
  tap_is_int (minnow_internal_test_noop (g), 0, "calls work again");
  minnow_close (g);
}

static void
test_appliance (void)
{
  struct counts c = { .progress_monotonic = 1 };
  minnow_h *g = new_handle ();

  minnow_set_event_callback (g, count_cb, MINNOW_EVENT_APPLIANCE |
                             MINNOW_EVENT_LIBRARY, 0, &c);
  minnow_set_verbose (g, 1);
  minnow_add_drive_scratch (g, 65536, -1);
  minnow_launch (g);
  minnow_internal_test_daemon_rint (g, "error:EIO");
  minnow_close (g);
  tap_ok (strstr (c.appliance, "requested error EIO") != NULL,
          "APPLIANCE: the verbose daemon's stderr reaches the callback");
}

static void
test_reap (void)
{
  int before = count_fds ();
  minnow_h *g = new_handle ();
  char *disk = make_file ("reap.img", 65536, 0);
  pid_t pid;

  minnow_add_drive (g, disk);
  minnow_add_drive_scratch (g, 65536, -1);
  minnow_launch (g);
  pid = minnow_get_pid (g);
  minnow_internal_test_noop (g);
  minnow_close (g);
  tap_ok (process_gone (pid), "close reaps the daemon (no zombie)");
  tap_is_int (count_fds (), before, "descriptors back to the start count");

  /* The same when the daemon died on its own. */
  g = new_handle ();
  minnow_add_drive (g, disk);
  minnow_launch (g);
  pid = minnow_get_pid (g);
  kill (pid, SIGKILL);
  usleep (50000);
  minnow_close (g);
  tap_ok (process_gone (pid), "close reaps a daemon that was killed");
  tap_is_int (count_fds (), before, "descriptors back to the start count");
  free (disk);
}

static void
test_unix_backend (const char *daemon)
{
  char *disk = make_file ("unix.img", 2 * 1024 * 1024, 0);
  struct command *cmd = command_new (daemon);
  char *sock, *backend, **devs;
  minnow_h *g;
  int i, r = -1;

  if (asprintf (&sock, "%s/sock", tmpdir) == -1 ||
      asprintf (&backend, "unix:%s", sock) == -1)
    exit (EXIT_FAILURE);
  command_add_arg_format (cmd, "--listen=%s", sock);
  command_add_arg (cmd, disk);
  command_add_env_pass_common (cmd);
  if (command_run_async (cmd, NULL) == -1) {
    tap_ok (0, "start minnowd --listen: %s", command_get_error (cmd));
    return;
  }
  g = new_handle ();
  tap_is_int (minnow_set_backend (g, backend), 0, "set_backend unix:PATH");
  for (i = 0; i < 200 && r == -1; ++i) {
    if (access (sock, F_OK) == 0)
      r = minnow_launch (g);
    if (r == -1)
      usleep (20000);
  }
  tap_is_int (r, 0, "launch connects to minnowd --listen");
  devs = minnow_list_devices (g);
  tap_ok (devs && devs[0] && strcmp (devs[0], "/dev/sda") == 0 && !devs[1],
          "the daemon's image is /dev/sda");
  if (devs) {
    free (devs[0]);
    free (devs);
  }
  tap_is_int (minnow_blockdev_getsize64 (g, "/dev/sda"), 2 * 1024 * 1024,
              "its size");
  minnow_close (g);

  /* A second client after the first went away. */
  g = new_handle ();
  minnow_set_backend (g, backend);
  tap_is_int (minnow_launch (g), 0, "a second client connects");
  tap_is_int (minnow_internal_test_noop (g), 0, "and is served");
  minnow_close (g);
  command_free (cmd);           /* kills the listening daemon */
  unlink (sock);
  free (sock);
  free (backend);
  free (disk);
}

int
main (void)
{
  const char *daemon = getenv ("MINNOW_DAEMON");
  char *cmd;

  if (daemon == NULL) {
    printf ("1..0 # SKIP MINNOW_DAEMON not set (run through ./run)\n");
    return 0;
  }
  if (mkdtemp (tmpdir) == NULL) {
    perror ("mkdtemp");
    return 1;
  }
  tap_plan (63);
  test_basics ();
  test_files ();
  test_death ();
  test_appliance ();
  test_reap ();
  test_unix_backend (daemon);

  /* Tidy up the temporary directory. */
  if (asprintf (&cmd, "%s/disk.img", tmpdir) != -1) {
    unlink (cmd);
    free (cmd);
  }
  {
    static const char *const names[] = {
      "disk.img", "ro.img", "in.bin", "reap.img", "unix.img", NULL
    };
    size_t i;

    for (i = 0; names[i]; ++i) {
      char *p;

      if (asprintf (&p, "%s/%s", tmpdir, names[i]) != -1) {
        unlink (p);
        free (p);
      }
    }
    rmdir (tmpdir);
  }
  return tap_done ();
}
