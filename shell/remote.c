/* minnow(1): --listen and --remote.
 *
 * --listen starts `minnowd --listen=SOCKET IMAGE...` in the background
 * (read-only images, the default without --rw, as --ro=IMAGE)
 * (through the spawning core, daemonized) and prints its pid for the
 * calling shell script to export.  Each `minnow --remote` connects to that
 * daemon with the unix:SOCKET backend, so a script pays for one launch and
 * issues one command per line cheaply.
 *
 * The daemon unmounts everything when a client disconnects, so the shell
 * keeps the mount table between sessions itself: a state file next to the
 * socket lists the mounts at the end of a session, and the next session
 * mounts them again before its commands.
 *
 * Files live in $TMPDIR/minnow-UID/ (mode 0700): socket-PID and
 * mounts-PID. */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "command.h"
#include "shell.h"
#include "remote.h"

#ifndef MINNOWD_PATH
#define MINNOWD_PATH "minnowd"
#endif

static char *
state_dir (void)
{
  const char *tmp = getenv ("TMPDIR");
  char *dir;
  struct stat st;

  if (tmp == NULL || *tmp == '\0')
    tmp = "/tmp";
  if (asprintf (&dir, "%s/minnow-%d", tmp, (int) getuid ()) == -1)
    return NULL;
  if (mkdir (dir, 0700) == -1 && errno != EEXIST) {
    fprintf (stderr, "minnow: %s: %m\n", dir);
    free (dir);
    return NULL;
  }
  if (lstat (dir, &st) == -1 || !S_ISDIR (st.st_mode) ||
      st.st_uid != getuid () || (st.st_mode & 077) != 0) {
    fprintf (stderr, "minnow: %s: not a private directory of this user "
             "(mode 0700): refusing to use it\n", dir);
    free (dir);
    return NULL;
  }
  return dir;
}

static char *
path_in (const char *dir, const char *what, long pid)
{
  char *p;

  if (asprintf (&p, "%s/%s-%ld", dir, what, pid) == -1)
    return NULL;
  return p;
}

int
remote_listen (char **files, const int *readonly, long *pid_r)
{
  char *dir = state_dir (), *tmpsock, *pidfile, *sock;
  const char *daemon = getenv ("MINNOW_DAEMON");
  struct command *c;
  struct stat st;
  FILE *fp;
  long pid = 0;
  int devnull, i;

  if (dir == NULL)
    return -1;
  if (daemon == NULL || *daemon == '\0')
    daemon = MINNOWD_PATH;
  tmpsock = path_in (dir, "socket-new", (long) getpid ());
  pidfile = path_in (dir, "pid-new", (long) getpid ());
  c = command_new (daemon);
  command_add_arg_format (c, "--listen=%s", tmpsock);
  for (i = 0; files[i]; ++i) {
    char *abs = realpath (files[i], NULL);

    if (abs == NULL) {
      fprintf (stderr, "minnow: --listen: %s: %m\n", files[i]);
      command_free (c);
      return -1;
    }
    if (readonly[i])
      command_add_arg_format (c, "--ro=%s", abs);
    else
      command_add_arg (c, abs);
    free (abs);
  }
  devnull = open ("/dev/null", O_RDWR | O_CLOEXEC);
  command_set_output_fd (c, devnull);
  command_set_error_fd (c, devnull);
  command_daemonize (c);
  command_set_pidfile (c, pidfile);
  if (command_run (c, NULL) == -1) {
    fprintf (stderr, "minnow: --listen: %s: %s\n", daemon, command_get_error (c));
    command_free (c);
    close (devnull);
    return -1;
  }
  command_free (c);
  close (devnull);
  fp = fopen (pidfile, "r");
  if (fp == NULL || fscanf (fp, "%ld", &pid) != 1 || pid <= 0) {
    fprintf (stderr, "minnow: --listen: cannot read the daemon's pid from %s\n",
             pidfile);
    if (fp)
      fclose (fp);
    return -1;
  }
  fclose (fp);
  unlink (pidfile);

  /* Wait (at most 10 s) for the daemon to bind its socket. */
  for (i = 0; i < 1000; ++i) {
    struct timespec ts = { 0, 10 * 1000 * 1000 };

    if (stat (tmpsock, &st) == 0 && S_ISSOCK (st.st_mode))
      break;
    if (kill ((pid_t) pid, 0) == -1) {
      fprintf (stderr, "minnow: --listen: the daemon exited (can it open "
                       "the images?  Try %s --listen=SOCKET IMAGE... by "
                       "hand)\n", daemon);
      return -1;
    }
    nanosleep (&ts, NULL);
  }
  sock = path_in (dir, "socket", pid);
  if (i == 1000 || rename (tmpsock, sock) == -1) {
    fprintf (stderr, "minnow: --listen: the daemon did not listen on %s\n",
             tmpsock);
    kill ((pid_t) pid, SIGTERM);
    return -1;
  }
  printf ("MINNOW_PID=%ld; export MINNOW_PID\n", pid);
  *pid_r = pid;
  fflush (stdout);
  free (tmpsock);
  free (pidfile);
  free (sock);
  free (dir);
  return 0;
}

/* Mount the filesystems the previous session left mounted. */
static int
restore_mounts (const char *state)
{
  FILE *fp = fopen (state, "r");
  char dev[PATH_MAX], mp[PATH_MAX];
  int r = 0;

  if (fp == NULL)
    return 0;
  while (fscanf (fp, "%4095s %4095s", dev, mp) == 2)
    if (minnow_mount (g, dev, mp) == -1) {
      shell_failed ("--remote: restoring the mounts");
      r = -1;
      break;
    }
  fclose (fp);
  return r;
}

static int
by_mountpoint_length (const void *a, const void *b)
{
  const char *const *x = a, *const *y = b;
  size_t lx = strlen (x[1]), ly = strlen (y[1]);

  return lx < ly ? -1 : lx > ly;
}

/* Mount points in order of length: parents before their children. */
static void
save_mounts (const char *state)
{
  char **mp = minnow_mountpoints (g);
  char *tmp;
  size_t n = 0;
  FILE *fp;

  if (mp == NULL)
    return;
  while (mp[n])
    n += 2;
  qsort (mp, n / 2, 2 * sizeof (char *), by_mountpoint_length);
  if (asprintf (&tmp, "%s.new", state) == -1)
    return;
  fp = fopen (tmp, "w");
  if (fp) {
    for (size_t i = 0; i < n; i += 2)
      fprintf (fp, "%s %s\n", mp[i], mp[i + 1]);
    if (fclose (fp) == 0)
      rename (tmp, state);
  }
  free (tmp);
  shell_free_list (mp);
}

int
remote_session (const char *pidstr, int argc, char *argv[], const char *script)
{
  char *dir, *sock, *state, *backend;
  char *end;
  long pid;
  struct stat st;
  int r;

  if (pidstr == NULL)
    pidstr = getenv ("MINNOW_PID");
  if (pidstr == NULL || *pidstr == '\0') {
    fprintf (stderr, "minnow: --remote: no daemon: give --remote=PID or set "
             "MINNOW_PID (eval \"$(minnow --listen -a IMAGE)\")\n");
    return -1;
  }
  pid = strtol (pidstr, &end, 10);
  if (*end != '\0' || pid <= 0) {
    fprintf (stderr, "minnow: --remote: '%s' is not a process id\n", pidstr);
    return -1;
  }
  dir = state_dir ();
  if (dir == NULL)
    return -1;
  sock = path_in (dir, "socket", pid);
  state = path_in (dir, "mounts", pid);
  if (stat (sock, &st) == -1 || !S_ISSOCK (st.st_mode)) {
    fprintf (stderr, "minnow: --remote: no listening minnow with pid %ld "
             "(%s: %s)\n", pid, sock, strerror (errno ? errno : ENOTSOCK));
    return -1;
  }

  /* `minnow --remote exit` stops the daemon. */
  if (argc == 1 && (strcmp (argv[0], "exit") == 0 ||
                    strcmp (argv[0], "quit") == 0)) {
    r = kill ((pid_t) pid, SIGTERM);
    if (r == -1)
      fprintf (stderr, "minnow: --remote: stopping %ld: %m\n", pid);
    unlink (sock);
    unlink (state);
    return r;
  }

  minnow_close (g);
  g = shell_new_handle ();
  if (asprintf (&backend, "unix:%s", sock) == -1)
    return -1;
  if (minnow_set_backend (g, backend) == -1 || minnow_launch (g) == -1) {
    free (backend);
    return shell_failed ("--remote");
  }
  free (backend);
  r = restore_mounts (state);
  if (r == 0)
    r = shell_run_commands (argc, argv, script);
  if (minnow_is_ready (g) == 1)
    save_mounts (state);
  minnow_close (g);
  g = NULL;
  free (sock);
  free (state);
  free (dir);
  return r;
}
