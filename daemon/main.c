/* minnowd: start-up.
 *
 *   minnowd --drives=N --socket=FD [--verbose]
 *       started by the library (local backend): the drives are the open
 *       descriptors 3 … 3+N-1, the RPC socket is FD (= 3+N).  Serves that
 *       one connection and exits when the library closes it.
 *
 *   minnowd --listen=PATH [--verbose] [IMAGE…]
 *       for the unix:PATH backend: opens the images as its drives, listens
 *       on the unix socket PATH and serves one client after another.
 *
 * In both modes, where the kernel allows it, the daemon moves into new
 * user, mount, network and IPC namespaces once it holds its descriptors
 * (never required; MINNOWD_NO_SANDBOX=1 turns it off). */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "daemon.h"

int verbose;

static void
usage (int status)
{
  fprintf (status ? stderr : stdout,
           "usage: minnowd --drives=N --socket=FD [--verbose]\n"
           "       minnowd --listen=PATH [--verbose] [IMAGE...]\n");
  exit (status);
}

static int
write_file (const char *path, const char *content)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  ssize_t len = strlen (content);
  int ok;

  if (fd == -1)
    return -1;
  ok = write (fd, content, len) == len;
  close (fd);
  return ok ? 0 : -1;
}

/* Best effort: each namespace that cannot be made is simply skipped. */
static void
sandbox (void)
{
  uid_t uid = getuid ();
  gid_t gid = getgid ();
  const char *off = getenv ("MINNOWD_NO_SANDBOX");
  char map[64];

  if (off && off[0] && strcmp (off, "0") != 0)
    return;
  if (unshare (CLONE_NEWUSER) == 0) {
    /* Keep our own identity inside, and nothing else. */
    write_file ("/proc/self/setgroups", "deny");
    snprintf (map, sizeof map, "%u %u 1\n", (unsigned) uid, (unsigned) uid);
    if (write_file ("/proc/self/uid_map", map) == -1 && verbose)
      fprintf (stderr, "minnowd: uid_map: %m\n");
    snprintf (map, sizeof map, "%u %u 1\n", (unsigned) gid, (unsigned) gid);
    if (write_file ("/proc/self/gid_map", map) == -1 && verbose)
      fprintf (stderr, "minnowd: gid_map: %m\n");
  }
  else if (verbose)
    fprintf (stderr, "minnowd: no user namespace: %m\n");
  if (unshare (CLONE_NEWNS) == 0)
    mount ("none", "/", "none", MS_REC | MS_PRIVATE, NULL);
  else if (verbose)
    fprintf (stderr, "minnowd: no mount namespace: %m\n");
  if (unshare (CLONE_NEWIPC) == -1 && verbose)
    fprintf (stderr, "minnowd: no IPC namespace: %m\n");
  if (unshare (CLONE_NEWNET) == -1 && verbose)
    fprintf (stderr, "minnowd: no network namespace: %m\n");
}

static int
listen_on (const char *path)
{
  struct sockaddr_un addr;
  int sock;

  if (strlen (path) >= sizeof addr.sun_path) {
    fprintf (stderr, "minnowd: %s: socket path too long\n", path);
    return -1;
  }
  sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock == -1) {
    perror ("minnowd: socket");
    return -1;
  }
  memset (&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  strcpy (addr.sun_path, path);
  unlink (path);
  if (bind (sock, (struct sockaddr *) &addr, sizeof addr) == -1 ||
      listen (sock, 8) == -1) {
    fprintf (stderr, "minnowd: %s: %m\n", path);
    close (sock);
    return -1;
  }
  return sock;
}

int
main (int argc, char *argv[])
{
  static const struct option long_options[] = {
    { "drives", required_argument, NULL, 'd' },
    { "socket", required_argument, NULL, 's' },
    { "listen", required_argument, NULL, 'l' },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 }
  };
  long nr_drives = -1, sock = -1;
  const char *listen_path = NULL;
  int c, i;

  while ((c = getopt_long (argc, argv, "vh", long_options, NULL)) != -1) {
    switch (c) {
    case 'd': nr_drives = strtol (optarg, NULL, 10); break;
    case 's': sock = strtol (optarg, NULL, 10); break;
    case 'l': listen_path = optarg; break;
    case 'v': verbose = 1; break;
    case 'h': usage (EXIT_SUCCESS); break;
    case 'V': printf ("minnowd %s\n", PACKAGE_VERSION); exit (EXIT_SUCCESS);
    default: usage (EXIT_FAILURE);
    }
  }

  /* A library that closed our stderr must not kill us with SIGPIPE;
   * sockets are written with MSG_NOSIGNAL anyway. */
  signal (SIGPIPE, SIG_IGN);
  umask (022);

  if (listen_path) {
    int lsock;

    if (nr_drives != -1 || sock != -1)
      usage (EXIT_FAILURE);
    for (i = optind; i < argc; ++i) {
      int fd = open (argv[i], O_RDWR | O_CLOEXEC | O_NOCTTY);

      if (fd == -1)
        fd = open (argv[i], O_RDONLY | O_CLOEXEC | O_NOCTTY);
      if (fd == -1) {
        fprintf (stderr, "minnowd: %s: %m\n", argv[i]);
        exit (EXIT_FAILURE);
      }
      if (add_drive_fd (fd, argv[i]) == -1)
        exit (EXIT_FAILURE);
    }
    lsock = listen_on (listen_path);
    if (lsock == -1)
      exit (EXIT_FAILURE);
    /* The same sandbox as a daemon the library starts: the images and
     * the listening socket are open, nothing else of the host is
     * needed. */
    sandbox ();
    if (verbose)
      fprintf (stderr, "minnowd: listening on %s\n", listen_path);
    for (;;) {
      int conn = accept4 (lsock, NULL, NULL, SOCK_CLOEXEC);

      if (conn == -1) {
        if (errno == EINTR || errno == ECONNABORTED)
          continue;
        perror ("minnowd: accept");
        exit (EXIT_FAILURE);
      }
      serve_connection (conn, 0);
      close (conn);
    }
  }

  if (optind != argc || nr_drives < 0 || sock < 3 + nr_drives)
    usage (EXIT_FAILURE);
  for (i = 0; i < nr_drives; ++i) {
    char what[32];

    snprintf (what, sizeof what, "drive fd %d", 3 + i);
    if (add_drive_fd (3 + i, what) == -1)
      exit (EXIT_FAILURE);
    fcntl (3 + i, F_SETFD, FD_CLOEXEC);
  }
  fcntl (sock, F_SETFD, FD_CLOEXEC);
  sandbox ();
  if (serve_connection (sock, 1) == -1)
    exit (EXIT_FAILURE);
  exit (EXIT_SUCCESS);
}
