/* minnow storage: mkfs and fsck by device name.
 *
 * The device layer of the engines' tool steps: finds the device's range
 * and the engine that owns the filesystem type, and hands over.  What
 * the tools are and how they reach the range is each engine's business
 * (engines/ext/ext-tools.c, engines/fat/fat-tools.c). */

#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage.h"
#include "engine-ext.h"

/* Engine errors about the range name no device; say which. */
static int
device_error (int r, const char *device, char **error_r)
{
  if (error_r && *error_r && (r == -EROFS || r == -ENOSPC)) {
    char *msg = *error_r;

    *error_r = NULL;
    if (r == -EROFS)
      storage_set_error (error_r, "%s: device is read-only", device);
    else
      storage_set_error (error_r, "%s: %s", device, msg);
    free (msg);
  }
  return r;
}

static int
device_range (const char *device, int write, struct engine_range *range,
              char **error_r)
{
  int r = storage_device_range (device, range, error_r);

  if (r < 0)
    return r;
  if (write && range->readonly) {
    storage_set_error (error_r, "%s: device is read-only", device);
    return -EROFS;
  }
  return 0;
}

/* The type names every engine makes, for an error message. */
static void
unknown_type (const char *fstype, const char *what, char **error_r)
{
  char list[256] = "";
  size_t i, j, n = 0;

  for (i = 0; engine_list[i]; i++)
    for (j = 0; engine_list[i]->mkfs_types
           && engine_list[i]->mkfs_types[j]; j++)
      n += (size_t) snprintf (list + n, n < sizeof list ? sizeof list - n : 0,
                              "%s%s", n ? ", " : "",
                              engine_list[i]->mkfs_types[j]);
  storage_set_error (error_r, "%s: unsupported filesystem type (minnow %s "
                     "%s)", fstype, what, list);
}

int
storage_mkfs (const char *fstype, const char *device, int blocksize,
              const char *features, int inode, const char *label,
              char **error_r)
{
  const struct engine_ops *ops = engine_for_type (fstype);
  struct engine_mkfs_opts o = {
    .fstype = fstype, .blocksize = blocksize, .features = features,
    .inode = inode, .label = label,
  };
  struct engine_range range;
  int r;

  if (error_r)
    *error_r = NULL;
  if (ops == NULL || ops->mkfs == NULL) {
    unknown_type (fstype, "makes", error_r);
    return -EINVAL;
  }
  r = storage_device_range (device, &range, error_r);
  if (r < 0)
    return r;
  return device_error (ops->mkfs (&range, &o, error_r), device, error_r);
}

int
storage_fsck (const char *fstype, const char *device, int repair,
              char **output_r, char **error_r)
{
  const struct engine_ops *ops;
  struct engine_range range;
  const char *type;
  int r;

  if (error_r)
    *error_r = NULL;
  if (output_r)
    *output_r = NULL;
  r = device_range (device, repair, &range, error_r);
  if (r < 0)
    return r;
  ops = fstype ? engine_for_type (fstype) : engine_probe (&range, &type);
  if (ops == NULL || ops->fsck == NULL) {
    if (fstype)
      unknown_type (fstype, "checks", error_r);
    else
      storage_set_error (error_r, "%s: no filesystem that minnow can check",
                         device);
    return -EINVAL;
  }
  return device_error (ops->fsck (&range, repair, output_r, error_r),
                       device, error_r);
}

int
storage_e2fsck (const char *device, const char *flags, char **output_r,
                char **error_r)
{
  struct engine_range range;
  int r;

  if (error_r)
    *error_r = NULL;
  if (output_r)
    *output_r = NULL;
  r = device_range (device, strchr (flags, 'n') == NULL, &range, error_r);
  if (r < 0)
    return r;
  return device_error (engine_ext2_e2fsck (&range, flags, output_r, error_r),
                       device, error_r);
}

int
storage_run_e2tool (const char *tool, const char *device,
                    const char *const *args, const char *after, int write,
                    char **output_r, char **error_r)
{
  struct engine_range range;
  int r;

  if (error_r)
    *error_r = NULL;
  if (output_r)
    *output_r = NULL;
  r = device_range (device, write, &range, error_r);
  if (r < 0)
    return r;
  return device_error (engine_ext2_run_tool (&range, tool, args, after,
                                             write, output_r, error_r),
                       device, error_r);
}

int
storage_mke2fs (const char *device, const char *const *args,
                const char *extended, uint64_t size, char **error_r)
{
  struct engine_range range;
  int r;

  if (error_r)
    *error_r = NULL;
  r = device_range (device, 1, &range, error_r);
  if (r < 0)
    return r;
  r = engine_ext2_mke2fs (&range, args, extended, size, error_r);
  if (r == -EINVAL && error_r && *error_r) {
    char *msg = *error_r;       /* the size asked for: name the device */

    *error_r = NULL;
    storage_set_error (error_r, "%s: %s", device, msg);
    free (msg);
  }
  return device_error (r, device, error_r);
}
