/* minnow: tar_in and tar_out (and the deprecated tgz/txz forms), with
 * libarchive reading and writing the archive and its compression.
 *
 * tar_in never writes outside the target directory: member names lose
 * their leading '/', a ".." component is refused, no symlink is
 * followed on the way to a member (a member whose directory is reached
 * through a symlink is refused, so an archive cannot plant a link and
 * write through it), an existing member is replaced rather than
 * followed, and hard links may only point to members inside the target.
 * Everything is created through the engine, by inode, in the mounted
 * tree; owners, modes and times come from the archive, as GNU tar does
 * when run as root. */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <archive.h>
#include <archive_entry.h>

#include "command.h"
#include "storage-actions.h"
#include "transfer.h"
#include "posix-acl.h"
#include "actions.h"

/* optargs of tar_in: compress, xattrs, selinux, acls. */
#define TAR_IN_COMPRESS (1 << 0)
#define TAR_IN_XATTRS   (1 << 1)
#define TAR_IN_SELINUX  (1 << 2)
#define TAR_IN_ACLS     (1 << 3)
/* tar_out: compress, numericowner, excludes, xattrs, selinux, acls. */
#define TAR_OUT_COMPRESS     (1 << 0)
#define TAR_OUT_NUMERICOWNER (1 << 1)
#define TAR_OUT_EXCLUDES     (1 << 2)
#define TAR_OUT_XATTRS       (1 << 3)
#define TAR_OUT_SELINUX      (1 << 4)
#define TAR_OUT_ACLS         (1 << 5)

/* Which xattrs travel: the ACLs and the SELinux label have their own
 * switches, as in GNU tar. */
enum xattr_kind { XATTR_ACL, XATTR_SELINUX, XATTR_OTHER };

static enum xattr_kind
xattr_kind (const char *name)
{
  if (strcmp (name, "system.posix_acl_access") == 0 ||
      strcmp (name, "system.posix_acl_default") == 0)
    return XATTR_ACL;
  if (strcmp (name, "security.selinux") == 0)
    return XATTR_SELINUX;
  return XATTR_OTHER;
}

/* A compression name → libarchive filter code, or -1. */
static int
filter_code (const char *compress)
{
  if (compress == NULL || *compress == '\0' || strcmp (compress, "none") == 0)
    return ARCHIVE_FILTER_NONE;
  if (strcmp (compress, "gzip") == 0) return ARCHIVE_FILTER_GZIP;
  if (strcmp (compress, "bzip2") == 0) return ARCHIVE_FILTER_BZIP2;
  if (strcmp (compress, "xz") == 0) return ARCHIVE_FILTER_XZ;
  if (strcmp (compress, "lzop") == 0) return ARCHIVE_FILTER_LZOP;
  if (strcmp (compress, "lz4") == 0) return ARCHIVE_FILTER_LZ4;
  if (strcmp (compress, "zstd") == 0) return ARCHIVE_FILTER_ZSTD;
  if (strcmp (compress, "compress") == 0) return ARCHIVE_FILTER_COMPRESS;
  return -1;
}

/* archive_write_add_filter by code.  libarchive (3.6) maps
 * ARCHIVE_FILTER_LZOP to its lzip writer in that table, so lzop output
 * would be an lzip stream: lzop is added by name. */
static int
add_write_filter (struct archive *a, int code)
{
  if (code == ARCHIVE_FILTER_LZOP)
    return archive_write_add_filter_lzop (a);
  return archive_write_add_filter (a, code);
}

/* Replies when the compression is unknown or needs an external
 * program (libarchive falls back to running one when it was built
 * without the library: never in the daemon). */
static int
check_compress (const char *compress, int reading)
{
  struct archive *a;
  int code = filter_code (compress), r;

  if (code == -1) {
    reply_with_error_errno (EINVAL, "%s: unknown compression (one of none, "
                            "gzip, bzip2, xz, lzop, lz4, zstd, compress)",
                            compress);
    return -1;
  }
  if (code == ARCHIVE_FILTER_NONE)
    return 0;
  if (reading) {
    a = archive_read_new ();
    if (a == NULL) {
      reply_with_perror ("archive_read_new");
      return -1;
    }
    r = archive_read_support_filter_by_code (a, code);
    archive_read_free (a);
  }
  else {
    a = archive_write_new ();
    if (a == NULL) {
      reply_with_perror ("archive_write_new");
      return -1;
    }
    r = add_write_filter (a, code);
    archive_write_free (a);
  }
  /* lzop without liblzo2: libarchive would start the lzop program
   * itself; tar_in, tar_out and compress_out run it through the command
   * core instead (1). */
  if (r != ARCHIVE_OK && code == ARCHIVE_FILTER_LZOP)
    return 1;
  if (r != ARCHIVE_OK) {
    reply_with_error_errno (ENOTSUP, "%s: this libarchive has no built-in "
                            "support for that compression", compress);
    return -1;
  }
  return 0;
}

/* ---------------------------------------------------------------- */
/* tar_in                                                             */

struct delayed_dir {
  struct engine_fs *fs;
  uint64_t ino;
  struct engine_setattr sa;
};

struct tar_in {
  const char *directory;
  int xattrs, selinux, acls;
  /* The target: its mount, inode and canonical path. */
  struct mount *tm;
  uint64_t tino;
  char *tpath;
  /* The directory of the last member (most members share it). */
  char *cached_rel;
  struct mount *cm;
  uint64_t cino;
  struct delayed_dir *dirs;
  size_t nr_dirs, cap_dirs;
  struct xfer_writer w;
  struct xfer_target t;
  /* The first error, replied at the end. */
  int err;
  char msg[1024];
  int in_err;                   /* the read callback's failure */
  /* lzop -dc between the FileIn and libarchive (no liblzo2). */
  struct command *lz;
  int lz_in, lz_out, lz_errfd;  /* its stdin, stdout, stderr; -1 closed */
  const void *lz_pend;          /* FileIn data not yet written to it */
  size_t lz_pend_len;
  char *lz_buf;
  char lz_msg[256];             /* the start of its stderr */
  size_t lz_msg_len;
};

static int
fail_entry (struct tar_in *c, int err, const char *fmt, ...)
  __attribute__((format (printf, 3, 4)));

static int
fail_entry (struct tar_in *c, int err, const char *fmt, ...)
{
  va_list ap;

  if (c->err == 0) {
    c->err = err ? err : EIO;
    va_start (ap, fmt);
    vsnprintf (c->msg, sizeof c->msg, fmt, ap);
    va_end (ap);
  }
  return -1;
}

static la_ssize_t
tar_read_cb (struct archive *a, void *opaque, const void **buf)
{
  struct tar_in *c = opaque;
  size_t len;
  int r = file_in_next (buf, &len);

  if (r == 1)
    return len;
  if (r == 0)
    return 0;
  if (r == -1 && errno == HOST_FILE_SHRANK) {
    c->in_err = EIO;
    archive_set_error (a, EIO, "%s", HOST_FILE_SHRANK_TEXT);
    return -1;
  }
  c->in_err = r == -2 ? EINTR : errno ? errno : EIO;
  archive_set_error (a, c->in_err, "%s", r == -2
                     ? "operation cancelled by the user"
                     : "reading the archive failed");
  return -1;
}

/* ---- lzop through the command core.  The daemon feeds the FileIn to
 * `lzop -dc` and hands its output to libarchive: one poll loop moves
 * both ways (non-blocking pipes), so neither side can block the other.
 * The child is one of the sandbox's helpers. */

#define LZ_BUF_SIZE (256 * 1024)

static int
lzop_start (struct tar_in *c)
{
  c->lz_in = c->lz_out = c->lz_errfd = -1;
  c->lz_buf = malloc (LZ_BUF_SIZE);
  if (c->lz_buf == NULL)
    return fail_entry (c, ENOMEM, "out of memory");
  c->lz = command_new_args ("lzop", "-dc", NULL);
  command_add_env_pass (c->lz, "PATH");
  command_add_env_pair (c->lz, "LC_ALL", "C");
  command_set_input_pipe (c->lz, &c->lz_in);
  command_set_output_pipe (c->lz, &c->lz_out);
  command_set_error_pipe (c->lz, &c->lz_errfd);
  command_set_nonblocking_pipes (c->lz);
  if (command_run_async (c->lz, NULL) == -1)
    return fail_entry (c, ENOTSUP, "lzop: this libarchive reads lzop only "
                       "through the lzop program, which cannot be run: %s",
                       command_get_error (c->lz));
  return 0;
}

static void
lzop_stop (struct tar_in *c)
{
  if (c->lz_in >= 0)
    close (c->lz_in);
  if (c->lz_out >= 0)
    close (c->lz_out);
  if (c->lz_errfd >= 0)
    close (c->lz_errfd);
  c->lz_in = c->lz_out = c->lz_errfd = -1;
  if (c->lz) {
    command_abort (c->lz);      /* kills and reaps it if still running */
    command_free (c->lz);
    c->lz = NULL;
  }
  free (c->lz_buf);
  c->lz_buf = NULL;
}

static la_ssize_t
lzop_read_cb (struct archive *a, void *opaque, const void **buf)
{
  struct tar_in *c = opaque;

  for (;;) {
    struct pollfd p[3];
    int np = 0, iin = -1, iout, ierr = -1;

    if (c->lz_out < 0)
      return 0;                 /* the end was reached */

    /* Input for lzop: the next piece of the FileIn. */
    if (c->lz_in >= 0 && c->lz_pend_len == 0) {
      int r = file_in_next (&c->lz_pend, &c->lz_pend_len);

      if (r == 0) {
        close (c->lz_in);
        c->lz_in = -1;
      }
      else if (r < 0) {
        c->in_err = r == -2 ? EINTR
          : errno == HOST_FILE_SHRANK ? EIO : errno ? errno : EIO;
        archive_set_error (a, c->in_err, "%s", r == -2
                           ? "operation cancelled by the user"
                           : errno == HOST_FILE_SHRANK ? HOST_FILE_SHRANK_TEXT
                           : "reading the archive failed");
        return -1;
      }
    }
    iout = np;
    p[np].fd = c->lz_out;
    p[np++].events = POLLIN;
    if (c->lz_in >= 0) {
      iin = np;
      p[np].fd = c->lz_in;
      p[np++].events = POLLOUT;
    }
    if (c->lz_errfd >= 0) {
      ierr = np;
      p[np].fd = c->lz_errfd;
      p[np++].events = POLLIN;
    }
    if (poll (p, np, -1) == -1) {
      if (errno == EINTR)
        continue;
      c->in_err = errno;
      archive_set_error (a, errno, "poll: %s", strerror (errno));
      return -1;
    }
    if (ierr >= 0 && p[ierr].revents) {
      char tmp[256];
      ssize_t n = read (c->lz_errfd, tmp, sizeof tmp);

      if (n > 0) {
        size_t room = sizeof c->lz_msg - 1 - c->lz_msg_len;
        if ((size_t) n > room)
          n = room;
        memcpy (c->lz_msg + c->lz_msg_len, tmp, n);
        c->lz_msg_len += n;
        c->lz_msg[c->lz_msg_len] = '\0';
      }
      else if (n == 0 || errno != EAGAIN) {
        close (c->lz_errfd);
        c->lz_errfd = -1;
      }
    }
    if (iin >= 0 && p[iin].revents) {
      ssize_t n = write (c->lz_in, c->lz_pend, c->lz_pend_len);

      if (n > 0) {
        c->lz_pend = (const char *) c->lz_pend + n;
        c->lz_pend_len -= n;
      }
      else if (n == -1 && errno != EAGAIN && errno != EINTR) {
        /* lzop is gone (EPIPE): its exit status says why. */
        close (c->lz_in);
        c->lz_in = -1;
      }
    }
    if (p[iout].revents) {
      ssize_t n = read (c->lz_out, c->lz_buf, LZ_BUF_SIZE);

      if (n > 0) {
        *buf = c->lz_buf;
        return n;
      }
      if (n == 0) {
        int status;
        char *nl;

        close (c->lz_out);
        c->lz_out = -1;
        if (c->lz_in >= 0) {
          close (c->lz_in);
          c->lz_in = -1;
        }
        while (c->lz_errfd >= 0) {
          char tmp[256];
          ssize_t k = read (c->lz_errfd, tmp, sizeof tmp);
          if (k == -1 && errno == EAGAIN) {
            struct pollfd q = { .fd = c->lz_errfd, .events = POLLIN };
            poll (&q, 1, 1000);
            continue;
          }
          if (k <= 0) {
            close (c->lz_errfd);
            c->lz_errfd = -1;
          }
          else if (c->lz_msg_len + k < sizeof c->lz_msg) {
            memcpy (c->lz_msg + c->lz_msg_len, tmp, k);
            c->lz_msg_len += k;
            c->lz_msg[c->lz_msg_len] = '\0';
          }
        }
        if (command_wait (c->lz, &status) == -1 || status != 0) {
          if ((nl = strchr (c->lz_msg, '\n')) != NULL)
            *nl = '\0';
          c->in_err = EINVAL;
          archive_set_error (a, EINVAL, "lzop failed (exit status %d): %s",
                             status, c->lz_msg_len ? c->lz_msg
                             : "not an lzop stream");
          command_free (c->lz);
          c->lz = NULL;
          return -1;
        }
        command_free (c->lz);
        c->lz = NULL;
        return 0;
      }
      if (errno != EAGAIN && errno != EINTR) {
        c->in_err = errno;
        archive_set_error (a, errno, "reading lzop's output: %s",
                           strerror (errno));
        return -1;
      }
    }
  }
}

/* The member name without leading '/', "." or empty components, into
 * out; refuses "..".  out may become "" (the target itself). */
static int
normalize_name (struct tar_in *c, const char *name, char *out, size_t cap)
{
  const char *p = name;
  size_t n = 0;

  while (*p) {
    const char *end = strchr (p, '/');
    size_t len = end ? (size_t) (end - p) : strlen (p);

    if (len == 2 && p[0] == '.' && p[1] == '.')
      return fail_entry (c, EINVAL, "%s: the member name contains a '..' "
                         "component: refusing to write outside %s", name,
                         c->directory);
    if (len > 255)
      return fail_entry (c, ENAMETOOLONG, "%s: a component of the member "
                         "name is longer than 255 bytes", name);
    if (len > 0 && !(len == 1 && p[0] == '.')) {
      if (n + len + 2 > cap)
        return fail_entry (c, ENAMETOOLONG, "%.200s...: the member name is "
                           "too long", name);
      if (n > 0)
        out[n++] = '/';
      memcpy (out + n, p, len);
      n += len;
    }
    p += len;
    while (*p == '/')
      p++;
  }
  out[n] = '\0';
  return 0;
}

static struct mount *
mount_at (const char *canonical)
{
  size_t i;

  for (i = 0; i < mount_count; i++)
    if (strcmp (mount_table[i].mountpoint, canonical) == 0)
      return &mount_table[i];
  return NULL;
}

/* Walks the directories of rel (all but its last component) from the
 * target, creating missing ones, refusing symlinks and non-directories.
 * Sets the mount and inode of the member's directory. */
static int
member_dir (struct tar_in *c, const char *rel, size_t dirlen,
            struct mount **m_r, uint64_t *dir_r)
{
  struct mount *m = c->tm;
  uint64_t dir = c->tino;
  char path[PATH_MAX + 256];
  size_t plen;
  const char *p = rel, *end = rel + dirlen;

  if (c->cached_rel && strlen (c->cached_rel) == dirlen &&
      memcmp (c->cached_rel, rel, dirlen) == 0) {
    *m_r = c->cm;
    *dir_r = c->cino;
    return 0;
  }
  plen = snprintf (path, sizeof path, "%s", strcmp (c->tpath, "/") ? c->tpath
                   : "");
  while (p < end) {
    const char *slash = memchr (p, '/', end - p);
    size_t len = slash ? (size_t) (slash - p) : (size_t) (end - p);
    char name[256];
    struct engine_stat st;
    struct mount *sub;
    uint64_t ino;
    int r;

    memcpy (name, p, len);
    name[len] = '\0';
    if (plen + len + 2 > sizeof path)
      return fail_entry (c, ENAMETOOLONG, "%.*s: path too long",
                         (int) dirlen, rel);
    path[plen++] = '/';
    memcpy (path + plen, name, len + 1);
    plen += len;
    r = m->fs->ops->lookup (m->fs, dir, name, &ino);
    if (r == -ENOENT) {
      r = m->fs->ops->mkdir (m->fs, dir, name, 0755, 0, 0, &ino);
      if (r < 0)
        return fail_entry (c, -r, "%s: %s", path, strerror (-r));
    }
    else if (r < 0)
      return fail_entry (c, -r, "%s: %s", path, strerror (-r));
    r = m->fs->ops->getattr (m->fs, ino, &st);
    if (r < 0)
      return fail_entry (c, -r, "%s: %s", path, strerror (-r));
    if (S_ISLNK (st.mode))
      return fail_entry (c, EPERM, "%s: is a symbolic link: refusing to "
                         "write through it (the member %s could end up "
                         "outside %s)", path, rel, c->directory);
    if (!S_ISDIR (st.mode))
      return fail_entry (c, ENOTDIR, "%s: %s", path, strerror (ENOTDIR));
    sub = mount_at (path);
    if (sub) {
      m = sub;
      ino = sub->fs->ops->root (sub->fs);
    }
    dir = ino;
    p += len;
    while (p < end && *p == '/')
      p++;
  }
  free (c->cached_rel);
  c->cached_rel = strndup (rel, dirlen);
  c->cm = m;
  c->cino = dir;
  *m_r = m;
  *dir_r = dir;
  return 0;
}

/* The member's directory and last component. */
static int
member_place (struct tar_in *c, const char *rel, struct mount **m_r,
              uint64_t *dir_r, const char **name_r)
{
  const char *slash = strrchr (rel, '/');
  size_t dirlen = slash ? (size_t) (slash - rel) : 0;

  *name_r = slash ? slash + 1 : rel;
  return member_dir (c, rel, dirlen, m_r, dir_r);
}

static int
add_delayed_dir (struct tar_in *c, struct engine_fs *fs, uint64_t ino,
                 const struct engine_setattr *sa)
{
  if (c->nr_dirs == c->cap_dirs) {
    size_t cap = c->cap_dirs ? c->cap_dirs * 2 : 64;
    struct delayed_dir *d = realloc (c->dirs, cap * sizeof *d);
    if (d == NULL)
      return fail_entry (c, ENOMEM, "out of memory");
    c->dirs = d;
    c->cap_dirs = cap;
  }
  c->dirs[c->nr_dirs].fs = fs;
  c->dirs[c->nr_dirs].ino = ino;
  c->dirs[c->nr_dirs].sa = *sa;
  c->nr_dirs++;
  return 0;
}

static void
entry_times (struct archive_entry *e, struct engine_setattr *sa)
{
  sa->mask |= ENGINE_SET_MTIME | ENGINE_SET_ATIME;
  sa->mtime_sec = archive_entry_mtime (e);
  sa->mtime_nsec = archive_entry_mtime_nsec (e);
  if (archive_entry_atime_is_set (e)) {
    sa->atime_sec = archive_entry_atime (e);
    sa->atime_nsec = archive_entry_atime_nsec (e);
  }
  else {
    sa->atime_sec = sa->mtime_sec;
    sa->atime_nsec = sa->mtime_nsec;
  }
}

static int
set_xattrs (struct tar_in *c, struct archive_entry *e, struct engine_fs *fs,
            uint64_t ino, const char *rel)
{
  const char *name;
  const void *value;
  size_t size;
  int r;

  if (!c->xattrs && !c->selinux && !c->acls)
    return 0;
  archive_entry_xattr_reset (e);
  while (archive_entry_xattr_next (e, &name, &value, &size) == ARCHIVE_OK) {
    enum xattr_kind k = xattr_kind (name);

    if ((k == XATTR_ACL && !c->acls) || (k == XATTR_SELINUX && !c->selinux) ||
        (k == XATTR_OTHER && !c->xattrs))
      continue;
    r = fs->ops->setxattr (fs, ino, name, value, size);
    if (r < 0)
      return fail_entry (c, -r, "%s: setting the extended attribute %s: %s",
                         rel, name, strerror (-r));
  }
  if (c->acls) {
    static const struct { int type; const char *name; } acl_types[] = {
      { ARCHIVE_ENTRY_ACL_TYPE_ACCESS, "system.posix_acl_access" },
      { ARCHIVE_ENTRY_ACL_TYPE_DEFAULT, "system.posix_acl_default" },
    };
    size_t i;

    for (i = 0; i < 2; i++) {
      char buf[POSIX_ACL_MAX_SIZE];
      size_t len;

      if (archive_entry_acl_reset (e, acl_types[i].type) == 0)
        continue;
      r = posix_acl_from_archive (e, acl_types[i].type, buf, sizeof buf,
                                  &len);
      if (r == -2) {
        /* As GNU tar when a name does not resolve: the ACL is left out. */
        if (verbose)
          fprintf (stderr, "minnowd: tar_in: %s: an ACL names a user or "
                   "group without its number: not restored\n", rel);
        continue;
      }
      if (r < 0)
        return fail_entry (c, EINVAL, "%s: an ACL of the archive cannot be "
                           "stored", rel);
      if (len == 0)
        continue;
      r = fs->ops->setxattr (fs, ino, acl_types[i].name, buf, len);
      if (r < 0)
        return fail_entry (c, -r, "%s: setting its ACL: %s", rel,
                           strerror (-r));
    }
  }
  return 0;
}

/* The member's data, in runs (sparse members keep their holes). */
static int
write_data (struct tar_in *c, struct archive *a, struct archive_entry *e,
            struct mount *m, uint64_t ino, const char *rel)
{
  const void *buf;
  size_t size;
  la_int64_t offset;
  int r;

  memset (&c->t, 0, sizeof c->t);
  c->t.where = rel;
  c->t.res.m = m;
  c->t.res.ino = ino;
  xfer_writer_reset (&c->w, &c->t, 0, 1);
  for (;;) {
    r = archive_read_data_block (a, &buf, &size, &offset);
    if (r == ARCHIVE_EOF)
      break;
    if (r < ARCHIVE_WARN)
      return fail_entry (c, c->in_err ? c->in_err : EINVAL,
                         "%s: %s", rel, archive_error_string (a));
    if ((uint64_t) offset > c->w.pos &&
        xfer_writer_hole (&c->w, offset - c->w.pos) < 0)
      break;
    if (size > 0 && xfer_writer_data (&c->w, buf, size) < 0)
      break;
  }
  if (archive_entry_size_is_set (e) &&
      (uint64_t) archive_entry_size (e) > c->w.pos &&
      c->w.err == 0)
    xfer_writer_hole (&c->w, archive_entry_size (e) - c->w.pos);
  r = xfer_writer_flush (&c->w);
  if (r < 0)
    return fail_entry (c, -r, "%s: %s", rel, strerror (-r));
  return 0;
}

/* Makes room for the member: an existing non-directory is removed, an
 * existing directory is kept for a directory member and removed (when
 * empty) otherwise.  *ino_r is the kept directory or 0. */
static int
replace_existing (struct tar_in *c, struct mount *m, uint64_t dir,
                  const char *name, int want_dir, const char *rel,
                  uint64_t *ino_r)
{
  struct engine_stat st;
  uint64_t ino;
  int r;

  *ino_r = 0;
  r = m->fs->ops->lookup (m->fs, dir, name, &ino);
  if (r == -ENOENT)
    return 0;
  if (r == 0)
    r = m->fs->ops->getattr (m->fs, ino, &st);
  if (r < 0)
    return fail_entry (c, -r, "%s: %s", rel, strerror (-r));
  if (S_ISDIR (st.mode)) {
    char canonical[PATH_MAX + 512];
    if (want_dir) {
      *ino_r = ino;
      return 0;
    }
    snprintf (canonical, sizeof canonical, "%s/%s", c->tpath, rel);
    if (mount_at (canonical))
      return fail_entry (c, EBUSY, "%s: a filesystem is mounted there", rel);
    r = m->fs->ops->rmdir (m->fs, dir, name);
  }
  else
    r = m->fs->ops->unlink (m->fs, dir, name);
  if (r < 0)
    return fail_entry (c, -r, "%s: replacing it: %s", rel, strerror (-r));
  return 0;
}

/* FAT holds no owners and no permission bits: there, as tar does for a
 * user who may not keep them, members keep only their times. */
static void
drop_unix_attrs (struct engine_fs *fs, struct engine_setattr *sa)
{
  if (fs->ops->flags & ENGINE_NO_UNIX_ATTRS)
    sa->mask &= ~(ENGINE_SET_MODE | ENGINE_SET_UID | ENGINE_SET_GID);
}

static int
extract_entry (struct tar_in *c, struct archive *a, struct archive_entry *e)
{
  static char rel[PATH_MAX];
  const char *pathname = archive_entry_pathname (e);
  const char *hardlink = archive_entry_hardlink (e);
  unsigned type = archive_entry_filetype (e);
  uint32_t mode = archive_entry_perm (e) & 07777;
  uint32_t uid = archive_entry_uid (e), gid = archive_entry_gid (e);
  struct engine_setattr sa;
  struct mount *m;
  uint64_t dir, ino = 0;
  const char *name;
  int r;

  if (pathname == NULL)
    return fail_entry (c, EINVAL, "a member has no name");
  if (normalize_name (c, pathname, rel, sizeof rel) < 0)
    return -1;
  memset (&sa, 0, sizeof sa);
  sa.mask = ENGINE_SET_MODE;
  sa.mode = mode;
  entry_times (e, &sa);

  if (rel[0] == '\0') {
    /* "./": the target itself takes the member's attributes. */
    if (type != AE_IFDIR)
      return fail_entry (c, EINVAL, "%s: a member that is not a directory "
                         "names the target itself", pathname);
    sa.mask |= ENGINE_SET_UID | ENGINE_SET_GID;
    sa.uid = uid;
    sa.gid = gid;
    if (set_xattrs (c, e, c->tm->fs, c->tino, ".") < 0)
      return -1;
    drop_unix_attrs (c->tm->fs, &sa);
    return add_delayed_dir (c, c->tm->fs, c->tino, &sa);
  }
  if (member_place (c, rel, &m, &dir, &name) < 0)
    return -1;
  if (m->readonly)
    return fail_entry (c, EROFS, "%s: read-only filesystem", rel);

  if (hardlink) {
    static char target[PATH_MAX];
    struct mount *tm;
    uint64_t tdir, tino;
    const char *tname;
    struct engine_stat st;

    if (normalize_name (c, hardlink, target, sizeof target) < 0)
      return -1;
    if (target[0] == '\0' ||
        member_place (c, target, &tm, &tdir, &tname) < 0)
      return c->err ? -1 : fail_entry (c, EINVAL, "%s: bad hard link "
                                       "target %s", rel, hardlink);
    r = tm->fs->ops->lookup (tm->fs, tdir, tname, &tino);
    if (r == 0)
      r = tm->fs->ops->getattr (tm->fs, tino, &st);
    if (r < 0)
      return fail_entry (c, -r, "%s: hard link to %s: %s", rel, hardlink,
                         strerror (-r));
    if (S_ISDIR (st.mode))
      return fail_entry (c, EPERM, "%s: hard link to the directory %s", rel,
                         hardlink);
    /* member_place may have moved the cache: find the link's place again. */
    if (member_place (c, rel, &m, &dir, &name) < 0)
      return -1;
    if (tm != m)
      return fail_entry (c, EXDEV, "%s: hard link to %s on another "
                         "filesystem", rel, hardlink);
    if (replace_existing (c, m, dir, name, 0, rel, &ino) < 0)
      return -1;
    r = m->fs->ops->link (m->fs, dir, name, tino);
    if (r < 0)
      return fail_entry (c, -r, "%s: hard link to %s: %s", rel, hardlink,
                         strerror (-r));
    return 0;
  }

  if (replace_existing (c, m, dir, name, type == AE_IFDIR, rel, &ino) < 0)
    return -1;
  switch (type) {
  case AE_IFDIR:
    if (ino == 0) {
      r = m->fs->ops->mkdir (m->fs, dir, name, mode, uid, gid, &ino);
      if (r < 0)
        return fail_entry (c, -r, "%s: %s", rel, strerror (-r));
    }
    sa.mask |= ENGINE_SET_UID | ENGINE_SET_GID;
    sa.uid = uid;
    sa.gid = gid;
    if (set_xattrs (c, e, m->fs, ino, rel) < 0)
      return -1;
    drop_unix_attrs (m->fs, &sa);
    /* Its children change its times: set them at the end. */
    return add_delayed_dir (c, m->fs, ino, &sa);
  case AE_IFLNK: {
    const char *target = archive_entry_symlink (e);
    if (target == NULL || *target == '\0')
      return fail_entry (c, EINVAL, "%s: a symlink without a target", rel);
    r = m->fs->ops->symlink (m->fs, dir, name, target, uid, gid, &ino);
    if (r < 0)
      return fail_entry (c, -r, "%s: %s", rel, strerror (-r));
    sa.mask &= ~ENGINE_SET_MODE;
    break;
  }
  case AE_IFREG:
  case AE_IFCHR:
  case AE_IFBLK:
  case AE_IFIFO:
  case AE_IFSOCK: {
    uint64_t rdev = 0;
    if (type == AE_IFCHR || type == AE_IFBLK)
      rdev = makedev (archive_entry_rdevmajor (e),
                      archive_entry_rdevminor (e));
    r = m->fs->ops->mknod (m->fs, dir, name, type | mode, rdev, uid, gid,
                           &ino);
    if (r < 0)
      return fail_entry (c, -r, "%s: %s", rel, strerror (-r));
    if (type == AE_IFREG && write_data (c, a, e, m, ino, rel) < 0)
      return -1;
    break;
  }
  default:
    return fail_entry (c, EINVAL, "%s: unknown member type 0%o", rel, type);
  }
  if (set_xattrs (c, e, m->fs, ino, rel) < 0)
    return -1;
  drop_unix_attrs (m->fs, &sa);
  r = m->fs->ops->setattr (m->fs, ino, &sa);
  if (r < 0)
    return fail_entry (c, -r, "%s: setting its attributes: %s", rel,
                       strerror (-r));
  return 0;
}

static int
tar_in (const char *directory, const char *compress, int xattrs,
        int selinux, int acls)
{
  struct tar_in c;
  struct resolved res;
  struct engine_stat st;
  struct archive *a = NULL;
  struct archive_entry *e;
  int r, code, external;
  size_t i;

  memset (&c, 0, sizeof c);
  c.directory = directory;
  c.xattrs = xattrs;
  c.selinux = selinux;
  c.acls = acls;
  c.lz_in = c.lz_out = c.lz_errfd = -1;
  external = check_compress (compress, 1);
  if (external < 0) {
    cancel_receive ();
    return -1;
  }
  /* With the lzop program, libarchive sees the tar stream itself. */
  code = external ? ARCHIVE_FILTER_NONE : filter_code (compress);
  r = resolve_path (directory, 0, &res);
  if (r == 0) {
    r = res.m->fs->ops->getattr (res.m->fs, res.ino, &st);
    if (r == 0 && !S_ISDIR (st.mode))
      r = -ENOTDIR;
    if (r == 0 && res.m->readonly)
      r = -EROFS;
    if (r < 0)
      resolved_free (&res);
  }
  if (r < 0) {
    cancel_receive ();
    reply_errno_path (r, directory);
    return -1;
  }
  c.tm = res.m;
  c.tino = res.ino;
  c.tpath = res.path;           /* owned by c from here */
  if (xfer_writer_init (&c.w, &c.t, 0, 1) < 0) {
    free (c.tpath);
    cancel_receive ();
    return -1;
  }
  if (file_in_begin () < 0) {
    fail_entry (&c, errno, "%s", strerror (errno));
    goto out;
  }

  a = archive_read_new ();
  if (a == NULL ||
      archive_read_support_format_tar (a) != ARCHIVE_OK ||
      (code == ARCHIVE_FILTER_NONE
       ? archive_read_support_filter_none (a)
       : archive_read_support_filter_by_code (a, code)) != ARCHIVE_OK) {
    fail_entry (&c, ENOMEM, "libarchive: %s",
                a ? archive_error_string (a) : "out of memory");
    goto out;
  }
  if (external && lzop_start (&c) < 0)
    goto out;
  if (archive_read_open (a, &c, NULL, external ? lzop_read_cb : tar_read_cb,
                         NULL) != ARCHIVE_OK) {
    fail_entry (&c, c.in_err ? c.in_err : EINVAL, "the archive cannot be "
                "read: %s", archive_error_string (a));
    goto out;
  }
  /* libarchive passes data that is not compressed as it is: GNU tar
   * would refuse it. */
  if (archive_filter_code (a, 0) != code) {
    if (code == ARCHIVE_FILTER_NONE)
      fail_entry (&c, EINVAL, "the archive is compressed (%s): say so with "
                  "the compress option", archive_filter_name (a, 0));
    else
      fail_entry (&c, EINVAL, "the archive is not %s-compressed (found: "
                  "%s)", compress, archive_filter_name (a, 0));
    goto out;
  }
  for (;;) {
    r = archive_read_next_header (a, &e);
    if (r == ARCHIVE_EOF)
      break;
    if (r < ARCHIVE_WARN) {
      fail_entry (&c, c.in_err ? c.in_err : EINVAL, "the archive is "
                  "corrupt or truncated: %s", archive_error_string (a));
      break;
    }
    if (r == ARCHIVE_WARN && verbose)
      fprintf (stderr, "minnowd: tar_in: %s\n", archive_error_string (a));
    if (extract_entry (&c, a, e) < 0)
      break;
  }

 out:
  /* Directory attributes last, deepest (latest) first. */
  for (i = c.nr_dirs; i-- > 0; ) {
    r = c.dirs[i].fs->ops->setattr (c.dirs[i].fs, c.dirs[i].ino,
                                    &c.dirs[i].sa);
    if (r < 0)
      fail_entry (&c, -r, "setting a directory's attributes: %s",
                  strerror (-r));
  }
  if (a)
    archive_read_free (a);
  if (external)
    lzop_stop (&c);
  file_in_end ();
  free (c.w.buf);
  free (c.dirs);
  free (c.cached_rel);
  free (c.tpath);
  if (c.err) {
    if (c.err == EINTR && c.in_err == EINTR)
      reply_with_error_errno (EINTR, "%s: operation cancelled by the user",
                              directory);
    else
      reply_with_error_errno (c.err, "%s", c.msg);
    return -1;
  }
  return 0;
}

int
do_tar_in (const char *directory, const char *compress, int xattrs,
           int selinux, int acls)
{
  return tar_in (directory,
                 (optargs_bitmask & TAR_IN_COMPRESS) ? compress : NULL,
                 (optargs_bitmask & TAR_IN_XATTRS) && xattrs,
                 (optargs_bitmask & TAR_IN_SELINUX) && selinux,
                 (optargs_bitmask & TAR_IN_ACLS) && acls);
}

int
do_tgz_in (const char *directory)
{
  return tar_in (directory, "gzip", 0, 0, 0);
}

int
do_txz_in (const char *directory)
{
  return tar_in (directory, "xz", 0, 0, 0);
}

/* ---------------------------------------------------------------- */
/* tar_out                                                            */

#define OUT_BUF_SIZE (1024 * 1024)

struct tar_out {
  const char *directory;
  int numericowner, xattrs, selinux, acls;
  char *const *excludes;
  struct archive *a;
  struct archive_entry_linkresolver *lr;
  char *obuf;                   /* what libarchive wrote, sent in runs */
  size_t olen;
  char *dbuf;                   /* file data */
  int err;
  char msg[1024];
  int send_failed;              /* send_file_write failed: no more replies */
  /* lzop -c between libarchive and the FileOut (no liblzo2). */
  struct command *lz;
  int lz_in, lz_out, lz_errfd;
  char lz_msg[256];
  size_t lz_msg_len;
};

static int
out_fail (struct tar_out *c, int err, const char *fmt, ...)
  __attribute__((format (printf, 3, 4)));

static int
out_fail (struct tar_out *c, int err, const char *fmt, ...)
{
  va_list ap;

  if (c->err == 0) {
    c->err = err ? err : EIO;
    va_start (ap, fmt);
    vsnprintf (c->msg, sizeof c->msg, fmt, ap);
    va_end (ap);
  }
  return -1;
}

static int
out_flush (struct tar_out *c)
{
  int r;

  if (c->olen == 0)
    return 0;
  r = send_file_write (c->obuf, c->olen);
  c->olen = 0;
  if (r < 0) {
    c->send_failed = 1;
    return out_fail (c, r == -2 ? EINTR : EIO, "sending the archive failed");
  }
  return 0;
}

/* Appends what lzop wrote (or NULL, 0: nothing) to the output. */
static int
out_add (struct tar_out *c, const char *p, size_t left)
{
  while (left > 0) {
    size_t n = OUT_BUF_SIZE - c->olen;
    if (n > left)
      n = left;
    memcpy (c->obuf + c->olen, p, n);
    c->olen += n;
    p += n;
    left -= n;
    if (c->olen == OUT_BUF_SIZE && out_flush (c) < 0)
      return -1;
  }
  return 0;
}

/* Moves data both ways between us and lzop: writes all of buf (len 0
 * and finish: closes its input and reads until its output ends).  Its
 * output goes to out_add.  0 or -1 (out_fail called). */
static int
lzop_pump (struct tar_out *c, const char *buf, size_t len, int finish)
{
  char tmp[65536];

  if (finish && c->lz_in >= 0) {
    close (c->lz_in);
    c->lz_in = -1;
  }
  while (len > 0 || (finish && (c->lz_out >= 0 || c->lz_errfd >= 0))) {
    struct pollfd p[3];
    int np = 0, iin = -1, iout = -1, ierr = -1;

    if (storage_stop_requested ())
      return out_fail (c, EINTR, "the client went away");
    if (len > 0 && c->lz_in < 0)
      return out_fail (c, EIO, "lzop stopped reading its input");
    if (len > 0) {
      iin = np;
      p[np].fd = c->lz_in;
      p[np++].events = POLLOUT;
    }
    if (c->lz_out >= 0) {
      iout = np;
      p[np].fd = c->lz_out;
      p[np++].events = POLLIN;
    }
    if (c->lz_errfd >= 0) {
      ierr = np;
      p[np].fd = c->lz_errfd;
      p[np++].events = POLLIN;
    }
    if (np == 0)
      break;
    if (poll (p, np, -1) == -1) {
      if (errno == EINTR)
        continue;
      return out_fail (c, errno, "poll: %s", strerror (errno));
    }
    if (iout >= 0 && p[iout].revents) {
      ssize_t n = read (c->lz_out, tmp, sizeof tmp);
      if (n > 0) {
        if (out_add (c, tmp, n) < 0)
          return -1;
      }
      else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        close (c->lz_out);
        c->lz_out = -1;
      }
    }
    if (ierr >= 0 && p[ierr].revents) {
      ssize_t n = read (c->lz_errfd, tmp, sizeof tmp);
      if (n > 0) {
        size_t room = sizeof c->lz_msg - 1 - c->lz_msg_len;
        if ((size_t) n > room)
          n = room;
        memcpy (c->lz_msg + c->lz_msg_len, tmp, n);
        c->lz_msg_len += n;
        c->lz_msg[c->lz_msg_len] = '\0';
      }
      else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        close (c->lz_errfd);
        c->lz_errfd = -1;
      }
    }
    if (iin >= 0 && p[iin].revents) {
      ssize_t n = write (c->lz_in, buf, len);
      if (n > 0) {
        buf += n;
        len -= n;
      }
      else if (n == -1 && errno != EAGAIN && errno != EINTR) {
        close (c->lz_in);
        c->lz_in = -1;
      }
    }
  }
  if (finish && c->lz) {
    int status;
    char *nl;

    if (command_wait (c->lz, &status) == -1 || status != 0) {
      if ((nl = strchr (c->lz_msg, '\n')) != NULL)
        *nl = '\0';
      command_free (c->lz);
      c->lz = NULL;
      return out_fail (c, EIO, "lzop failed (exit status %d): %s", status,
                       c->lz_msg);
    }
    command_free (c->lz);
    c->lz = NULL;
  }
  return 0;
}

static la_ssize_t
tar_write_cb (struct archive *a, void *opaque, const void *buf, size_t len)
{
  struct tar_out *c = opaque;
  const char *p = buf;
  size_t left = len;

  if (c->lz) {
    if (lzop_pump (c, buf, len, 0) < 0) {
      archive_set_error (a, EIO, "%s", c->msg);
      return -1;
    }
    return len;
  }
  while (left > 0) {
    size_t n = OUT_BUF_SIZE - c->olen;
    if (n > left)
      n = left;
    memcpy (c->obuf + c->olen, p, n);
    c->olen += n;
    p += n;
    left -= n;
    if (c->olen == OUT_BUF_SIZE && out_flush (c) < 0) {
      archive_set_error (a, EIO, "%s", c->msg);
      return -1;
    }
  }
  return len;
}

static int
excluded (struct tar_out *c, const char *rel)
{
  size_t i;
  const char *p;

  if (c->excludes == NULL)
    return 0;
  for (i = 0; c->excludes[i]; i++) {
    /* As GNU tar: the pattern matches the whole name or any of its
     * trailing parts that start at a component. */
    for (p = rel; p; p = strchr (p, '/'), p = p ? p + 1 : NULL)
      if (fnmatch (c->excludes[i], p, 0) == 0)
        return 1;
  }
  return 0;
}

static int
add_out_xattrs (struct tar_out *c, struct archive_entry *e,
                struct engine_fs *fs, uint64_t ino, const char *rel);

static int write_tree (struct tar_out *c, struct mount *m, uint64_t dir,
                       char *path, size_t plen, const char *rel, int depth);

/* Writes a header and, for a regular file with a size, its data, read
 * from the inode the entry names (dev is the mount's index + 1), so
 * that entries the link resolver held back can be written later. */
static int
write_entry (struct tar_out *c, struct archive_entry *e)
{
  const char *name = archive_entry_pathname (e);
  struct engine_fs *fs = mount_table[archive_entry_dev (e) - 1].fs;
  uint64_t ino = archive_entry_ino64 (e), size, off = 0;
  int r;

  r = archive_write_header (c->a, e);
  if (r < ARCHIVE_WARN)
    return out_fail (c, c->err ? c->err : EIO, "%s: %s", name,
                     archive_error_string (c->a));
  if (archive_entry_filetype (e) != AE_IFREG || !archive_entry_size_is_set (e))
    return 0;
  size = archive_entry_size (e);
  while (off < size) {
    size_t want = size - off < XFER_WRITE_RUN ? size - off : XFER_WRITE_RUN;
    ssize_t n = fs->ops->read_run
      ? fs->ops->read_run (fs, ino, c->dbuf, want, off)
      : fs->ops->pread (fs, ino, c->dbuf, want, off);

    if (n <= 0)
      return out_fail (c, n == 0 ? EIO : (int) -n, "%s: %s", name,
                       n == 0 ? "the file shrank" : strerror ((int) -n));
    if (archive_write_data (c->a, c->dbuf, n) != n)
      return out_fail (c, c->err ? c->err : EIO, "%s: %s", name,
                       archive_error_string (c->a));
    off += n;
  }
  return 0;
}

/* One member: its header, its data, then (directories) its contents. */
static int
write_member (struct tar_out *c, struct mount *m, uint64_t ino,
              char *path, size_t plen, const char *rel, int depth)
{
  struct engine_fs *fs = m->fs;
  struct engine_stat st;
  struct archive_entry *e, *spare = NULL;
  char *name;
  int r;

  r = fs->ops->getattr (fs, ino, &st);
  if (r < 0)
    return out_fail (c, -r, "%s: %s", path, strerror (-r));
  e = archive_entry_new ();
  if (e == NULL)
    return out_fail (c, ENOMEM, "out of memory");
  if (asprintf (&name, "./%s%s", rel, *rel && S_ISDIR (st.mode) ? "/" : "")
      == -1) {
    archive_entry_free (e);
    return out_fail (c, ENOMEM, "out of memory");
  }
  archive_entry_set_pathname (e, name);
  free (name);
  archive_entry_set_mode (e, st.mode);
  archive_entry_set_uid (e, st.uid);
  archive_entry_set_gid (e, st.gid);
  if (!c->numericowner) {
    if (st.uid == 0)
      archive_entry_set_uname (e, "root");
    if (st.gid == 0)
      archive_entry_set_gname (e, "root");
  }
  archive_entry_set_mtime (e, st.mtime_sec, st.mtime_nsec);
  archive_entry_set_dev (e, (dev_t) (m - mount_table) + 1);
  archive_entry_set_ino64 (e, st.ino);
  archive_entry_set_nlink (e, st.nlink);
  archive_entry_set_size (e, S_ISREG (st.mode) ? st.size : 0);
  if (S_ISCHR (st.mode) || S_ISBLK (st.mode))
    archive_entry_set_rdev (e, st.rdev);
  if (S_ISLNK (st.mode)) {
    char *target;
    r = fs->ops->readlink (fs, ino, &target);
    if (r < 0) {
      archive_entry_free (e);
      return out_fail (c, -r, "%s: %s", path, strerror (-r));
    }
    archive_entry_set_symlink (e, target);
    free (target);
  }
  if (add_out_xattrs (c, e, fs, ino, path) < 0) {
    archive_entry_free (e);
    return -1;
  }
  if (!S_ISDIR (st.mode))
    archive_entry_linkify (c->lr, &e, &spare);
  r = 0;
  if (e)
    r = write_entry (c, e);
  if (r == 0 && spare)
    r = write_entry (c, spare);
  archive_entry_free (e);
  archive_entry_free (spare);
  if (r < 0)
    return -1;
  if (S_ISDIR (st.mode))
    return write_tree (c, m, ino, path, plen, rel, depth + 1);
  return 0;
}

struct dirent_list {
  struct { char *name; uint64_t ino; } *v;
  size_t n, cap;
};

static int
collect (void *opaque, const char *name, size_t namelen, uint64_t ino,
         enum engine_dtype type)
{
  struct dirent_list *l = opaque;

  (void) type;
  if ((namelen == 1 && name[0] == '.') ||
      (namelen == 2 && name[0] == '.' && name[1] == '.'))
    return 0;
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 32;
    void *v = realloc (l->v, cap * sizeof *l->v);
    if (v == NULL)
      return -ENOMEM;
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n].name = strndup (name, namelen);
  if (l->v[l->n].name == NULL)
    return -ENOMEM;
  l->v[l->n].ino = ino;
  l->n++;
  return 0;
}

static int
write_tree (struct tar_out *c, struct mount *m, uint64_t dir, char *path,
            size_t plen, const char *rel, int depth)
{
  struct dirent_list l = { NULL, 0, 0 };
  size_t i;
  int r, ret = 0;

  if (depth > 2048)
    return out_fail (c, ELOOP, "%s: too deep", path);
  r = m->fs->ops->readdir (m->fs, dir, collect, &l);
  if (r < 0)
    ret = out_fail (c, -r, "%s: %s", path, strerror (-r));
  for (i = 0; ret == 0 && i < l.n; i++) {
    size_t nlen = strlen (l.v[i].name);
    char *crel;
    struct mount *sub, *cm = m;
    uint64_t ino = l.v[i].ino;

    if (plen + nlen + 2 > PATH_MAX) {
      ret = out_fail (c, ENAMETOOLONG, "%s/%s: path too long", path,
                      l.v[i].name);
      break;
    }
    path[plen] = '/';
    memcpy (path + plen + 1, l.v[i].name, nlen + 1);
    if (asprintf (&crel, "%s%s%s", rel, *rel ? "/" : "", l.v[i].name) == -1) {
      ret = out_fail (c, ENOMEM, "out of memory");
      break;
    }
    /* A filesystem mounted on the entry: its root instead. */
    sub = mount_at (path);
    if (sub) {
      cm = sub;
      ino = sub->fs->ops->root (sub->fs);
    }
    if (!excluded (c, crel))
      ret = write_member (c, cm, ino, path, plen + 1 + nlen, crel, depth);
    path[plen] = '\0';
    free (crel);
  }
  for (i = 0; i < l.n; i++)
    free (l.v[i].name);
  free (l.v);
  return ret;
}

struct xattr_ctx {
  struct tar_out *c;
  struct archive_entry *e;
};

static int
out_xattr_one (void *opaque, const char *name, const void *value, size_t len)
{
  struct xattr_ctx *x = opaque;
  enum xattr_kind k = xattr_kind (name);

  if (k == XATTR_ACL) {
    if (x->c->acls)
      posix_acl_to_archive (x->e, strcmp (name, "system.posix_acl_default")
                            == 0 ? ARCHIVE_ENTRY_ACL_TYPE_DEFAULT
                            : ARCHIVE_ENTRY_ACL_TYPE_ACCESS, value, len);
    return 0;
  }
  if ((k == XATTR_SELINUX && x->c->selinux) ||
      (k == XATTR_OTHER && x->c->xattrs))
    archive_entry_xattr_add_entry (x->e, name, value, len);
  return 0;
}

static int
add_out_xattrs (struct tar_out *c, struct archive_entry *e,
                struct engine_fs *fs, uint64_t ino, const char *path)
{
  struct xattr_ctx x = { c, e };
  int r;

  if (!c->xattrs && !c->selinux && !c->acls)
    return 0;
  r = fs->ops->listxattr (fs, ino, out_xattr_one, &x);
  if (r < 0)
    return out_fail (c, -r, "%s: listing its extended attributes: %s", path,
                     strerror (-r));
  return 0;
}

/* Sets up the archive of a FileOut: format, compression (level < 0:
 * the filter's default), our write callback.  0, or -1 after a reply. */
static int
archive_out_begin (struct tar_out *c, int format, const char *compress,
                   int level, int external)
{
  char lv[16];

  c->lz_in = c->lz_out = c->lz_errfd = -1;
  c->obuf = malloc (OUT_BUF_SIZE);
  c->dbuf = malloc (XFER_WRITE_RUN);
  c->a = archive_write_new ();
  if (external && c->obuf && c->dbuf && c->a) {
    /* lzop -c [-LEVEL] turns libarchive's plain output into lzop. */
    if (level > 9) {
      reply_with_error_errno (EINVAL, "%d: not a compression level for "
                              "lzop (1 to 9)", level);
      return -1;
    }
    c->lz = command_new_args ("lzop", "-c", NULL);
    if (level >= 1)
      command_add_arg_format (c->lz, "-%d", level);
    command_add_env_pass (c->lz, "PATH");
    command_add_env_pair (c->lz, "LC_ALL", "C");
    command_set_input_pipe (c->lz, &c->lz_in);
    command_set_output_pipe (c->lz, &c->lz_out);
    command_set_error_pipe (c->lz, &c->lz_errfd);
    command_set_nonblocking_pipes (c->lz);
    if (command_run_async (c->lz, NULL) == -1) {
      reply_with_error_errno (ENOTSUP, "lzop: this libarchive writes lzop "
                              "only through the lzop program, which cannot "
                              "be run: %s", command_get_error (c->lz));
      return -1;
    }
    level = -1;
    compress = "none";
  }
  if (c->obuf == NULL || c->dbuf == NULL || c->a == NULL ||
      archive_write_set_format (c->a, format) != ARCHIVE_OK ||
      add_write_filter (c->a, filter_code (compress)) != ARCHIVE_OK) {
    reply_with_error_errno (ENOMEM, "libarchive: %s",
                            c->a ? archive_error_string (c->a)
                            : "out of memory");
    return -1;
  }
  /* libarchive pads the last block after the compressor: zeroes that
   * gzip ignores but zstd and others take for a broken frame. */
  if (filter_code (compress) != ARCHIVE_FILTER_NONE || format ==
      ARCHIVE_FORMAT_RAW)
    archive_write_set_bytes_in_last_block (c->a, 1);
  if (level >= 0) {
    snprintf (lv, sizeof lv, "%d", level);
    if (archive_write_set_filter_option (c->a, NULL, "compression-level",
                                         lv) != ARCHIVE_OK) {
      reply_with_error_errno (EINVAL, "%d: not a compression level for %s",
                              level, compress);
      return -1;
    }
  }
  return 0;
}

/* After the data: closes the archive and ends the stream, or ends it
 * with the error.  0 or -1. */
static int
archive_out_end (struct tar_out *c)
{
  if (c->err == 0 && archive_write_close (c->a) != ARCHIVE_OK)
    out_fail (c, c->err ? c->err : EIO, "libarchive: %s",
              archive_error_string (c->a));
  if (c->err == 0 && c->lz)
    lzop_pump (c, NULL, 0, 1);
  if (c->err == 0)
    out_flush (c);
  if (c->err == 0)
    send_file_end (0);
  else if (!c->send_failed) {
    if (file_out_is_fd ())
      reply_with_error_errno (c->err, "%s", c->msg);
    else if (verbose)
      fprintf (stderr, "minnowd: %s\n", c->msg);
    send_file_end (1);
  }
  return c->err ? -1 : 0;
}

static void
archive_out_free (struct tar_out *c)
{
  if (c->a)
    archive_write_free (c->a);
  if (c->lz_in >= 0)
    close (c->lz_in);
  if (c->lz_out >= 0)
    close (c->lz_out);
  if (c->lz_errfd >= 0)
    close (c->lz_errfd);
  c->lz_in = c->lz_out = c->lz_errfd = -1;
  if (c->lz) {
    command_abort (c->lz);
    command_free (c->lz);
    c->lz = NULL;
  }
  if (c->lr)
    archive_entry_linkresolver_free (c->lr);
  free (c->obuf);
  free (c->dbuf);
}

static int
tree_out (const char *directory, int format, const char *compress,
          int numericowner, char *const *excludes, int xattrs, int selinux,
          int acls)
{
  struct tar_out c;
  struct resolved res;
  struct engine_stat st;
  char path[PATH_MAX];
  int r, external;

  memset (&c, 0, sizeof c);
  c.directory = directory;
  c.numericowner = numericowner;
  c.excludes = excludes;
  c.xattrs = xattrs;
  c.selinux = selinux;
  c.acls = acls;
  c.lz_in = c.lz_out = c.lz_errfd = -1;
  if ((external = check_compress (compress, 0)) < 0)
    return -1;
  r = resolve_path (directory, 0, &res);
  if (r == 0) {
    r = res.m->fs->ops->getattr (res.m->fs, res.ino, &st);
    if (r == 0 && !S_ISDIR (st.mode))
      r = -ENOTDIR;
    if (r < 0)
      resolved_free (&res);
  }
  if (r < 0) {
    reply_errno_path (r, directory);
    return -1;
  }
  snprintf (path, sizeof path, "%s", strcmp (res.path, "/") ? res.path : "");
  c.lr = archive_entry_linkresolver_new ();
  if (c.lr == NULL ||
      archive_out_begin (&c, format, compress, -1, external) < 0) {
    if (c.lr == NULL)
      reply_with_perror ("malloc");
    archive_out_free (&c);
    resolved_free (&res);
    return -1;
  }
  archive_entry_linkresolver_set_strategy (c.lr, archive_format (c.a));
  reply (NULL, NULL);
  /* From here errors end the stream (or, on the fast path, are the
   * call's error reply). */
  if (archive_write_open (c.a, &c, NULL, tar_write_cb, NULL) != ARCHIVE_OK)
    out_fail (&c, EIO, "libarchive: %s", archive_error_string (c.a));
  else if (write_member (&c, res.m, res.ino, path, strlen (path), "", 0)
           == 0) {
    /* Links the resolver still holds (cpio writes them last). */
    struct archive_entry *e = NULL, *spare = NULL;

    for (;;) {
      archive_entry_linkify (c.lr, &e, &spare);
      if (e == NULL)
        break;
      r = write_entry (&c, e);
      archive_entry_free (e);
      e = NULL;
      if (r < 0)
        break;
    }
  }
  r = archive_out_end (&c);
  archive_out_free (&c);
  resolved_free (&res);
  return r;
}

static int
tar_out (const char *directory, const char *compress, int numericowner,
         char *const *excludes, int xattrs, int selinux, int acls)
{
  return tree_out (directory, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, compress,
                   numericowner, excludes, xattrs, selinux, acls);
}

int
do_tar_out (const char *directory, const char *compress, int numericowner,
            char *const *excludes, int xattrs, int selinux, int acls)
{
  uint64_t b = optargs_bitmask;

  return tar_out (directory, (b & TAR_OUT_COMPRESS) ? compress : NULL,
                  (b & TAR_OUT_NUMERICOWNER) && numericowner,
                  (b & TAR_OUT_EXCLUDES) ? excludes : NULL,
                  (b & TAR_OUT_XATTRS) && xattrs,
                  (b & TAR_OUT_SELINUX) && selinux,
                  (b & TAR_OUT_ACLS) && acls);
}

int
do_tgz_out (const char *directory)
{
  return tar_out (directory, "gzip", 0, NULL, 0, 0, 0);
}

int
do_txz_out (const char *directory)
{
  return tar_out (directory, "xz", 0, NULL, 0, 0, 0);
}

int
do_cpio_out (const char *directory, const char *format)
{
  if ((optargs_bitmask & 1) && strcmp (format, "newc") != 0) {
    reply_with_error_errno (strcmp (format, "crc") == 0 ? ENOTSUP : EINVAL,
                            "%s: %s", format, strcmp (format, "crc") == 0
                            ? "this libarchive cannot write that format"
                            : "unknown cpio format (newc or crc)");
    return -1;
  }
  return tree_out (directory, ARCHIVE_FORMAT_CPIO_SVR4_NOCRC, NULL, 1, NULL,
                   0, 0, 0);
}

/* ---------------------------------------------------------------- */
/* compress_out, compress_device_out                                  */

static int
compress_out (const char *ctype, const char *where, int level)
{
  struct tar_out c;
  struct xfer_target t;
  struct archive_entry *e;
  uint64_t size, off = 0;
  int r, external;

  memset (&c, 0, sizeof c);
  if (filter_code (ctype) == ARCHIVE_FILTER_NONE) {
    reply_with_error_errno (EINVAL, "%s: not a compression", ctype);
    return -1;
  }
  c.lz_in = c.lz_out = c.lz_errfd = -1;
  if ((external = check_compress (ctype, 0)) < 0)
    return -1;
  if (xfer_target_open (&t, where, 0, 0) < 0)
    return -1;
  if (xfer_target_size (&t, &size) < 0 ||
      archive_out_begin (&c, ARCHIVE_FORMAT_RAW, ctype, level,
                         external) < 0) {
    archive_out_free (&c);
    xfer_target_close (&t);
    return -1;
  }
  reply (NULL, NULL);
  e = archive_entry_new ();
  if (e == NULL)
    out_fail (&c, ENOMEM, "out of memory");
  else {
    archive_entry_set_filetype (e, AE_IFREG);
    archive_entry_set_size (e, size);
    archive_entry_set_pathname (e, "data");
  }
  if (c.err == 0 &&
      (archive_write_open (c.a, &c, NULL, tar_write_cb, NULL) != ARCHIVE_OK ||
       archive_write_header (c.a, e) != ARCHIVE_OK))
    out_fail (&c, EIO, "libarchive: %s", archive_error_string (c.a));
  while (c.err == 0 && off < size) {
    size_t want = size - off < XFER_WRITE_RUN ? size - off : XFER_WRITE_RUN;
    ssize_t n = xfer_target_pread (&t, c.dbuf, want, off);

    if (n <= 0) {
      out_fail (&c, n == 0 ? EIO : (int) -n, "%s: %s", where,
                n == 0 ? "unexpected end of file" : strerror ((int) -n));
      break;
    }
    if (archive_write_data (c.a, c.dbuf, n) != n) {
      out_fail (&c, c.err ? c.err : EIO, "%s: %s", where,
                archive_error_string (c.a));
      break;
    }
    off += n;
    notify_progress (off, size);
  }
  archive_entry_free (e);
  r = archive_out_end (&c);
  archive_out_free (&c);
  xfer_target_close (&t);
  return r;
}

int
do_compress_out (const char *ctype, const char *file, int level)
{
  return compress_out (ctype, file, (optargs_bitmask & 1) ? level : -1);
}

int
do_compress_device_out (const char *ctype, const char *device, int level)
{
  return compress_out (ctype, device, (optargs_bitmask & 1) ? level : -1);
}
