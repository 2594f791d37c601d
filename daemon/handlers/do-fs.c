/* minnow: making, checking and describing filesystems (mkfs, e2fsck,
 * vfs_*, tune2fs_l, statvfs, list_filesystems). */

#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "command.h"
#include "storage-actions.h"
#include "part.h"
#include "actions.h"

/* optargs_bitmask bits of mkfs, in api.def order. */
#define MKFS_BLOCKSIZE  (1 << 0)
#define MKFS_FEATURES   (1 << 1)
#define MKFS_INODE      (1 << 2)
#define MKFS_SECTORSIZE (1 << 3)
#define MKFS_LABEL      (1 << 4)

int
do_mkfs (const char *fstype, const char *device, int blocksize,
         const char *features, int inode, int sectorsize, const char *label)
{
  char *msg = NULL;
  int r;

  if (device_in_use (device)) {
    reply_with_error_errno (EBUSY, "%s: device is mounted", device);
    return -1;
  }
  if ((optargs_bitmask & MKFS_SECTORSIZE) && sectorsize != 512) {
    reply_with_error_errno (EINVAL, "sectorsize %d: only 512 is supported",
                            sectorsize);
    return -1;
  }
  r = storage_mkfs (fstype, device,
                    optargs_bitmask & MKFS_BLOCKSIZE ? blocksize : 0,
                    optargs_bitmask & MKFS_FEATURES ? features : NULL,
                    optargs_bitmask & MKFS_INODE ? inode : 0,
                    optargs_bitmask & MKFS_LABEL ? label : NULL, &msg);
  if (r < 0) {
    reply_errno_msg (r, device, msg);
    return -1;
  }
  return 0;
}

/* Opens the filesystem on device for reading: the mounted one when it
 * is mounted (it may hold changes not yet on disk), else a fresh one
 * that the caller closes (*opened set). */
static struct engine_fs *
fs_of (const char *device, int write, int *opened)
{
  struct mount *m = storage_mount_of_device (device);
  struct engine_range range;
  const struct engine_ops *ops;
  const char *type;
  struct engine_fs *fs;
  char *msg = NULL;
  int r;

  *opened = 0;
  if (m)
    return m->fs;
  r = storage_device_range (device, &range, &msg);
  if (r < 0) {
    reply_errno_msg (r, device, msg);
    return NULL;
  }
  ops = engine_probe (&range, &type);
  if (ops == NULL) {
    reply_with_error_errno (EINVAL, "%s: no filesystem that minnow knows",
                            device);
    return NULL;
  }
  if (!write)
    range.readonly = 1;
  r = ops->open (&range, &fs, &msg);
  if (r == ENGINE_NEEDS_RECOVERY)
    r = -EUCLEAN;
  if (r < 0) {
    reply_with_error_errno (-r, "%s: %s", device, msg ? msg : strerror (-r));
    free (msg);
    return NULL;
  }
  *opened = 1;
  return fs;
}

char *
do_vfs_type (const char *mountable)
{
  struct engine_range range;
  const char *type = "";
  char *msg = NULL, *ret;
  int r;

  r = storage_device_range (mountable, &range, &msg);
  if (r < 0) {
    reply_errno_msg (r, mountable, msg);
    return NULL;
  }
  if (engine_probe (&range, &type) == NULL)
    type = "";
  ret = strdup (type);
  if (ret == NULL)
    reply_with_perror ("strdup");
  return ret;
}

char *
do_vfs_label (const char *mountable)
{
  struct engine_fs *fs;
  char *label = NULL;
  int opened, r;

  fs = fs_of (mountable, 0, &opened);
  if (fs == NULL)
    return NULL;
  r = fs->ops->get_label (fs, &label);
  if (opened)
    fs->ops->close (fs);
  if (r < 0) {
    reply_errno_path (r, mountable);
    return NULL;
  }
  return label;
}

char *
do_vfs_uuid (const char *mountable)
{
  struct engine_fs *fs;
  char *ret;
  int opened, r;

  fs = fs_of (mountable, 0, &opened);
  if (fs == NULL)
    return NULL;
  /* A UUID that is not 16 bytes (FAT's serial, ISO 9660's date) comes
   * as the engine spells it, as blkid does. */
  r = engine_uuid_string (fs, &ret);
  if (opened)
    fs->ops->close (fs);
  if (r < 0) {
    reply_errno_path (r, mountable);
    return NULL;
  }
  return ret;
}

int
do_set_label (const char *mountable, const char *label)
{
  struct engine_fs *fs;
  char why[sizeof fs->last_error];
  int opened, r, r2 = 0;

  fs = fs_of (mountable, 1, &opened);
  if (fs == NULL)
    return -1;
  fs->last_error[0] = '\0';
  r = fs->ops->set_label (fs, label);
  /* The engine says what its labels can hold. */
  snprintf (why, sizeof why, "%s", engine_last_error (fs));
  if (opened)
    r2 = fs->ops->close (fs);
  else if (r == 0)
    r2 = fs->ops->sync (fs);
  if (r < 0 && why[0]) {
    reply_with_error_errno (-r, "%s: %s", mountable, why);
    return -1;
  }
  if (r < 0 || r2 < 0) {
    reply_errno_path (r < 0 ? r : r2, mountable);
    return -1;
  }
  return 0;
}

/* tune2fs lives beside mke2fs. */
static char *
tune2fs_path (void)
{
  const char *slash = strrchr (MKE2FS, '/');
  char *p;

  if (asprintf (&p, "%.*stune2fs", slash ? (int) (slash - MKE2FS + 1) : 0,
                MKE2FS) == -1)
    return NULL;
  return p;
}

/* Runs tune2fs with arg (and value, if not NULL) on the device's range;
 * output in *out. */
static int
run_tune2fs (const char *device, const char *arg, const char *value,
             char **out)
{
  struct engine_range range;
  struct command *cmd;
  char *msg = NULL, *prog;
  size_t len;
  int r, status;

  r = storage_device_range (device, &range, &msg);
  if (r < 0) {
    reply_errno_msg (r, device, msg);
    return -1;
  }
  if (value && range.readonly) {
    reply_with_error_errno (EROFS, "%s: device is read-only", device);
    return -1;
  }
  prog = tune2fs_path ();
  cmd = command_new (prog ? prog : "tune2fs");
  free (prog);
  command_add_arg (cmd, arg);
  if (value)
    command_add_arg (cmd, value);
  command_add_arg_format (cmd, "/proc/self/fd/3?offset=%" PRIu64,
                          range.offset);
  command_pass_fd (cmd, range.fd, 0);
  command_set_renumber_fds (cmd);
  command_set_output_buffer (cmd, out, &len);
  command_add_env_pair (cmd, "LC_ALL", "C");
  if (command_run (cmd, &status) == -1) {
    reply_with_error_errno (EIO, "%s: tune2fs: %s", device,
                            command_get_error (cmd));
    command_free (cmd);
    return -1;
  }
  command_free (cmd);
  if (status != 0) {
    reply_with_error_errno (EIO, "%s: tune2fs %s failed (status %d): %s",
                            device, arg, status, *out ? *out : "");
    free (*out);
    *out = NULL;
    return -1;
  }
  return 0;
}

/* tune2fs on a device, for storage_mount_offline. */
struct tune2fs_call {
  const char *device, *arg, *value;
  int replied;                  /* run_tune2fs failed and replied */
};

static int
tune2fs_offline (void *opaque)
{
  struct tune2fs_call *c = opaque;
  char *out = NULL;

  if (run_tune2fs (c->device, c->arg, c->value, &out) < 0) {
    c->replied = 1;
    return -EIO;
  }
  free (out);
  return 0;
}

/* Runs tune2fs ARG VALUE on device, mounted or not: a mounted
 * filesystem is closed around the run (tune2fs may rewrite every
 * checksum, as for -U) and opened again.  Replies on failure. */
static int
tune2fs_change (const char *device, const char *arg, const char *value)
{
  struct tune2fs_call c = { device, arg, value, 0 };
  struct mount *m = storage_mount_of_device (device);
  char *msg = NULL;
  int r;

  if (m == NULL)
    return tune2fs_offline (&c) < 0 ? -1 : 0;
  r = storage_mount_offline (m, tune2fs_offline, &c, &msg);
  if (r < 0) {
    if (c.replied)
      fprintf (stderr, "minnowd: %s\n", msg ? msg : "");
    else
      reply_errno_msg (r, device, msg);
    return -1;
  }
  free (msg);
  return 0;
}

int
do_set_uuid (const char *device, const char *uuid)
{
  return tune2fs_change (device, "-U", uuid);
}

int
do_set_uuid_random (const char *device)
{
  return tune2fs_change (device, "-U", "random");
}

char **
do_tune2fs_l (const char *device)
{
  char *out = NULL, *line, *save = NULL;
  char **list;
  size_t n = 0;

  if (storage_mount_of_device (device)
      && storage_sync_all () < 0) {
    reply_with_perror ("%s: sync", device);
    return NULL;
  }
  if (run_tune2fs (device, "-l", NULL, &out) < 0)
    return NULL;
  list = strlist_new (256);
  if (list == NULL) {
    free (out);
    return NULL;
  }
  for (line = strtok_r (out, "\n", &save); line && n < 254;
       line = strtok_r (NULL, "\n", &save)) {
    char *colon = strchr (line, ':'), *value;
    if (colon == NULL || strncmp (line, "tune2fs ", 8) == 0)
      continue;
    *colon = '\0';
    value = colon + 1;
    while (*value == ' ' || *value == '\t')
      value++;
    list[n] = strdup (line);
    list[n + 1] = strdup (strcmp (value, "<none>") == 0 ? "" : value);
    if (list[n] == NULL || list[n + 1] == NULL) {
      strlist_free (list);
      free (out);
      reply_with_perror ("strdup");
      return NULL;
    }
    n += 2;
  }
  free (out);
  return list;
}

/* optargs of e2fsck. */
#define E2FSCK_CORRECT  (1 << 0)
#define E2FSCK_FORCEALL (1 << 1)

int
do_e2fsck (const char *device, int correct, int forceall)
{
  char *msg = NULL, *out = NULL;
  const char *flags = "-fn";
  int status;

  correct = (optargs_bitmask & E2FSCK_CORRECT) && correct;
  forceall = (optargs_bitmask & E2FSCK_FORCEALL) && forceall;
  if (correct && forceall) {
    reply_with_error_errno (EINVAL, "only one of correct and forceall "
                            "may be true");
    return -1;
  }
  if (correct)
    flags = "-fp";
  else if (forceall)
    flags = "-fy";
  if (device_in_use (device)) {
    reply_with_error_errno (EBUSY, "%s: device is mounted", device);
    return -1;
  }
  status = storage_e2fsck (device, flags, &out, &msg);
  if (status < 0) {
    free (out);
    reply_errno_msg (status, device, msg);
    return -1;
  }
  if (status >= 4 || (status != 0 && !correct && !forceall)) {
    reply_with_error_errno (EUCLEAN, "%s: e2fsck %s: exit status %d: %s",
                            device, flags, status, out ? out : "");
    free (out);
    free (msg);
    return -1;
  }
  free (out);
  free (msg);
  return 0;
}

minnow_int_statvfs *
do_statvfs (const char *path)
{
  struct engine_statvfs sv;
  minnow_int_statvfs *ret;
  int r;

  r = fsop_statvfs (path, &sv);
  if (r < 0) {
    reply_errno_path (r, path);
    return NULL;
  }
  ret = calloc (1, sizeof *ret);
  if (ret == NULL) {
    reply_with_perror ("calloc");
    return NULL;
  }
  ret->bsize = sv.bsize;
  ret->frsize = sv.frsize;
  ret->blocks = sv.blocks;
  ret->bfree = sv.bfree;
  ret->bavail = sv.bavail;
  ret->files = sv.files;
  ret->ffree = sv.ffree;
  ret->favail = sv.favail;
  ret->fsid = sv.fsid;
  ret->flag = sv.flag;
  ret->namemax = sv.namemax;
  return ret;
}

/* An MBR extended partition: a container of logical ones. */
static int
is_extended (size_t drive, int partnum)
{
  struct storage_part_info info;
  int id;

  if (storage_part_get_info (drive, partnum, &info, NULL) < 0)
    return 0;
  id = info.mbr_id;
  storage_part_info_free (&info);
  return id == 0x05 || id == 0x0f || id == 0x85;
}

/* Every device that may hold a filesystem: whole drives without a
 * partition table, and partitions (extended ones excluded). */
char **
do_list_filesystems (void)
{
  size_t d, nd = storage_drive_count (), n = 0, cap = 16;
  char **list = strlist_new (cap);

  if (list == NULL)
    return NULL;
  for (d = 0; d < nd; d++) {
    struct storage_partition *parts = NULL;
    char *drive = storage_drive_name (d);
    int np, i;

    np = storage_list_partitions (d, &parts, NULL);
    if (np < 0)
      np = 0;
    for (i = -1; i < np; i++) {
      char *dev;
      struct engine_range range;
      const char *type = "unknown";

      if (i == -1 && np > 0)
        continue;               /* a partitioned drive itself */
      if (i == -1)
        dev = strdup (drive);
      else if (asprintf (&dev, "%s%d", drive, parts[i].partnum) == -1)
        dev = NULL;
      if (dev == NULL)
        goto oom;
      if (i >= 0 && is_extended (d, parts[i].partnum)) {
        free (dev);
        continue;
      }
      if (storage_device_range (dev, &range, NULL) == 0
          && engine_probe (&range, &type) == NULL)
        type = "unknown";
      if (n + 2 >= cap) {
        char **l = realloc (list, (cap *= 2) * sizeof *l);
        if (l == NULL) {
          free (dev);
          goto oom;
        }
        list = l;
      }
      list[n++] = dev;
      list[n++] = strdup (type);
      list[n] = NULL;
      if (list[n - 1] == NULL)
        goto oom;
    }
    free (parts);
    free (drive);
    continue;
  oom:
    free (parts);
    free (drive);
    strlist_free (list);
    reply_with_perror ("list_filesystems");
    return NULL;
  }
  return list;
}
