/* minnow: finding and describing filesystems (blkid, findfs_*, df,
 * vfs_minimum_size, filesystem_available), checking them (fsck,
 * mklost_and_found) and swap signatures (mkswap, mkswap_file).
 *
 * Signatures are probed with libblkid on the device's byte range of the
 * drive descriptor: nothing is opened on the host. */

#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <blkid/blkid.h>

#include "storage-actions.h"
#include "part.h"
#include "actions.h"

/* ---------------------------------------------------------------- */
/* Key/value lists (Hashtable replies).                               */

struct kv {
  char **list;
  size_t n, cap;
};

static int
kv_add (struct kv *kv, const char *key, const char *value)
{
  if (kv->n + 3 > kv->cap) {
    size_t cap = kv->cap ? kv->cap * 2 : 32;
    char **l = realloc (kv->list, cap * sizeof *l);
    if (l == NULL)
      return -1;
    kv->list = l;
    kv->cap = cap;
  }
  kv->list[kv->n] = strdup (key);
  kv->list[kv->n + 1] = strdup (value);
  kv->list[kv->n + 2] = NULL;
  if (kv->list[kv->n] == NULL || kv->list[kv->n + 1] == NULL) {
    free (kv->list[kv->n]);
    free (kv->list[kv->n + 1]);
    kv->list[kv->n] = NULL;
    return -1;
  }
  kv->n += 2;
  return 0;
}

static const char *
kv_get (char **list, const char *key)
{
  size_t i;

  for (i = 0; list && list[i] && list[i + 1]; i += 2)
    if (strcmp (list[i], key) == 0)
      return list[i + 1];
  return NULL;
}

static char *
lower (const char *s)
{
  char *r = strdup (s ? s : ""), *p;

  for (p = r; p && *p; p++)
    *p = tolower ((unsigned char) *p);
  return r;
}

/* The partition-table fields that blkid reports from the kernel's view
 * of a partition (PART_ENTRY_*), read from the table itself. */
static int
add_part_entry (struct kv *kv, const char *device)
{
  struct storage_partition *parts = NULL;
  struct storage_part_info info;
  size_t index;
  int partnum, n, i, r = 0;
  char buf[64], *s;

  if (storage_parse_device (device, &index, &partnum) < 0 || partnum == 0)
    return 0;
  if (storage_part_get_info (index, partnum, &info, NULL) < 0)
    return 0;
  n = storage_list_partitions (index, &parts, NULL);
  for (i = 0; i < n; i++)
    if (parts[i].partnum == partnum)
      break;
  if (n <= 0 || i == n)
    goto out;
  r |= kv_add (kv, "PART_ENTRY_SCHEME", info.is_gpt ? "gpt" : "dos");
  if (info.is_gpt) {
    if (info.name && *info.name)
      r |= kv_add (kv, "PART_ENTRY_NAME", info.name);
    s = lower (info.gpt_guid);
    r |= s ? kv_add (kv, "PART_ENTRY_UUID", s) : -1;
    free (s);
    s = lower (info.gpt_type);
    r |= s ? kv_add (kv, "PART_ENTRY_TYPE", s) : -1;
    free (s);
  } else {
    snprintf (buf, sizeof buf, "0x%x", info.mbr_id);
    r |= kv_add (kv, "PART_ENTRY_TYPE", buf);
  }
  snprintf (buf, sizeof buf, "%d", partnum);
  r |= kv_add (kv, "PART_ENTRY_NUMBER", buf);
  snprintf (buf, sizeof buf, "%" PRIu64, parts[i].start / 512);
  r |= kv_add (kv, "PART_ENTRY_OFFSET", buf);
  snprintf (buf, sizeof buf, "%" PRIu64, parts[i].size / 512);
  r |= kv_add (kv, "PART_ENTRY_SIZE", buf);
 out:
  free (parts);
  storage_part_info_free (&info);
  return r;
}

/* blkid -p of a device, as KEY, VALUE pairs; NULL after a reply. */
static char **
probe_device (const char *device)
{
  struct engine_range range;
  struct kv kv = { 0 };
  blkid_probe pr;
  char *msg = NULL;
  int r, i, n;

  r = storage_device_range (device, &range, &msg);
  if (r < 0) {
    reply_errno_msg (r, device, msg);
    return NULL;
  }
  free (msg);
  /* A mounted filesystem's superblock may be newer in the cache. */
  if (device_in_use (device))
    storage_sync_all ();
  pr = blkid_new_probe ();
  if (pr == NULL) {
    reply_with_perror ("blkid_new_probe");
    return NULL;
  }
  if (blkid_probe_set_device (pr, range.fd, (blkid_loff_t) range.offset,
                              (blkid_loff_t) range.length) != 0) {
    blkid_free_probe (pr);
    reply_with_error_errno (EIO, "%s: cannot probe the device", device);
    return NULL;
  }
  blkid_probe_enable_superblocks (pr, 1);
  blkid_probe_set_superblocks_flags (pr, BLKID_SUBLKS_LABEL
                                     | BLKID_SUBLKS_UUID | BLKID_SUBLKS_TYPE
                                     | BLKID_SUBLKS_USAGE
                                     | BLKID_SUBLKS_VERSION
                                     | BLKID_SUBLKS_SECTYPE);
  blkid_probe_enable_partitions (pr, 1);
  r = blkid_do_safeprobe (pr);
  if (r == -1) {
    blkid_free_probe (pr);
    reply_with_error_errno (EIO, "%s: probing failed", device);
    return NULL;
  }
  kv.list = calloc (1, sizeof *kv.list);
  if (kv.list == NULL)
    goto oom;
  n = r == 0 ? blkid_probe_numof_values (pr) : 0;
  for (i = 0; i < n; i++) {
    const char *name, *data;
    size_t len;
    if (blkid_probe_get_value (pr, i, &name, &data, &len) == 0
        && kv_add (&kv, name, data) < 0)
      goto oom;
  }
  blkid_free_probe (pr);
  pr = NULL;
  if (add_part_entry (&kv, device) < 0)
    goto oom;
  return kv.list;
 oom:
  if (pr)
    blkid_free_probe (pr);
  strlist_free (kv.list);
  reply_with_perror ("blkid");
  return NULL;
}

char **
do_blkid (const char *device)
{
  return probe_device (device);
}

/* The first device (in list_filesystems order) whose blkid key has
 * value; case-insensitive for UUIDs. */
static char *
findfs (const char *key, const char *value, int nocase)
{
  char **devs = do_list_filesystems ();
  size_t i;

  if (devs == NULL)
    return NULL;
  for (i = 0; devs[i] && devs[i + 1]; i += 2) {
    char **kv;
    const char *v;
    char *ret;

    kv = probe_device (devs[i]);
    if (kv == NULL) {
      strlist_free (devs);
      return NULL;
    }
    v = kv_get (kv, key);
    if (v && (nocase ? strcasecmp (v, value) : strcmp (v, value)) == 0) {
      ret = strdup (devs[i]);
      strlist_free (kv);
      strlist_free (devs);
      if (ret == NULL)
        reply_with_perror ("strdup");
      return ret;
    }
    strlist_free (kv);
  }
  strlist_free (devs);
  reply_with_error_errno (ENOENT, "no filesystem or partition has %s=%s",
                          key, value);
  return NULL;
}

char *
do_findfs_label (const char *label)
{
  return findfs ("LABEL", label, 0);
}

char *
do_findfs_uuid (const char *uuid)
{
  return findfs ("UUID", uuid, 1);
}

char *
do_findfs_partlabel (const char *label)
{
  return findfs ("PART_ENTRY_NAME", label, 0);
}

char *
do_findfs_partuuid (const char *uuid)
{
  return findfs ("PART_ENTRY_UUID", uuid, 1);
}

/* ---------------------------------------------------------------- */
/* df.                                                                */

/* coreutils' -h: powers of 1024, rounded up, one decimal below 10. */
static void
human (uint64_t bytes, char *buf, size_t size)
{
  static const char units[] = "KMGTPE";
  double v = (double) bytes;
  int u = -1;

  if (bytes < 1024) {
    snprintf (buf, size, "%" PRIu64, bytes);
    return;
  }
  while (v >= 1024 && u < 5) {
    v /= 1024;
    u++;
  }
  if (v < 10) {
    double t = (double) (uint64_t) (v * 10);
    if (t < v * 10)
      t += 1;
    if (t >= 100)
      snprintf (buf, size, "%d%c", 10, units[u]);
    else
      snprintf (buf, size, "%.1f%c", t / 10, units[u]);
  } else {
    uint64_t c = (uint64_t) v;
    if ((double) c < v)
      c++;
    snprintf (buf, size, "%" PRIu64 "%c", c, units[u]);
  }
}

static char *
df_text (int human_readable)
{
  char *(*cols)[6];
  size_t i, j, n = mount_count + 1, width[6] = { 0 };
  char *out = NULL;
  size_t outlen = 0;
  FILE *fp;

  cols = calloc (n, sizeof *cols);
  if (cols == NULL) {
    reply_with_perror ("calloc");
    return NULL;
  }
  cols[0][0] = strdup ("Filesystem");
  cols[0][1] = strdup (human_readable ? "Size" : "1K-blocks");
  cols[0][2] = strdup ("Used");
  cols[0][3] = strdup (human_readable ? "Avail" : "Available");
  cols[0][4] = strdup ("Use%");
  cols[0][5] = strdup ("Mounted on");
  for (i = 1; i < n; i++) {
    struct mount *m = &mount_table[i - 1];
    struct engine_statvfs sv;
    uint64_t total, used, avail;
    char b[3][32], pct[16];

    if (m->fs->ops->statvfs (m->fs, &sv) < 0)
      memset (&sv, 0, sizeof sv);
    total = sv.blocks * sv.frsize;
    used = (sv.blocks - sv.bfree) * sv.frsize;
    avail = sv.bavail * sv.frsize;
    if (human_readable) {
      human (total, b[0], sizeof b[0]);
      human (used, b[1], sizeof b[1]);
      human (avail, b[2], sizeof b[2]);
    } else {
      snprintf (b[0], sizeof b[0], "%" PRIu64, total / 1024);
      snprintf (b[1], sizeof b[1], "%" PRIu64, used / 1024);
      snprintf (b[2], sizeof b[2], "%" PRIu64, avail / 1024);
    }
    if (used + avail == 0)
      strcpy (pct, "-");
    else
      snprintf (pct, sizeof pct, "%" PRIu64 "%%",
                (used * 100 + used + avail - 1) / (used + avail));
    cols[i][0] = strdup (m->device);
    cols[i][1] = strdup (b[0]);
    cols[i][2] = strdup (b[1]);
    cols[i][3] = strdup (b[2]);
    cols[i][4] = strdup (pct);
    cols[i][5] = strdup (m->mountpoint);
  }
  for (i = 0; i < n; i++)
    for (j = 0; j < 6; j++) {
      if (cols[i][j] == NULL)
        goto oom;
      if (strlen (cols[i][j]) > width[j])
        width[j] = strlen (cols[i][j]);
    }
  fp = open_memstream (&out, &outlen);
  if (fp == NULL)
    goto oom;
  for (i = 0; i < n; i++)
    fprintf (fp, "%-*s %*s %*s %*s %*s %s\n", (int) width[0], cols[i][0],
             (int) width[1], cols[i][1], (int) width[2], cols[i][2],
             (int) width[3], cols[i][3], (int) width[4], cols[i][4],
             cols[i][5]);
  fclose (fp);
  for (i = 0; i < n; i++)
    for (j = 0; j < 6; j++)
      free (cols[i][j]);
  free (cols);
  return out;
 oom:
  for (i = 0; i < n; i++)
    for (j = 0; j < 6; j++)
      free (cols[i][j]);
  free (cols);
  reply_with_perror ("df");
  return NULL;
}

char *
do_df (void)
{
  return df_text (0);
}

char *
do_df_h (void)
{
  return df_text (1);
}

int
do_filesystem_available (const char *filesystem)
{
  /* The filesystems an engine can mount. */
  return engine_for_mount_type (filesystem) != NULL;
}

/* ---------------------------------------------------------------- */
/* Checking and sizing ext filesystems.                               */

int
do_fsck (const char *fstype, const char *device)
{
  char *msg = NULL;
  int status;

  if (device_in_use (device)) {
    reply_with_error_errno (EBUSY, "%s: device is mounted", device);
    return -1;
  }
  /* fsck -a: e2fsck -p, fsck.fat -a; the exit status is the answer. */
  status = storage_fsck (fstype, device, 1, NULL, &msg);
  if (status < 0) {
    reply_errno_msg (status, device, msg);
    return -1;
  }
  free (msg);
  return status;
}

int
do_mklost_and_found (const char *mountpoint)
{
  char *path;
  int r;

  if (asprintf (&path, "%s%slost+found", mountpoint,
                mountpoint[strlen (mountpoint) - 1] == '/' ? "" : "/") == -1) {
    reply_with_perror ("asprintf");
    return -1;
  }
  r = fsop_mkdir (path, 0700);
  if (r < 0) {
    reply_errno_path (r, path);
    free (path);
    return -1;
  }
  free (path);
  return 0;
}

struct min_size_run {
  const char *mountable;
  char *out, *msg;
};

static int
run_resize2fs_P (void *opaque)
{
  static const char *const args[] = { "-P", NULL };
  struct min_size_run *run = opaque;

  return storage_run_e2tool ("resize2fs", run->mountable, args, NULL, 0,
                             &run->out, &run->msg);
}

int64_t
do_vfs_minimum_size (const char *mountable)
{
  struct min_size_run run = { .mountable = mountable };
  struct engine_range range;
  const struct engine_ops *ops;
  struct engine_statvfs sv;
  struct engine_fs *fs;
  struct mount *m = storage_mount_of_device (mountable);
  const char *type, *p;
  char *msg = NULL, *out = NULL;
  unsigned long long blocks;
  int r;

  r = storage_device_range (mountable, &range, &msg);
  if (r < 0) {
    reply_errno_msg (r, mountable, msg);
    return -1;
  }
  free (msg);
  msg = NULL;
  if (m) {
    if (storage_sync_all () < 0) {
      reply_with_perror ("%s: sync", mountable);
      return -1;
    }
    r = m->fs->ops->statvfs (m->fs, &sv);
  } else {
    ops = engine_probe (&range, &type);
    if (ops == NULL) {
      reply_with_error_errno (EINVAL, "%s: no filesystem whose minimum size "
                              "minnow knows", mountable);
      return -1;
    }
    range.readonly = 1;
    r = ops->open (&range, &fs, &msg);
    if (r == 0) {
      r = fs->ops->statvfs (fs, &sv);
      fs->ops->close (fs);
    }
    free (msg);
    msg = NULL;
  }
  if (r < 0) {
    reply_errno_path (r, mountable);
    return -1;
  }
  /* A filesystem mounted read-write says "not clean" on the image until
   * it is unmounted, and resize2fs then wants an e2fsck first: it runs
   * while the mount is closed. */
  if (m && !m->readonly)
    r = storage_mount_offline (m, run_resize2fs_P, &run, &msg);
  else
    r = run_resize2fs_P (&run);
  out = run.out;
  if (run.msg) {
    free (msg);
    msg = run.msg;
  }
  if (r != 0) {
    if (r > 0)
      reply_with_error_errno (EIO, "%s: resize2fs -P failed: %s", mountable,
                              out ? out : "");
    else
      reply_errno_msg (r, mountable, msg), msg = NULL;
    free (out);
    free (msg);
    return -1;
  }
  p = out ? strstr (out, "minimum size of the filesystem:") : NULL;
  if (p == NULL || sscanf (p, "minimum size of the filesystem: %llu",
                           &blocks) != 1) {
    reply_with_error_errno (EIO, "%s: resize2fs -P: unexpected output: %s",
                            mountable, out ? out : "");
    free (out);
    return -1;
  }
  free (out);
  return (int64_t) (blocks * sv.bsize);
}

/* ---------------------------------------------------------------- */
/* Swap signatures (Linux swap header, version 1).                    */

#define SWAP_PAGE 4096
#define SWAP_MIN_PAGES 10

static int
parse_uuid (const char *s, unsigned char u[16])
{
  size_t i, k = 0;

  if (strlen (s) != 36)
    return -1;
  for (i = 0; i < 36; i++) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-')
        return -1;
      continue;
    }
    if (!isxdigit ((unsigned char) s[i]) || !isxdigit ((unsigned char) s[i + 1]))
      return -1;
    sscanf (s + i, "%2hhx", &u[k++]);
    i++;
  }
  return k == 16 ? 0 : -1;
}

static void
put32 (unsigned char *p, uint32_t v)
{
  /* The header is in the host's byte order, as mkswap writes it. */
  memcpy (p, &v, 4);
}

/* Builds the first page of a swap area of size bytes; replies and
 * returns -1 on bad arguments. */
static int
swap_header (unsigned char page[SWAP_PAGE], uint64_t size, const char *what,
             const char *label, const char *uuid)
{
  unsigned char u[16];
  uint64_t pages = size / SWAP_PAGE;

  if (label && strlen (label) > 16) {
    reply_with_error_errno (ERANGE, "%s: swap label \"%s\" is too long "
                            "(16 bytes at most)", what, label);
    return -1;
  }
  if (uuid) {
    if (parse_uuid (uuid, u) < 0) {
      reply_with_error_errno (EINVAL, "%s: \"%s\" is not a UUID", what, uuid);
      return -1;
    }
  } else {
    FILE *fp = fopen ("/dev/urandom", "re");
    size_t got = fp ? fread (u, 1, sizeof u, fp) : 0;
    if (fp)
      fclose (fp);
    if (got != sizeof u) {
      reply_with_perror ("/dev/urandom");
      return -1;
    }
    u[6] = (u[6] & 0x0f) | 0x40;
    u[8] = (u[8] & 0x3f) | 0x80;
  }
  if (pages < SWAP_MIN_PAGES) {
    reply_with_error_errno (EINVAL, "%s: %" PRIu64 " bytes is too small for "
                            "swap (at least %d bytes)", what, size,
                            SWAP_MIN_PAGES * SWAP_PAGE);
    return -1;
  }
  if (pages - 1 > UINT32_MAX)
    pages = (uint64_t) UINT32_MAX + 1;
  memset (page, 0, SWAP_PAGE);
  put32 (page + 1024, 1);                       /* version */
  put32 (page + 1028, (uint32_t) (pages - 1));  /* last_page */
  put32 (page + 1032, 0);                       /* nr_badpages */
  memcpy (page + 1036, u, 16);
  if (label)
    memcpy (page + 1052, label, strlen (label));
  memcpy (page + SWAP_PAGE - 10, "SWAPSPACE2", 10);
  return 0;
}

/* optargs of mkswap. */
#define MKSWAP_LABEL (1 << 0)
#define MKSWAP_UUID  (1 << 1)

int
do_mkswap (const char *device, const char *label, const char *uuid)
{
  unsigned char page[SWAP_PAGE];
  struct engine_range range;
  char *msg = NULL;
  size_t done = 0;
  int r;

  r = storage_device_range (device, &range, &msg);
  if (r < 0) {
    reply_errno_msg (r, device, msg);
    return -1;
  }
  free (msg);
  if (range.readonly) {
    reply_with_error_errno (EROFS, "%s: device is read-only", device);
    return -1;
  }
  if (device_in_use (device)) {
    reply_with_error_errno (EBUSY, "%s: device is mounted", device);
    return -1;
  }
  if (swap_header (page, range.length, device,
                   optargs_bitmask & MKSWAP_LABEL ? label : NULL,
                   optargs_bitmask & MKSWAP_UUID ? uuid : NULL) < 0)
    return -1;
  while (done < SWAP_PAGE) {
    ssize_t n = pwrite (range.fd, page + done, SWAP_PAGE - done,
                        range.offset + done);
    if (n == -1 && errno == EINTR)
      continue;
    if (n == -1) {
      reply_with_perror ("%s: write", device);
      return -1;
    }
    done += n;
  }
  return 0;
}

int
do_mkswap_file (const char *path)
{
  unsigned char page[SWAP_PAGE];
  struct engine_stat st;
  ssize_t n;
  int r;

  r = fsop_stat (path, 0, &st);
  if (r == 0 && !S_ISREG (st.mode))
    r = S_ISDIR (st.mode) ? -EISDIR : -EINVAL;
  if (r < 0) {
    reply_errno_path (r, path);
    return -1;
  }
  if (swap_header (page, st.size, path, NULL, NULL) < 0)
    return -1;
  n = fsop_pwrite (path, page, SWAP_PAGE, 0);
  if (n < 0) {
    reply_errno_path ((int) n, path);
    return -1;
  }
  return 0;
}
