/* minnow: the ext2/3/4 engine — extended attributes.
 * See ext.h for the engine's files. */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/sysmacros.h>

#include <ext2fs/ext2fs.h>
#include <et/com_err.h>

#include "ext.h"

/* ---------------------------------------------------------------- */
/* Extended attributes.                                               */

static int
open_xattrs (struct engine_fs *efs, uint64_t ino,
             struct ext2_xattr_handle **h_r)
{
  errcode_t err;

  err = ext2fs_xattrs_open (E2 (efs), ino, h_r);
  if (err)
    return ext_fail (efs, err, "xattrs");
  err = ext2fs_xattrs_read (*h_r);
  if (err) {
    ext2fs_xattrs_close (h_r);
    return ext_fail (efs, err, "read xattrs");
  }
  return 0;
}

/* system.data holds inline file data: an implementation detail that the
 * kernel does not show either. */
static int
hidden_xattr (const char *name)
{
  return strcmp (name, "system.data") == 0;
}

struct xattr_ctx {
  engine_xattr_cb cb;
  void *opaque;
  int ret;
};

static int
xattr_one (char *name, char *value, size_t len, void *priv)
{
  struct xattr_ctx *c = priv;

  if (hidden_xattr (name))
    return 0;
  c->ret = c->cb (c->opaque, name, value, len);
  return c->ret ? XATTR_ABORT : 0;
}

int
ext2_listxattr (struct engine_fs *efs, uint64_t ino, engine_xattr_cb cb,
                void *opaque)
{
  struct ext2_xattr_handle *h;
  struct xattr_ctx c = { cb, opaque, 0 };
  errcode_t err;
  int r;

  r = open_xattrs (efs, ino, &h);
  if (r < 0)
    return r;
  err = ext2fs_xattrs_iterate (h, xattr_one, &c);
  ext2fs_xattrs_close (&h);
  if (err)
    return ext_fail (efs, err, "list xattrs");
  return c.ret;
}

int
ext2_getxattr (struct engine_fs *efs, uint64_t ino, const char *name,
               void **value_r, size_t *len_r)
{
  struct ext2_xattr_handle *h;
  void *value = NULL;
  size_t len = 0;
  errcode_t err;
  int r;

  if (hidden_xattr (name))
    return -ENODATA;
  r = open_xattrs (efs, ino, &h);
  if (r < 0)
    return r;
  err = ext2fs_xattr_get (h, name, &value, &len);
  ext2fs_xattrs_close (&h);
  if (err)
    return ext_fail (efs, err, name);
  /* Give the caller plain malloc memory with a spare NUL. */
  *value_r = malloc (len + 1);
  if (*value_r == NULL) {
    ext2fs_free_mem (&value);
    return -ENOMEM;
  }
  memcpy (*value_r, value, len);
  ((char *) *value_r)[len] = '\0';
  *len_r = len;
  ext2fs_free_mem (&value);
  return 0;
}

int
ext2_setxattr (struct engine_fs *efs, uint64_t ino, const char *name,
               const void *value, size_t len)
{
  struct ext2_xattr_handle *h;
  errcode_t err, err2;
  int r;

  if (efs->readonly)
    return -EROFS;
  if (hidden_xattr (name) || strchr (name, '.') == NULL)
    return -EOPNOTSUPP;
  if (strlen (name) > 255)
    return -ERANGE;
  r = open_xattrs (efs, ino, &h);
  if (r < 0)
    return r;
  err = ext2fs_xattr_set (h, name, value, len);
  err2 = ext2fs_xattrs_close (&h);
  if (err == 0)
    err = err2;
  if (err)
    return ext_fail (efs, err, name);
  return ext_touch_inode (efs, ino, 0);
}

int
ext2_removexattr (struct engine_fs *efs, uint64_t ino, const char *name)
{
  struct ext2_xattr_handle *h;
  void *value = NULL;
  size_t len;
  errcode_t err, err2;
  int r;

  if (efs->readonly)
    return -EROFS;
  if (hidden_xattr (name))
    return -ENODATA;
  r = open_xattrs (efs, ino, &h);
  if (r < 0)
    return r;
  /* ext2fs_xattr_remove succeeds on a missing key; removexattr(2) does not. */
  err = ext2fs_xattr_get (h, name, &value, &len);
  if (err == 0) {
    ext2fs_free_mem (&value);
    err = ext2fs_xattr_remove (h, name);
  }
  err2 = ext2fs_xattrs_close (&h);
  if (err == 0)
    err = err2;
  if (err)
    return ext_fail (efs, err, name);
  return ext_touch_inode (efs, ino, 0);
}
