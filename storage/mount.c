/* minnow: the mount table and path resolution inside the images.
 *
 * Paths never reach the host: each component is looked up by the engine
 * of the filesystem mounted there, ".." walks back along the resolved
 * chain (so it cannot climb above "/"), and symlink targets are spliced
 * in front of the remaining components, absolute ones restarting at our
 * "/".  More than 40 symlinks in one resolution give ELOOP, as Linux.
 *
 * Mount points made with mkmountpoint while nothing is mounted on "/"
 * are names only (there is no filesystem to hold them): with "/"
 * unmounted, a path is walked by name through them until it reaches a
 * mounted filesystem, and ".." from the root of such a filesystem goes
 * back into them.  A path that ends on one of them, not on a mounted
 * filesystem, has no object (ENODEV).
 */

#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage.h"

struct mount *mount_table;
size_t mount_count;
unsigned storage_umask = 022;

#define MAX_SYMLINKS 40
#define MAX_PATH 4096

/* The mount points made by mkmountpoint with "/" unmounted: canonical
 * paths, each one's parent "/" or another of them. */
static char **virtual_dirs;
static size_t virtual_count;

static int
is_virtual_dir (const char *canonical)
{
  size_t i;

  if (strcmp (canonical, "/") == 0)
    return 1;
  for (i = 0; i < virtual_count; i++)
    if (strcmp (virtual_dirs[i], canonical) == 0)
      return 1;
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

struct mount *
storage_mount_of_device (const char *device)
{
  size_t i;

  for (i = 0; i < mount_count; i++)
    if (strcmp (mount_table[i].device, device) == 0)
      return &mount_table[i];
  return NULL;
}

/* ---------------------------------------------------------------- */
/* Resolution.                                                        */

struct step {
  struct mount *m;
  uint64_t ino;
  size_t pathlen;               /* length of the canonical path up to here */
};

struct walk {
  struct step *stack;
  size_t depth, alloc;
  char path[MAX_PATH + 1];      /* canonical path of the top of the stack */
  /* Components still to walk, as a string we consume from the front. */
  char *rest;
};

static int
push (struct walk *w, struct mount *m, uint64_t ino, const char *name)
{
  size_t len = strlen (w->path), nlen = strlen (name);

  if (w->depth == w->alloc) {
    size_t n = w->alloc ? w->alloc * 2 : 16;
    struct step *s = realloc (w->stack, n * sizeof *s);
    if (s == NULL)
      return -ENOMEM;
    w->stack = s;
    w->alloc = n;
  }
  if (w->depth > 0) {
    if (len + (len > 1) + nlen > MAX_PATH)
      return -ENAMETOOLONG;
    if (len > 1)
      w->path[len++] = '/';
    memcpy (w->path + len, name, nlen + 1);
  }
  w->stack[w->depth].m = m;
  w->stack[w->depth].ino = ino;
  w->stack[w->depth].pathlen = strlen (w->path);
  w->depth++;
  return 0;
}

static void
pop (struct walk *w)
{
  if (w->depth > 1) {
    w->depth--;
    w->path[w->stack[w->depth - 1].pathlen] = '\0';
  }
}

static int next_component (struct walk *w, char comp[256], int *last,
                           int *slash);

/* With "/" unmounted: walks the components of w->rest by name through
 * the mount points of mkmountpoint ("." and ".." by name too) until
 * one has a filesystem mounted, which becomes the bottom of the stack.
 * -ENODEV when the path ends before reaching one (*vpath_r, when not
 * NULL, is then its canonical path), -ENOENT for a name that is not a
 * mount point. */
static int
enter_virtual (struct walk *w, char **vpath_r)
{
  char vpath[MAX_PATH + 1] = "/", comp[256];
  int last, slash, len;

  for (;;) {
    struct mount *m;
    size_t vl = strlen (vpath);

    len = next_component (w, comp, &last, &slash);
    if (len == -2)
      return -ENAMETOOLONG;
    if (len == -1) {
      if (vpath_r && (*vpath_r = strdup (vpath)) == NULL)
        return -ENOMEM;
      return -ENODEV;
    }
    if (strcmp (comp, ".") == 0)
      continue;
    if (strcmp (comp, "..") == 0) {
      char *p = strrchr (vpath, '/');
      if (p == vpath)
        vpath[1] = '\0';
      else
        *p = '\0';
      continue;
    }
    if (vl + 1 + (size_t) len > MAX_PATH)
      return -ENAMETOOLONG;
    if (vl > 1)
      vpath[vl++] = '/';
    memcpy (vpath + vl, comp, (size_t) len + 1);
    if ((m = mount_at (vpath)) != NULL) {
      w->depth = 0;
      strcpy (w->path, vpath);
      return push (w, m, m->fs->ops->root (m->fs), "");
    }
    if (!is_virtual_dir (vpath))
      return -ENOENT;
  }
}

static int
reset_to_root (struct walk *w)
{
  struct mount *root = mount_at ("/");

  if (root == NULL)
    return enter_virtual (w, NULL);
  w->depth = 0;
  strcpy (w->path, "/");
  return push (w, root, root->fs->ops->root (root->fs), "");
}

/* With "/" unmounted: 0 and *canonical_r (malloc'd) when path names "/"
 * or a mount point of mkmountpoint with nothing mounted on it; 1 when
 * the path leads into a mounted filesystem; or a negative errno. */
static int
virtual_canonical (const char *path, char **canonical_r)
{
  struct walk w = { 0 };
  char *owned;
  int r;

  *canonical_r = NULL;
  if (path == NULL || path[0] != '/')
    return -EINVAL;
  if (strlen (path) > MAX_PATH)
    return -ENAMETOOLONG;
  owned = strdup (path);
  if (owned == NULL)
    return -ENOMEM;
  w.rest = owned;
  r = enter_virtual (&w, canonical_r);
  free (w.stack);
  free (owned);
  if (r == -ENODEV && *canonical_r)
    return 0;
  return r == 0 ? 1 : r;
}

/* Takes the next component off w->rest into comp; returns its length,
 * or -1 when none is left.  *last is set when no component follows;
 * *slash when a '/' follows it (so the object must be a directory). */
static int
next_component (struct walk *w, char comp[256], int *last, int *slash)
{
  char *p = w->rest;
  size_t len;

  while (*p == '/')
    p++;
  if (*p == '\0')
    return -1;
  len = strcspn (p, "/");
  if (len > 255)
    return -2;
  memcpy (comp, p, len);
  comp[len] = '\0';
  p += len;
  *slash = *p == '/';
  while (*p == '/')
    p++;
  *last = *p == '\0';
  w->rest = p;
  return (int) len;
}

/* Puts target in front of what remains to walk. */
static int
splice (struct walk *w, char **owned, const char *target)
{
  size_t tl = strlen (target), rl = strlen (w->rest);
  char *s;

  if (tl + rl + 2 > 2 * MAX_PATH)
    return -ENAMETOOLONG;
  s = malloc (tl + rl + 2);
  if (s == NULL)
    return -ENOMEM;
  memcpy (s, target, tl);
  if (rl > 0) {
    s[tl] = '/';
    memcpy (s + tl + 1, w->rest, rl + 1);
  } else
    s[tl] = '\0';                /* no trailing '/': it would demand a dir */
  free (*owned);
  *owned = s;
  w->rest = s;
  return 0;
}

int
resolve_path (const char *path, unsigned flags, struct resolved *r)
{
  struct walk w = { 0 };
  char *owned = NULL;
  char comp[256];
  int symlinks = 0, last = 0, slash = 0, len, ret;
  struct step *top;

  memset (r, 0, sizeof *r);
  if (path == NULL || path[0] != '/')
    return -EINVAL;
  if (strlen (path) > MAX_PATH)
    return -ENAMETOOLONG;
  if (mount_at ("/") == NULL && virtual_count == 0)
    return -ENODEV;
  owned = strdup (path);
  if (owned == NULL)
    return -ENOMEM;
  w.rest = owned;
  ret = reset_to_root (&w);
  if (ret < 0)
    goto out;

  for (;;) {
    struct mount *m;
    uint64_t child;
    struct engine_stat st;
    char sub[MAX_PATH + 260];

    len = next_component (&w, comp, &last, &slash);
    if (len == -2) {
      ret = -ENAMETOOLONG;
      goto out;
    }
    if (len == -1) {
      /* "/" or a path ending in "." or "..": the directory on top. */
      top = &w.stack[w.depth - 1];
      r->m = top->m;
      r->ino = top->ino;
      r->exists = 1;
      r->is_mountpoint = top->ino == top->m->fs->ops->root (top->m->fs);
      break;
    }
    if (strcmp (comp, ".") == 0)
      continue;
    if (strcmp (comp, "..") == 0) {
      if (w.depth == 1 && strcmp (w.path, "/") != 0) {
        /* Above the root of a filesystem mounted on a mount point of
         * mkmountpoint: back to the names. */
        char parent[MAX_PATH + 1], *p;

        strcpy (parent, w.path);
        p = strrchr (parent, '/');
        if (p == parent)
          p[1] = '\0';
        else
          *p = '\0';
        ret = splice (&w, &owned, parent);
        if (ret == 0)
          ret = reset_to_root (&w);
        if (ret < 0)
          goto out;
        continue;
      }
      pop (&w);
      continue;
    }

    top = &w.stack[w.depth - 1];
    ret = top->m->fs->ops->lookup (top->m->fs, top->ino, comp, &child);
    if (ret == -ENOENT && last && (flags & RESOLVE_CREATE)) {
      r->dm = top->m;
      r->dir = top->ino;
      strcpy (r->name, comp);
      r->exists = 0;
      ret = push (&w, top->m, 0, comp);
      if (ret < 0)
        goto out;
      ret = 0;
      break;
    }
    if (ret < 0)
      goto out;

    /* A filesystem mounted here hides the directory below. */
    m = top->m;
    if (mount_count > 1) {
      size_t pl = strlen (w.path);
      snprintf (sub, sizeof sub, "%s%s%s", w.path, pl > 1 ? "/" : "", comp);
      if ((m = mount_at (sub)) != NULL)
        child = m->fs->ops->root (m->fs);
      else
        m = top->m;
    }

    ret = m->fs->ops->getattr (m->fs, child, &st);
    if (ret < 0)
      goto out;
    if (S_ISLNK (st.mode) && (!last || slash || !(flags & RESOLVE_NOFOLLOW))) {
      char *target;

      if (++symlinks > MAX_SYMLINKS) {
        ret = -ELOOP;
        goto out;
      }
      ret = m->fs->ops->readlink (m->fs, child, &target);
      if (ret < 0)
        goto out;
      ret = splice (&w, &owned, target);
      if (ret == 0 && target[0] == '/')
        ret = reset_to_root (&w);
      free (target);
      if (ret < 0)
        goto out;
      continue;
    }
    if ((!last || slash) && !S_ISDIR (st.mode)) {
      ret = -ENOTDIR;
      goto out;
    }
    if (last) {
      r->m = m;
      r->ino = child;
      r->dm = top->m;
      r->dir = top->ino;
      strcpy (r->name, comp);
      r->exists = 1;
      r->is_mountpoint = m != top->m;
      ret = push (&w, m, child, comp);
      if (ret < 0)
        goto out;
      break;
    }
    ret = push (&w, m, child, comp);
    if (ret < 0)
      goto out;
  }

  r->path = strdup (w.path);
  ret = r->path ? 0 : -ENOMEM;

 out:
  free (w.stack);
  free (owned);
  if (ret < 0)
    memset (r, 0, sizeof *r);
  return ret;
}

void
resolved_free (struct resolved *r)
{
  free (r->path);
  r->path = NULL;
}

/* ---------------------------------------------------------------- */
/* Mounting.                                                          */

/* Probes and opens the filesystem of range (named device in messages),
 * recovering a journal first when the engine asks for it. */
static int
open_range (struct engine_range *range, const char *device,
            struct engine_fs **fs_r, char **error_r)
{
  const struct engine_ops *ops;
  const char *type;
  char *msg = NULL;
  int r;

  ops = engine_probe (range, &type);
  if (ops == NULL) {
    storage_set_error (error_r, "%s: no filesystem that minnow can mount",
               device);
    return -EINVAL;
  }
  r = ops->open (range, fs_r, &msg);
  if (r == ENGINE_NEEDS_RECOVERY && !range->readonly && ops->recover) {
    /* The journal needs replaying: the engine's recovery does it (its
     * fsck, for ext), then we retry. */
    char *rec_err = NULL;

    free (msg);
    msg = NULL;
    r = ops->recover (range, &rec_err);
    if (r < 0) {
      storage_set_error (error_r, "%s: %s", device,
                         rec_err ? rec_err : strerror (-r));
      free (rec_err);
      return r;
    }
    r = ops->open (range, fs_r, &msg);
  }
  if (r == ENGINE_NEEDS_RECOVERY)
    r = -EUCLEAN;               /* recovered, yet it still asks */
  if (r < 0) {
    storage_set_error (error_r, "%s: %s", device, msg ? msg : strerror (-r));
    free (msg);
    return r;
  }
  return 0;
}

static int
open_device (const char *device, int readonly, struct engine_fs **fs_r,
             char **error_r)
{
  struct engine_range range;
  int r;

  r = storage_device_range (device, &range, error_r);
  if (r < 0)
    return r;
  if (readonly)
    range.readonly = 1;
  return open_range (&range, device, fs_r, error_r);
}

/* Checks that mountpoint can take a filesystem; its canonical form in
 * *canonical_r (malloc'd). */
static int
mountpoint_ready (const char *mountpoint, char **canonical_r, char **error_r)
{
  struct resolved res;
  char *canonical = NULL;
  int r;

  if (mount_at ("/") == NULL) {
    if (strcmp (mountpoint, "/") == 0 && mount_count > 0) {
      storage_set_error (error_r, "/: filesystems are mounted on the mount "
                         "points made by mkmountpoint: unmount them first");
      return -EBUSY;
    }
    if (strcmp (mountpoint, "/") == 0) {
      if ((canonical = strdup ("/")) == NULL)
        return -ENOMEM;
    }
    else if (virtual_count == 0) {
      storage_set_error (error_r, "%s: mount the root filesystem (\"/\") "
                         "first, or make the mount point with mkmountpoint",
                         mountpoint);
      return -ENOENT;
    }
    else {
      r = virtual_canonical (mountpoint, &canonical);
      if (r < 0) {
        storage_set_error (error_r, "%s: %s%s", mountpoint, strerror (-r),
                           r == -ENOENT ? " (with nothing mounted on \"/\", "
                           "a mount point must be made with mkmountpoint)"
                           : "");
        return r;
      }
      /* r == 1: a directory inside a mounted filesystem, below. */
    }
  }
  if (canonical == NULL) {
    struct engine_stat st;

    r = resolve_path (mountpoint, 0, &res);
    if (r < 0) {
      storage_set_error (error_r, "%s: %s", mountpoint, strerror (-r));
      return r;
    }
    canonical = res.path;
    if (mount_at (canonical)) {
      storage_set_error (error_r, "%s: a filesystem is already mounted there",
                 mountpoint);
      free (canonical);
      return -EBUSY;
    }
    r = res.m->fs->ops->getattr (res.m->fs, res.ino, &st);
    if (r == 0 && !S_ISDIR (st.mode))
      r = -ENOTDIR;
    if (r < 0) {
      storage_set_error (error_r, "%s: %s", mountpoint, strerror (-r));
      free (canonical);
      return r;
    }
  }
  *canonical_r = canonical;
  return 0;
}

/* Adds fs to the table (taking canonical, loop); on failure closes fs
 * and frees both. */
static int
add_mount (char *canonical, const char *device, const char *options,
           struct engine_fs *fs, struct storage_loop *loop)
{
  struct mount *t;

  t = realloc (mount_table, (mount_count + 1) * sizeof *t);
  if (t == NULL)
    goto nomem;
  mount_table = t;
  t = &mount_table[mount_count];
  t->mountpoint = canonical;
  t->device = strdup (device);
  t->options = strdup (options ? options : "");
  t->fs = fs;
  t->readonly = fs->readonly;
  t->loop = loop;
  if (t->device == NULL || t->options == NULL) {
    free (t->device);
    free (t->options);
    goto nomem;
  }
  mount_count++;
  return 0;
 nomem:
  fs->ops->close (fs);
  free (canonical);
  storage_loop_free (loop);
  return -ENOMEM;
}

int
storage_mount (const char *device, const char *mountpoint,
               const char *options, int readonly, char **error_r)
{
  struct engine_fs *fs;
  char *canonical;
  int r;

  if (error_r)
    *error_r = NULL;
  if (storage_mount_of_device (device)) {
    storage_set_error (error_r, "%s: device is already mounted", device);
    return -EBUSY;
  }
  r = mountpoint_ready (mountpoint, &canonical, error_r);
  if (r < 0)
    return r;
  r = open_device (device, readonly, &fs, error_r);
  if (r < 0) {
    free (canonical);
    return r;
  }
  return add_mount (canonical, device, options, fs, NULL);
}

int
storage_mount_range (struct engine_range *range, const char *device,
                     const char *mountpoint, struct storage_loop *loop,
                     char **error_r)
{
  struct engine_fs *fs;
  char *canonical;
  int r;

  if (error_r)
    *error_r = NULL;
  r = mountpoint_ready (mountpoint, &canonical, error_r);
  if (r < 0) {
    storage_loop_free (loop);
    return r;
  }
  r = open_range (range, device, &fs, error_r);
  if (r < 0) {
    free (canonical);
    storage_loop_free (loop);
    return r;
  }
  return add_mount (canonical, device, "", fs, loop);
}

static int
is_below (const char *path, const char *dir)
{
  size_t n = strlen (dir);

  if (strcmp (dir, "/") == 0)
    return strcmp (path, "/") != 0;
  return strncmp (path, dir, n) == 0 && path[n] == '/';
}

/* Whether something holds mount i up: a mount below it, or an image
 * file in it mounted with mount_loop. */
static int
mount_busy (size_t i)
{
  size_t j;

  for (j = 0; j < mount_count; j++)
    if (j != i
        && (is_below (mount_table[j].mountpoint, mount_table[i].mountpoint)
            || (mount_table[j].loop
                && storage_loop_parent (mount_table[j].loop)
                   == &mount_table[i])))
      return 1;
  return 0;
}

static int drop_index (size_t i, char **error_r);

static int
umount_index (size_t i, char **error_r)
{
  struct mount *m = &mount_table[i];
  size_t j;

  for (j = 0; j < mount_count; j++)
    if (j != i && is_below (mount_table[j].mountpoint, m->mountpoint)) {
      storage_set_error (error_r, "%s: filesystem is busy: %s is mounted below it",
                 m->mountpoint, mount_table[j].mountpoint);
      return -EBUSY;
    }
  for (j = 0; j < mount_count; j++)
    if (j != i && mount_table[j].loop
        && storage_loop_parent (mount_table[j].loop) == m) {
      storage_set_error (error_r, "%s: filesystem is busy: the image file "
                         "mounted on %s (mount_loop) is in it", m->mountpoint,
                         mount_table[j].mountpoint);
      return -EBUSY;
    }
  return drop_index (i, error_r);
}

/* Closes mount i and removes it from the table. */
static int
drop_index (size_t i, char **error_r)
{
  struct mount *m = &mount_table[i];
  int r;

  r = m->fs->ops->close (m->fs);
  storage_loop_free (m->loop);
  free (m->mountpoint);
  free (m->device);
  free (m->options);
  memmove (m, m + 1, (mount_count - i - 1) * sizeof *m);
  mount_count--;
  if (r < 0)
    storage_set_error (error_r, "umount: flushing the filesystem: %s",
               strerror (-r));
  return r;
}

int
storage_umount (const char *what, char **error_r)
{
  size_t i;
  char *canonical = NULL;

  if (error_r)
    *error_r = NULL;
  for (i = 0; i < mount_count; i++)
    if (strcmp (mount_table[i].device, what) == 0
        || strcmp (mount_table[i].mountpoint, what) == 0)
      return umount_index (i, error_r);

  /* A non-canonical spelling of a mountpoint ("/data/", "/x/../data"). */
  if (what[0] == '/' && strncmp (what, "/dev/", 5) != 0) {
    struct resolved res;
    if (resolve_path (what, 0, &res) == 0) {
      canonical = res.path;
      for (i = 0; i < mount_count; i++)
        if (strcmp (mount_table[i].mountpoint, canonical) == 0) {
          free (canonical);
          return umount_index (i, error_r);
        }
      free (canonical);
    }
  }
  storage_set_error (error_r, "%s: not mounted", what);
  return -EINVAL;
}

int
storage_umount_all (char **error_r)
{
  int first = 0;

  if (error_r)
    *error_r = NULL;
  while (mount_count > 0) {
    size_t i, deepest;
    char *err = NULL;
    int r;

    /* The deepest mount that nothing holds up: no mount below it, no
     * image file in it mounted with mount_loop.  There is always one
     * (the newest mount, at worst). */
    deepest = mount_count - 1;
    for (i = 0; i < mount_count; i++)
      if (!mount_busy (i)
          && (mount_busy (deepest)
              || strlen (mount_table[i].mountpoint)
                 > strlen (mount_table[deepest].mountpoint)))
        deepest = i;
    r = mount_busy (deepest) ? drop_index (deepest, &err)
      : umount_index (deepest, &err);
    if (r < 0 && first == 0) {
      first = r;
      if (error_r)
        *error_r = err;
      else
        free (err);
    } else
      free (err);
  }
  return first;
}

int
storage_sync_all (void)
{
  size_t i;
  int first = 0;

  for (i = 0; i < mount_count; i++) {
    int r = mount_table[i].fs->ops->sync (mount_table[i].fs);
    if (r < 0 && first == 0)
      first = r;
  }
  return first;
}

/* ---------------------------------------------------------------- */
/* Tools that need the filesystem closed.                             */

int
storage_mount_offline (struct mount *m, int (*fn) (void *opaque),
                       void *opaque, char **error_r)
{
  char *msg = NULL;
  size_t i;
  int r, r2;

  if (error_r)
    *error_r = NULL;
  for (i = 0; i < mount_count; i++)
    if (mount_table[i].loop && storage_loop_parent (mount_table[i].loop) == m) {
      storage_set_error (error_r, "%s: the image file mounted on %s "
                         "(mount_loop) is in it: unmount it first",
                         m->device, mount_table[i].mountpoint);
      return -EBUSY;
    }
  if (m->loop) {
    storage_set_error (error_r, "%s: this is an image file mounted with "
                       "mount_loop: the tool needs a device", m->device);
    return -EINVAL;
  }
  r = m->fs->ops->close (m->fs);
  m->fs = NULL;
  if (r < 0)
    storage_set_error (error_r, "%s: flushing the filesystem: %s",
                       m->device, strerror (-r));
  else
    r = fn (opaque);
  r2 = open_device (m->device, m->readonly, &m->fs, &msg);
  if (r2 < 0) {
    /* Nothing can be served from it any more: it is unmounted. */
    i = (size_t) (m - mount_table);

    storage_set_error (error_r, "%s: could not be mounted again, so it is "
                       "now unmounted: %s", m->device,
                       msg ? msg : strerror (-r2));
    free (msg);
    free (m->mountpoint);
    free (m->device);
    free (m->options);
    memmove (m, m + 1, (mount_count - i - 1) * sizeof *m);
    mount_count--;
    return r2;
  }
  return r;
}

/* ---------------------------------------------------------------- */
/* Mount points of mkmountpoint.                                      */

int
storage_mkmountpoint (const char *path, char **error_r)
{
  char *parent, *pcanon = NULL, *full = NULL, *name, **t;
  size_t len;
  int r;

  if (error_r)
    *error_r = NULL;
  if (path == NULL || path[0] != '/') {
    storage_set_error (error_r, "%s: the mount point must be an absolute "
                       "path", path ? path : "(null)");
    return -EINVAL;
  }
  if (mount_at ("/") != NULL)
    return 1;
  parent = strdup (path);
  if (parent == NULL)
    return -ENOMEM;
  len = strlen (parent);
  while (len > 1 && parent[len - 1] == '/')
    parent[--len] = '\0';
  name = strrchr (parent, '/') + 1;
  if (*name == '\0' || strcmp (name, ".") == 0 || strcmp (name, "..") == 0) {
    storage_set_error (error_r, "%s: already exists", path);
    free (parent);
    return -EEXIST;
  }
  if (strlen (name) > 255) {
    free (parent);
    return -ENAMETOOLONG;
  }
  name[-1] = '\0';
  r = virtual_canonical (parent[0] ? parent : "/", &pcanon);
  if (r != 0) {
    free (parent);
    return r;                   /* 1: inside a mounted filesystem */
  }
  if (asprintf (&full, "%s%s%s", pcanon, strcmp (pcanon, "/") ? "/" : "",
                name) == -1) {
    free (parent);
    free (pcanon);
    return -ENOMEM;
  }
  free (parent);
  free (pcanon);
  if (strlen (full) > MAX_PATH) {
    free (full);
    return -ENAMETOOLONG;
  }
  if (mount_at (full) || is_virtual_dir (full)) {
    storage_set_error (error_r, "%s: already exists", path);
    free (full);
    return -EEXIST;
  }
  t = realloc (virtual_dirs, (virtual_count + 1) * sizeof *t);
  if (t == NULL) {
    free (full);
    return -ENOMEM;
  }
  virtual_dirs = t;
  virtual_dirs[virtual_count++] = full;
  return 0;
}

int
storage_rmmountpoint (const char *path, char **error_r)
{
  struct resolved res;
  char *canon = NULL;
  size_t i;
  int r;

  if (error_r)
    *error_r = NULL;
  if (path == NULL || path[0] != '/') {
    storage_set_error (error_r, "%s: the mount point must be an absolute "
                       "path", path ? path : "(null)");
    return -EINVAL;
  }
  if (mount_at ("/") != NULL)
    return 1;
  r = resolve_path (path, RESOLVE_NOFOLLOW, &res);
  if (r == 0) {
    int busy = res.is_mountpoint && mount_at (res.path) != NULL;

    if (busy)
      storage_set_error (error_r, "%s: a filesystem is mounted there",
                         path);
    resolved_free (&res);
    return busy ? -EBUSY : 1;
  }
  r = virtual_canonical (path, &canon);
  if (r != 0)
    return r == 1 ? -EIO : r;   /* 1 cannot happen: resolution failed */
  if (strcmp (canon, "/") == 0) {
    storage_set_error (error_r, "/: the root cannot be removed");
    free (canon);
    return -EBUSY;
  }
  for (i = 0; i < virtual_count; i++)
    if (is_below (virtual_dirs[i], canon)) {
      storage_set_error (error_r, "%s: mount point %s is below it", path,
                         virtual_dirs[i]);
      free (canon);
      return -ENOTEMPTY;
    }
  for (i = 0; i < virtual_count; i++)
    if (strcmp (virtual_dirs[i], canon) == 0) {
      free (virtual_dirs[i]);
      memmove (&virtual_dirs[i], &virtual_dirs[i + 1],
               (virtual_count - i - 1) * sizeof *virtual_dirs);
      virtual_count--;
      break;
    }
  free (canon);
  if (virtual_count == 0) {
    free (virtual_dirs);
    virtual_dirs = NULL;
  }
  return 0;
}

int
storage_virtual_mountpoints (void)
{
  return virtual_count > 0 && mount_at ("/") == NULL;
}

/* The client went away: everything unmounted, the umask and the
 * blockdev_setro flags back to their defaults. */
void
storage_shutdown (void)
{
  storage_umount_all (NULL);
  storage_umask = 022;
  storage_device_clear_readonly ();
}
