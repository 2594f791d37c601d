/* minnow: libguestfs's deprecated calls that ported scripts still use,
 * each a thin alias of the call that replaced it (api.def says which,
 * with deprecated_by). */

#include <config.h>

#include <errno.h>
#include <string.h>

#include "storage-actions.h"
#include "actions.h"

static minnow_int_stat *
stat_of (minnow_int_statns *ns)
{
  minnow_int_stat *s;

  if (ns == NULL)
    return NULL;
  s = calloc (1, sizeof *s);
  if (s == NULL) {
    free (ns);
    reply_with_perror ("calloc");
    return NULL;
  }
  s->dev = ns->st_dev;
  s->ino = ns->st_ino;
  s->mode = ns->st_mode;
  s->nlink = ns->st_nlink;
  s->uid = ns->st_uid;
  s->gid = ns->st_gid;
  s->rdev = ns->st_rdev;
  s->size = ns->st_size;
  s->blksize = ns->st_blksize;
  s->blocks = ns->st_blocks;
  s->atime = ns->st_atime_sec;
  s->mtime = ns->st_mtime_sec;
  s->ctime = ns->st_ctime_sec;
  free (ns);
  return s;
}

minnow_int_stat *
do_stat (const char *path)
{
  return stat_of (do_statns (path));
}

minnow_int_stat *
do_lstat (const char *path)
{
  return stat_of (do_lstatns (path));
}

minnow_int_stat_list *
do_lstatlist (const char *path, char *const *names)
{
  minnow_int_statns_list *ns = do_lstatnslist (path, names);
  minnow_int_stat_list *ret;
  size_t i;

  if (ns == NULL)
    return NULL;
  ret = calloc (1, sizeof *ret);
  if (ret)
    ret->minnow_int_stat_list_val =
      calloc (ns->minnow_int_statns_list_len + 1, sizeof (minnow_int_stat));
  if (ret == NULL || ret->minnow_int_stat_list_val == NULL) {
    free (ret);
    free (ns->minnow_int_statns_list_val);
    free (ns);
    reply_with_perror ("calloc");
    return NULL;
  }
  ret->minnow_int_stat_list_len = ns->minnow_int_statns_list_len;
  for (i = 0; i < ns->minnow_int_statns_list_len; i++) {
    minnow_int_statns *n = &ns->minnow_int_statns_list_val[i];
    minnow_int_stat *s = &ret->minnow_int_stat_list_val[i];
    s->dev = n->st_dev;
    s->ino = n->st_ino;
    s->mode = n->st_mode;
    s->nlink = n->st_nlink;
    s->uid = n->st_uid;
    s->gid = n->st_gid;
    s->rdev = n->st_rdev;
    s->size = n->st_size;
    s->blksize = n->st_blksize;
    s->blocks = n->st_blocks;
    s->atime = n->st_atime_sec;
    s->mtime = n->st_mtime_sec;
    s->ctime = n->st_ctime_sec;
  }
  free (ns->minnow_int_statns_list_val);
  free (ns);
  return ret;
}

int
do_set_e2uuid (const char *device, const char *uuid)
{
  return do_set_uuid (device, uuid);
}

char *
do_get_e2uuid (const char *device)
{
  return do_vfs_uuid (device);
}

int
do_set_e2label (const char *device, const char *label)
{
  return do_set_label (device, label);
}

char *
do_get_e2label (const char *device)
{
  return do_vfs_label (device);
}

/* The replacement's optargs_bitmask bits, as its api.def entry orders
 * them. */
#define MKFS_BLOCKSIZE_BIT   (UINT64_C(1) << 0)
#define E2FSCK_CORRECT_BIT   (UINT64_C(1) << 0)
#define MKSWAP_LABEL_BIT     (UINT64_C(1) << 0)
#define MKSWAP_UUID_BIT      (UINT64_C(1) << 1)

int
do_mkfs_b (const char *fstype, int blocksize, const char *device)
{
  optargs_bitmask = MKFS_BLOCKSIZE_BIT;
  return do_mkfs (fstype, device, blocksize, NULL, 0, 0, NULL);
}

int
do_e2fsck_f (const char *device)
{
  /* e2fsck -p -f: fix what is safe to fix. */
  optargs_bitmask = E2FSCK_CORRECT_BIT;
  return do_e2fsck (device, 1, 0);
}

int
do_fallocate (const char *path, int len)
{
  return do_fallocate64 (path, len);
}

int
do_mkswap_L (const char *label, const char *device)
{
  optargs_bitmask = MKSWAP_LABEL_BIT;
  return do_mkswap (device, label, NULL);
}

int
do_mkswap_U (const char *uuid, const char *device)
{
  optargs_bitmask = MKSWAP_UUID_BIT;
  return do_mkswap (device, NULL, uuid);
}

int
do_blockdev_setbsz (const char *device, int blocksize)
{
  if (blocksize <= 0) {
    reply_with_error_errno (EINVAL, "%s: blocksize %d: must be positive",
                            device, blocksize);
    return -1;
  }
  /* libguestfs documents that this call never did anything. */
  return 0;
}
