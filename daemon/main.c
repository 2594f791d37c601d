/* minnowd: start-up.
 *
 *   minnowd --drives=N --socket=FD [--nbd=I:FD]… [--verbose]
 *       started by the library (local backend): the drives are the open
 *       descriptors 3 … 3+N-1, the RPC socket is FD (= 3+N).  Serves that
 *       one connection and exits when the library closes it.  --nbd: FD
 *       is a socket connected to the NBD server (qemu-nbd) whose export
 *       drive I is a file of; the engines use that connection
 *       (storage/nbd.c).  --no-discard=I: discards do not reach drive
 *       I's image (add_drive discard "disable", or "besteffort" where
 *       they cannot), so fstrim and blkdiscard leave its bytes alone.
 *
 *   minnowd --listen=PATH [--verbose] [IMAGE | --ro=IMAGE]…
 *       for the unix:PATH backend: opens the images as its drives (in the
 *       order given; --ro=IMAGE opens that one read-only, and a write to
 *       it fails with EROFS), listens on the unix socket PATH and serves
 *       one client after another.
 *
 *   minnowd --check-sandbox
 *       enters the sandbox and proves each layer (sandbox-check.c).
 *
 * In both serving modes the daemon enters its sandbox (sandbox.c) once
 * it holds its descriptors; MINNOWD_NO_SANDBOX=1 turns it off. */

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
#include "sandbox.h"

int verbose;

static void
usage (int status)
{
  fprintf (status ? stderr : stdout,
           "usage: minnowd --drives=N --socket=FD [--nbd=I:FD]... "
           "[--no-discard=I]... [--verbose]\n"
           "       minnowd --listen=PATH [--verbose] [IMAGE | --ro=IMAGE]...\n"
           "       minnowd --check-sandbox [--verbose]\n");
  exit (status);
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
    { "ro", required_argument, NULL, 'r' },
    { "nbd", required_argument, NULL, 'n' },
    { "no-discard", required_argument, NULL, 'D' },
    { "verbose", no_argument, NULL, 'v' },
    { "check-sandbox", no_argument, NULL, 'c' },
    { "probe", required_argument, NULL, 'p' },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 }
  };
  long nr_drives = -1, sock = -1;
  const char *listen_path = NULL, *probe = NULL;
  int c, i, check = 0;
  /* --listen's images, in order; ro: opened read-only. */
  struct image { const char *path; int ro; } *images;
  size_t nr_images = 0;
  /* --nbd's drive indexes and sockets. */
  struct nbd_arg { long index, fd; } *nbds;
  size_t nr_nbds = 0;
  /* --no-discard's drive indexes. */
  long *no_discard;
  size_t nr_no_discard = 0;

  images = calloc (argc, sizeof *images);
  nbds = calloc (argc, sizeof *nbds);
  no_discard = calloc (argc, sizeof *no_discard);
  if (images == NULL || nbds == NULL || no_discard == NULL) {
    perror ("minnowd: calloc");
    exit (EXIT_FAILURE);
  }
  /* "-": the images (operands and --ro=) come back in their order. */
  while ((c = getopt_long (argc, argv, "-vh", long_options, NULL)) != -1) {
    switch (c) {
    case 1: images[nr_images].path = optarg; images[nr_images++].ro = 0; break;
    case 'r': images[nr_images].path = optarg; images[nr_images++].ro = 1; break;
    case 'n': {
      char *end;

      nbds[nr_nbds].index = strtol (optarg, &end, 10);
      if (*end != ':' || nbds[nr_nbds].index < 0)
        usage (EXIT_FAILURE);
      nbds[nr_nbds].fd = strtol (end + 1, &end, 10);
      if (*end != '\0' || nbds[nr_nbds].fd < 3)
        usage (EXIT_FAILURE);
      nr_nbds++;
      break;
    }
    case 'D': {
      char *end;

      no_discard[nr_no_discard] = strtol (optarg, &end, 10);
      if (*end != '\0' || no_discard[nr_no_discard] < 0)
        usage (EXIT_FAILURE);
      nr_no_discard++;
      break;
    }
    case 'd': nr_drives = strtol (optarg, NULL, 10); break;
    case 's': sock = strtol (optarg, NULL, 10); break;
    case 'l': listen_path = optarg; break;
    case 'v': verbose = 1; break;
    case 'c': check = 1; break;
    case 'p': probe = optarg; break;
    case 'h': usage (EXIT_SUCCESS); break;
    case 'V': printf ("minnowd %s\n", PACKAGE_VERSION); exit (EXIT_SUCCESS);
    default: usage (EXIT_FAILURE);
    }
  }

  /* A library that closed our stderr must not kill us with SIGPIPE;
   * sockets are written with MSG_NOSIGNAL anyway. */
  signal (SIGPIPE, SIG_IGN);
  umask (022);
  /* Before any thread: a cancel (SIGUSR1) is read by the lifeline. */
  lifeline_init_cancel ();

  if (probe)
    exit (sandbox_probe (probe));
  if (check) {
    char self[4096];
    ssize_t n = readlink ("/proc/self/exe", self, sizeof self - 1);

    if (n <= 0) {
      perror ("minnowd: /proc/self/exe");
      exit (EXIT_FAILURE);
    }
    self[n] = '\0';
    exit (sandbox_check (self));
  }

  if (listen_path) {
    int lsock;

    if (nr_drives != -1 || sock != -1 || nr_nbds != 0 || nr_no_discard != 0)
      usage (EXIT_FAILURE);
    for (size_t k = 0; k < nr_images; ++k) {
      const char *path = images[k].path;
      int fd = open (path, (images[k].ro ? O_RDONLY : O_RDWR) | O_CLOEXEC |
                     O_NOCTTY);

      if (fd == -1) {
        fprintf (stderr, "minnowd: %s: %m%s\n", path,
                 !images[k].ro && (errno == EACCES || errno == EROFS)
                 ? " (read-only? use --ro=IMAGE)" : "");
        exit (EXIT_FAILURE);
      }
      if (storage_add_drive_fd (fd, path) == -1)
        exit (EXIT_FAILURE);
    }
    lsock = listen_on (listen_path);
    if (lsock == -1)
      exit (EXIT_FAILURE);
    /* The same sandbox as a daemon the library starts: the images and
     * the listening socket are open, nothing else of the host is
     * needed. */
    sandbox_enter ();
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

  if (nr_images != 0 || nr_drives < 0 || sock < 3 + nr_drives)
    usage (EXIT_FAILURE);
  for (i = 0; i < nr_drives; ++i) {
    char what[32];

    snprintf (what, sizeof what, "drive fd %d", 3 + i);
    if (storage_add_drive_fd (3 + i, what) == -1)
      exit (EXIT_FAILURE);
    fcntl (3 + i, F_SETFD, FD_CLOEXEC);
  }
  /* Before the sandbox: the NBD handshakes. */
  for (size_t k = 0; k < nr_nbds; ++k) {
    if (nbds[k].index >= nr_drives || nbds[k].fd == sock) {
      fprintf (stderr, "minnowd: --nbd=%ld:%ld: no such drive\n",
               nbds[k].index, nbds[k].fd);
      exit (EXIT_FAILURE);
    }
    fcntl ((int) nbds[k].fd, F_SETFD, FD_CLOEXEC);
    if (storage_drive_attach_nbd ((size_t) nbds[k].index,
                                  (int) nbds[k].fd) == -1)
      exit (EXIT_FAILURE);
  }
  free (nbds);
  for (size_t k = 0; k < nr_no_discard; ++k)
    if (storage_drive_ignore_discards ((size_t) no_discard[k]) == -1) {
      fprintf (stderr, "minnowd: --no-discard=%ld: no such drive\n",
               no_discard[k]);
      exit (EXIT_FAILURE);
    }
  free (no_discard);
  fcntl (sock, F_SETFD, FD_CLOEXEC);
  sandbox_enter ();
  if (serve_connection (sock, 1) == -1)
    exit (EXIT_FAILURE);
  exit (EXIT_SUCCESS);
}
