/* minnow_user_cancel stops any running call of the local backend, not
 * only transfers: a sleep in the daemon (cancelled from a signal
 * handler), a checksum that feeds a helper program (killed), a fill
 * through the ext engine (the filesystem stays e2fsck-clean).  After a
 * cancel the handle keeps working.  set_pgroup puts the daemon in its
 * own process group, out of reach of the terminal's SIGINT. */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/time.h>

#include "minnow.h"
#include "command.h"
#include "tap.h"

static char tmpdir[] = "/tmp/minnow-test-cancelXXXXXX";
static minnow_h *cancel_target;

static void
quiet (minnow_h *g, void *opaque, const char *msg)
{
  if (getenv ("VERBOSE"))
    fprintf (stderr, "(error: %s)\n", msg);
}

static int64_t
now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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

static minnow_h *
launch (const char *image, int pgroup)
{
  minnow_h *g = minnow_create_flags (MINNOW_CREATE_NO_ENVIRONMENT);

  minnow_set_error_handler (g, quiet, NULL);
  if (minnow_set_pgroup (g, pgroup) == -1 ||
      minnow_add_drive (g, image) == -1 || minnow_launch (g) == -1) {
    fprintf (stderr, "launch: %s\n", minnow_last_error (g));
    exit (EXIT_FAILURE);
  }
  return g;
}

/* From a signal handler: minnow_user_cancel is async-signal-safe. */
static void
on_alarm (int sig)
{
  (void) sig;
  minnow_user_cancel (cancel_target);
}

static void
alarm_in (int ms)
{
  struct itimerval it = { { 0, 0 }, { ms / 1000, (ms % 1000) * 1000 } };

  setitimer (ITIMER_REAL, &it, NULL);
}

/* A signal to the daemon by hand: SIGUSR1 with the given call serial
 * (sigqueue), or a plain one (serial < 0). */
static pid_t signal_pid;
static void *
signal_later (void *arg)
{
  intptr_t serial = (intptr_t) arg;

  usleep (150000);
  if (serial < 0)
    kill (signal_pid, SIGUSR1);
  else {
    union sigval v = { .sival_int = (int) serial };
    sigqueue (signal_pid, SIGUSR1, v);
  }
  return NULL;
}

/* From another thread. */
static void *
cancel_later (void *arg)
{
  usleep ((useconds_t) (intptr_t) arg * 1000);
  minnow_user_cancel (cancel_target);
  return NULL;
}

static int
cancelled (minnow_h *g)
{
  const char *msg = minnow_last_error (g);

  if (minnow_last_errno (g) == EINTR && msg &&
      strstr (msg, "operation cancelled by the user"))
    return 1;
  tap_diag_str ("error", msg);
  printf ("# errno %d\n", minnow_last_errno (g));
  return 0;
}

static int
e2fsck_clean (const char *image)
{
  struct command *cmd = command_new ("e2fsck");
  char *out = NULL;
  size_t len;
  int status;

  command_add_arg_list (cmd, "-fn", image, NULL);
  command_add_env_pass_common (cmd);
  command_set_output_buffer (cmd, &out, &len);
  command_set_error_buffer (cmd, &out, &len);
  if (command_run (cmd, &status) == -1)
    status = -1;
  if (status != 0)
    tap_diag_str ("e2fsck", out ? out : command_get_error (cmd));
  free (out);
  command_free (cmd);
  return status == 0;
}

int
main (void)
{
  struct sigaction sa;
  minnow_h *g;
  char *image, *image2, *sum;
  pthread_t th;
  int64_t t0, took;
  int r;
  pid_t pid;

  if (mkdtemp (tmpdir) == NULL) {
    perror ("mkdtemp");
    return EXIT_FAILURE;
  }
  tap_plan (16);
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigaction (SIGALRM, &sa, NULL);

  image = make_image ("cancel.img", 1024 << 20);
  g = cancel_target = launch (image, 1);

  pid = minnow_get_pid (g);
  tap_ok (pid > 0 && getpgid (pid) == pid && getpgid (pid) != getpgrp (),
          "set_pgroup true: the daemon leads its own process group");

  /* 1. A sleep in the daemon, cancelled from a signal handler. */
  alarm_in (200);
  t0 = now_ms ();
  r = minnow_internal_test_sleep (g, 30000);
  took = now_ms () - t0;
  tap_ok (r == -1 && cancelled (g), "user_cancel from a signal handler stops "
          "internal_test_sleep with EINTR");
  tap_ok (took < 1500, "and it came back within a second of the cancel "
          "(%lld ms)", (long long) took);
  tap_ok (minnow_internal_test_sleep (g, 50) == 0,
          "the next call runs to its end: the cancel was for one call");

  /* A cancel that names an earlier call (it arrived late) does not stop
   * this one; a plain SIGUSR1 stops whatever runs. */
  signal_pid = pid;
  pthread_create (&th, NULL, signal_later, (void *) (intptr_t) 1);
  r = minnow_internal_test_sleep (g, 600);
  pthread_join (th, NULL);
  tap_ok (r == 0, "a late cancel of an earlier call does not stop the next");
  pthread_create (&th, NULL, signal_later, (void *) (intptr_t) -1);
  t0 = now_ms ();
  r = minnow_internal_test_sleep (g, 30000);
  took = now_ms () - t0;
  pthread_join (th, NULL);
  tap_ok (r == -1 && cancelled (g) && took < 1500, "a plain SIGUSR1 to the "
          "daemon cancels the running call (%lld ms)", (long long) took);

  /* 2. A checksum: the daemon feeds sha512sum, which is killed. */
  tap_ok (minnow_mkfs (g, "ext4", "/dev/sda") == 0, "mkfs ext4");
  pthread_create (&th, NULL, cancel_later, (void *) (intptr_t) 150);
  t0 = now_ms ();
  sum = minnow_checksum_device (g, "sha512", "/dev/sda");
  took = now_ms () - t0;
  pthread_join (th, NULL);
  if (sum != NULL) {
    tap_skip ("the checksum ended before the cancel", "checksum cancelled");
    tap_skip ("the checksum ended before the cancel", "checksum timing");
    free (sum);
  }
  else {
    tap_ok (cancelled (g), "user_cancel from a thread stops checksum_device "
            "and its helper");
    tap_ok (took < 1500, "within a second of the cancel (%lld ms)",
            (long long) took);
  }

  /* 3. A fill through the ext engine: stopped between writes, the
   * filesystem stays consistent. */
  tap_ok (minnow_mount (g, "/dev/sda", "/") == 0, "mount");
  pthread_create (&th, NULL, cancel_later, (void *) (intptr_t) 100);
  r = minnow_fill (g, 'x', 900 << 20, "/big");
  pthread_join (th, NULL);
  if (r == 0)
    tap_skip ("the fill ended before the cancel", "fill cancelled");
  else
    tap_ok (cancelled (g), "user_cancel stops fill with EINTR");
  tap_ok (minnow_write (g, "/after", "still here", 10) == 0,
          "the handle still works after the cancels");
  tap_ok (minnow_umount_all (g) == 0 && minnow_shutdown (g) == 0,
          "unmount and shut down cleanly");
  minnow_close (g);
  tap_ok (e2fsck_clean (image), "the image is e2fsck-clean after the "
          "cancelled calls");

  /* 4. A cancel with no call running does nothing (and no signal goes
   * to a daemon that is idle). */
  image2 = make_image ("idle.img", 16 << 20);
  g = cancel_target = launch (image2, 0);
  minnow_user_cancel (g);
  tap_ok (minnow_internal_test_sleep (g, 20) == 0, "a cancel between calls "
          "does not stop the next call");
  pid = minnow_get_pid (g);
  tap_ok (pid > 0 && getpgid (pid) == getpgrp (), "set_pgroup false (the "
          "default): the daemon stays in the caller's process group");
  minnow_close (g);

  unlink (image);
  unlink (image2);
  rmdir (tmpdir);
  free (image);
  free (image2);
  return tap_done ();
}
