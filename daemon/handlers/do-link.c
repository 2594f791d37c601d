/* minnow: links (ln, ln_f, ln_s, ln_sf, readlink, readlinklist,
 * realpath). */

#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "storage-actions.h"
#include "actions.h"

static int
link_common (const char *target, const char *linkname, int symbolic,
             int force)
{
  int r;

  if (force) {
    struct engine_stat st;
    if (fsop_stat (linkname, 1, &st) == 0) {
      if (S_ISDIR (st.mode)) {
        reply_with_error_errno (EISDIR, "%s: is a directory", linkname);
        return -1;
      }
      r = fsop_unlink (linkname);
      if (r < 0) {
        reply_errno_path (r, linkname);
        return -1;
      }
    }
  }
  r = symbolic ? fsop_symlink (target, linkname) : fsop_link (target, linkname);
  if (r < 0) {
    reply_with_perror_errno (-r, "ln%s %s %s", symbolic ? " -s" : "", target,
                             linkname);
    return -1;
  }
  return 0;
}

int
do_ln (const char *target, const char *linkname)
{
  if (target[0] != '/') {
    reply_with_error_errno (EINVAL, "%s: path must start with a / character",
                            target);
    return -1;
  }
  return link_common (target, linkname, 0, 0);
}

int
do_ln_f (const char *target, const char *linkname)
{
  if (target[0] != '/') {
    reply_with_error_errno (EINVAL, "%s: path must start with a / character",
                            target);
    return -1;
  }
  return link_common (target, linkname, 0, 1);
}

int
do_ln_s (const char *target, const char *linkname)
{ return link_common (target, linkname, 1, 0); }
int
do_ln_sf (const char *target, const char *linkname)
{ return link_common (target, linkname, 1, 1); }

char *
do_readlink (const char *path)
{
  char *target;
  int r = fsop_readlink (path, &target);

  if (r < 0) {
    reply_errno_path (r, path);
    return NULL;
  }
  return target;
}

/* One target per name; "" for a name that is not a symlink (libguestfs). */
char **
do_readlinklist (const char *path, char *const *names)
{
  size_t n = 0, i;
  char **list;

  while (names[n])
    n++;
  list = strlist_new (n);
  if (list == NULL)
    return NULL;
  for (i = 0; i < n; i++) {
    char *p, *t = NULL;
    if (asprintf (&p, "%s/%s", path, names[i]) == -1) {
      strlist_free (list);
      reply_with_perror ("asprintf");
      return NULL;
    }
    if (fsop_readlink (p, &t) < 0)
      t = strdup ("");
    free (p);
    if (t == NULL) {
      strlist_free (list);
      reply_with_perror ("strdup");
      return NULL;
    }
    list[i] = t;
  }
  return list;
}

char *
do_realpath (const char *path)
{
  char *ret;
  int r = fsop_realpath (path, &ret);

  if (r < 0) {
    reply_errno_path (r, path);
    return NULL;
  }
  return ret;
}
