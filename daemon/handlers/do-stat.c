/* minnow: file types and attributes (exists, is_*, statns, chmod,
 * chown, utimens, umask, du, mknod …). */

#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "storage-actions.h"
#include "actions.h"

int
do_exists (const char *path)
{
  int r = fsop_exists (path);

  if (r < 0) {
    reply_errno_path (r, path);
    return -1;
  }
  return r;
}

/* optargs of is_file, is_dir … : followsymlinks is bit 0. */
#define FOLLOW(f) ((optargs_bitmask & 1) && (f))

static int
is_type (const char *path, int follow, uint32_t type)
{
  struct engine_stat st;
  int r = fsop_stat (path, !follow, &st);

  if (r == -ENOENT || r == -ENOTDIR)
    return 0;
  if (r < 0) {
    reply_errno_path (r, path);
    return -1;
  }
  return (st.mode & S_IFMT) == type;
}

int
do_is_file (const char *path, int f)
{ return is_type (path, FOLLOW (f), S_IFREG); }
int
do_is_dir (const char *path, int f)
{ return is_type (path, FOLLOW (f), S_IFDIR); }
int
do_is_chardev (const char *path, int f)
{ return is_type (path, FOLLOW (f), S_IFCHR); }
int
do_is_blockdev (const char *path, int f)
{ return is_type (path, FOLLOW (f), S_IFBLK); }
int
do_is_fifo (const char *path, int f)
{ return is_type (path, FOLLOW (f), S_IFIFO); }
int
do_is_socket (const char *path, int f)
{ return is_type (path, FOLLOW (f), S_IFSOCK); }
int
do_is_symlink (const char *path)
{ return is_type (path, 0, S_IFLNK); }

static void
fill_statns (minnow_int_statns *s, const struct engine_stat *st,
             const char *path)
{
  struct resolved r;

  memset (s, 0, sizeof *s);
  /* st_dev: the mounted device, as the kernel's sd major 8 would. */
  if (resolve_path (path, RESOLVE_NOFOLLOW, &r) == 0) {
    size_t index;
    int partnum;
    if (storage_parse_device (r.m->device, &index, &partnum) == 0)
      s->st_dev = makedev (8, index * 16 + partnum);
    resolved_free (&r);
  }
  s->st_ino = st->ino;
  s->st_mode = st->mode;
  s->st_nlink = st->nlink;
  s->st_uid = st->uid;
  s->st_gid = st->gid;
  s->st_rdev = st->rdev;
  s->st_size = st->size;
  s->st_blksize = st->blksize;
  s->st_blocks = st->blocks;
  s->st_atime_sec = st->atime_sec;
  s->st_atime_nsec = st->atime_nsec;
  s->st_mtime_sec = st->mtime_sec;
  s->st_mtime_nsec = st->mtime_nsec;
  s->st_ctime_sec = st->ctime_sec;
  s->st_ctime_nsec = st->ctime_nsec;
}

static minnow_int_statns *
stat_common (const char *path, int nofollow)
{
  struct engine_stat st;
  minnow_int_statns *ret;
  int r = fsop_stat (path, nofollow, &st);

  if (r < 0) {
    reply_errno_path (r, path);
    return NULL;
  }
  ret = malloc (sizeof *ret);
  if (ret == NULL) {
    reply_with_perror ("malloc");
    return NULL;
  }
  fill_statns (ret, &st, path);
  return ret;
}

minnow_int_statns *
do_statns (const char *path) { return stat_common (path, 0); }
minnow_int_statns *
do_lstatns (const char *path) { return stat_common (path, 1); }

/* One lstat per name; st_ino is -1 for a name that cannot be stat'd. */
minnow_int_statns_list *
do_lstatnslist (const char *path, char *const *names)
{
  minnow_int_statns_list *ret;
  size_t n = 0, i;

  while (names[n])
    n++;
  ret = calloc (1, sizeof *ret);
  if (ret)
    ret->minnow_int_statns_list_val = calloc (n + 1, sizeof (minnow_int_statns));
  if (ret == NULL || ret->minnow_int_statns_list_val == NULL) {
    free (ret);
    reply_with_perror ("calloc");
    return NULL;
  }
  ret->minnow_int_statns_list_len = n;
  for (i = 0; i < n; i++) {
    struct engine_stat st;
    char *p;
    if (asprintf (&p, "%s/%s", path, names[i]) == -1)
      p = NULL;
    if (p && fsop_stat (p, 1, &st) == 0)
      fill_statns (&ret->minnow_int_statns_list_val[i], &st, p);
    else
      ret->minnow_int_statns_list_val[i].st_ino = -1;
    free (p);
  }
  return ret;
}

int
do_chmod (int mode, const char *path)
{
  int r;

  if (mode < 0) {
    reply_with_error_errno (EINVAL, "%s: mode is negative", path);
    return -1;
  }
  r = fsop_chmod (path, mode);
  if (r < 0) {
    reply_errno_path (r, path);
    return -1;
  }
  return 0;
}

static int
chown_common (int owner, int group, const char *path, int nofollow)
{
  int r = fsop_chown (path, nofollow, owner, group);

  if (r < 0) {
    reply_errno_path (r, path);
    return -1;
  }
  return 0;
}

int
do_chown (int owner, int group, const char *path)
{ return chown_common (owner, group, path, 0); }
int
do_lchown (int owner, int group, const char *path)
{ return chown_common (owner, group, path, 1); }

int
do_utimens (const char *path, int64_t atsecs, int64_t atnsecs,
            int64_t mtsecs, int64_t mtnsecs)
{
  int r = fsop_utimens (path, atsecs, atnsecs, mtsecs, mtnsecs);

  if (r < 0) {
    reply_errno_path (r, path);
    return -1;
  }
  return 0;
}

int
do_umask (int mask)
{
  int old = (int) storage_umask;

  if (mask < 0 || mask > 0777) {
    reply_with_error_errno (EINVAL, "0%o: not a umask", mask);
    return -1;
  }
  storage_umask = mask;
  return old;
}

/* du -s: kilobytes used by the tree, each inode counted once. */
struct du {
  uint64_t *seen;
  size_t n, cap;
  uint64_t blocks;
};

static int
du_rec (const char *path, struct du *d, int depth)
{
  struct engine_stat st;
  size_t i;
  int r;

  r = fsop_stat (path, 1, &st);
  if (r < 0)
    return r;
  if (st.nlink > 1 && !S_ISDIR (st.mode)) {
    for (i = 0; i < d->n; i++)
      if (d->seen[i] == st.ino)
        return 0;
    if (d->n == d->cap) {
      uint64_t *s = realloc (d->seen, (d->cap = d->cap * 2 + 64) * sizeof *s);
      if (s == NULL)
        return -ENOMEM;
      d->seen = s;
    }
    d->seen[d->n++] = st.ino;
  }
  d->blocks += st.blocks;
  if (S_ISDIR (st.mode) && depth < 256) {
    struct fsop_dirent *ents;
    size_t n;
    r = fsop_readdir (path, &ents, &n);
    if (r < 0)
      return r;
    for (i = 0; i < n && r == 0; i++) {
      char *p;
      if (asprintf (&p, "%s/%s", path, ents[i].name) == -1) {
        r = -ENOMEM;
        break;
      }
      r = du_rec (p, d, depth + 1);
      free (p);
    }
    fsop_dirents_free (ents, n);
  }
  return r;
}

int64_t
do_du (const char *path)
{
  struct du d = { 0 };
  int r = du_rec (path, &d, 0);

  free (d.seen);
  if (r < 0) {
    reply_errno_path (r, path);
    return -1;
  }
  return (int64_t) (d.blocks / 2);
}

static int
mknod_common (uint32_t type, int mode, int devmajor, int devminor,
              const char *path)
{
  int r;

  if (mode < 0 || devmajor < 0 || devminor < 0) {
    reply_with_error_errno (EINVAL, "%s: negative mode or device number",
                            path);
    return -1;
  }
  /* mknod_b, mknod_c and mkfifo give the type: as in libguestfs, their
   * mode may hold only permission bits. */
  if (type != 0 && (mode & ~07777) != 0) {
    reply_with_error_errno (EINVAL, "%s: mode 0%o: mode must specify only "
                            "file permission bits", path, mode);
    return -1;
  }
  if (type == 0)
    type = mode & S_IFMT;
  if (type != S_IFREG && type != S_IFIFO && type != S_IFCHR
      && type != S_IFBLK && type != S_IFSOCK) {
    reply_with_error_errno (EINVAL, "%s: mode 0%o has no file type "
                            "(S_IFIFO, S_IFCHR, S_IFBLK, S_IFSOCK, S_IFREG)",
                            path, mode);
    return -1;
  }
  r = fsop_mknod (path, type | (mode & 07777), makedev (devmajor, devminor));
  if (r < 0) {
    reply_errno_path (r, path);
    return -1;
  }
  return 0;
}

int
do_mknod (int mode, int devmajor, int devminor, const char *path)
{ return mknod_common (0, mode, devmajor, devminor, path); }
int
do_mknod_b (int mode, int devmajor, int devminor, const char *path)
{ return mknod_common (S_IFBLK, mode, devmajor, devminor, path); }
int
do_mknod_c (int mode, int devmajor, int devminor, const char *path)
{ return mknod_common (S_IFCHR, mode, devmajor, devminor, path); }
int
do_mkfifo (int mode, const char *path)
{ return mknod_common (S_IFIFO, mode, 0, 0, path); }
