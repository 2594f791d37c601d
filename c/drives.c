/* libminnow: add_drive, add_drive_ro, add_drive_scratch.
 *
 * Drives are only recorded here; launch opens them (read-only when
 * asked) and hands the descriptors to the daemon.  A drive in another
 * format than raw, or on an NBD server, is recorded with what
 * fuse-drive.c needs to present it as a plain file at launch; its
 * options are all checked here, so that launch fails only on what
 * cannot be known before (a server that is down, a damaged image).  A scratch drive is a
 * sparse temporary file, unlinked as soon as it is made and kept open, so
 * that it disappears with the handle even if the program dies. */

#include <config.h>

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "minnow-internal.h"
#include "actions-internal.h"

/* /dev/sda … /dev/sdzz; far more than anyone adds. */
#define MAX_DRIVES 255

static int
check_can_add (minnow_h *g, const char *name)
{
  if (g->state != STATE_CONFIG) {
    minnow_int_error (g, "%s: drives can only be added before launch", name);
    return -1;
  }
  if (g->nr_drives >= MAX_DRIVES) {
    minnow_int_error_errno (g, EMFILE, "%s: too many drives (at most %d)",
                            name, MAX_DRIVES);
    return -1;
  }
  return 0;
}

static int
check_label (minnow_h *g, const char *name, const char *label)
{
  const char *p;

  if (label[0] == '\0' || strlen (label) > 20)
    goto bad;
  for (p = label; *p; ++p)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
      goto bad;
  return 0;
 bad:
  minnow_int_error_errno (g, EINVAL, "%s: label \"%s\": a label is 1 to 20 "
                          "letters", name, label);
  return -1;
}

static struct drive *
append_drive (minnow_h *g, const char *filename, int readonly,
              const char *label, int scratch_fd)
{
  struct drive *d;

  g->drives = minnow_int_safe_realloc (g, g->drives,
                                       (g->nr_drives + 1) * sizeof *d);
  d = &g->drives[g->nr_drives++];
  memset (d, 0, sizeof *d);
  d->filename = minnow_int_safe_strdup (g, filename);
  d->label = label ? minnow_int_safe_strdup (g, label) : NULL;
  d->readonly = readonly;
  d->scratch_fd = scratch_fd;
  d->fuse_err_fd = -1;
  d->qemu_err_fd = -1;
  d->fuse_fd = -1;
  d->nbd_sock = -1;
  debug (g, "drive %zu: %s%s", g->nr_drives - 1, filename,
         readonly ? " (read-only)" : "");
  return d;
}

int
minnow_int_drive_needs_fuse (const struct drive *d)
{
  return d->format != NULL || d->nbd_server != NULL;
}

/* "unix:PATH", "tcp:HOST:PORT" or "HOST:PORT" → "unix:PATH" or
 * "tcp:HOST:PORT"; NULL (error set) for anything else. */
static char *
parse_server (minnow_h *g, char *const *server)
{
  const char *s, *hostport, *colon;
  char *end;
  long port;

  if (server == NULL || server[0] == NULL || server[1] != NULL) {
    minnow_int_error_errno (g, EINVAL, "add_drive: protocol nbd needs "
                            "exactly one server (unix:PATH or "
                            "tcp:HOST:PORT)");
    return NULL;
  }
  s = server[0];
  if (strncmp (s, "unix:", 5) == 0) {
    if (s[5] == '\0')
      goto bad;
    return minnow_int_safe_strdup (g, s);
  }
  hostport = strncmp (s, "tcp:", 4) == 0 ? s + 4 : s;
  colon = strrchr (hostport, ':');
  if (colon == NULL || colon == hostport || strchr (hostport, '/'))
    goto bad;
  errno = 0;
  port = strtol (colon + 1, &end, 10);
  if (errno || *end || end == colon + 1 || port < 1 || port > 65535)
    goto bad;
  if (strchr (hostport, ':') != colon)    /* a second ':' (udp:...) */
    goto bad;
  return minnow_int_safe_asprintf (g, "tcp:%s", hostport);
 bad:
  minnow_int_error_errno (g, EINVAL, "add_drive: server \"%s\": expected "
                          "unix:PATH, tcp:HOST:PORT or HOST:PORT", s);
  return NULL;
}

/* discard "enable" promises that discards reach the image, so it is
 * refused where they cannot: on a read-only drive, with a format whose
 * qemu driver ignores discards (qemu 7.2 unmaps in raw and qcow2 only:
 * the others accept the request and keep the data), and for an image on
 * a host file system that cannot punch holes.  The first two are options
 * alone (checked before the handle's state, as every option); the
 * format may only be known once probed.  An NBD server's trim can only
 * be asked at launch (fuse-drive.c). */
/* qemu 7.2 gives space back for these formats only (measured with
 * qemu-io); the others accept a discard and keep the data.  NULL: raw. */
static int
format_unmaps (const char *format)
{
  return format == NULL || strcmp (format, "raw") == 0
    || strcmp (format, "qcow2") == 0;
}

/* Whether the file system holding filename punches holes: asked of the
 * file itself, with a hole one byte past its end, which changes nothing.
 * 1 yes (a device: the daemon's to discard on), 0 no, -1 error (errno). */
static int
punches_holes (const char *filename)
{
  struct stat st;
  int fd, r = 1;

  if (stat (filename, &st) == -1 || !S_ISREG (st.st_mode))
    return 1;
  fd = open (filename, O_WRONLY | O_CLOEXEC | O_NOCTTY);
  if (fd == -1)
    return -1;
  if (fallocate (fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                 st.st_size, 1) == -1
      && (errno == EOPNOTSUPP || errno == ENOSYS))
    r = 0;
  close (fd);
  return r;
}

int
minnow_int_drive_discards (const struct drive *d)
{
  if (d->discard == DISCARD_DISABLE || !format_unmaps (d->format))
    return 0;
  if (d->nbd_server)
    return !d->server_no_trim;
  /* besteffort on a host file system without holes: nothing to do
   * (enable was refused there by add_drive). */
  return d->scratch_fd >= 0 || punches_holes (d->filename) != 0;
}

static int
discard_enable_possible (minnow_h *g, const char *filename,
                         const char *format, int readonly)
{
  if (readonly) {
    minnow_int_error_errno (g, EINVAL, "add_drive: %s: discard \"enable\" "
                            "is not possible on a read-only drive",
                            filename);
    return 0;
  }
  if (!format_unmaps (format)) {
    minnow_int_error_errno (g, ENOTSUP, "add_drive: %s: discard \"enable\" "
                            "is not possible with format %s: qemu keeps its "
                            "data (only raw and qcow2 images give space "
                            "back; use \"besteffort\")", filename, format);
    return 0;
  }
  return 1;
}

/* discard "enable": the image's file system must punch holes. */
static int
can_punch_holes (minnow_h *g, const char *filename)
{
  int r = punches_holes (filename);

  if (r == -1)
    minnow_int_perrorf (g, "add_drive: %s", filename);
  else if (r == 0)
    minnow_int_error_errno (g, ENOTSUP, "add_drive: %s: discard \"enable\" "
                            "is not possible: its file system cannot punch "
                            "holes (use \"besteffort\")", filename);
  return r == 1;
}

int
minnow_impl_add_drive (minnow_h *g, const char *filename,
                       const struct minnow_add_drive_opts_argv *optargs)
{
  uint64_t bm = optargs->bitmask;
  int readonly = 0, nbd = 0, cache_unsafe = 0, copyonread = 0;
  enum drive_discard discard = DISCARD_DISABLE;
  const char *label = NULL, *format = NULL;
  char *probed = NULL, *server = NULL;
  struct drive *d;

  /* The options first, the state after: a bad option is reported
   * whatever the state (and can be tested on a launched handle). */
  if (bm & MINNOW_ADD_DRIVE_OPTS_READONLY_BITMASK)
    readonly = optargs->readonly;
  if (bm & MINNOW_ADD_DRIVE_OPTS_FORMAT_BITMASK) {
    format = optargs->format;
    if (!minnow_int_qemu_known_format (format)) {
      minnow_int_error_errno (g, EINVAL, "add_drive: %s: format \"%s\" is "
                              "not supported (raw, qcow2, vmdk, vdi, vhdx, "
                              "vpc, qed ...)", filename, format);
      return -1;
    }
  }
  if (bm & MINNOW_ADD_DRIVE_OPTS_LABEL_BITMASK) {
    label = optargs->label;
    if (check_label (g, "add_drive", label) == -1)
      return -1;
  }
  if (bm & MINNOW_ADD_DRIVE_OPTS_PROTOCOL_BITMASK) {
    if (strcmp (optargs->protocol, "nbd") == 0)
      nbd = 1;
    else if (strcmp (optargs->protocol, "file") != 0) {
      minnow_int_error_errno (g, EINVAL, "add_drive: protocol \"%s\" is not "
                              "supported (file or nbd)", optargs->protocol);
      return -1;
    }
  }
  if (bm & MINNOW_ADD_DRIVE_OPTS_CACHEMODE_BITMASK) {
    if (strcmp (optargs->cachemode, "unsafe") == 0)
      cache_unsafe = 1;
    else if (strcmp (optargs->cachemode, "writeback") != 0) {
      minnow_int_error_errno (g, EINVAL, "add_drive: cachemode \"%s\": "
                              "expected writeback or unsafe",
                              optargs->cachemode);
      return -1;
    }
  }
  if (bm & MINNOW_ADD_DRIVE_OPTS_DISCARD_BITMASK) {
    if (strcmp (optargs->discard, "enable") == 0)
      discard = DISCARD_ENABLE;
    else if (strcmp (optargs->discard, "besteffort") == 0)
      discard = DISCARD_BESTEFFORT;
    else if (strcmp (optargs->discard, "disable") != 0) {
      minnow_int_error_errno (g, EINVAL, "add_drive: discard \"%s\": "
                              "expected disable, enable or besteffort",
                              optargs->discard);
      return -1;
    }
  }
  if (discard == DISCARD_ENABLE
      && !discard_enable_possible (g, nbd ? "nbd drive" : filename,
                                   nbd ? NULL : format, readonly))
    return -1;
  if (bm & MINNOW_ADD_DRIVE_OPTS_COPYONREAD_BITMASK)
    copyonread = optargs->copyonread;
  if (copyonread && readonly) {
    minnow_int_error_errno (g, EINVAL, "add_drive: %s: copyonread writes to "
                            "the image: not allowed with readonly", filename);
    return -1;
  }

  if (nbd) {
    if (format && strcmp (format, "raw") != 0) {
      minnow_int_error_errno (g, EINVAL, "add_drive: an nbd drive is raw "
                              "(the server decodes the format), not "
                              "\"%s\"", format);
      return -1;
    }
    if (copyonread) {
      minnow_int_error_errno (g, EINVAL, "add_drive: copyonread is not "
                              "available for nbd drives");
      return -1;
    }
    if (!(bm & MINNOW_ADD_DRIVE_OPTS_SERVER_BITMASK)) {
      minnow_int_error_errno (g, EINVAL, "add_drive: protocol nbd needs a "
                              "server");
      return -1;
    }
    if ((server = parse_server (g, optargs->server)) == NULL)
      return -1;
    if (check_can_add (g, "add_drive") == -1) {
      free (server);
      return -1;
    }
  }
  else {
    if (bm & (MINNOW_ADD_DRIVE_OPTS_SERVER_BITMASK
              | MINNOW_ADD_DRIVE_OPTS_EXPORTNAME_BITMASK)) {
      minnow_int_error_errno (g, EINVAL, "add_drive: %s: server and "
                              "exportname are for protocol nbd only",
                              filename);
      return -1;
    }
    if (filename[0] == '\0') {
      minnow_int_error_errno (g, EINVAL, "add_drive: the filename is empty");
      return -1;
    }
    if (copyonread && (format == NULL || strcmp (format, "raw") == 0)) {
      minnow_int_error_errno (g, EINVAL, "add_drive: %s: copyonread needs "
                              "an explicit format with backing files (such "
                              "as qcow2)", filename);
      return -1;
    }
    if (check_can_add (g, "add_drive") == -1)
      return -1;
    if (access (filename, readonly ? R_OK : R_OK | W_OK) == -1) {
      minnow_int_perrorf (g, "add_drive: %s", filename);
      return -1;
    }
    if (format == NULL) {
      /* Unsafe for untrusted images: documented under format. */
      struct stat st;

      if (stat (filename, &st) == 0 && !S_ISREG (st.st_mode))
        format = "raw";     /* devices: qemu's probe would say raw too */
      else if (minnow_int_qemu_looks_raw (filename)) {
        debug (g, "add_drive: %s: no image format's signature: raw",
               filename);
        format = "raw";
      }
      else if (!minnow_int_find_program ("qemu-img")) {
        /* Without qemu-utils no other format could be opened anyway;
         * raw is also the safe reading of an unknown image. */
        debug (g, "add_drive: %s: no qemu-img to probe with: raw",
               filename);
        format = "raw";
      }
      else {
        probed = minnow_int_qemu_probe_format (g, "add_drive", filename);
        if (probed == NULL)
          return -1;
        debug (g, "add_drive: %s: probed format %s", filename, probed);
        format = probed;
      }
    }
    if (discard == DISCARD_ENABLE
        && (!discard_enable_possible (g, filename, format, 0)
            || !can_punch_holes (g, filename))) {
      free (probed);
      return -1;
    }
  }

  d = append_drive (g, filename, readonly, label, -1);
  if (format && strcmp (format, "raw") != 0)
    d->format = minnow_int_safe_strdup (g, format);
  d->nbd_server = server;
  if (bm & MINNOW_ADD_DRIVE_OPTS_EXPORTNAME_BITMASK)
    d->exportname = minnow_int_safe_strdup (g, optargs->exportname);
  d->cache_unsafe = cache_unsafe;
  d->discard = discard;
  d->copyonread = copyonread;
  free (probed);
  if (minnow_int_drive_needs_fuse (d)
      && minnow_int_fuse_check_tools (g, "add_drive", d) == -1) {
    g->nr_drives--;
    free (d->filename);
    free (d->label);
    free (d->format);
    free (d->nbd_server);
    free (d->exportname);
    return -1;
  }
  return 0;
}

int
minnow_impl_add_drive_ro (minnow_h *g, const char *filename)
{
  struct minnow_add_drive_opts_argv optargs = {
    .bitmask = MINNOW_ADD_DRIVE_OPTS_READONLY_BITMASK,
    .readonly = 1,
  };

  return minnow_impl_add_drive (g, filename, &optargs);
}

int
minnow_impl_add_drive_scratch (minnow_h *g, int64_t size,
                               const struct minnow_add_drive_scratch_argv *optargs)
{
  const char *tmpdir = minnow_int_tmpdir (g);
  const char *label = NULL;
  char *template;
  int fd;

  if (check_can_add (g, "add_drive_scratch") == -1)
    return -1;
  if (size <= 0) {
    minnow_int_error_errno (g, EINVAL, "add_drive_scratch: size must be "
                            "greater than 0, not %lld", (long long) size);
    return -1;
  }
  if (optargs->bitmask & MINNOW_ADD_DRIVE_SCRATCH_LABEL_BITMASK) {
    label = optargs->label;
    if (check_label (g, "add_drive_scratch", label) == -1)
      return -1;
  }
  template = minnow_int_safe_asprintf (g, "%s/minnow-scratchXXXXXX", tmpdir);
  fd = mkostemp (template, O_CLOEXEC);
  if (fd == -1) {
    minnow_int_perrorf (g, "add_drive_scratch: %s", template);
    free (template);
    return -1;
  }
  unlink (template);
  free (template);
  if (ftruncate (fd, size) == -1) {
    minnow_int_perrorf (g, "add_drive_scratch: cannot make a %lld byte "
                        "file", (long long) size);
    close (fd);
    return -1;
  }
  append_drive (g, "scratch", 0, label, fd);
  return 0;
}

int
minnow_int_drive_nbd_socket (minnow_h *g, size_t i)
{
  int fd = g->drives[i].nbd_sock;

  g->drives[i].nbd_sock = -1;
  return fd;
}

int
minnow_int_open_drive (minnow_h *g, size_t i)
{
  struct drive *d = &g->drives[i];
  int fd;

  if (minnow_int_drive_needs_fuse (d)) {
    /* Opened by minnow_int_fuse_start_all; the caller now owns it. */
    assert (d->fuse_fd >= 0);
    fd = d->fuse_fd;
    d->fuse_fd = -1;
    return fd;
  }
  if (d->scratch_fd >= 0)
    fd = fcntl (d->scratch_fd, F_DUPFD_CLOEXEC, 3);
  else
    fd = open (d->filename,
               (d->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY);
  if (fd == -1)
    minnow_int_perrorf (g, "launch: %s", d->filename);
  return fd;
}

void
minnow_int_free_drives (minnow_h *g)
{
  size_t i;

  for (i = 0; i < g->nr_drives; ++i) {
    free (g->drives[i].filename);
    free (g->drives[i].label);
    free (g->drives[i].format);
    free (g->drives[i].nbd_server);
    free (g->drives[i].exportname);
    if (g->drives[i].scratch_fd >= 0)
      close (g->drives[i].scratch_fd);
  }
  free (g->drives);
  g->drives = NULL;
  g->nr_drives = 0;
}

int
minnow_impl_max_disks (minnow_h *g)
{
  (void) g;
  return MAX_DRIVES;
}

/* Each labelled drive's label maps to its device, and LABELn to its
 * partition n, as libguestfs's /dev/disk/guestfs/LABEL names. */
char **
minnow_impl_list_disk_labels (minnow_h *g)
{
  char **parts, **ret;
  size_t i, j, n = 0, nparts;

  if (g->state != STATE_READY) {
    minnow_int_error_errno (g, EINVAL, "list_disk_labels: the handle is not "
                            "launched (call launch first)");
    return NULL;
  }
  parts = minnow_list_partitions (g);
  if (parts == NULL)
    return NULL;
  for (nparts = 0; parts[nparts]; nparts++)
    ;
  ret = minnow_int_safe_calloc (g, 2 * (g->nr_drives + nparts) + 1,
                                sizeof *ret);
  for (i = 0; i < g->nr_drives; i++) {
    char *dev;
    size_t dl;

    if (g->drives[i].label == NULL)
      continue;
    dev = minnow_device_name (g, (int) i);
    if (dev == NULL) {
      for (j = 0; j < n; j++)
        free (ret[j]);
      free (ret);
      for (j = 0; j < nparts; j++)
        free (parts[j]);
      free (parts);
      return NULL;
    }
    dl = strlen (dev);
    ret[n++] = minnow_int_safe_strdup (g, g->drives[i].label);
    ret[n++] = dev;
    for (j = 0; j < nparts; j++)
      if (strncmp (parts[j], dev, dl) == 0
          && parts[j][dl] >= '0' && parts[j][dl] <= '9') {
        ret[n++] = minnow_int_safe_asprintf (g, "%s%s", g->drives[i].label,
                                             parts[j] + dl);
        ret[n++] = minnow_int_safe_strdup (g, parts[j]);
      }
  }
  ret[n] = NULL;
  for (j = 0; j < nparts; j++)
    free (parts[j]);
  free (parts);
  return ret;
}
