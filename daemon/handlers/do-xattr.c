/* minnow: extended attributes (getxattrs, setxattr, removexattr and
 * their l* forms, which do not follow a final symlink). */

#include <config.h>

#include <errno.h>
#include <string.h>

#include "storage-actions.h"
#include "actions.h"

static minnow_int_xattr_list *
list_common (const char *path, int nofollow)
{
  struct fsop_xattr *xs;
  minnow_int_xattr_list *ret;
  size_t n, i;
  int r = fsop_listxattrs (path, nofollow, &xs, &n);

  if (r < 0) {
    reply_errno_path (r, path);
    return NULL;
  }
  ret = calloc (1, sizeof *ret);
  if (ret)
    ret->minnow_int_xattr_list_val = calloc (n + 1, sizeof (minnow_int_xattr));
  if (ret == NULL || ret->minnow_int_xattr_list_val == NULL) {
    free (ret);
    fsop_xattrs_free (xs, n);
    reply_with_perror ("calloc");
    return NULL;
  }
  ret->minnow_int_xattr_list_len = n;
  for (i = 0; i < n; i++) {
    minnow_int_xattr *x = &ret->minnow_int_xattr_list_val[i];
    x->attrname = xs[i].name;
    x->attrval.attrval_val = xs[i].value;
    x->attrval.attrval_len = xs[i].len;
    xs[i].name = xs[i].value = NULL;
  }
  fsop_xattrs_free (xs, n);
  return ret;
}

minnow_int_xattr_list *
do_getxattrs (const char *path)
{ return list_common (path, 0); }
minnow_int_xattr_list *
do_lgetxattrs (const char *path)
{ return list_common (path, 1); }

static char *
get_common (const char *path, const char *name, size_t *size_r,
            int nofollow)
{
  char *value;
  int r = fsop_getxattr (path, nofollow, name, &value, size_r);

  if (r < 0) {
    reply_with_perror_errno (-r, "%s: %s", path, name);
    return NULL;
  }
  return value;
}

char *
do_getxattr (const char *path, const char *name, size_t *size_r)
{ return get_common (path, name, size_r, 0); }
char *
do_lgetxattr (const char *path, const char *name, size_t *size_r)
{ return get_common (path, name, size_r, 1); }

static int
set_common (const char *xattr, const char *val, int vallen,
            const char *path, int nofollow)
{
  int r;

  if (vallen < 0 || (size_t) vallen > strlen (val)) {
    reply_with_error_errno (EINVAL, "%s: vallen %d is larger than the value",
                            xattr, vallen);
    return -1;
  }
  r = fsop_setxattr (path, nofollow, xattr, val, vallen);
  if (r < 0) {
    reply_with_perror_errno (-r, "%s: %s", path, xattr);
    return -1;
  }
  return 0;
}

int
do_setxattr (const char *xattr, const char *val, int vallen,
                 const char *path)
{ return set_common (xattr, val, vallen, path, 0); }
int
do_lsetxattr (const char *xattr, const char *val, int vallen,
                  const char *path)
{ return set_common (xattr, val, vallen, path, 1); }

static int
remove_common (const char *xattr, const char *path, int nofollow)
{
  int r = fsop_removexattr (path, nofollow, xattr);

  if (r < 0) {
    reply_with_perror_errno (-r, "%s: %s", path, xattr);
    return -1;
  }
  return 0;
}

int
do_removexattr (const char *xattr, const char *path)
{ return remove_common (xattr, path, 0); }
int
do_lremovexattr (const char *xattr, const char *path)
{ return remove_common (xattr, path, 1); }
