/* minnow: libguestfs's e2fsprogs calls (mke2fs with its optional
 * arguments, tune2fs, resize2fs, resize2fs_size, resize2fs_M).
 *
 * The real e2fsprogs tools run through the command core on the
 * device's byte range of the drive descriptor (mkfs.c).  A tool that
 * changes a mounted filesystem runs while minnow's copy of it is closed
 * (storage_mount_offline), so nothing the engine caches goes stale. */

#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "storage-actions.h"
#include "actions.h"

/* A growing argv. */
struct args {
  char *v[96];
  size_t n;
  int oom;
};

static void
add (struct args *a, const char *s)
{
  if (a->oom || a->n + 1 >= sizeof a->v / sizeof a->v[0]) {
    a->oom = 1;
    return;
  }
  a->v[a->n] = strdup (s);
  if (a->v[a->n] == NULL)
    a->oom = 1;
  else
    a->v[++a->n] = NULL;
}

static void
addf (struct args *a, const char *fmt, ...)
  __attribute__((format (printf, 2, 3)));

static void
addf (struct args *a, const char *fmt, ...)
{
  va_list ap;
  char *s;

  va_start (ap, fmt);
  if (vasprintf (&s, fmt, ap) == -1)
    a->oom = 1;
  else {
    add (a, s);
    free (s);
  }
  va_end (ap);
}

static void
args_free (struct args *a)
{
  size_t i;

  for (i = 0; i < a->n; i++)
    free (a->v[i]);
  a->n = 0;
}

/* Appends ",item" (or "item") to a comma list. */
static void
list_add (char *list, size_t size, const char *item)
{
  size_t len = strlen (list);

  snprintf (list + len, size - len, "%s%s", len ? "," : "", item);
}

/* A tool run, possibly while the mounted filesystem is closed. */
struct e2call {
  const char *tool, *device;
  const char *const *args;
  const char *after;
  char *out, *msg;
  int status;
};

static int
e2call_run (void *opaque)
{
  struct e2call *c = opaque;

  c->status = storage_run_e2tool (c->tool, c->device, c->args, c->after, 1,
                                  &c->out, &c->msg);
  return c->status < 0 ? c->status : 0;
}

/* Runs the tool on c->device, mounted or not; replies on failure. */
static int
run_e2 (struct e2call *c)
{
  struct mount *m = storage_mount_of_device (c->device);
  char *msg = NULL;
  int r;

  c->status = -EIO;
  if (m)
    r = storage_mount_offline (m, e2call_run, c, &msg);
  else
    r = e2call_run (c);
  if (r < 0 || c->status != 0) {
    if (c->status > 0)
      reply_with_error_errno (EIO, "%s: %s failed (status %d): %s",
                              c->device, c->tool, c->status,
                              c->out ? c->out : "");
    else if (msg) {
      reply_errno_msg (r, c->device, msg);
      msg = NULL;
    } else {
      reply_errno_msg (r, c->device, c->msg);
      c->msg = NULL;
    }
    free (msg);
    free (c->out);
    free (c->msg);
    return -1;
  }
  free (msg);
  free (c->out);
  free (c->msg);
  return 0;
}

/* ---------------------------------------------------------------- */
/* mke2fs.                                                            */

/* optargs of mke2fs, in api.def order. */
enum {
  O_BLOCKSCOUNT, O_BLOCKSIZE, O_FRAGSIZE, O_BLOCKSPERGROUP,
  O_NUMBEROFGROUPS, O_BYTESPERINODE, O_INODESIZE, O_JOURNALSIZE,
  O_NUMBEROFINODES, O_STRIDESIZE, O_STRIPEWIDTH, O_MAXONLINERESIZE,
  O_RESERVEDBLOCKSPERCENTAGE, O_MMPUPDATEINTERVAL, O_JOURNALDEVICE,
  O_LABEL, O_LASTMOUNTEDDIR, O_CREATOROS, O_FSTYPE, O_USAGETYPE, O_UUID,
  O_FORCECREATE, O_WRITESBANDGROUPONLY, O_LAZYITABLEINIT,
  O_LAZYJOURNALINIT, O_TESTFS, O_DISCARD, O_QUOTATYPE, O_EXTENT,
  O_FILETYPE, O_FLEXBG, O_HASJOURNAL, O_JOURNALDEV, O_LARGEFILE, O_QUOTA,
  O_RESIZEINODE, O_SPARSESUPER, O_UNINITBG,
};
#define GIVEN(o) ((optargs_bitmask & (UINT64_C(1) << (o))) != 0)

int
do_mke2fs (const char *device, int64_t blockscount, int64_t blocksize,
           int64_t fragsize, int64_t blockspergroup, int64_t numberofgroups,
           int64_t bytesperinode, int64_t inodesize, int64_t journalsize,
           int64_t numberofinodes, int64_t stridesize, int64_t stripewidth,
           int64_t maxonlineresize, int reservedblockspercentage,
           int mmpupdateinterval, const char *journaldevice,
           const char *label, const char *lastmounteddir,
           const char *creatoros, const char *fstype, const char *usagetype,
           const char *uuid, int forcecreate, int writesbandgrouponly,
           int lazyitableinit, int lazyjournalinit, int testfs, int discard,
           int quotatype, int extent, int filetype, int flexbg,
           int hasjournal, int journaldev, int largefile, int quota,
           int resizeinode, int sparsesuper, int uninitbg)
{
  struct args a = { .n = 0 };
  char features[512] = "", ext[512] = "", item[64], *msg = NULL;
  uint64_t size = 0;
  size_t i;
  int r;
  struct { int opt; int value; const char *name; } feats[] = {
    { O_EXTENT, extent, "extent" }, { O_FILETYPE, filetype, "filetype" },
    { O_FLEXBG, flexbg, "flex_bg" }, { O_HASJOURNAL, hasjournal, "has_journal" },
    { O_JOURNALDEV, journaldev, "journal_dev" },
    { O_LARGEFILE, largefile, "large_file" }, { O_QUOTA, quota, "quota" },
    { O_RESIZEINODE, resizeinode, "resize_inode" },
    { O_SPARSESUPER, sparsesuper, "sparse_super" },
    { O_UNINITBG, uninitbg, "uninit_bg" },
  };
  struct { int opt; int64_t value; const char *flag; } nums[] = {
    { O_BLOCKSIZE, blocksize, "-b" }, { O_BLOCKSPERGROUP, blockspergroup, "-g" },
    { O_NUMBEROFGROUPS, numberofgroups, "-G" },
    { O_BYTESPERINODE, bytesperinode, "-i" }, { O_INODESIZE, inodesize, "-I" },
    { O_NUMBEROFINODES, numberofinodes, "-N" },
  };
  struct { int opt; const char *value; const char *flag; } strs[] = {
    { O_LABEL, label, "-L" }, { O_LASTMOUNTEDDIR, lastmounteddir, "-M" },
    { O_CREATOROS, creatoros, "-o" }, { O_USAGETYPE, usagetype, "-T" },
    { O_UUID, uuid, "-U" },
  };

  (void) forcecreate;           /* -F is always given: the target is ours */
  if (device_in_use (device)) {
    reply_with_error_errno (EBUSY, "%s: device is mounted", device);
    return -1;
  }
  if (GIVEN (O_JOURNALDEVICE)) {
    reply_with_error_errno (EINVAL, "journaldevice %s: external journals "
                            "are not supported", journaldevice);
    return -1;
  }
  if (GIVEN (O_FRAGSIZE)
      && (!GIVEN (O_BLOCKSIZE) || fragsize != blocksize)) {
    reply_with_error_errno (EINVAL, "fragsize %" PRIi64 ": ext2/3/4 have no "
                            "fragments smaller than a block (give it equal "
                            "to blocksize, or not at all)", fragsize);
    return -1;
  }
  if (GIVEN (O_FSTYPE) && strcmp (fstype, "ext2") != 0
      && strcmp (fstype, "ext3") != 0 && strcmp (fstype, "ext4") != 0) {
    reply_with_error_errno (EINVAL, "fstype %s: mke2fs makes ext2, ext3 "
                            "or ext4", fstype);
    return -1;
  }
  if (GIVEN (O_LABEL) && strlen (label) > 16) {
    reply_with_error_errno (ERANGE, "label \"%s\" is too long (ext2/3/4: "
                            "16 bytes)", label);
    return -1;
  }
  if (GIVEN (O_RESERVEDBLOCKSPERCENTAGE)
      && (reservedblockspercentage < 0 || reservedblockspercentage > 50)) {
    reply_with_error_errno (EINVAL, "reservedblockspercentage %d: must be "
                            "between 0 and 50", reservedblockspercentage);
    return -1;
  }
  for (i = 0; i < sizeof nums / sizeof nums[0]; i++)
    if (GIVEN (nums[i].opt) && nums[i].value <= 0) {
      reply_with_error_errno (EINVAL, "%s %" PRIi64 ": must be positive",
                              nums[i].flag, nums[i].value);
      return -1;
    }
  if (GIVEN (O_BLOCKSCOUNT)) {
    if (blockscount <= 0) {
      reply_with_error_errno (EINVAL, "blockscount %" PRIi64 ": must be "
                              "positive", blockscount);
      return -1;
    }
    /* mke2fs counts in blocks of -b, else in KiB. */
    size = (uint64_t) blockscount * (GIVEN (O_BLOCKSIZE) ? blocksize : 1024);
  }

  add (&a, "-t");
  add (&a, GIVEN (O_FSTYPE) ? fstype : "ext2");
  for (i = 0; i < sizeof nums / sizeof nums[0]; i++)
    if (GIVEN (nums[i].opt))
      addf (&a, "%s%" PRIi64, nums[i].flag, nums[i].value);
  for (i = 0; i < sizeof strs / sizeof strs[0]; i++)
    if (GIVEN (strs[i].opt)) {
      add (&a, strs[i].flag);
      add (&a, strs[i].value);
    }
  if (GIVEN (O_RESERVEDBLOCKSPERCENTAGE))
    addf (&a, "-m%d", reservedblockspercentage);
  if (GIVEN (O_JOURNALSIZE)) {
    add (&a, "-J");
    addf (&a, "size=%" PRIi64, journalsize);
  }
  if (GIVEN (O_WRITESBANDGROUPONLY) && writesbandgrouponly)
    add (&a, "-S");
  for (i = 0; i < sizeof feats / sizeof feats[0]; i++)
    if (GIVEN (feats[i].opt)) {
      snprintf (item, sizeof item, "%s%s", feats[i].value ? "" : "^",
                feats[i].name);
      list_add (features, sizeof features, item);
    }
  if (features[0]) {
    add (&a, "-O");
    add (&a, features);
  }
  if (GIVEN (O_STRIDESIZE)) {
    snprintf (item, sizeof item, "stride=%" PRIi64, stridesize);
    list_add (ext, sizeof ext, item);
  }
  if (GIVEN (O_STRIPEWIDTH)) {
    snprintf (item, sizeof item, "stripe_width=%" PRIi64, stripewidth);
    list_add (ext, sizeof ext, item);
  }
  if (GIVEN (O_MAXONLINERESIZE)) {
    snprintf (item, sizeof item, "resize=%" PRIi64, maxonlineresize);
    list_add (ext, sizeof ext, item);
  }
  if (GIVEN (O_MMPUPDATEINTERVAL)) {
    snprintf (item, sizeof item, "mmp_update_interval=%d", mmpupdateinterval);
    list_add (ext, sizeof ext, item);
  }
  if (GIVEN (O_LAZYITABLEINIT)) {
    snprintf (item, sizeof item, "lazy_itable_init=%d", !!lazyitableinit);
    list_add (ext, sizeof ext, item);
  }
  if (GIVEN (O_LAZYJOURNALINIT)) {
    snprintf (item, sizeof item, "lazy_journal_init=%d", !!lazyjournalinit);
    list_add (ext, sizeof ext, item);
  }
  if (GIVEN (O_TESTFS) && testfs)
    list_add (ext, sizeof ext, "test_fs");
  if (GIVEN (O_QUOTATYPE) && quotatype)
    list_add (ext, sizeof ext, "quotatype=usrquota:grpquota");
  (void) discard;               /* never: minnow does not discard (nodiscard) */
  if (a.oom) {
    args_free (&a);
    reply_with_perror ("mke2fs");
    return -1;
  }
  r = storage_mke2fs (device, (const char *const *) a.v,
                      ext[0] ? ext : NULL, size, &msg);
  args_free (&a);
  if (r < 0) {
    reply_errno_msg (r, device, msg);
    return -1;
  }
  return 0;
}

/* ---------------------------------------------------------------- */
/* tune2fs.                                                           */

enum {
  T_FORCE, T_MAXMOUNTCOUNT, T_MOUNTCOUNT, T_ERRORBEHAVIOR, T_GROUP,
  T_INTERVALBETWEENCHECKS, T_RESERVEDBLOCKSPERCENTAGE,
  T_LASTMOUNTEDDIRECTORY, T_RESERVEDBLOCKSCOUNT, T_USER,
};

int
do_tune2fs (const char *device, int force, int maxmountcount, int mountcount,
            const char *errorbehavior, int64_t group,
            int intervalbetweenchecks, int reservedblockspercentage,
            const char *lastmounteddirectory, int64_t reservedblockscount,
            int64_t user)
{
  struct args a = { .n = 0 };
  struct e2call c = { .tool = "tune2fs", .device = device };
  int r;

  if (GIVEN (T_ERRORBEHAVIOR) && strcmp (errorbehavior, "continue") != 0
      && strcmp (errorbehavior, "remount-ro") != 0
      && strcmp (errorbehavior, "panic") != 0) {
    reply_with_error_errno (EINVAL, "errorbehavior %s: must be continue, "
                            "remount-ro or panic", errorbehavior);
    return -1;
  }
  if ((GIVEN (T_GROUP) && group < 0) || (GIVEN (T_USER) && user < 0)
      || (GIVEN (T_RESERVEDBLOCKSCOUNT) && reservedblockscount < 0)
      || (GIVEN (T_MOUNTCOUNT) && mountcount < 0)
      || (GIVEN (T_INTERVALBETWEENCHECKS) && intervalbetweenchecks < 0)) {
    reply_with_error_errno (EINVAL, "a count, group or user must not be "
                            "negative");
    return -1;
  }
  if (GIVEN (T_RESERVEDBLOCKSPERCENTAGE)
      && (reservedblockspercentage < 0 || reservedblockspercentage > 50)) {
    reply_with_error_errno (EINVAL, "reservedblockspercentage %d: must be "
                            "between 0 and 50", reservedblockspercentage);
    return -1;
  }
  if (GIVEN (T_FORCE) && force)
    add (&a, "-f");
  if (GIVEN (T_MAXMOUNTCOUNT))
    addf (&a, "-c%d", maxmountcount);
  if (GIVEN (T_MOUNTCOUNT))
    addf (&a, "-C%d", mountcount);
  if (GIVEN (T_ERRORBEHAVIOR))
    addf (&a, "-e%s", errorbehavior);
  if (GIVEN (T_GROUP))
    addf (&a, "-g%" PRIi64, group);
  if (GIVEN (T_INTERVALBETWEENCHECKS))
    addf (&a, "-i%ds", intervalbetweenchecks);
  if (GIVEN (T_RESERVEDBLOCKSPERCENTAGE))
    addf (&a, "-m%d", reservedblockspercentage);
  if (GIVEN (T_LASTMOUNTEDDIRECTORY)) {
    add (&a, "-M");
    add (&a, lastmounteddirectory);
  }
  if (GIVEN (T_RESERVEDBLOCKSCOUNT))
    addf (&a, "-r%" PRIi64, reservedblockscount);
  if (GIVEN (T_USER))
    addf (&a, "-u%" PRIi64, user);
  if (a.oom) {
    args_free (&a);
    reply_with_perror ("tune2fs");
    return -1;
  }
  if (a.n == 0)
    return 0;                   /* nothing to change */
  c.args = (const char *const *) a.v;
  r = run_e2 (&c);
  args_free (&a);
  return r;
}

/* ---------------------------------------------------------------- */
/* resize2fs.                                                         */

static int
resize (const char *device, const char *flag, uint64_t size)
{
  const char *args[] = { flag, NULL };
  struct e2call c = { .tool = "resize2fs", .device = device };
  struct engine_range range;
  char *msg = NULL, after[32];
  int r;

  r = storage_device_range (device, &range, &msg);
  if (r < 0) {
    reply_errno_msg (r, device, msg);
    return -1;
  }
  free (msg);
  if (size == 0)
    size = range.length;        /* the whole device */
  if (size > range.length) {
    reply_with_error_errno (EINVAL, "%s: size %" PRIu64 " is larger than "
                            "the device (%" PRIu64 " bytes)", device, size,
                            range.length);
    return -1;
  }
  /* resize2fs cannot see where the range ends: always say the size. */
  snprintf (after, sizeof after, "%" PRIu64 "K", size / 1024);
  c.args = flag ? args : NULL;
  c.after = flag ? NULL : after;
  return run_e2 (&c);
}

int
do_resize2fs (const char *device)
{
  return resize (device, NULL, 0);
}

int
do_resize2fs_size (const char *device, int64_t size)
{
  if (size <= 0) {
    reply_with_error_errno (EINVAL, "%s: size %" PRIi64 ": must be "
                            "positive", device, size);
    return -1;
  }
  return resize (device, NULL, (uint64_t) size);
}

int
do_resize2fs_M (const char *device)
{
  return resize (device, "-M", 0);
}
