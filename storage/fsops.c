/* minnow: operations on paths inside the mounted filesystems (core).
 * See fsops.h.  Created objects belong to root (0:0), as they do when
 * libguestfs's appliance creates them, with the mode masked by umask. */

#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fsops.h"

#define FS(m) ((m)->fs)
#define OPS(m) ((m)->fs->ops)

/* Existing object; its name and directory are in r when it has one. */
static int
lookup (const char *path, int nofollow, struct resolved *r)
{
  return resolve_path (path, nofollow ? RESOLVE_NOFOLLOW : 0, r);
}

/* A name to create: fails EEXIST when it exists.  follow: a final
 * symlink is followed (open (O_CREAT) does that). */
static int
lookup_new (const char *path, int follow, struct resolved *r)
{
  int ret;

  ret = resolve_path (path, RESOLVE_CREATE | (follow ? 0 : RESOLVE_NOFOLLOW),
                      r);
  if (ret < 0)
    return ret;
  if (r->exists) {
    resolved_free (r);
    return -EEXIST;
  }
  if (r->dm->readonly) {
    resolved_free (r);
    return -EROFS;
  }
  return 0;
}

/* For unlink, rmdir, rename: the object must have a name in a directory
 * of the same filesystem and must not be a mount's root. */
static int
lookup_named (const char *path, struct resolved *r)
{
  int ret = lookup (path, 1, r);

  if (ret < 0)
    return ret;
  if (r->is_mountpoint || r->name[0] == '\0'
      || storage_loop_pins (r->m, r->ino)) {
    resolved_free (r);
    return -EBUSY;              /* a mount, or an image mount_loop uses */
  }
  if (r->dm->readonly) {
    resolved_free (r);
    return -EROFS;
  }
  return 0;
}

int
fsop_stat (const char *path, int nofollow, struct engine_stat *st)
{
  struct resolved r;
  int ret;

  ret = lookup (path, nofollow, &r);
  if (ret < 0)
    return ret;
  ret = OPS (r.m)->getattr (FS (r.m), r.ino, st);
  resolved_free (&r);
  return ret;
}

int
fsop_exists (const char *path)
{
  struct engine_stat st;
  int ret = fsop_stat (path, 0, &st);

  if (ret == -ENOENT || ret == -ENOTDIR)
    return 0;
  return ret < 0 ? ret : 1;
}

int
fsop_mkdir (const char *path, uint32_t mode)
{
  struct resolved r;
  int ret;

  ret = lookup_new (path, 0, &r);
  if (ret < 0)
    return ret;
  ret = OPS (r.dm)->mkdir (FS (r.dm), r.dir, r.name,
                           mode & 07777 & ~storage_umask, 0, 0, NULL);
  resolved_free (&r);
  return ret;
}

static char *
parent_of (const char *path)
{
  char *p = strdup (path), *slash;
  size_t n;

  if (p == NULL)
    return NULL;
  n = strlen (p);
  while (n > 1 && p[n - 1] == '/')
    p[--n] = '\0';
  slash = strrchr (p, '/');
  if (slash == p)
    p[1] = '\0';
  else if (slash)
    *slash = '\0';
  return p;
}

int
fsop_mkdir_p (const char *path, uint32_t mode)
{
  struct engine_stat st;
  int ret;

  ret = fsop_mkdir (path, mode);
  if (ret == -ENOENT) {
    char *parent = parent_of (path);
    if (parent == NULL)
      return -ENOMEM;
    if (strcmp (parent, path) != 0)
      ret = fsop_mkdir_p (parent, mode);
    free (parent);
    if (ret < 0 && ret != -ENOENT)
      return ret;
    ret = fsop_mkdir (path, mode);
  }
  if (ret == -EEXIST) {
    ret = fsop_stat (path, 0, &st);
    if (ret == 0 && !S_ISDIR (st.mode))
      ret = -EEXIST;
  }
  return ret;
}

int
fsop_mknod (const char *path, uint32_t mode, uint64_t rdev)
{
  struct resolved r;
  int ret;

  ret = lookup_new (path, 0, &r);
  if (ret < 0)
    return ret;
  ret = OPS (r.dm)->mknod (FS (r.dm), r.dir, r.name,
                           (mode & S_IFMT) | (mode & 07777 & ~storage_umask),
                           rdev, 0, 0, NULL);
  resolved_free (&r);
  return ret;
}

static int
create_file (const char *path, struct resolved *r, uint64_t *ino_r)
{
  int ret;

  ret = resolve_path (path, RESOLVE_CREATE, r);
  if (ret < 0)
    return ret;
  if (r->exists) {
    *ino_r = r->ino;
    return 0;
  }
  if (r->dm->readonly) {
    resolved_free (r);
    return -EROFS;
  }
  ret = OPS (r->dm)->mknod (FS (r->dm), r->dir, r->name,
                            S_IFREG | (0666 & ~storage_umask), 0, 0, 0, ino_r);
  if (ret < 0) {
    resolved_free (r);
    return ret;
  }
  r->m = r->dm;
  r->ino = *ino_r;
  r->exists = 1;
  return 0;
}

int
fsop_touch (const char *path)
{
  struct resolved r;
  struct engine_stat st;
  struct engine_setattr sa;
  uint64_t ino;
  struct timespec ts;
  int existed, ret;

  ret = resolve_path (path, RESOLVE_CREATE, &r);
  if (ret < 0)
    return ret;
  existed = r.exists;
  resolved_free (&r);
  ret = create_file (path, &r, &ino);
  if (ret < 0)
    return ret;
  if (existed) {
    ret = OPS (r.m)->getattr (FS (r.m), ino, &st);
    if (ret == 0 && !S_ISREG (st.mode))
      ret = S_ISDIR (st.mode) ? -EISDIR : -EINVAL;
    if (ret == 0) {
      clock_gettime (CLOCK_REALTIME, &ts);
      memset (&sa, 0, sizeof sa);
      sa.mask = ENGINE_SET_ATIME | ENGINE_SET_MTIME;
      sa.atime_sec = sa.mtime_sec = ts.tv_sec;
      sa.atime_nsec = sa.mtime_nsec = ts.tv_nsec;
      ret = OPS (r.m)->setattr (FS (r.m), ino, &sa);
    }
  }
  resolved_free (&r);
  return ret;
}

int
fsop_symlink (const char *target, const char *linkpath)
{
  struct resolved r;
  int ret;

  ret = lookup_new (linkpath, 0, &r);
  if (ret < 0)
    return ret;
  ret = OPS (r.dm)->symlink (FS (r.dm), r.dir, r.name, target, 0, 0, NULL);
  resolved_free (&r);
  return ret;
}

int
fsop_link (const char *target, const char *linkpath)
{
  struct resolved t, r;
  int ret;

  ret = lookup (target, 1, &t);
  if (ret < 0)
    return ret;
  ret = lookup_new (linkpath, 0, &r);
  if (ret < 0) {
    resolved_free (&t);
    return ret;
  }
  if (t.m != r.dm)
    ret = -EXDEV;
  else
    ret = OPS (r.dm)->link (FS (r.dm), r.dir, r.name, t.ino);
  resolved_free (&t);
  resolved_free (&r);
  return ret;
}

int
fsop_write (const char *path, const void *buf, size_t len, int append)
{
  struct resolved r;
  struct engine_stat st;
  uint64_t ino;
  ssize_t n;
  int ret;

  ret = create_file (path, &r, &ino);
  if (ret < 0)
    return ret;
  if (r.m->readonly) {
    ret = -EROFS;
    goto out;
  }
  ret = OPS (r.m)->getattr (FS (r.m), ino, &st);
  if (ret < 0)
    goto out;
  if (!S_ISREG (st.mode)) {
    ret = S_ISDIR (st.mode) ? -EISDIR : -EINVAL;
    goto out;
  }
  if (!append && st.size > 0) {
    ret = OPS (r.m)->truncate (FS (r.m), ino, 0);
    if (ret < 0)
      goto out;
    st.size = 0;
  }
  if (len > 0) {
    n = OPS (r.m)->pwrite (FS (r.m), ino, buf, len, append ? st.size : 0);
    if (n < 0)
      ret = (int) n;
    else if ((size_t) n != len)
      ret = -ENOSPC;
  }
 out:
  resolved_free (&r);
  return ret;
}

/* An existing regular file. */
static int
lookup_file (const char *path, struct resolved *r, struct engine_stat *st)
{
  int ret = lookup (path, 0, r);

  if (ret < 0)
    return ret;
  ret = OPS (r->m)->getattr (FS (r->m), r->ino, st);
  if (ret == 0 && !S_ISREG (st->mode))
    ret = S_ISDIR (st->mode) ? -EISDIR : -EINVAL;
  if (ret < 0)
    resolved_free (r);
  return ret;
}

ssize_t
fsop_pwrite (const char *path, const void *buf, size_t len, int64_t offset)
{
  struct resolved r;
  struct engine_stat st;
  ssize_t n;
  int ret;

  if (offset < 0)
    return -EINVAL;
  if (storage_stop_requested ())
    return -EINTR;
  ret = lookup_file (path, &r, &st);
  if (ret < 0)
    return ret;
  n = r.m->readonly ? -EROFS
    : OPS (r.m)->pwrite (FS (r.m), r.ino, buf, len, offset);
  resolved_free (&r);
  return n;
}

ssize_t
fsop_pread (const char *path, void *buf, size_t len, int64_t offset)
{
  struct resolved r;
  struct engine_stat st;
  ssize_t n;
  int ret;

  if (offset < 0)
    return -EINVAL;
  if (storage_stop_requested ())
    return -EINTR;
  ret = lookup_file (path, &r, &st);
  if (ret < 0)
    return ret;
  n = OPS (r.m)->pread (FS (r.m), r.ino, buf, len, offset);
  resolved_free (&r);
  return n;
}

int
fsop_read_all (const char *path, char **buf_r, size_t *len_r, size_t max)
{
  struct resolved r;
  struct engine_stat st;
  char *buf;
  ssize_t n;
  int ret;

  ret = lookup_file (path, &r, &st);
  if (ret < 0)
    return ret;
  if (st.size > max) {
    resolved_free (&r);
    return -EFBIG;
  }
  buf = malloc (st.size + 1);
  if (buf == NULL) {
    resolved_free (&r);
    return -ENOMEM;
  }
  n = OPS (r.m)->pread (FS (r.m), r.ino, buf, st.size, 0);
  resolved_free (&r);
  if (n < 0) {
    free (buf);
    return (int) n;
  }
  buf[n] = '\0';
  *buf_r = buf;
  *len_r = n;
  return 0;
}

int
fsop_truncate (const char *path, uint64_t size)
{
  struct resolved r;
  struct engine_stat st;
  int ret;

  ret = lookup_file (path, &r, &st);
  if (ret < 0)
    return ret;
  ret = r.m->readonly ? -EROFS
    : storage_loop_pins (r.m, r.ino) ? -EBUSY
    : OPS (r.m)->truncate (FS (r.m), r.ino, size);
  resolved_free (&r);
  return ret;
}

int
fsop_fallocate (const char *path, uint64_t len)
{
  struct resolved r;
  uint64_t ino;
  int ret;

  ret = create_file (path, &r, &ino);
  if (ret < 0)
    return ret;
  ret = r.m->readonly ? -EROFS
    : OPS (r.m)->fallocate (FS (r.m), ino, 0, len);
  resolved_free (&r);
  return ret;
}

int
fsop_unlink (const char *path)
{
  struct resolved r;
  int ret;

  ret = lookup_named (path, &r);
  if (ret < 0)
    return ret;
  ret = OPS (r.dm)->unlink (FS (r.dm), r.dir, r.name);
  resolved_free (&r);
  return ret;
}

int
fsop_rmdir (const char *path)
{
  struct resolved r;
  int ret;

  ret = lookup (path, 1, &r);
  if (ret < 0)
    return ret;
  if (r.name[0] == '\0' || r.is_mountpoint)
    ret = strcmp (r.path, "/") == 0 || r.is_mountpoint ? -EBUSY : -EINVAL;
  else if (r.dm->readonly)
    ret = -EROFS;
  else
    ret = OPS (r.dm)->rmdir (FS (r.dm), r.dir, r.name);
  resolved_free (&r);
  return ret;
}

struct collect {
  struct fsop_dirent *ents;
  size_t n, alloc;
};

static int
collect_one (void *opaque, const char *name, size_t namelen, uint64_t ino,
             enum engine_dtype type)
{
  struct collect *c = opaque;

  if (strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
    return 0;
  if (c->n == c->alloc) {
    size_t na = c->alloc ? c->alloc * 2 : 32;
    struct fsop_dirent *e = realloc (c->ents, na * sizeof *e);
    if (e == NULL)
      return -ENOMEM;
    c->ents = e;
    c->alloc = na;
  }
  c->ents[c->n].name = strndup (name, namelen);
  if (c->ents[c->n].name == NULL)
    return -ENOMEM;
  c->ents[c->n].ino = ino;
  c->ents[c->n].type = type;
  c->n++;
  return 0;
}

static int
read_dir (struct mount *m, uint64_t dir, struct fsop_dirent **ents_r,
          size_t *n_r)
{
  struct collect c = { 0 };
  size_t i;
  int ret;

  ret = OPS (m)->readdir (FS (m), dir, collect_one, &c);
  if (ret < 0) {
    fsop_dirents_free (c.ents, c.n);
    return ret;
  }
  /* Engines may not know the type (ext2 without filetype): ask. */
  for (i = 0; i < c.n; i++)
    if (c.ents[i].type == ENGINE_DT_UNKNOWN) {
      struct engine_stat st;
      if (OPS (m)->getattr (FS (m), c.ents[i].ino, &st) == 0)
        c.ents[i].type = (st.mode & S_IFMT) >> 12;
    }
  *ents_r = c.ents;
  *n_r = c.n;
  return 0;
}

void
fsop_dirents_free (struct fsop_dirent *ents, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    free (ents[i].name);
  free (ents);
}

int
fsop_readdir (const char *path, struct fsop_dirent **ents_r, size_t *n_r)
{
  struct resolved r;
  int ret;

  ret = lookup (path, 0, &r);
  if (ret < 0)
    return ret;
  ret = read_dir (r.m, r.ino, ents_r, n_r);
  resolved_free (&r);
  return ret;
}

/* Removes everything inside directory dir of m. */
static int
empty_dir (struct mount *m, uint64_t dir, int depth)
{
  struct fsop_dirent *ents;
  size_t n, i;
  int ret;

  if (OPS (m)->remove_tree)
    return OPS (m)->remove_tree (FS (m), dir);
  if (depth > 4096)
    return -ELOOP;
  ret = read_dir (m, dir, &ents, &n);
  if (ret < 0)
    return ret;
  for (i = 0; i < n && ret == 0; i++) {
    if (storage_stop_requested ())
      ret = -EINTR;
    else if (ents[i].type == ENGINE_DT_DIR) {
      ret = empty_dir (m, ents[i].ino, depth + 1);
      if (ret == 0)
        ret = OPS (m)->rmdir (FS (m), dir, ents[i].name);
    } else
      ret = OPS (m)->unlink (FS (m), dir, ents[i].name);
  }
  fsop_dirents_free (ents, n);
  return ret;
}

static int
has_mount_below (const char *path)
{
  size_t i, n = strlen (path);

  for (i = 0; i < mount_count; i++) {
    const char *mp = mount_table[i].mountpoint;
    if (strcmp (path, "/") == 0 ? strcmp (mp, "/") != 0
        : strncmp (mp, path, n) == 0 && mp[n] == '/')
      return 1;
  }
  return 0;
}

int
fsop_rm_rf (const char *path)
{
  struct resolved r;
  struct engine_stat st;
  int ret;

  ret = lookup (path, 1, &r);
  if (ret == -ENOENT)
    return 0;
  if (ret < 0)
    return ret;
  if (r.m->readonly) {
    ret = -EROFS;
    goto out;
  }
  ret = OPS (r.m)->getattr (FS (r.m), r.ino, &st);
  if (ret < 0)
    goto out;
  if (S_ISDIR (st.mode)) {
    if (has_mount_below (r.path)) {
      ret = -EBUSY;
      goto out;
    }
    ret = empty_dir (r.m, r.ino, 0);
    if (ret == 0 && r.name[0] && !r.is_mountpoint)
      ret = OPS (r.dm)->rmdir (FS (r.dm), r.dir, r.name);
  } else if (storage_loop_pins (r.m, r.ino))
    ret = -EBUSY;
  else
    ret = OPS (r.dm)->unlink (FS (r.dm), r.dir, r.name);
 out:
  resolved_free (&r);
  return ret;
}

int
fsop_rename (const char *oldpath, const char *newpath)
{
  struct resolved o, n;
  struct engine_stat st;
  size_t ol;
  int ret;

  ret = lookup_named (oldpath, &o);
  if (ret < 0)
    return ret;
  ret = resolve_path (newpath, RESOLVE_CREATE | RESOLVE_NOFOLLOW, &n);
  if (ret < 0) {
    resolved_free (&o);
    return ret;
  }
  if (n.name[0] == '\0' || (n.exists && n.is_mountpoint)
      || (n.exists && storage_loop_pins (n.m, n.ino)))
    ret = -EBUSY;
  else if (o.dm != n.dm)
    ret = -EXDEV;
  else if ((ret = OPS (o.m)->getattr (FS (o.m), o.ino, &st)) == 0) {
    ol = strlen (o.path);
    if (S_ISDIR (st.mode) && strncmp (n.path, o.path, ol) == 0
        && n.path[ol] == '/')
      ret = -EINVAL;          /* a directory into itself */
    else
      ret = OPS (o.dm)->rename (FS (o.dm), o.dir, o.name, n.dir, n.name);
  }
  resolved_free (&o);
  resolved_free (&n);
  return ret;
}

int
fsop_readlink (const char *path, char **target_r)
{
  struct resolved r;
  int ret;

  ret = lookup (path, 1, &r);
  if (ret < 0)
    return ret;
  ret = OPS (r.m)->readlink (FS (r.m), r.ino, target_r);
  resolved_free (&r);
  return ret < 0 ? ret : 0;
}

int
fsop_realpath (const char *path, char **path_r)
{
  struct resolved r;
  int ret;

  ret = lookup (path, 0, &r);
  if (ret < 0)
    return ret;
  *path_r = r.path;
  return 0;
}

static int
setattr (const char *path, int nofollow, struct engine_setattr *sa)
{
  struct resolved r;
  int ret;

  ret = lookup (path, nofollow, &r);
  if (ret < 0)
    return ret;
  ret = r.m->readonly ? -EROFS : OPS (r.m)->setattr (FS (r.m), r.ino, sa);
  resolved_free (&r);
  return ret;
}

int
fsop_chmod (const char *path, uint32_t mode)
{
  struct engine_setattr sa = { .mask = ENGINE_SET_MODE, .mode = mode };

  return setattr (path, 0, &sa);
}

int
fsop_chown (const char *path, int nofollow, int uid, int gid)
{
  struct engine_setattr sa = { 0 };

  if (uid != -1) {
    sa.mask |= ENGINE_SET_UID;
    sa.uid = uid;
  }
  if (gid != -1) {
    sa.mask |= ENGINE_SET_GID;
    sa.gid = gid;
  }
  return setattr (path, nofollow, &sa);
}

/* libguestfs's utimens: nsecs -1 means now, -2 leaves the time alone;
 * a final symlink is not followed. */
int
fsop_utimens (const char *path, int64_t atsecs, int64_t atnsecs,
              int64_t mtsecs, int64_t mtnsecs)
{
  struct engine_setattr sa = { 0 };
  struct timespec ts;

  if (atnsecs < -2 || atnsecs > 999999999 || mtnsecs < -2
      || mtnsecs > 999999999)
    return -EINVAL;
  clock_gettime (CLOCK_REALTIME, &ts);
  if (atnsecs != -2) {
    sa.mask |= ENGINE_SET_ATIME;
    sa.atime_sec = atnsecs == -1 ? ts.tv_sec : atsecs;
    sa.atime_nsec = atnsecs == -1 ? ts.tv_nsec : atnsecs;
  }
  if (mtnsecs != -2) {
    sa.mask |= ENGINE_SET_MTIME;
    sa.mtime_sec = mtnsecs == -1 ? ts.tv_sec : mtsecs;
    sa.mtime_nsec = mtnsecs == -1 ? ts.tv_nsec : mtnsecs;
  }
  /* libguestfs: a symlink's own times change, never its target's. */
  return setattr (path, 1, &sa);
}

struct xcollect {
  struct fsop_xattr *xs;
  size_t n, alloc;
};

static int
xcollect_one (void *opaque, const char *name, const void *value, size_t len)
{
  struct xcollect *c = opaque;

  if (c->n == c->alloc) {
    size_t na = c->alloc ? c->alloc * 2 : 8;
    struct fsop_xattr *x = realloc (c->xs, na * sizeof *x);
    if (x == NULL)
      return -ENOMEM;
    c->xs = x;
    c->alloc = na;
  }
  c->xs[c->n].name = strdup (name);
  c->xs[c->n].value = malloc (len + 1);
  if (c->xs[c->n].name == NULL || c->xs[c->n].value == NULL) {
    free (c->xs[c->n].name);
    free (c->xs[c->n].value);
    return -ENOMEM;
  }
  memcpy (c->xs[c->n].value, value, len);
  c->xs[c->n].value[len] = '\0';
  c->xs[c->n].len = len;
  c->n++;
  return 0;
}

int
fsop_listxattrs (const char *path, int nofollow, struct fsop_xattr **xs_r,
                 size_t *n_r)
{
  struct resolved r;
  struct xcollect c = { 0 };
  int ret;

  ret = lookup (path, nofollow, &r);
  if (ret < 0)
    return ret;
  ret = OPS (r.m)->listxattr (FS (r.m), r.ino, xcollect_one, &c);
  resolved_free (&r);
  if (ret < 0) {
    fsop_xattrs_free (c.xs, c.n);
    return ret;
  }
  *xs_r = c.xs;
  *n_r = c.n;
  return 0;
}

void
fsop_xattrs_free (struct fsop_xattr *xs, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++) {
    free (xs[i].name);
    free (xs[i].value);
  }
  free (xs);
}

int
fsop_getxattr (const char *path, int nofollow, const char *name,
               char **value_r, size_t *len_r)
{
  struct resolved r;
  void *v;
  int ret;

  ret = lookup (path, nofollow, &r);
  if (ret < 0)
    return ret;
  ret = OPS (r.m)->getxattr (FS (r.m), r.ino, name, &v, len_r);
  resolved_free (&r);
  if (ret == 0)
    *value_r = v;
  return ret;
}

int
fsop_setxattr (const char *path, int nofollow, const char *name,
               const void *value, size_t len)
{
  struct resolved r;
  int ret;

  ret = lookup (path, nofollow, &r);
  if (ret < 0)
    return ret;
  ret = r.m->readonly ? -EROFS
    : OPS (r.m)->setxattr (FS (r.m), r.ino, name, value, len);
  resolved_free (&r);
  return ret;
}

int
fsop_removexattr (const char *path, int nofollow, const char *name)
{
  struct resolved r;
  int ret;

  ret = lookup (path, nofollow, &r);
  if (ret < 0)
    return ret;
  ret = r.m->readonly ? -EROFS
    : OPS (r.m)->removexattr (FS (r.m), r.ino, name);
  resolved_free (&r);
  return ret;
}

int
fsop_statvfs (const char *path, struct engine_statvfs *sv)
{
  struct resolved r;
  int ret;

  ret = lookup (path, 0, &r);
  if (ret < 0)
    return ret;
  ret = OPS (r.m)->statvfs (FS (r.m), sv);
  resolved_free (&r);
  return ret;
}

/* ---------------------------------------------------------------- */
/* Copying.                                                           */

static char *
join (const char *dir, const char *name)
{
  char *p;

  if (asprintf (&p, "%s%s%s", dir,
                dir[strlen (dir) - 1] == '/' ? "" : "/", name) == -1)
    return NULL;
  return p;
}

static const char *
base_name (const char *path)
{
  const char *s = strrchr (path, '/');

  return s ? s + 1 : path;
}

/* Copies the bytes of src into dest (created or truncated). */
static int
copy_contents (const char *src, const char *dest)
{
  struct resolved s, d;
  struct engine_stat st;
  uint64_t ino, off = 0;
  char *buf;
  int ret;

  ret = lookup_file (src, &s, &st);
  if (ret < 0)
    return ret;
  ret = create_file (dest, &d, &ino);
  if (ret < 0) {
    resolved_free (&s);
    return ret;
  }
  buf = malloc (1 << 20);
  if (buf == NULL)
    ret = -ENOMEM;
  else if (d.m->readonly)
    ret = -EROFS;
  else {
    struct engine_stat dst;
    ret = OPS (d.m)->getattr (FS (d.m), ino, &dst);
    if (ret == 0 && !S_ISREG (dst.mode))
      ret = S_ISDIR (dst.mode) ? -EISDIR : -EINVAL;
    if (ret == 0 && (d.m != s.m || ino != s.ino))
      ret = OPS (d.m)->truncate (FS (d.m), ino, 0);
    else if (ret == 0)
      ret = -EINVAL;            /* same file */
  }
  while (ret == 0 && off < st.size) {
    ssize_t n;

    if (storage_stop_requested ()) {
      ret = -EINTR;
      break;
    }
    n = OPS (s.m)->pread (FS (s.m), s.ino, buf, 1 << 20, off);
    if (n <= 0) {
      ret = n < 0 ? (int) n : 0;
      break;
    }
    /* Holes stay holes: skip blocks that read as zeroes. */
    {
      static const char zero[4096];
      ssize_t k;
      for (k = 0; k < n && ret == 0; k += 4096) {
        size_t len = n - k < 4096 ? n - k : 4096;
        if (memcmp (buf + k, zero, len) == 0 && off + k + len < st.size)
          continue;
        ssize_t w = OPS (d.m)->pwrite (FS (d.m), ino, buf + k, len, off + k);
        if (w < 0)
          ret = (int) w;
      }
    }
    off += n;
  }
  if (ret == 0 && st.size > 0) {
    struct engine_stat dst;
    ret = OPS (d.m)->getattr (FS (d.m), ino, &dst);
    if (ret == 0 && dst.size < st.size)
      ret = OPS (d.m)->truncate (FS (d.m), ino, st.size);
  }
  free (buf);
  resolved_free (&s);
  resolved_free (&d);
  return ret;
}

int
fsop_copy_file (const char *src, const char *dest)
{
  struct engine_stat st;
  char *target;
  int ret;

  if (fsop_stat (dest, 0, &st) == 0 && S_ISDIR (st.mode)) {
    target = join (dest, base_name (src));
    if (target == NULL)
      return -ENOMEM;
    ret = copy_contents (src, target);
    free (target);
    return ret;
  }
  return copy_contents (src, dest);
}

static int
copy_attrs (const char *src, const char *dest, const struct engine_stat *st)
{
  struct engine_setattr sa = {
    .mask = ENGINE_SET_UID | ENGINE_SET_GID | ENGINE_SET_ATIME
      | ENGINE_SET_MTIME,
    .uid = st->uid, .gid = st->gid,
    .atime_sec = st->atime_sec, .atime_nsec = st->atime_nsec,
    .mtime_sec = st->mtime_sec, .mtime_nsec = st->mtime_nsec,
  };
  struct fsop_xattr *xs;
  size_t n, i;
  int ret;

  if (!S_ISLNK (st->mode)) {
    sa.mask |= ENGINE_SET_MODE;
    sa.mode = st->mode & 07777;
  }
  ret = fsop_listxattrs (src, 1, &xs, &n);
  if (ret < 0)
    return ret;
  for (i = 0; i < n && ret == 0; i++)
    ret = fsop_setxattr (dest, 1, xs[i].name, xs[i].value, xs[i].len);
  fsop_xattrs_free (xs, n);
  if (ret < 0)
    return ret;
  return setattr (dest, 1, &sa);
}

static int
copy_tree (const char *src, const char *dest, int archive, int depth)
{
  struct engine_stat st;
  int ret;

  if (depth > 1024)
    return -ELOOP;
  if (storage_stop_requested ())
    return -EINTR;
  ret = fsop_stat (src, archive, &st);
  if (ret < 0)
    return ret;
  if (S_ISDIR (st.mode)) {
    struct fsop_dirent *ents;
    size_t n, i;

    ret = fsop_mkdir (dest, st.mode & 07777);
    if (ret == -EEXIST) {
      struct engine_stat dst;
      ret = fsop_stat (dest, 0, &dst);
      if (ret == 0 && !S_ISDIR (dst.mode))
        ret = -ENOTDIR;
    }
    if (ret < 0)
      return ret;
    ret = fsop_readdir (src, &ents, &n);
    if (ret < 0)
      return ret;
    for (i = 0; i < n && ret == 0; i++) {
      char *s = join (src, ents[i].name), *d = join (dest, ents[i].name);
      ret = s && d ? copy_tree (s, d, archive, depth + 1) : -ENOMEM;
      free (s);
      free (d);
    }
    fsop_dirents_free (ents, n);
  } else if (S_ISLNK (st.mode)) {
    char *target;
    ret = fsop_readlink (src, &target);
    if (ret < 0)
      return ret;
    ret = fsop_symlink (target, dest);
    free (target);
  } else if (S_ISREG (st.mode))
    ret = copy_contents (src, dest);
  else
    ret = fsop_mknod (dest, st.mode, st.rdev);
  if (ret == 0 && archive)
    ret = copy_attrs (src, dest, &st);
  return ret;
}

/* Whether the copy of directory src as dest would land inside src
 * (cp -r /a /a, cp -r //a /a/b): it would copy itself until the
 * filesystem is full. */
static int
copy_into_itself (const char *src, const char *dest, int archive)
{
  struct resolved s, d;
  struct engine_stat st;
  size_t sl;
  int inside = 0;

  if (lookup (src, archive, &s) < 0)
    return 0;
  if (OPS (s.m)->getattr (FS (s.m), s.ino, &st) == 0 && S_ISDIR (st.mode)
      && resolve_path (dest, RESOLVE_CREATE, &d) == 0) {
    sl = strlen (s.path);
    inside = strncmp (d.path, s.path, sl) == 0
      && (d.path[sl] == '\0' || d.path[sl] == '/'
          || (sl > 0 && s.path[sl - 1] == '/'));
    resolved_free (&d);
  }
  resolved_free (&s);
  return inside;
}

int
fsop_copy_tree (const char *src, const char *dest, int archive)
{
  struct engine_stat st;
  char *target = NULL;
  int ret;

  /* cp -r a b: into b when b is a directory, else as b. */
  if (fsop_stat (dest, 0, &st) == 0 && S_ISDIR (st.mode)) {
    target = join (dest, base_name (src));
    if (target == NULL)
      return -ENOMEM;
  }
  if (copy_into_itself (src, target ? target : dest, archive))
    ret = -EINVAL;              /* a directory into itself */
  else
    ret = copy_tree (src, target ? target : dest, archive, 0);
  free (target);
  return ret;
}
