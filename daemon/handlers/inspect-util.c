/* minnow: inspection helpers: private read-only mounts, bounded reads
 * of guest files, line and key=value parsing. */

#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "storage.h"
#include "fsops.h"
#include "inspect.h"

int
inspect_with_device (const char *device,
                     int (*fn) (const char *device, void *opaque),
                     void *opaque, char **error_r)
{
  struct mount *saved_table = mount_table;
  size_t saved_count = mount_count;
  struct mount *user = storage_mount_of_device (device);
  int r;

  if (error_r)
    *error_r = NULL;
  /* What the user wrote through other mounts must be on disk before we
   * read the device on our own. */
  storage_sync_all ();

  if (user) {
    /* Read the user's open filesystem: it may hold changes not yet on
     * disk, and a second writer-aware open of it would see stale data. */
    struct mount borrowed = *user;

    borrowed.mountpoint = (char *) "/";
    mount_table = &borrowed;
    mount_count = 1;
    r = fn (device, opaque);
    mount_table = saved_table;
    mount_count = saved_count;
    return r;
  }

  mount_table = NULL;
  mount_count = 0;
  r = storage_mount (device, "/", "ro", 1, error_r);
  if (r == 0) {
    r = fn (device, opaque);
    storage_umount_all (NULL);
  }
  free (mount_table);
  mount_table = saved_table;
  mount_count = saved_count;
  return r;
}

int
inspect_read_file (const char *path, size_t max, char **buf_r, size_t *len_r)
{
  size_t len, i;
  int r = inspect_read_raw (path, max, buf_r, &len);

  if (r < 0)
    return r;
  for (i = 0; i < len; i++)
    if ((*buf_r)[i] == '\0')
      (*buf_r)[i] = ' ';
  if (len_r)
    *len_r = len;
  return 0;
}

int
inspect_read_raw (const char *path, size_t max, char **buf_r, size_t *len_r)
{
  struct engine_stat st;
  char *buf;
  size_t len;
  int r;

  r = fsop_stat (path, 0, &st);
  if (r < 0)
    return r;
  if (!S_ISREG (st.mode))
    return -EINVAL;
  if (st.size > max)
    return -EFBIG;
  r = fsop_read_all (path, &buf, &len, max);
  if (r < 0)
    return r;
  *buf_r = buf;
  *len_r = len;
  return 0;
}

int
inspect_is_file (const char *path)
{
  struct engine_stat st;

  return fsop_stat (path, 0, &st) == 0 && S_ISREG (st.mode);
}

int
inspect_is_dir (const char *path)
{
  struct engine_stat st;

  return fsop_stat (path, 0, &st) == 0 && S_ISDIR (st.mode);
}

int
inspect_is_symlink_to (const char *path, const char *target)
{
  struct engine_stat st;
  char *t = NULL;
  int ret;

  if (fsop_stat (path, 1, &st) < 0 || !S_ISLNK (st.mode))
    return 0;
  if (fsop_readlink (path, &t) < 0)
    return 0;
  ret = strcmp (t, target) == 0;
  free (t);
  return ret;
}

int
inspect_each_line (char *buf, int (*fn) (char *line, void *opaque),
                   void *opaque)
{
  char *p = buf;

  while (p && *p) {
    char *nl = strchr (p, '\n');
    size_t n;
    int r;

    if (nl)
      *nl = '\0';
    n = strlen (p);
    if (n > 0 && p[n - 1] == '\r')
      p[n - 1] = '\0';
    r = fn (p, opaque);
    if (r)
      return r;
    p = nl ? nl + 1 : NULL;
  }
  return 0;
}

void
inspect_unquote (char *value)
{
  size_t n = strlen (value);
  char *src, *dst;

  /* Trailing blanks are not part of a value. */
  while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t'))
    value[--n] = '\0';
  if (n >= 2 && (value[0] == '"' || value[0] == '\'')
      && value[n - 1] == value[0]) {
    char q = value[0];

    value[n - 1] = '\0';
    for (src = value + 1, dst = value; *src; src++) {
      /* Inside double quotes, a backslash escapes \ " $ `. */
      if (q == '"' && src[0] == '\\' && src[1] && strchr ("\\\"$`", src[1]))
        src++;
      *dst++ = *src;
    }
    *dst = '\0';
  }
}

char *
inspect_strdup_field (const char *s)
{
  return strndup (s, INSPECT_MAX_FIELD);
}

void
inspect_root_free (struct inspect_root *root)
{
  size_t i;

  if (root == NULL)
    return;
  free (root->device);
  free (root->vfs_type);
  free (root->type);
  free (root->distro);
  free (root->product_name);
  free (root->product_variant);
  free (root->arch);
  free (root->hostname);
  free (root->package_format);
  free (root->package_management);
  free (root->osinfo);
  free (root->build_id);
  for (i = 0; i < root->nfstab; i++) {
    free (root->fstab[i].device);
    free (root->fstab[i].mountpoint);
  }
  free (root->fstab);
  memset (root, 0, sizeof *root);
}
