/* minnow: the mount table's actions (mount.c does the work). */

#include <config.h>

#include <errno.h>
#include <string.h>

#include "storage-actions.h"
#include "actions.h"

static int
has_option (const char *options, const char *opt)
{
  size_t n = strlen (opt);
  const char *p = options;

  while (p && *p) {
    if (strncmp (p, opt, n) == 0 && (p[n] == ',' || p[n] == '\0'))
      return 1;
    p = strchr (p, ',');
    if (p)
      p++;
  }
  return 0;
}

static int
mount_common (const char *options, const char *mountable,
              const char *mountpoint, int readonly)
{
  char *msg = NULL;
  int r;

  if (strncmp (mountable, "/dev/", 5) != 0) {
    reply_with_error_errno (EINVAL, "%s: not a device", mountable);
    return -1;
  }
  if (mountpoint[0] != '/') {
    reply_with_error_errno (EINVAL, "%s: mountpoint must be an absolute path",
                            mountpoint);
    return -1;
  }
  {
    struct mount *m = device_in_use (mountable);
    if (m) {
      reply_with_error_errno (EBUSY, "%s: %s is mounted on %s", mountable,
                              m->device, m->mountpoint);
      return -1;
    }
  }
  r = storage_mount (mountable, mountpoint, options,
                     readonly || has_option (options, "ro"), &msg);
  if (r < 0) {
    reply_errno_msg (r, mountable, msg);
    return -1;
  }
  return 0;
}

int
do_mount (const char *mountable, const char *mountpoint)
{
  return mount_common ("", mountable, mountpoint, 0);
}

int
do_mount_ro (const char *mountable, const char *mountpoint)
{
  return mount_common ("ro", mountable, mountpoint, 1);
}

int
do_mount_options (const char *options, const char *mountable,
                  const char *mountpoint)
{
  return mount_common (options, mountable, mountpoint, 0);
}

int
do_umount (const char *pathordevice, int force, int lazyunmount)
{
  char *msg = NULL;
  int r;

  r = storage_umount (pathordevice, &msg);
  if (r < 0) {
    reply_errno_msg (r, pathordevice, msg);
    return -1;
  }
  free (msg);
  return 0;
}

int
do_umount_all (void)
{
  char *msg = NULL;
  int r;

  r = storage_umount_all (&msg);
  if (r < 0) {
    reply_errno_msg (r, "umount_all", msg);
    return -1;
  }
  return 0;
}

char **
do_mounts (void)
{
  char **list = strlist_new (mount_count);
  size_t i;

  if (list == NULL)
    return NULL;
  for (i = 0; i < mount_count; i++)
    if ((list[i] = strdup (mount_table[i].device)) == NULL) {
      strlist_free (list);
      reply_with_perror ("strdup");
      return NULL;
    }
  return list;
}

char **
do_mountpoints (void)
{
  char **list = strlist_new (2 * mount_count);
  size_t i;

  if (list == NULL)
    return NULL;
  for (i = 0; i < mount_count; i++)
    if ((list[2 * i] = strdup (mount_table[i].device)) == NULL
        || (list[2 * i + 1] = strdup (mount_table[i].mountpoint)) == NULL) {
      strlist_free (list);
      reply_with_perror ("strdup");
      return NULL;
    }
  return list;
}

/* ---------------------------------------------------------------- */
/* More of libguestfs's mount calls (issue 9).                        */

int
do_mount_vfs (const char *options, const char *vfstype,
              const char *mountable, const char *mountpoint)
{
  /* The engine that mounts vfstype probes the device anyway: ext2,
   * ext3 and ext4 are read alike, as Linux's ext4 driver does. */
  if (engine_for_mount_type (vfstype) == NULL) {
    reply_with_error_errno (ENODEV, "%s: minnow has no engine that mounts "
                            "this filesystem type", vfstype);
    return -1;
  }
  return do_mount_options (options, mountable, mountpoint);
}

char *
do_mountable_device (const char *mountable)
{
  /* A mountable is a device here (no btrfs subvolumes). */
  char *ret = strdup (mountable);

  if (ret == NULL)
    reply_with_perror ("strdup");
  return ret;
}

static int
nothing (void *opaque)
{
  (void) opaque;
  return 0;
}

/* optargs of remount. */
#define REMOUNT_RW (1 << 0)

int
do_remount (const char *mountpoint, int rw)
{
  struct engine_range range;
  struct resolved res;
  struct mount *m;
  char *msg = NULL;
  int r;

  r = resolve_path (mountpoint, 0, &res);
  if (r == 0 && (!res.exists || !res.is_mountpoint))
    r = -EINVAL;
  if (r < 0) {
    resolved_free (&res);
    if (r == -EINVAL)
      reply_with_error_errno (EINVAL, "%s: not a mount point", mountpoint);
    else
      reply_errno_path (r, mountpoint);
    return -1;
  }
  m = res.m;
  resolved_free (&res);
  if (!(optargs_bitmask & REMOUNT_RW) || !!rw == !m->readonly)
    return 0;                   /* nothing to change */
  r = storage_device_range (m->device, &range, &msg);
  if (r < 0) {
    reply_errno_msg (r, mountpoint, msg);
    return -1;
  }
  free (msg);
  msg = NULL;
  if (rw && range.readonly) {
    reply_with_error_errno (EROFS, "%s: %s is read-only", mountpoint,
                            m->device);
    return -1;
  }
  m->readonly = !rw;
  r = storage_mount_offline (m, nothing, NULL, &msg);
  if (r < 0) {
    reply_errno_msg (r, mountpoint, msg);
    return -1;
  }
  free (msg);
  if (rw && m->fs->readonly) {
    /* A read-only filesystem (iso9660) stays read-only. */
    m->readonly = 1;
    reply_with_error_errno (EROFS, "%s: %s can only be mounted read-only",
                            mountpoint, m->device);
    return -1;
  }
  return 0;
}

/* mkmountpoint / rmmountpoint: names in the daemon's table while
 * nothing is mounted on "/" (mount.c); inside a mounted filesystem, a
 * real directory, as libguestfs's mkdir in its root. */
int
do_mkmountpoint (const char *exemptpath)
{
  char *msg = NULL;
  int r;

  r = storage_mkmountpoint (exemptpath, &msg);
  if (r == 1) {
    free (msg);
    r = fsop_mkdir (exemptpath, 0777);
    if (r < 0) {
      reply_errno_path (r, exemptpath);
      return -1;
    }
    return 0;
  }
  if (r < 0) {
    reply_errno_msg (r, exemptpath, msg);
    return -1;
  }
  free (msg);
  return 0;
}

int
do_rmmountpoint (const char *exemptpath)
{
  char *msg = NULL;
  int r;

  r = storage_rmmountpoint (exemptpath, &msg);
  if (r == 1) {
    free (msg);
    r = fsop_rmdir (exemptpath);
    if (r < 0) {
      reply_errno_path (r, exemptpath);
      return -1;
    }
    return 0;
  }
  if (r < 0) {
    reply_errno_msg (r, exemptpath, msg);
    return -1;
  }
  free (msg);
  return 0;
}

int
do_mount_loop (const char *file, const char *mountpoint)
{
  char *msg = NULL;
  int r = storage_mount_loop (file, mountpoint, &msg);

  if (r < 0) {
    reply_errno_msg (r, file, msg);
    return -1;
  }
  return 0;
}
