/* libminnow: non-raw and NBD drives, presented to the daemon as files.
 *
 * minnowd works on one plain descriptor per drive, and so do the
 * programs it runs on that descriptor (mke2fs, e2fsck, resize2fs,
 * mkfs.fat, libfdisk ... through /proc/self/fd/N), none of which speaks
 * NBD.  So the library turns every drive that is not a raw file into a
 * plain file first:
 *
 *   qemu-nbd -e 2 --image-opts ... -k DIR/sock
 *                                            decodes qcow2, vmdk ...
 *   nbdfuse -C 1 -P DIR/pid DIR/disk --unix DIR/sock
 *                                            serves it as one FUSE file
 *
 * For an image (not an NBD server) the library also connects a socket
 * to DIR/sock and passes it with the drive (minnowd --nbd=I:FD): the
 * daemon's engines read and write over that connection with libnbd,
 * past FUSE and nbdfuse, several requests at once (storage/nbd.c); the
 * programs keep the file.  qemu-nbd serves both clients from one image.
 *
 * (for an NBD server, nbdfuse alone: --unix PATH, --tcp HOST PORT or an
 * nbd:// URI).  For each such drive, launch makes a private 0700
 * directory in the handle's tmpdir with an empty file "disk", starts
 * every drive's qemu-nbd at once (through the spawning core), then each
 * nbdfuse as soon as its qemu-nbd listens, then waits for the pidfiles
 * (nbdfuse writes its pidfile once the file is mounted and served).  It
 * opens each file, detaches the mount lazily (umount2 MNT_DETACH as
 * root, else `fusermount3 -u -z`) and removes the directory: nothing is
 * left visible on the host, and the open descriptor is all that keeps
 * the FUSE filesystem alive.  It goes to the daemon like a raw image's.
 *
 * (nbdfuse could start qemu-nbd itself by socket activation, but libnbd
 * then leaves its /tmp/libnbdXXXXXX directory behind whenever the server
 * fails or dies; started by the library, both processes are its own
 * children, and each one's stderr says when it has exited.)
 *
 * The chain then ends by itself: when the daemon has closed the file
 * and its connection (shutdown, or the daemon exiting because its
 * client died), the kernel releases the detached filesystem, nbdfuse's
 * FUSE loop ends, nbdfuse closes its NBD connection and exits, and
 * qemu-nbd (not --persistent) exits when its last client has gone.  At shutdown the library waits
 * for each (its stderr pipe reaching end of file) and reaps it; after a
 * grace time it kills what is left.
 *
 * A writable drive's file is opened O_DIRECT (the flag travels with the
 * descriptor to the daemon): what the daemon does on the file itself
 * (device reads and writes, fstrim; the engines of an NBD server's
 * drive) goes through it.  nbdfuse gives FUSE no write-back cache, so
 * every buffered write is a synchronous round trip through nbdfuse and
 * qemu-nbd, one 1 MiB FUSE request after the other under the inode's
 * lock.  A direct write instead goes out as all its 1 MiB requests at
 * once (the kernel's asynchronous direct I/O), which nbdfuse's threads
 * and qemu-nbd serve in parallel: the daemon's 2 MiB writes of an upload
 * run 1.5x faster, and cold reads too.  What is lost is the FUSE page
 * cache for the daemon's own reads (qemu-nbd's host file is still in the
 * host's page cache); the programs the daemon runs on /proc/self/fd/N
 * open the file anew, cached, and the kernel keeps both views coherent.
 * Direct I/O on FUSE takes any size and alignment (ext2's 2-byte
 * superblock writes included).  Measurements: docs/internals.md.
 *
 * See docs/internals.md, "Image formats". */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "minnow-internal.h"
#include "command.h"

/* How long launch waits for one nbdfuse to be ready, and shutdown for
 * it to exit, unless MINNOW_LAUNCH_TIMEOUT (seconds) says otherwise. */
#define FUSE_READY_TIMEOUT_MS 30000
#define FUSE_EXIT_GRACE_MS 5000

/* What nbdfuse and qemu-nbd said, kept for error messages. */
#define FUSE_STDERR_MAX 2048

int
minnow_int_find_program (const char *name)
{
  const char *path = getenv ("PATH");
  const char *p, *end;
  char buf[4096];

  if (path == NULL || path[0] == '\0')
    path = "/usr/local/bin:/usr/bin:/bin";
  for (p = path; ; p = end + 1) {
    size_t len;

    end = strchr (p, ':');
    len = end ? (size_t) (end - p) : strlen (p);
    if (len > 0 && len + strlen (name) + 2 < sizeof buf) {
      memcpy (buf, p, len);
      buf[len] = '/';
      strcpy (buf + len + 1, name);
      if (access (buf, X_OK) == 0)
        return 1;
    }
    if (end == NULL)
      return 0;
  }
}

int
minnow_int_fuse_check_tools (minnow_h *g, const char *name,
                             const struct drive *d)
{
  const char *what = d->nbd_server ? "an nbd drive" : d->format;

  if (access ("/dev/fuse", R_OK | W_OK) == -1) {
    minnow_int_error_errno (g, ENOTSUP, "%s: %s: %s%s needs FUSE, and "
                            "/dev/fuse is not usable: %s", name,
                            d->filename, d->nbd_server ? "" : "format ",
                            what, strerror (errno));
    return -1;
  }
  if (!minnow_int_find_program ("nbdfuse")) {
    minnow_int_error_errno (g, ENOTSUP, "%s: %s: %s%s needs nbdfuse (Debian "
                            "package libnbd-bin), not found on $PATH",
                            name, d->filename,
                            d->nbd_server ? "" : "format ", what);
    return -1;
  }
  if (!d->nbd_server && !minnow_int_find_program ("qemu-nbd")) {
    minnow_int_error_errno (g, ENOTSUP, "%s: %s: format %s needs qemu-nbd "
                            "(Debian package qemu-utils), not found on "
                            "$PATH", name, d->filename, what);
    return -1;
  }
  if (geteuid () != 0 && !minnow_int_find_program ("fusermount3")) {
    minnow_int_error_errno (g, ENOTSUP, "%s: %s: %s%s needs fusermount3 "
                            "(Debian package fuse3), not found on $PATH",
                            name, d->filename,
                            d->nbd_server ? "" : "format ", what);
    return -1;
  }
  return 0;
}

/* A string for qemu's --image-opts: ',' doubled. */
static char *
opts_escape (minnow_h *g, const char *s)
{
  char *r = minnow_int_safe_malloc (g, 2 * strlen (s) + 1), *q = r;

  for (; *s; ++s) {
    if (*s == ',')
      *q++ = ',';
    *q++ = *s;
  }
  *q = '\0';
  return r;
}

/* The export name, percent-encoded for the path of an NBD URI. */
static char *
uri_escape (minnow_h *g, const char *s)
{
  static const char hex[] = "0123456789ABCDEF";
  char *r = minnow_int_safe_malloc (g, 3 * strlen (s) + 1), *q = r;

  for (; *s; ++s) {
    unsigned char c = *s;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9') || strchr ("-._~", c))
      *q++ = c;
    else {
      *q++ = '%';
      *q++ = hex[c >> 4];
      *q++ = hex[c & 15];
    }
  }
  *q = '\0';
  return r;
}

/* How nbdfuse reaches the data: qemu-nbd on the image, or a server. */
/* qemu-nbd serving drive d's image on DIR/sock, for two clients, nbdfuse
 * and the daemon (no --persistent: it exits when both have gone). */
static struct command *
qemu_nbd_command (minnow_h *g, const struct drive *d, const char *sock)
{
  struct command *cmd = command_new ("qemu-nbd");
  char *path = minnow_int_qemu_safe_path (g, d->filename), *esc;

  /* qemu-nbd allocates each request's buffer and frees it when done:
   * with glibc's defaults a 1 MiB buffer is a fresh mmap, 256 page
   * faults and zeroed pages every time, or heap memory trimmed back to
   * the kernel and faulted in again.  Fixed thresholds keep buffers up
   * to 32 MiB (NBD's largest request) in the heap and the heap's freed
   * top up to 128 MiB mapped: writes through the chain run 1.3x faster,
   * for a peak of a few tens of MiB kept until qemu-nbd exits. */
  command_add_env_pair (cmd, "GLIBC_TUNABLES",
                        "glibc.malloc.mmap_threshold=33554432:"
                        "glibc.malloc.trim_threshold=134217728");
  if (d->readonly)
    command_add_arg (cmd, "--read-only");
  command_add_arg_format (cmd, "--cache=%s",
                          d->cache_unsafe ? "unsafe" : "writeback");
  command_add_arg_format (cmd, "--discard=%s",
                          d->discard == DISCARD_DISABLE ? "ignore" : "unmap");
  command_add_arg_list (cmd, "-e", "2", "-k", sock, NULL);
  /* Always through --image-opts, under a raw node: qemu-nbd advertises
   * the format driver's request alignment (512 for vhdx and other
   * sector-based drivers) and then refuses smaller writes, such as
   * ext2's 2-byte superblock updates, with EINVAL; a raw node on top
   * accepts any alignment and qemu pads the requests below.  ',' in the
   * path is doubled, as --image-opts wants. */
  esc = opts_escape (g, path);
  command_add_arg (cmd, "--image-opts");
  if (d->copyonread)
    command_add_arg_format (cmd, "driver=raw,file.driver=copy-on-read,"
                            "file.file.driver=%s,"
                            "file.file.file.driver=file,"
                            "file.file.file.filename=%s", d->format, esc);
  else
    command_add_arg_format (cmd, "driver=raw,file.driver=%s,"
                            "file.file.driver=file,file.file.filename=%s",
                            d->format, esc);
  free (esc);
  free (path);
  return cmd;
}

/* How nbdfuse reaches an NBD server's export. */
static void
add_server (minnow_h *g, struct command *cmd, const struct drive *d)
{
  if (d->exportname) {
    char *exp = uri_escape (g, d->exportname);

    if (strncmp (d->nbd_server, "unix:", 5) == 0) {
      char *sock = uri_escape (g, d->nbd_server + 5);
      command_add_arg_format (cmd, "nbd+unix:///%s?socket=%s", exp, sock);
      free (sock);
    }
    else
      command_add_arg_format (cmd, "nbd://%s/%s", d->nbd_server + 4, exp);
    free (exp);
  }
  else if (strncmp (d->nbd_server, "unix:", 5) == 0)
    command_add_arg_list (cmd, "--unix", d->nbd_server + 5, NULL);
  else {
    const char *hostport = d->nbd_server + 4;
    const char *colon = strrchr (hostport, ':');
    char *host = minnow_int_safe_strndup (g, hostport, colon - hostport);

    command_add_arg_list (cmd, "--tcp", host, colon + 1, NULL);
    free (host);
  }
}

static void tidy_message (char *s);
static int start_fuse (minnow_h *g, struct drive *d);

/* Keeps the last FUSE_STDERR_MAX bytes of what a process of the chain
 * wrote on its stderr (*fdp).  Returns 0 at end of file (*fdp is closed
 * and set to -1), 1 otherwise. */
static int
read_stderr (int *fdp, char *buf, size_t *len)
{
  char tmp[1024];
  ssize_t r;

  while ((r = read (*fdp, tmp, sizeof tmp)) > 0) {
    size_t n = r;           /* < FUSE_STDERR_MAX */
    if (*len + n >= FUSE_STDERR_MAX) {
      size_t drop = *len + n - (FUSE_STDERR_MAX - 1);
      memmove (buf, buf + drop, *len - drop);
      *len -= drop;
    }
    memcpy (buf + *len, tmp, n);
    *len += n;
  }
  buf[*len] = '\0';
  if (r == 0) {
    close (*fdp);
    *fdp = -1;
    return 0;
  }
  return 1;
}

static char *
path_in (minnow_h *g, const struct drive *d, const char *name)
{
  return minnow_int_safe_asprintf (g, "%s/%s", d->fuse_dir, name);
}

/* Whether nbdfuse's mount covers DIR/disk now: the file then lives on
 * another device than its directory. */
static int
is_mounted (minnow_h *g, struct drive *d)
{
  char *disk;
  struct stat sd, sf;
  int r;

  if (d->fuse_dir == NULL || stat (d->fuse_dir, &sd) == -1)
    return 0;
  disk = path_in (g, d, "disk");
  r = stat (disk, &sf) == 0 && sf.st_dev != sd.st_dev;
  free (disk);
  return r;
}

/* Detaches the FUSE mount over DIR/disk, if attached. */
static void
detach (minnow_h *g, struct drive *d)
{
  char *disk;

  if (!d->fuse_mounted)
    return;
  d->fuse_mounted = 0;
  if (!is_mounted (g, d))
    return;
  disk = path_in (g, d, "disk");
  if (geteuid () != 0 || umount2 (disk, MNT_DETACH) == -1) {
    struct command *cmd = command_new ("fusermount3");
    char *err = NULL;

    command_add_arg_list (cmd, "-u", "-z", "--", disk, NULL);
    command_add_env_pass_common (cmd);
    command_set_error_buffer (cmd, &err, NULL);
    if (command_run (cmd, NULL) == -1)
      minnow_int_warning (g, "%s: cannot detach the FUSE file %s: %s%s",
                          d->filename, disk, command_get_error (cmd),
                          err ? err : "");
    command_free (cmd);
    free (err);
  }
  free (disk);
}

/* Removes the private directory (after detach). */
static void
remove_dir (minnow_h *g, struct drive *d)
{
  char *p;

  if (d->fuse_dir == NULL)
    return;
  p = path_in (g, d, "pid");
  unlink (p);
  free (p);
  p = path_in (g, d, "disk");
  unlink (p);
  free (p);
  p = path_in (g, d, "sock");
  unlink (p);
  free (p);
  if (rmdir (d->fuse_dir) == -1)
    debug (g, "%s: rmdir %s: %m", d->filename, d->fuse_dir);
  free (d->fuse_dir);
  d->fuse_dir = NULL;
}

/* Reaps the command *cmdp once its stderr (*fdp) is at end of file,
 * or kills it at deadline (ns, monotonic). */
static void
reap (minnow_h *g, struct drive *d, const char *what, struct command **cmdp,
      int *fdp, int64_t deadline)
{
  char buf[FUSE_STDERR_MAX];
  size_t len = 0;
  int status, late = 0;

  while (*fdp >= 0) {
    struct pollfd pfd = { .fd = *fdp, .events = POLLIN };
    int64_t left = (deadline - minnow_int_now_ns ()) / 1000000;

    if (left <= 0) {
      debug (g, "%s: %s did not exit, killing it", d->filename, what);
      close (*fdp);
      *fdp = -1;
      late = 1;
      break;
    }
    if (poll (&pfd, 1, (int) left) > 0)
      (void) read_stderr (fdp, buf, &len);
  }
  if (len > 0)
    debug (g, "%s: %s said: %s", d->filename, what, buf);
  if (*cmdp) {
    /* At end of file it has exited (the wait is immediate); when late,
     * command_free kills it and reaps. */
    if (!late && command_wait (*cmdp, &status) == 0)
      debug (g, "%s: %s exited, status %d", d->filename, what, status);
    command_free (*cmdp);
    *cmdp = NULL;
  }
}

/* Stops the chain of d: once the daemon has closed the FUSE file,
 * nbdfuse exits and qemu-nbd with it; wait for that until deadline. */
static void
stop_one (minnow_h *g, struct drive *d, int64_t deadline)
{
  if (d->fuse_fd >= 0) {
    close (d->fuse_fd);
    d->fuse_fd = -1;
  }
  if (d->nbd_sock >= 0) {
    close (d->nbd_sock);
    d->nbd_sock = -1;
  }
  /* Launch failed before this drive was ready: an nbdfuse that has not
   * mounted yet, or a qemu-nbd still waiting for it, would not exit by
   * themselves. */
  if (d->fuse_mounted && !is_mounted (g, d)) {
    command_free (d->fuse_cmd);
    d->fuse_cmd = NULL;
    command_free (d->qemu_cmd);
    d->qemu_cmd = NULL;
  }
  detach (g, d);
  reap (g, d, "nbdfuse", &d->fuse_cmd, &d->fuse_err_fd, deadline);
  reap (g, d, "qemu-nbd", &d->qemu_cmd, &d->qemu_err_fd, deadline);
  /* A mount made just before nbdfuse was killed stays until detached. */
  d->fuse_mounted = 1;
  detach (g, d);
  remove_dir (g, d);
}

/* Whether the process writing to *fdp has exited (its stderr at end of
 * file), waiting until deadline at most; what it said is in buf. */
static int
has_died (int *fdp, int64_t deadline, char *buf, size_t *len)
{
  int alive = 1;

  buf[0] = '\0';
  while (*fdp >= 0 && alive) {
    struct pollfd pfd = { .fd = *fdp, .events = POLLIN };
    int64_t left = (deadline - minnow_int_now_ns ()) / 1000000;

    if (poll (&pfd, 1, left > 0 ? (int) left : 0) <= 0)
      break;
    alive = read_stderr (fdp, buf, len);
  }
  return !alive;
}

static char *
add_note (minnow_h *g, char *note, const struct drive *d, const char *what,
          char *buf, size_t len)
{
  char *r;

  tidy_message (buf);
  r = minnow_int_safe_asprintf (g, "%s (drive %s: its %s has died%s%s)",
                                note ? note : "",
                                d->nbd_server ? d->nbd_server : d->filename,
                                what, len ? ": " : "", buf);
  free (note);
  return r;
}

char *
minnow_int_fuse_dead_note (minnow_h *g, int errnum)
{
  /* The errors a dying chain gives; the wait lets it finish dying. */
  int suspect = errnum == EIO || errnum == ENOTCONN || errnum == ECONNABORTED;
  int64_t deadline = minnow_int_now_ns () + (suspect ? 500 : 0) * 1000000LL;
  char *note = NULL;
  size_t i;

  for (i = 0; i < g->nr_drives; ++i) {
    struct drive *d = &g->drives[i];
    char buf[FUSE_STDERR_MAX];
    size_t len = 0;

    if (has_died (&d->qemu_err_fd, deadline, buf, &len))
      note = add_note (g, note, d, "qemu-nbd", buf, len);
    len = 0;
    if (has_died (&d->fuse_err_fd, deadline, buf, &len))
      note = add_note (g, note, d, "nbdfuse", buf, len);
  }
  return note;
}

void
minnow_int_fuse_stop_all (minnow_h *g)
{
  int64_t deadline = minnow_int_now_ns () +
    (int64_t) FUSE_EXIT_GRACE_MS * 1000000;
  size_t i;

  for (i = 0; i < g->nr_drives; ++i)
    if (g->drives[i].fuse_cmd || g->drives[i].qemu_cmd
        || g->drives[i].fuse_dir)
      stop_one (g, &g->drives[i], deadline);
}

/* Starts cmd with its stderr on a pipe (*err_fd); error set on -1. */
static int
start_command (minnow_h *g, struct drive *d, struct command *cmd,
               int *err_fd, const char *package)
{
  command_add_env_pass_common (cmd);
  command_set_error_pipe (cmd, err_fd);
  command_set_nonblocking_pipes (cmd);
  if (g->verbose) {
    char *line = command_to_string (cmd);
    if (line) {
      debug (g, "launch: %s", line);
      free (line);
    }
  }
  if (command_run_async (cmd, NULL) == -1) {
    minnow_int_error_errno (g, ENOTSUP, "launch: %s: cannot start a "
                            "program of %s: %s", d->filename, package,
                            command_get_error (cmd));
    *err_fd = -1;
    return -1;
  }
  return 0;
}

/* Makes the private directory of drive d; starts qemu-nbd for an image,
 * nbdfuse at once for an NBD server. */
static int
start_one (minnow_h *g, struct drive *d)
{
  struct command *cmd;
  char *disk;
  int fd;

  d->fuse_dir = minnow_int_safe_asprintf (g, "%s/minnow-nbdXXXXXX",
                                          minnow_int_tmpdir (g));
  if (mkdtemp (d->fuse_dir) == NULL) {
    minnow_int_perrorf (g, "launch: %s: cannot make a directory for its "
                        "FUSE file: %s", d->filename, d->fuse_dir);
    free (d->fuse_dir);
    d->fuse_dir = NULL;
    return -1;
  }
  disk = path_in (g, d, "disk");
  fd = open (disk, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd == -1) {
    minnow_int_perrorf (g, "launch: %s", disk);
    free (disk);
    return -1;
  }
  close (fd);
  free (disk);
  if (d->nbd_server)
    return start_fuse (g, d);

  {
    char *sock = path_in (g, d, "sock");
    cmd = qemu_nbd_command (g, d, sock);
    free (sock);
  }
  if (start_command (g, d, cmd, &d->qemu_err_fd,
                     "qemu-utils (qemu-nbd)") == -1) {
    command_free (cmd);
    return -1;
  }
  d->qemu_cmd = cmd;
  return 0;
}

/* The daemon's own connection to qemu-nbd: its engines read and write
 * the export over it with libnbd (storage/nbd.c), past nbdfuse; the
 * programs it runs keep the FUSE file.  Connected here, where the
 * socket's path is known, and passed to the daemon with the drives. */
static int
connect_daemon_socket (minnow_h *g, struct drive *d)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  char *sock = path_in (g, d, "sock");
  int fd;

  if (strlen (sock) >= sizeof addr.sun_path) {
    minnow_int_error (g, "launch: %s: socket path too long", sock);
    free (sock);
    return -1;
  }
  strcpy (addr.sun_path, sock);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd == -1 || connect (fd, (struct sockaddr *) &addr, sizeof addr) == -1) {
    /* qemu-nbd listens before it opens the image, and exits when that
     * fails: nbdfuse fails next, and the error is what qemu-nbd said.
     * If nbdfuse gets through, the daemon goes through its file. */
    debug (g, "launch: %s: cannot connect to qemu-nbd on %s: %m",
           d->filename, sock);
    if (fd >= 0)
      close (fd);
    free (sock);
    return 0;
  }
  free (sock);
  d->nbd_sock = fd;
  return 0;
}

/* Starts nbdfuse over DIR/disk, on qemu-nbd's DIR/sock or the server. */
static int
start_fuse (minnow_h *g, struct drive *d)
{
  struct command *cmd = command_new ("nbdfuse");
  char *disk = path_in (g, d, "disk");
  char *pid = path_in (g, d, "pid");

  if (d->readonly)
    command_add_arg (cmd, "-r");
  /* One connection: qemu-nbd serves one client, and exits when it goes. */
  command_add_arg_list (cmd, "-C", "1", "-P", pid, disk, NULL);
  if (d->nbd_server)
    add_server (g, cmd, d);
  else {
    char *sock = path_in (g, d, "sock");
    command_add_arg_list (cmd, "--unix", sock, NULL);
    free (sock);
  }
  free (disk);
  free (pid);
  if (start_command (g, d, cmd, &d->fuse_err_fd,
                     "libnbd-bin (nbdfuse)") == -1) {
    command_free (cmd);
    return -1;
  }
  d->fuse_cmd = cmd;
  /* From here nbdfuse may mount over the file at any moment. */
  d->fuse_mounted = 1;
  return 0;
}

/* Drops the chain's trailing newlines and turns the others into ';'. */
static void
tidy_message (char *s)
{
  size_t n = strlen (s);
  char *p;

  while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
    s[--n] = '\0';
  for (p = s; *p; ++p)
    if (*p == '\n')
      *p = ';';
}

/* Waits until DIR/name is there: qemu-nbd's socket (sock) or nbdfuse's
 * pidfile (pid, written once the FUSE file is mounted and served);
 * fails when qemu-nbd or nbdfuse exits first, with what it said. */
static int
wait_for (minnow_h *g, struct drive *d, const char *name, int64_t deadline)
{
  char qbuf[FUSE_STDERR_MAX], fbuf[FUSE_STDERR_MAX];
  size_t qlen = 0, flen = 0;
  char *path = path_in (g, d, name);
  int want_sock = strcmp (name, "sock") == 0;
  int qemu = d->qemu_err_fd >= 0, fuse = d->fuse_err_fd >= 0;
  int delay_ms = 1, r = -1;
  struct stat st;
  /* inotify wakes us when the file appears (without it, a backing-off
   * poll of a few milliseconds). */
  int ino = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);

  qbuf[0] = fbuf[0] = '\0';
  if (ino >= 0 && inotify_add_watch (ino, d->fuse_dir, IN_CREATE
                                     | IN_CLOSE_WRITE | IN_MOVED_TO) == -1) {
    close (ino);
    ino = -1;
  }
  for (;;) {
    struct pollfd pfd[3] = {
      { .fd = d->qemu_err_fd, .events = POLLIN },
      { .fd = d->fuse_err_fd, .events = POLLIN },
      { .fd = ino, .events = POLLIN },
    };
    int64_t left = (deadline - minnow_int_now_ns ()) / 1000000;
    int wait_ms;

    if (stat (path, &st) == 0
        && (want_sock ? S_ISSOCK (st.st_mode) : st.st_size > 0))
      break;
    if (qemu && d->qemu_err_fd < 0) {
      tidy_message (qbuf);
      minnow_int_error_errno (g, EIO, "launch: %s: qemu-nbd failed: %s",
                              d->filename, qlen ? qbuf
                              : "it exited without a message");
      goto out;
    }
    if (fuse && d->fuse_err_fd < 0) {
      /* nbdfuse often fails because qemu-nbd just did (a missing
       * backing file, say): give qemu-nbd a moment to finish saying why,
       * since its message names the real fault. */
      int64_t until = minnow_int_now_ns () + INT64_C(2000000000);

      while (qemu && d->qemu_err_fd >= 0 && minnow_int_now_ns () < until) {
        struct pollfd q = { .fd = d->qemu_err_fd, .events = POLLIN };

        if (poll (&q, 1, 100) > 0)
          (void) read_stderr (&d->qemu_err_fd, qbuf, &qlen);
        else if (qlen == 0)
          break;                /* qemu-nbd is alive and silent */
      }
      if (qlen > 0) {
        tidy_message (qbuf);
        tidy_message (fbuf);
        minnow_int_error_errno (g, EIO, "launch: %s: qemu-nbd failed: %s",
                                d->filename, qbuf);
        goto out;
      }
      tidy_message (fbuf);
      minnow_int_error_errno (g, EIO, "launch: %s: nbdfuse failed: %s",
                              d->nbd_server ? d->nbd_server : d->filename,
                              flen ? fbuf : "it exited without a message");
      goto out;
    }
    if (left <= 0) {
      minnow_int_error_errno (g, ETIMEDOUT, "launch: %s: %s was not ready "
                              "in time (see MINNOW_LAUNCH_TIMEOUT)",
                              d->filename,
                              want_sock ? "qemu-nbd" : "nbdfuse");
      goto out;
    }
    wait_ms = ino >= 0 || delay_ms > left ? (int) left : delay_ms;
    if (poll (pfd, 3, wait_ms) > 0) {
      if (pfd[0].revents)
        (void) read_stderr (&d->qemu_err_fd, qbuf, &qlen);
      if (pfd[1].revents)
        (void) read_stderr (&d->fuse_err_fd, fbuf, &flen);
      if (pfd[2].revents) {
        char events[4096];
        while (read (ino, events, sizeof events) > 0)
          ;
      }
    }
    if (delay_ms < 5)
      delay_ms *= 2;
  }
  r = 0;
 out:
  if (ino >= 0)
    close (ino);
  free (path);
  return r;
}

/* discard on an NBD drive: does the server accept trim?  A hole
 * punched one byte past the end asks nbdfuse, which answers EOPNOTSUPP
 * when the server did not advertise trim, and otherwise passes it to
 * libnbd, which refuses it as out of bounds before anything is sent
 * (ENOSPC in libnbd 1.14): no byte of the drive is touched either way.
 * enable: a server without trim fails launch; besteffort: the daemon
 * is told to leave discards alone (minnow_int_drive_discards). */
static int
check_trim (minnow_h *g, struct drive *d)
{
  struct stat st;

  if (fstat (d->fuse_fd, &st) == -1) {
    minnow_int_perrorf (g, "launch: %s: fstat", d->nbd_server);
    return -1;
  }
  d->server_no_trim =
    fallocate (d->fuse_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
               st.st_size, 1) == -1 && errno == EOPNOTSUPP;
  if (d->server_no_trim && d->discard == DISCARD_ENABLE) {
    minnow_int_error_errno (g, ENOTSUP, "launch: %s: discard \"enable\": "
                            "the NBD server does not support trim (use "
                            "discard \"besteffort\" to go on without it)",
                            d->nbd_server);
    return -1;
  }
  return 0;
}

int
minnow_int_fuse_start_all (minnow_h *g)
{
  const char *s = getenv ("MINNOW_LAUNCH_TIMEOUT");
  int timeout_ms = FUSE_READY_TIMEOUT_MS;
  int64_t deadline;
  size_t i;

  if (s && atoi (s) > 0)
    timeout_ms = atoi (s) * 1000;
  /* Every drive's qemu-nbd (or nbdfuse) starts at once; then each
   * nbdfuse as soon as its qemu-nbd listens; then each file opens. */
  for (i = 0; i < g->nr_drives; ++i)
    if (minnow_int_drive_needs_fuse (&g->drives[i])
        && start_one (g, &g->drives[i]) == -1)
      goto fail;
  deadline = minnow_int_now_ns () + (int64_t) timeout_ms * 1000000;
  for (i = 0; i < g->nr_drives; ++i) {
    struct drive *d = &g->drives[i];

    if (!minnow_int_drive_needs_fuse (d) || d->nbd_server)
      continue;
    if (wait_for (g, d, "sock", deadline) == -1
        || connect_daemon_socket (g, d) == -1 || start_fuse (g, d) == -1)
      goto fail;
  }
  for (i = 0; i < g->nr_drives; ++i) {
    struct drive *d = &g->drives[i];
    char *disk;

    if (!minnow_int_drive_needs_fuse (d))
      continue;
    if (wait_for (g, d, "pid", deadline) == -1)
      goto fail;
    disk = path_in (g, d, "disk");
    /* A writable drive is opened O_DIRECT: see the comment at the top
     * (cached if this kernel's FUSE refuses direct I/O). */
    d->fuse_fd = open (disk, (d->readonly ? O_RDONLY : O_RDWR | O_DIRECT)
                       | O_CLOEXEC | O_NOCTTY);
    if (d->fuse_fd == -1 && errno == EINVAL && !d->readonly)
      d->fuse_fd = open (disk, O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (d->fuse_fd == -1) {
      minnow_int_perrorf (g, "launch: %s: cannot open its FUSE file %s",
                          d->filename, disk);
      free (disk);
      goto fail;
    }
    free (disk);
    if (d->discard != DISCARD_DISABLE && d->nbd_server
        && check_trim (g, d) == -1)
      goto fail;
    debug (g, "launch: %s: FUSE file ready", d->filename);
    detach (g, d);
    remove_dir (g, d);
  }
  return 0;

 fail:
  minnow_int_fuse_stop_all (g);
  return -1;
}
