/* minnow: the inspection actions (inspect_os, inspect_get_*,
 * inspect_list_applications2) and the cache they answer from. */

#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage-actions.h"
#include "part.h"
#include "inspect.h"
#include "actions.h"

/* The result of the last inspect_os of this daemon (one per handle). */
static struct inspect_root *roots;
static size_t nroots;
static int inspected;

static void
clear_cache (void)
{
  size_t i;

  for (i = 0; i < nroots; i++)
    inspect_root_free (&roots[i]);
  free (roots);
  roots = NULL;
  nroots = 0;
  inspected = 0;
}

/* ---------------------------------------------------------------- */
/* The devices of this daemon, with what an fstab may name them by.   */

struct devinfo {
  char *device;
  char uuid[37];                /* "" when not a filesystem we read */
  char *label;
  char partuuid[40];            /* GPT partition GUID, or MBR "xxxxxxxx-NN" */
};

static void
devinfo_free (struct devinfo *d, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++) {
    free (d[i].device);
    free (d[i].label);
  }
  free (d);
}

static void
lower (char *s)
{
  for (; *s; s++)
    if (*s >= 'A' && *s <= 'Z')
      *s += 'a' - 'A';
}

/* Label and UUID of the filesystem on device, when we read it. */
static void
fs_ids (const char *device, struct devinfo *d)
{
  struct mount *m = storage_mount_of_device (device);
  struct engine_range range;
  const struct engine_ops *ops;
  const char *type;
  struct engine_fs *fs = NULL;
  char *msg = NULL;

  if (m)
    fs = m->fs;
  else {
    if (storage_device_range (device, &range, NULL) < 0)
      return;
    range.readonly = 1;
    ops = engine_probe (&range, &type);
    if (ops == NULL)
      return;
    if (ops->open (&range, &fs, &msg) < 0) {
      free (msg);
      return;
    }
  }
  {
    char *us = NULL;
    if (engine_uuid_string (fs, &us) == 0)
      snprintf (d->uuid, sizeof d->uuid, "%s", us);
    free (us);
  }
  if (fs->ops->get_label (fs, &d->label) < 0)
    d->label = NULL;
  if (!m)
    fs->ops->close (fs);
}

/* The MBR disk signature of drive index, or -1. */
static int64_t
mbr_signature (size_t index)
{
  struct engine_range r;
  unsigned char b[4];

  if (storage_drive_range (index, &r) < 0 || r.length < 512)
    return -1;
  if (pread (r.fd, b, 4, r.offset + 440) != 4)
    return -1;
  return (int64_t) ((uint32_t) b[0] | (uint32_t) b[1] << 8
                    | (uint32_t) b[2] << 16 | (uint32_t) b[3] << 24);
}

static int
collect_devices (struct devinfo **devs_r, size_t *n_r)
{
  size_t d, nd = storage_drive_count (), n = 0, cap = 0;
  struct devinfo *devs = NULL;

  for (d = 0; d < nd; d++) {
    struct storage_partition *parts = NULL;
    int np = storage_list_partitions (d, &parts, NULL), i;
    char *drive = storage_drive_name (d);
    char *ptype = NULL;
    int64_t sig = -1;

    if (drive == NULL) {
      free (parts);
      goto oom;
    }
    if (np < 0)
      np = 0;
    if (np > 0 && storage_part_get_parttype (d, &ptype, NULL) == 0
        && strcmp (ptype, "msdos") == 0)
      sig = mbr_signature (d);
    for (i = (np > 0 ? 0 : -1); i < np; i++) {
      struct devinfo *e;

      if (n == cap) {
        size_t c = cap ? cap * 2 : 8;
        struct devinfo *nv = realloc (devs, c * sizeof *nv);
        if (nv == NULL) {
          free (parts);
          free (drive);
          free (ptype);
          goto oom;
        }
        devs = nv;
        cap = c;
      }
      e = &devs[n];
      memset (e, 0, sizeof *e);
      if (i < 0)
        e->device = strdup (drive);
      else if (asprintf (&e->device, "%s%d", drive, parts[i].partnum) == -1)
        e->device = NULL;
      if (e->device == NULL) {
        free (parts);
        free (drive);
        free (ptype);
        goto oom;
      }
      n++;
      if (i >= 0) {
        if (sig >= 0)
          snprintf (e->partuuid, sizeof e->partuuid, "%08x-%02x",
                    (unsigned) sig, (unsigned) parts[i].partnum);
        else {
          struct storage_part_info info;
          if (storage_part_get_info (d, parts[i].partnum, &info, NULL) == 0) {
            if (info.gpt_guid) {
              snprintf (e->partuuid, sizeof e->partuuid, "%s", info.gpt_guid);
              lower (e->partuuid);
            }
            storage_part_info_free (&info);
          }
        }
      }
      fs_ids (e->device, e);
    }
    free (parts);
    free (drive);
    free (ptype);
  }
  *devs_r = devs;
  *n_r = n;
  return 0;

 oom:
  devinfo_free (devs, n);
  return -ENOMEM;
}

/* /dev/(h|s|v|xv)d<letters><digits> of the guest -> our /dev/sd name
 * when we have that drive, else NULL (the spec stays as written). */
static char *
resolve_dev_name (const char *spec)
{
  const char *p = spec + 5;
  size_t index;
  int partnum;
  char *name, *out;

  if (strncmp (p, "xvd", 3) == 0)
    p += 3;
  else if ((p[0] == 'h' || p[0] == 's' || p[0] == 'v') && p[1] == 'd')
    p += 2;
  else
    return NULL;
  if (asprintf (&name, "/dev/sd%s", p) == -1)
    return NULL;
  if (storage_parse_device (name, &index, &partnum) < 0
      || index >= storage_drive_count ()) {
    free (name);
    return NULL;
  }
  if (partnum == 0)
    return name;
  out = storage_drive_name (index);
  free (name);
  if (out && asprintf (&name, "%s%d", out, partnum) == -1)
    name = NULL;
  free (out);
  return name;
}

static int
strcaseeq_uuid (const char *a, const char *b)
{
  return *a && strcasecmp (a, b) == 0;
}

/* Resolves one fstab spec: a device name of ours (malloc'd), the spec
 * itself for a device name we do not have, or NULL to drop the entry. */
static char *
resolve_spec (const char *spec, const char *root_device,
              const struct devinfo *devs, size_t ndevs)
{
  char *v;
  size_t i;

  if (strncmp (spec, "UUID=", 5) == 0 || strncmp (spec, "LABEL=", 6) == 0
      || strncmp (spec, "PARTUUID=", 9) == 0) {
    int kind = spec[0] == 'U' ? 0 : spec[0] == 'L' ? 1 : 2;
    v = strdup (strchr (spec, '=') + 1);
    if (v == NULL)
      return NULL;
    inspect_unquote (v);
    for (i = 0; i < ndevs; i++)
      if ((kind == 0 && strcaseeq_uuid (devs[i].uuid, v))
          || (kind == 1 && devs[i].label && devs[i].label[0]
              && strcmp (devs[i].label, v) == 0)
          || (kind == 2 && strcaseeq_uuid (devs[i].partuuid, v))) {
        free (v);
        return strdup (devs[i].device);
      }
    free (v);
    return NULL;                /* not one of our filesystems: dropped */
  }
  if (strcmp (spec, "/dev/root") == 0)
    return strdup (root_device);
  v = resolve_dev_name (spec);
  return v ? v : strdup (spec);
}

static void
resolve_fstab (struct inspect_root *root, const struct devinfo *devs,
               size_t ndevs)
{
  size_t i, j = 0;

  for (i = 0; i < root->nfstab; i++) {
    char *dev = resolve_spec (root->fstab[i].device, root->device, devs,
                              ndevs);
    free (root->fstab[i].device);
    if (dev == NULL) {
      free (root->fstab[i].mountpoint);
      continue;
    }
    root->fstab[j].device = dev;
    root->fstab[j].mountpoint = root->fstab[i].mountpoint;
    j++;
  }
  root->nfstab = j;
}

/* ---------------------------------------------------------------- */

static int
check_one (const char *device, void *opaque)
{
  return inspect_fs_check (device, opaque);
}

/* A filesystem minnow cannot read, recognised by its magic: named in
 * the debug output so that a root on it is not lost without a word. */
static const char *
unreadable_type (const char *device)
{
  struct engine_range r;
  unsigned char b[8];

  if (storage_device_range (device, &r, NULL) < 0)
    return NULL;
  if (r.length >= 4 && pread (r.fd, b, 4, r.offset) == 4
      && memcmp (b, "XFSB", 4) == 0)
    return "xfs";
  if (r.length >= 0x10048 && pread (r.fd, b, 8, r.offset + 0x10040) == 8
      && memcmp (b, "_BHRfS_M", 8) == 0)
    return "btrfs";
  if (r.length >= 520 && pread (r.fd, b, 8, r.offset + 512) == 8
      && memcmp (b, "LABELONE", 8) == 0)
    return "LVM2_member";
  return NULL;
}

static char **
roots_list (void)
{
  char **list = strlist_new (nroots);
  size_t i;

  if (list == NULL)
    return NULL;
  for (i = 0; i < nroots; i++)
    if ((list[i] = strdup (roots[i].device)) == NULL) {
      strlist_free (list);
      reply_with_perror ("strdup");
      return NULL;
    }
  return list;
}

char **
do_inspect_os (void)
{
  struct devinfo *devs = NULL;
  size_t ndevs = 0, i;
  int r;

  clear_cache ();
  if (collect_devices (&devs, &ndevs) < 0) {
    reply_with_perror ("inspect_os");
    return NULL;
  }
  for (i = 0; i < ndevs; i++) {
    struct inspect_root root;
    struct engine_range range;
    const char *type, *bad;
    char *msg = NULL;

    if (storage_device_range (devs[i].device, &range, NULL) < 0)
      continue;
    if (engine_probe (&range, &type) == NULL) {
      bad = unreadable_type (devs[i].device);
      if (bad)
        fprintf (stderr, "minnowd: inspect_os: %s: found a %s filesystem "
                 "that minnow cannot read: not inspected\n",
                 devs[i].device, bad);
      continue;
    }
    r = inspect_with_device (devs[i].device, check_one, &root, &msg);
    if (r < 0 && verbose)
      fprintf (stderr, "minnowd: inspect_os: %s: %s\n", devs[i].device,
               msg ? msg : strerror (-r));
    free (msg);
    if (r <= 0)
      continue;
    root.vfs_type = strdup (type);
    resolve_fstab (&root, devs, ndevs);
    {
      struct inspect_root *nr = realloc (roots, (nroots + 1) * sizeof *nr);
      if (nr == NULL || root.vfs_type == NULL) {
        if (nr)
          roots = nr;
        inspect_root_free (&root);
        devinfo_free (devs, ndevs);
        clear_cache ();
        reply_with_perror ("inspect_os");
        return NULL;
      }
      roots = nr;
      roots[nroots++] = root;
    }
  }
  devinfo_free (devs, ndevs);
  inspected = 1;
  return roots_list ();
}

char **
do_inspect_get_roots (void)
{
  return roots_list ();
}

/* The cached root for a root device, or NULL after a reply. */
struct inspect_root *
inspect_find_root (const char *root)
{
  size_t i;

  if (!inspected) {
    reply_with_error_errno (EINVAL, "no inspection data: call inspect_os "
                            "first");
    return NULL;
  }
  for (i = 0; i < nroots; i++)
    if (strcmp (roots[i].device, root) == 0)
      return &roots[i];
  reply_with_error_errno (EINVAL, "%s: root device not found: only call this "
                          "function with a root device previously returned "
                          "by inspect_os", root);
  return NULL;
}

static char *
dup_reply (const char *s)
{
  char *r = strdup (s);

  if (r == NULL)
    reply_with_perror ("strdup");
  return r;
}

char *
do_inspect_get_type (const char *root)
{
  struct inspect_root *r = inspect_find_root (root);

  return r ? dup_reply (r->type) : NULL;
}

char *
do_inspect_get_distro (const char *root)
{
  struct inspect_root *r = inspect_find_root (root);

  return r ? dup_reply (r->distro) : NULL;
}

char *
do_inspect_get_product_name (const char *root)
{
  struct inspect_root *r = inspect_find_root (root);

  return r ? dup_reply (r->product_name) : NULL;
}

char *
do_inspect_get_product_variant (const char *root)
{
  struct inspect_root *r = inspect_find_root (root);

  return r ? dup_reply (r->product_variant) : NULL;
}

char *
do_inspect_get_arch (const char *root)
{
  struct inspect_root *r = inspect_find_root (root);

  return r ? dup_reply (r->arch) : NULL;
}

char *
do_inspect_get_hostname (const char *root)
{
  struct inspect_root *r = inspect_find_root (root);

  return r ? dup_reply (r->hostname) : NULL;
}

char *
do_inspect_get_package_format (const char *root)
{
  struct inspect_root *r = inspect_find_root (root);

  return r ? dup_reply (r->package_format) : NULL;
}

char *
do_inspect_get_package_management (const char *root)
{
  struct inspect_root *r = inspect_find_root (root);

  return r ? dup_reply (r->package_management) : NULL;
}

char *
do_inspect_get_osinfo (const char *root)
{
  struct inspect_root *r = inspect_find_root (root);

  return r ? dup_reply (r->osinfo) : NULL;
}

char *
do_inspect_get_build_id (const char *root)
{
  struct inspect_root *r = inspect_find_root (root);

  return r ? dup_reply (r->build_id) : NULL;
}

int
do_inspect_get_major_version (const char *root)
{
  struct inspect_root *r = inspect_find_root (root);

  return r ? r->major : -1;
}

int
do_inspect_get_minor_version (const char *root)
{
  struct inspect_root *r = inspect_find_root (root);

  return r ? r->minor : -1;
}

char **
do_inspect_get_mountpoints (const char *root)
{
  struct inspect_root *r = inspect_find_root (root);
  char **list;
  size_t i, n = 0;

  if (r == NULL)
    return NULL;
  /* Without fstab entries, the root alone at "/". */
  if (r->nfstab == 0) {
    if ((list = strlist_new (2)) == NULL)
      return NULL;
    if ((list[0] = strdup ("/")) == NULL
        || (list[1] = strdup (r->device)) == NULL)
      goto oom;
    return list;
  }
  if ((list = strlist_new (2 * r->nfstab)) == NULL)
    return NULL;
  /* Last fstab entry first: the order libguestfs answers in. */
  for (i = r->nfstab; i-- > 0; ) {
    if (r->fstab[i].mountpoint[0] != '/')
      continue;                 /* swap and other unmounted entries */
    if ((list[n] = strdup (r->fstab[i].mountpoint)) == NULL)
      goto oom;
    if ((list[n + 1] = strdup (r->fstab[i].device)) == NULL)
      goto oom;
    n += 2;
  }
  return list;

 oom:
  strlist_free (list);
  reply_with_perror ("strdup");
  return NULL;
}

char **
do_inspect_get_filesystems (const char *root)
{
  struct inspect_root *r = inspect_find_root (root);
  char **list;
  size_t i;

  if (r == NULL)
    return NULL;
  if ((list = strlist_new (r->nfstab ? r->nfstab : 1)) == NULL)
    return NULL;
  if (r->nfstab == 0)
    list[0] = strdup (r->device);
  for (i = 0; i < r->nfstab; i++)     /* last fstab entry first */
    if ((list[i] = strdup (r->fstab[r->nfstab - 1 - i].device)) == NULL)
      break;
  if ((r->nfstab == 0 && list[0] == NULL) || (r->nfstab && i < r->nfstab)) {
    strlist_free (list);
    reply_with_perror ("strdup");
    return NULL;
  }
  return list;
}

minnow_int_application2_list *
do_inspect_list_applications2 (const char *root)
{
  struct inspect_root *r = inspect_find_root (root);
  struct inspect_app *apps = NULL;
  minnow_int_application2_list *ret;
  size_t n = 0, i;
  char *msg = NULL;
  int e, failed = 0;

  if (r == NULL)
    return NULL;
  e = inspect_list_apps (r, &apps, &n, &msg);
  if (e < 0) {
    reply_errno_msg (e, root, msg);
    return NULL;
  }
  free (msg);
  ret = calloc (1, sizeof *ret);
  if (ret == NULL
      || (n > 0 && (ret->minnow_int_application2_list_val =
                    calloc (n, sizeof (minnow_int_application2))) == NULL)) {
    free (ret);
    inspect_apps_free (apps, n);
    reply_with_perror ("calloc");
    return NULL;
  }
  ret->minnow_int_application2_list_len = n;
  /* The strings move into the reply; the stub frees them. */
  for (i = 0; i < n; i++) {
    minnow_int_application2 *a = &ret->minnow_int_application2_list_val[i];
    a->app2_name = apps[i].name;
    a->app2_display_name = apps[i].display_name;
    a->app2_epoch = apps[i].epoch;
    a->app2_version = apps[i].version;
    a->app2_release = apps[i].release;
    a->app2_arch = apps[i].arch;
    a->app2_install_path = apps[i].install_path;
    a->app2_trans_path = apps[i].trans_path;
    a->app2_publisher = apps[i].publisher;
    a->app2_url = apps[i].url;
    a->app2_source_package = apps[i].source_package;
    a->app2_summary = apps[i].summary;
    a->app2_description = apps[i].description;
    a->app2_spare1 = strdup ("");
    a->app2_spare2 = strdup ("");
    a->app2_spare3 = strdup ("");
    a->app2_spare4 = strdup ("");
    if (!a->app2_spare1 || !a->app2_spare2 || !a->app2_spare3
        || !a->app2_spare4)
      failed = 1;
  }
  free (apps);
  if (failed) {
    xdr_free ((xdrproc_t) xdr_minnow_int_application2_list, (char *) ret);
    free (ret);
    reply_with_perror ("strdup");
    return NULL;
  }
  return ret;
}
