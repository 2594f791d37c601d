/* minnow: directories (mkdir*, rm*, ls, ll, readdir, find). */

#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/sysmacros.h>

#include "storage-actions.h"
#include "actions.h"

#define PATH_OP(call, path)                     \
  int r = (call);                               \
                                                \
  if (r < 0) {                                  \
    reply_errno_path (r, path);                 \
    return -1;                                  \
  }                                             \
  return 0

int
do_mkdir (const char *path) { PATH_OP (fsop_mkdir (path, 0777), path); }
int
do_mkdir_p (const char *path) { PATH_OP (fsop_mkdir_p (path, 0777), path); }

int
do_mkdir_mode (const char *path, int mode)
{
  if (mode < 0 || mode > 07777) {
    reply_with_error_errno (EINVAL, "%s: mode %o is not a permission mode",
                            path, mode);
    return -1;
  }
  PATH_OP (fsop_mkdir (path, mode), path);
}

int
do_rmdir (const char *path) { PATH_OP (fsop_rmdir (path), path); }
int
do_rm (const char *path) { PATH_OP (fsop_unlink (path), path); }
int
do_rm_rf (const char *path) { PATH_OP (fsop_rm_rf (path), path); }

int
do_rm_f (const char *path)
{
  int r = fsop_unlink (path);

  if (r == -ENOENT)
    return 0;
  if (r < 0) {
    reply_errno_path (r, path);
    return -1;
  }
  return 0;
}

char **
do_ls (const char *directory)
{
  struct fsop_dirent *ents;
  size_t n, i;
  char **list;
  int r;

  r = fsop_readdir (directory, &ents, &n);
  if (r < 0) {
    reply_errno_path (r, directory);
    return NULL;
  }
  list = strlist_new (n);
  if (list == NULL) {
    fsop_dirents_free (ents, n);
    return NULL;
  }
  for (i = 0; i < n; i++) {
    list[i] = ents[i].name;     /* taken over */
    ents[i].name = NULL;
  }
  fsop_dirents_free (ents, n);
  strlist_sort (list);
  return list;
}

static char
type_char (uint32_t mode)
{
  switch (mode & S_IFMT) {
  case S_IFDIR: return 'd';
  case S_IFLNK: return 'l';
  case S_IFCHR: return 'c';
  case S_IFBLK: return 'b';
  case S_IFIFO: return 'p';
  case S_IFSOCK: return 's';
  default: return '-';
  }
}

static void
mode_string (uint32_t mode, char s[11])
{
  static const char rwx[] = "rwxrwxrwx";
  int i;

  s[0] = type_char (mode);
  for (i = 0; i < 9; i++)
    s[i + 1] = mode & (0400 >> i) ? rwx[i] : '-';
  if (mode & S_ISUID) s[3] = mode & 0100 ? 's' : 'S';
  if (mode & S_ISGID) s[6] = mode & 0010 ? 's' : 'S';
  if (mode & S_ISVTX) s[9] = mode & 0001 ? 't' : 'T';
  s[10] = '\0';
}

/* ll: like "ls -la", one line per entry, "." and ".." included; times
 * in UTC so that the output does not depend on the daemon's zone. */
char *
do_ll (const char *directory)
{
  struct fsop_dirent *ents;
  size_t n, i, len = 0;
  char *out = NULL, **names;
  FILE *fp;
  int r;

  r = fsop_readdir (directory, &ents, &n);
  if (r < 0) {
    reply_errno_path (r, directory);
    return NULL;
  }
  names = strlist_new (n + 2);
  if (names == NULL) {
    fsop_dirents_free (ents, n);
    return NULL;
  }
  names[0] = strdup (".");
  names[1] = strdup ("..");
  for (i = 0; i < n; i++) {
    names[i + 2] = ents[i].name;
    ents[i].name = NULL;
  }
  fsop_dirents_free (ents, n);
  strlist_sort (names);

  fp = open_memstream (&out, &len);
  if (fp == NULL) {
    strlist_free (names);
    reply_with_perror ("open_memstream");
    return NULL;
  }
  for (i = 0; names[i]; i++) {
    struct engine_stat st;
    char *p, m[11], when[32];
    struct tm tm;
    time_t t;

    if (asprintf (&p, "%s/%s", directory, names[i]) == -1)
      continue;
    if (fsop_stat (p, 1, &st) == 0) {
      mode_string (st.mode, m);
      t = st.mtime_sec;
      gmtime_r (&t, &tm);
      strftime (when, sizeof when, "%Y-%m-%d %H:%M", &tm);
      if (S_ISCHR (st.mode) || S_ISBLK (st.mode))
        fprintf (fp, "%s %3llu %5u %5u %4u, %4u %s %s", m,
                 (unsigned long long) st.nlink, st.uid, st.gid,
                 (unsigned) major (st.rdev), (unsigned) minor (st.rdev),
                 when, names[i]);
      else
        fprintf (fp, "%s %3llu %5u %5u %10llu %s %s", m,
                 (unsigned long long) st.nlink, st.uid, st.gid,
                 (unsigned long long) st.size, when, names[i]);
      if (S_ISLNK (st.mode)) {
        char *target;
        if (fsop_readlink (p, &target) == 0) {
          fprintf (fp, " -> %s", target);
          free (target);
        }
      }
      fputc ('\n', fp);
    }
    free (p);
  }
  fclose (fp);
  strlist_free (names);
  return out;
}

minnow_int_dirent_list *
do_readdir (const char *dir)
{
  struct fsop_dirent *ents;
  minnow_int_dirent_list *ret;
  size_t n, i;
  int r;

  r = fsop_readdir (dir, &ents, &n);
  if (r < 0) {
    reply_errno_path (r, dir);
    return NULL;
  }
  ret = calloc (1, sizeof *ret);
  if (ret)
    ret->minnow_int_dirent_list_val = calloc (n + 2, sizeof (minnow_int_dirent));
  if (ret == NULL || ret->minnow_int_dirent_list_val == NULL) {
    free (ret);
    fsop_dirents_free (ents, n);
    reply_with_perror ("calloc");
    return NULL;
  }
  /* libguestfs's readdir includes "." and "..". */
  {
    struct engine_stat st;
    minnow_int_dirent *d = ret->minnow_int_dirent_list_val;
    d[0].name = strdup (".");
    d[1].name = strdup ("..");
    d[0].ftyp = d[1].ftyp = 'd';
    if (fsop_stat (dir, 0, &st) == 0)
      d[0].ino = st.ino;
    {
      char *up;
      if (asprintf (&up, "%s/..", dir) >= 0) {
        if (fsop_stat (up, 0, &st) == 0)
          d[1].ino = st.ino;
        free (up);
      }
    }
  }
  for (i = 0; i < n; i++) {
    minnow_int_dirent *d = &ret->minnow_int_dirent_list_val[i + 2];
    static const char types[16] = {
      [ENGINE_DT_FIFO] = 'f', [ENGINE_DT_CHR] = 'c', [ENGINE_DT_DIR] = 'd',
      [ENGINE_DT_BLK] = 'b', [ENGINE_DT_REG] = 'r', [ENGINE_DT_LNK] = 'l',
      [ENGINE_DT_SOCK] = 's',
    };
    d->ino = ents[i].ino;
    d->ftyp = ents[i].type >= 0 && ents[i].type < 16 && types[ents[i].type]
      ? types[ents[i].type] : '?';
    d->name = ents[i].name;
    ents[i].name = NULL;
  }
  ret->minnow_int_dirent_list_len = n + 2;
  fsop_dirents_free (ents, n);
  return ret;
}

struct found {
  char **list;
  size_t n, cap;
};

static int
find_rec (const char *dir, const char *rel, struct found *f, int depth)
{
  struct fsop_dirent *ents;
  size_t n, i;
  int r;

  if (depth > 256)
    return -ELOOP;
  r = fsop_readdir (dir, &ents, &n);
  if (r < 0)
    return r;
  for (i = 0; i < n && r == 0; i++) {
    char *path = NULL, *relpath = NULL;
    if (asprintf (&path, "%s/%s", dir, ents[i].name) == -1
        || asprintf (&relpath, "%s%s%s", rel, *rel ? "/" : "",
                     ents[i].name) == -1) {
      free (path);
      r = -ENOMEM;
      break;
    }
    if (f->n + 1 >= f->cap) {
      char **l = realloc (f->list, (f->cap *= 2) * sizeof *l);
      if (l == NULL) {
        free (path);
        free (relpath);
        r = -ENOMEM;
        break;
      }
      f->list = l;
    }
    f->list[f->n++] = relpath;
    f->list[f->n] = NULL;
    if (ents[i].type == ENGINE_DT_DIR)
      r = find_rec (path, relpath, f, depth + 1);
    free (path);
  }
  fsop_dirents_free (ents, n);
  return r;
}

char **
do_find (const char *directory)
{
  struct found f = { NULL, 0, 64 };
  struct engine_stat st;
  int r;

  r = fsop_stat (directory, 0, &st);
  if (r == 0 && !S_ISDIR (st.mode))
    r = -ENOTDIR;
  if (r < 0) {
    reply_errno_path (r, directory);
    return NULL;
  }
  f.list = strlist_new (f.cap);
  if (f.list == NULL)
    return NULL;
  r = find_rec (directory, "", &f, 0);
  if (r < 0) {
    strlist_free (f.list);
    reply_errno_path (r, directory);
    return NULL;
  }
  strlist_sort (f.list);
  return f.list;
}
