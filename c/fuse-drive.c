/* libminnow: non-raw and NBD drives, presented to the daemon as files.
 *
 * minnowd works on one plain descriptor per drive, and so do the
 * programs it runs on that descriptor (mke2fs, e2fsck, resize2fs,
 * mkfs.fat, libfdisk ... through /proc/self/fd/N), none of which speaks
 * NBD.  So the daemon is left as it is, and the library turns every
 * drive that is not a raw file into a plain file first:
 *
 *   qemu-nbd (decodes qcow2, vmdk ...)  <-socket activation-  nbdfuse
 *   nbdfuse (libnbd) serves the export as one FUSE file
 *
 * For each such drive, launch makes a private 0700 directory holding an
 * empty file "disk", and starts (through the spawning core)
 *
 *   nbdfuse [-r] -P DIR/pid DIR/disk [ qemu-nbd -f FMT [opts] IMAGE ]
 *
 * (or nbdfuse ... --unix PATH / --tcp HOST PORT / an nbd:// URI for an
 * NBD server), all drives at once.  nbdfuse writes its pidfile once the
 * FUSE file is mounted over DIR/disk and ready.  The library then opens
 * the file, detaches the mount lazily (umount2 MNT_DETACH as root, else
 * `fusermount3 -u -z`) and removes the directory: nothing is left
 * visible on the host, and the open descriptor is all that keeps the
 * FUSE filesystem alive.  It goes to the daemon like a raw image's.
 *
 * The chain then ends by itself: when the daemon has closed the file
 * (shutdown, or the daemon exiting because its client died), the kernel
 * releases the detached filesystem, nbdfuse's FUSE loop ends, nbdfuse
 * closes its NBD connection and exits, and qemu-nbd (not --persistent)
 * exits when its only client has gone.  At shutdown the library waits
 * for that (the stderr pipe the two share reaching end of file) and
 * reaps nbdfuse; after a grace time it kills nbdfuse, which takes
 * qemu-nbd down with its connection.
 *
 * See docs/internals.md, "Image formats", for why the daemon does not
 * link libnbd. */

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
#include <sys/stat.h>

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
static void
add_source (minnow_h *g, struct command *cmd, const struct drive *d)
{
  if (d->nbd_server == NULL) {
    char *path = minnow_int_qemu_safe_path (g, d->filename), *esc;

    command_add_arg_list (cmd, "[", "qemu-nbd", NULL);
    if (d->readonly)
      command_add_arg (cmd, "--read-only");
    command_add_arg_format (cmd, "--cache=%s",
                            d->cache_unsafe ? "unsafe" : "writeback");
    command_add_arg_format (cmd, "--discard=%s",
                            d->discard == DISCARD_DISABLE ? "ignore"
                            : "unmap");
    /* Always through --image-opts, under a raw node: qemu-nbd
     * advertises the format driver's request alignment (512 for vhdx
     * and other sector-based drivers) and then refuses smaller writes,
     * such as ext2's 2-byte superblock updates, with EINVAL; a raw node
     * on top accepts any alignment and qemu pads the requests below.
     * ',' in the path is doubled, as --image-opts wants. */
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
    command_add_arg (cmd, "]");
    free (path);
    return;
  }

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

/* Keeps the last FUSE_STDERR_MAX bytes of what the chain wrote.  Returns
 * 0 at end of file (the fd is closed), 1 otherwise. */
static int
read_stderr (struct drive *d, char *buf, size_t *len)
{
  char tmp[1024];
  ssize_t r;

  while ((r = read (d->fuse_err_fd, tmp, sizeof tmp)) > 0) {
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
    close (d->fuse_err_fd);
    d->fuse_err_fd = -1;
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

/* Kills nbdfuse's children (qemu-nbd): one that nbdfuse started but
 * never connected to would wait for a client for ever. */
static void
kill_children (pid_t pid)
{
  char path[64], buf[256], *p, *end;
  ssize_t n;
  int fd;

  snprintf (path, sizeof path, "/proc/%d/task/%d/children", (int) pid,
            (int) pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd == -1)
    return;
  n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n <= 0)
    return;
  buf[n] = '\0';
  for (p = buf; ; p = end) {
    long child = strtol (p, &end, 10);
    if (end == p || child <= 0)
      break;
    kill ((pid_t) child, SIGKILL);
  }
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
  if (rmdir (d->fuse_dir) == -1)
    debug (g, "%s: rmdir %s: %m", d->filename, d->fuse_dir);
  free (d->fuse_dir);
  d->fuse_dir = NULL;
}

/* Waits until the chain of d has exited (its stderr at end of file),
 * until deadline (ns, monotonic); then reaps nbdfuse, killing it when it
 * is late. */
static void
stop_one (minnow_h *g, struct drive *d, int64_t deadline)
{
  char buf[FUSE_STDERR_MAX];
  size_t len = 0;
  int status, late = 0;

  if (d->fuse_fd >= 0) {
    close (d->fuse_fd);
    d->fuse_fd = -1;
  }
  /* Launch failed before this drive was ready: an nbdfuse that has not
   * mounted yet would not exit by itself; stop it now, with its
   * qemu-nbd. */
  if (d->fuse_mounted && d->fuse_cmd && !is_mounted (g, d)) {
    kill_children (command_get_pid (d->fuse_cmd));
    command_free (d->fuse_cmd);
    d->fuse_cmd = NULL;
  }
  detach (g, d);
  while (d->fuse_err_fd >= 0) {
    struct pollfd pfd = { .fd = d->fuse_err_fd, .events = POLLIN };
    int64_t left = (deadline - minnow_int_now_ns ()) / 1000000;

    if (left <= 0) {
      debug (g, "%s: nbdfuse did not exit, killing it", d->filename);
      close (d->fuse_err_fd);
      d->fuse_err_fd = -1;
      late = 1;
      break;
    }
    if (poll (&pfd, 1, (int) left) > 0)
      (void) read_stderr (d, buf, &len);
  }
  if (len > 0)
    debug (g, "%s: nbdfuse/qemu-nbd said: %s", d->filename, buf);
  if (d->fuse_cmd) {
    /* Its stderr at end of file: nbdfuse has exited, the wait is
     * immediate.  When late, command_free kills it and reaps. */
    if (!late && command_wait (d->fuse_cmd, &status) == 0)
      debug (g, "%s: nbdfuse exited, status %d", d->filename, status);
    if (late)
      kill_children (command_get_pid (d->fuse_cmd));
    command_free (d->fuse_cmd);
    d->fuse_cmd = NULL;
  }
  /* A mount made just before nbdfuse was killed stays until detached. */
  d->fuse_mounted = 1;
  detach (g, d);
  remove_dir (g, d);
}

char *
minnow_int_fuse_dead_note (minnow_h *g, int errnum)
{
  /* The errors a dying chain gives; the wait lets the chain finish
   * dying (nbdfuse aborts a moment after the failed request). */
  int suspect = errnum == EIO || errnum == ENOTCONN || errnum == ECONNABORTED;
  int64_t deadline = minnow_int_now_ns () + (suspect ? 500 : 0) * 1000000LL;
  char *note = NULL;
  size_t i;

  for (i = 0; i < g->nr_drives; ++i) {
    struct drive *d = &g->drives[i];
    char buf[FUSE_STDERR_MAX], *prev;
    size_t len = 0;
    int alive = 1;

    /* Their stderr reaches end of file only when both have exited. */
    while (d->fuse_err_fd >= 0 && alive) {
      struct pollfd pfd = { .fd = d->fuse_err_fd, .events = POLLIN };
      int64_t left = (deadline - minnow_int_now_ns ()) / 1000000;

      if (poll (&pfd, 1, left > 0 ? (int) left : 0) <= 0)
        break;
      alive = read_stderr (d, buf, &len);
    }
    if (alive)
      continue;
    tidy_message (buf);
    prev = note;
    note = minnow_int_safe_asprintf (g, "%s (drive %s: its qemu-nbd/nbdfuse "
                                     "has died%s%s)", prev ? prev : "",
                                     d->nbd_server ? d->nbd_server
                                     : d->filename, len ? ": " : "", buf);
    free (prev);
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
    if (g->drives[i].fuse_cmd || g->drives[i].fuse_dir)
      stop_one (g, &g->drives[i], deadline);
}

/* Makes the directory and starts nbdfuse for drive d. */
static int
start_one (minnow_h *g, struct drive *d)
{
  struct command *cmd;
  char *disk, *pid;
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
  pid = path_in (g, d, "pid");
  fd = open (disk, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd == -1) {
    minnow_int_perrorf (g, "launch: %s", disk);
    free (disk);
    free (pid);
    return -1;
  }
  close (fd);

  cmd = command_new ("nbdfuse");
  if (d->readonly)
    command_add_arg (cmd, "-r");
  command_add_arg_list (cmd, "-P", pid, disk, NULL);
  add_source (g, cmd, d);
  command_add_env_pass_common (cmd);
  command_set_error_pipe (cmd, &d->fuse_err_fd);
  command_set_nonblocking_pipes (cmd);
  if (g->verbose) {
    char *line = command_to_string (cmd);
    if (line) {
      debug (g, "launch: %s", line);
      free (line);
    }
  }
  if (command_run_async (cmd, NULL) == -1) {
    minnow_int_error_errno (g, ENOTSUP, "launch: %s: cannot start nbdfuse "
                            "(Debian package libnbd-bin): %s", d->filename,
                            command_get_error (cmd));
    command_free (cmd);
    d->fuse_err_fd = -1;
    free (disk);
    free (pid);
    return -1;
  }
  d->fuse_cmd = cmd;
  /* From here nbdfuse may mount over the file at any moment. */
  d->fuse_mounted = 1;
  free (disk);
  free (pid);
  return 0;
}

/* Drops the chain's trailing newlines and turns the others into "; ". */
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

/* Waits until nbdfuse of d is ready, then opens its file. */
static int
wait_ready (minnow_h *g, struct drive *d, int64_t deadline)
{
  char buf[FUSE_STDERR_MAX];
  size_t len = 0;
  char *pid = path_in (g, d, "pid");
  char *disk = path_in (g, d, "disk");
  int alive = 1, delay_ms = 1, r = -1;
  struct stat st;
  /* nbdfuse writes its pidfile when ready: inotify wakes us then
   * (without it, a backing-off poll of a few milliseconds). */
  int ino = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);

  if (ino >= 0 && inotify_add_watch (ino, d->fuse_dir, IN_CLOSE_WRITE
                                     | IN_MOVED_TO) == -1) {
    close (ino);
    ino = -1;
  }
  for (;;) {
    struct pollfd pfd[2] = {
      { .fd = d->fuse_err_fd, .events = POLLIN },
      { .fd = ino, .events = POLLIN },
    };
    int64_t left = (deadline - minnow_int_now_ns ()) / 1000000;
    int wait_ms;

    if (stat (pid, &st) == 0 && st.st_size > 0)
      break;
    if (!alive) {
      tidy_message (buf);
      minnow_int_error_errno (g, EIO, "launch: %s: %s failed: %s",
                              d->filename,
                              d->nbd_server ? "nbdfuse" : "qemu-nbd/nbdfuse",
                              len ? buf : "it exited without a message");
      goto out;
    }
    if (left <= 0) {
      tidy_message (buf);
      minnow_int_error_errno (g, ETIMEDOUT, "launch: %s: nbdfuse was not "
                              "ready within %d seconds%s%s", d->filename,
                              FUSE_READY_TIMEOUT_MS / 1000,
                              len ? ": " : "", buf);
      goto out;
    }
    wait_ms = ino >= 0 || delay_ms > left ? (int) left : delay_ms;
    if (poll (pfd, ino >= 0 ? 2 : 1, wait_ms) > 0) {
      if (pfd[0].revents)
        alive = read_stderr (d, buf, &len);
      if (ino >= 0 && pfd[1].revents) {
        char events[4096];
        while (read (ino, events, sizeof events) > 0)
          ;
      }
    }
    if (delay_ms < 5)
      delay_ms *= 2;
  }
  d->fuse_fd = open (disk, (d->readonly ? O_RDONLY : O_RDWR)
                     | O_CLOEXEC | O_NOCTTY);
  if (d->fuse_fd == -1) {
    minnow_int_perrorf (g, "launch: %s: cannot open its FUSE file %s",
                        d->filename, disk);
    goto out;
  }
  debug (g, "launch: %s: FUSE file ready", d->filename);
  r = 0;
 out:
  if (ino >= 0)
    close (ino);
  free (pid);
  free (disk);
  return r;
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
  for (i = 0; i < g->nr_drives; ++i)
    if (minnow_int_drive_needs_fuse (&g->drives[i])
        && start_one (g, &g->drives[i]) == -1)
      goto fail;
  deadline = minnow_int_now_ns () + (int64_t) timeout_ms * 1000000;
  for (i = 0; i < g->nr_drives; ++i) {
    struct drive *d = &g->drives[i];

    if (!minnow_int_drive_needs_fuse (d))
      continue;
    if (wait_ready (g, d, deadline) == -1)
      goto fail;
    detach (g, d);
    remove_dir (g, d);
  }
  return 0;

 fail:
  minnow_int_fuse_stop_all (g);
  return -1;
}
