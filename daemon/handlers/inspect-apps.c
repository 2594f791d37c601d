/* minnow: installed applications, from the package database of the
 * guest's package format, read through the user's mounted filesystems
 * (as libguestfs does: the caller mounts the guest first).  Every
 * database is untrusted: sizes and counts are bounded, a malformed entry
 * is skipped, never trusted. */

#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage.h"
#include "fsops.h"
#include "inspect.h"

struct app_list {
  struct inspect_app *v;
  size_t n, cap;
  int oom;
};

static char *
dup_or_empty (const char *s)
{
  return inspect_strdup_field (s ? s : "");
}

/* Adds one application; the strings are copied.  Past the limit, or out
 * of memory, the rest is dropped (oom remembered). */
static void
add_app (struct app_list *l, const char *name, int32_t epoch,
         const char *version, const char *release, const char *arch,
         const char *url, const char *source, const char *summary,
         const char *description)
{
  struct inspect_app *a;

  if (l->oom || l->n >= INSPECT_MAX_APPS)
    return;
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 64;
    struct inspect_app *v = realloc (l->v, cap * sizeof *v);
    if (v == NULL) {
      l->oom = 1;
      return;
    }
    l->v = v;
    l->cap = cap;
  }
  a = &l->v[l->n];
  a->name = dup_or_empty (name);
  a->display_name = dup_or_empty (NULL);
  a->epoch = epoch;
  a->version = dup_or_empty (version);
  a->release = dup_or_empty (release);
  a->arch = dup_or_empty (arch);
  a->install_path = dup_or_empty (NULL);
  a->trans_path = dup_or_empty (NULL);
  a->publisher = dup_or_empty (NULL);
  a->url = dup_or_empty (url);
  a->source_package = dup_or_empty (source);
  a->summary = dup_or_empty (summary);
  /* Descriptions may be long: bounded separately. */
  a->description = strndup (description ? description : "", 65536);
  l->n++;
  if (!a->name || !a->display_name || !a->version || !a->release
      || !a->arch || !a->install_path || !a->trans_path || !a->publisher
      || !a->url || !a->source_package || !a->summary || !a->description)
    l->oom = 1;
}

void
inspect_apps_free (struct inspect_app *apps, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++) {
    struct inspect_app *a = &apps[i];
    free (a->name); free (a->display_name); free (a->version);
    free (a->release); free (a->arch); free (a->install_path);
    free (a->trans_path); free (a->publisher); free (a->url);
    free (a->source_package); free (a->summary); free (a->description);
  }
  free (apps);
}

/* "[epoch:]rest": returns rest and sets *epoch (-1 when not a number). */
static char *
split_epoch (char *v, int32_t *epoch)
{
  char *colon = strchr (v, ':'), *end;
  long e;

  *epoch = 0;
  if (colon == NULL)
    return v;
  *colon = '\0';
  e = strtol (v, &end, 10);
  *epoch = (*end != '\0' || end == v || e < 0 || e > INT32_MAX) ? -1 : (int32_t) e;
  return colon + 1;
}

/* ---------------------------------------------------------------- */
/* dpkg: /var/lib/dpkg/status, paragraphs of "Field: value".         */

struct deb_pkg {
  char *name, *version, *release, *arch, *url, *source, *summary;
  char *description;
  size_t desc_len;
  int32_t epoch;
  int installed, in_description;
};

static void
deb_reset (struct deb_pkg *p)
{
  free (p->description);
  memset (p, 0, sizeof *p);
}

static void
deb_flush (struct app_list *l, struct deb_pkg *p)
{
  if (p->installed && p->name && p->version && p->epoch >= 0)
    add_app (l, p->name, p->epoch, p->version, p->release, p->arch, p->url,
             p->source, p->summary, p->description);
  deb_reset (p);
}

static int
status_is_installed (const char *s)
{
  /* "want flag status": the package is there when status is installed. */
  const char *last = strrchr (s, ' ');

  return last && strcmp (last + 1, "installed") == 0;
}

static void
deb_append_description (struct deb_pkg *p, const char *text)
{
  size_t n = strlen (text);
  char *d;

  if (p->desc_len + n + 2 > 65536)
    return;
  d = realloc (p->description, p->desc_len + n + 2);
  if (d == NULL)
    return;
  p->description = d;
  if (p->desc_len > 0)
    d[p->desc_len++] = '\n';
  memcpy (d + p->desc_len, text, n + 1);
  p->desc_len += n;
}

static int
list_deb (struct app_list *l, char **error_r)
{
  const char *path = "/var/lib/dpkg/status";
  struct deb_pkg p = { 0 };
  char *buf, *line, *next;
  int r;

  r = inspect_read_file (path, INSPECT_MAX_PKG_DB, &buf, NULL);
  if (r < 0) {
    storage_set_error (error_r, "%s: %s", path, strerror (-r));
    return r;
  }
  /* Fields point into buf, which lives until the end. */
  for (line = buf; line; line = next) {
    next = strchr (line, '\n');
    if (next)
      *next++ = '\0';
    if (line[0] == ' ' || line[0] == '\t') {
      if (p.in_description)
        deb_append_description (&p, line + 1);
      continue;
    }
    p.in_description = 0;
    if (line[0] == '\0') {
      deb_flush (l, &p);
      continue;
    }
    if (strncmp (line, "Package: ", 9) == 0)
      p.name = line + 9;
    else if (strncmp (line, "Status: ", 8) == 0)
      p.installed = status_is_installed (line + 8);
    else if (strncmp (line, "Version: ", 9) == 0) {
      char *v = split_epoch (line + 9, &p.epoch);
      char *dash = strchr (v, '-');      /* libguestfs splits at the first */
      if (dash) {
        *dash = '\0';
        p.release = dash + 1;
      }
      p.version = v;
    } else if (strncmp (line, "Architecture: ", 14) == 0)
      p.arch = line + 14;
    else if (strncmp (line, "Homepage: ", 10) == 0)
      p.url = line + 10;
    else if (strncmp (line, "Source: ", 8) == 0) {
      char *sp = strchr (line + 8, ' ');
      if (sp)
        *sp = '\0';
      p.source = line + 8;
    } else if (strncmp (line, "Description: ", 13) == 0) {
      p.summary = line + 13;
      p.in_description = 1;
    }
  }
  deb_flush (l, &p);
  free (buf);
  return 0;
}

/* ---------------------------------------------------------------- */
/* apk: /lib/apk/db/installed, paragraphs of "X:value".               */

static int
list_apk (struct app_list *l, char **error_r)
{
  const char *path = "/lib/apk/db/installed";
  char *buf, *line, *next;
  char *name = NULL, *version = NULL, *release = NULL, *arch = NULL;
  char *url = NULL, *desc = NULL;
  int32_t epoch = 0;
  int r;

  r = inspect_read_file (path, INSPECT_MAX_PKG_DB, &buf, NULL);
  if (r < 0) {
    storage_set_error (error_r, "%s: %s", path, strerror (-r));
    return r;
  }
  for (line = buf; ; line = next) {
    int end = line == NULL;

    if (!end) {
      next = strchr (line, '\n');
      if (next)
        *next++ = '\0';
    }
    if (end || line[0] == '\0') {
      if (name && version && epoch >= 0)
        add_app (l, name, epoch, version, release, arch, url, NULL, NULL,
                 desc);
      name = version = release = arch = url = desc = NULL;
      epoch = 0;
      if (end)
        break;
      continue;
    }
    if (line[1] != ':')
      continue;
    switch (line[0]) {
    case 'P': name = line + 2; break;
    case 'A': arch = line + 2; break;
    case 'T': desc = line + 2; break;
    case 'U': url = line + 2; break;
    case 'V': {
      char *v = split_epoch (line + 2, &epoch);
      char *dash = strchr (v, '-');
      release = NULL;
      if (dash) {
        *dash = '\0';
        release = dash + 1;
        if (release[0] == 'r')
          release++;
      }
      version = v;
      break;
    }
    }
  }
  free (buf);
  return 0;
}

/* ---------------------------------------------------------------- */
/* pacman: /var/lib/pacman/local/NAME-VER/desc, "%KEY%" then values. */

static void
pacman_one (struct app_list *l, const char *path)
{
  char *buf, *line, *next, **key = NULL;
  char *name = NULL, *version = NULL, *desc = NULL, *url = NULL, *arch = NULL;
  char *ver, *rel, *dash;
  int32_t epoch;

  /* A desc file bigger than this is not a real one: skipped. */
  if (inspect_read_file (path, INSPECT_MAX_PKG_FILE, &buf, NULL) < 0)
    return;
  for (line = buf; line; line = next) {
    next = strchr (line, '\n');
    if (next)
      *next++ = '\0';
    if (line[0] == '\0') {
      key = NULL;
      continue;
    }
    if (key) {
      if (*key == NULL)
        *key = line;
      key = NULL;
      continue;
    }
    if (strcmp (line, "%NAME%") == 0) key = &name;
    else if (strcmp (line, "%VERSION%") == 0) key = &version;
    else if (strcmp (line, "%DESC%") == 0) key = &desc;
    else if (strcmp (line, "%URL%") == 0) key = &url;
    else if (strcmp (line, "%ARCH%") == 0) key = &arch;
  }
  if (name && version && arch) {
    ver = split_epoch (version, &epoch);
    dash = strrchr (ver, '-');
    if (dash) {
      *dash = '\0';
      rel = dash + 1;
      if (epoch >= 0 && ver[0] && rel[0])
        add_app (l, name, epoch, ver, rel, arch, url, NULL, NULL, desc);
    }
  }
  free (buf);
}

static int
list_pacman (struct app_list *l, char **error_r)
{
  const char *dir = "/var/lib/pacman/local";
  struct fsop_dirent *ents = NULL;
  size_t n = 0, i;
  int r;

  r = fsop_readdir (dir, &ents, &n);
  if (r < 0) {
    storage_set_error (error_r, "%s: %s", dir, strerror (-r));
    return r;
  }
  for (i = 0; i < n && i < INSPECT_MAX_APPS; i++) {
    char *path;

    if (ents[i].type != ENGINE_DT_DIR)
      continue;
    if (asprintf (&path, "%s/%s/desc", dir, ents[i].name) == -1) {
      l->oom = 1;
      break;
    }
    pacman_one (l, path);
    free (path);
  }
  fsop_dirents_free (ents, n);
  return 0;
}

/* ---------------------------------------------------------------- */
/* rpm: /var/lib/rpm/rpmdb.sqlite (rpm >= 4.16), table Packages of    */
/* header blobs: il, dl (big-endian), il index entries of 16 bytes    */
/* {tag, type, offset, count}, then dl bytes of data.                 */

#ifdef HAVE_SQLITE3
#include <sqlite3.h>

#define RPMTAG_NAME 1000
#define RPMTAG_VERSION 1001
#define RPMTAG_RELEASE 1002
#define RPMTAG_EPOCH 1003
#define RPMTAG_SUMMARY 1004
#define RPMTAG_DESCRIPTION 1005
#define RPMTAG_URL 1020
#define RPMTAG_ARCH 1022
#define RPM_INT32_TYPE 4
#define RPM_STRING_TYPE 6
#define RPM_I18NSTRING_TYPE 9

static uint32_t
be32 (const unsigned char *p)
{
  return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
    | (uint32_t) p[2] << 8 | (uint32_t) p[3];
}

/* The entry of tag in a header blob, checked against the blob's bounds:
 * its data pointer and the bytes available to it, or NULL. */
static const unsigned char *
rpm_tag (const unsigned char *blob, size_t len, uint32_t tag, uint32_t *type,
         size_t *avail)
{
  uint32_t il, dl, i;
  const unsigned char *data;

  if (len < 8)
    return NULL;
  il = be32 (blob);
  dl = be32 (blob + 4);
  if (il > 0xffff || dl > len || 8 + (size_t) il * 16 > len - dl)
    return NULL;
  data = blob + 8 + (size_t) il * 16;
  for (i = 0; i < il; i++) {
    const unsigned char *e = blob + 8 + (size_t) i * 16;
    uint32_t off = be32 (e + 8);
    if (be32 (e) != tag)
      continue;
    if (off >= dl)
      return NULL;
    *type = be32 (e + 4);
    *avail = dl - off;
    return data + off;
  }
  return NULL;
}

/* A string tag as a NUL-terminated copy, or NULL. */
static char *
rpm_string (const unsigned char *blob, size_t len, uint32_t tag)
{
  uint32_t type;
  size_t avail;
  const unsigned char *p = rpm_tag (blob, len, tag, &type, &avail);

  if (p == NULL || (type != RPM_STRING_TYPE && type != RPM_I18NSTRING_TYPE))
    return NULL;
  if (memchr (p, '\0', avail) == NULL)
    return NULL;                /* unterminated: not trusted */
  return strndup ((const char *) p, 65536);
}

static int32_t
rpm_epoch (const unsigned char *blob, size_t len)
{
  uint32_t type;
  size_t avail;
  const unsigned char *p = rpm_tag (blob, len, RPMTAG_EPOCH, &type, &avail);

  if (p == NULL || type != RPM_INT32_TYPE || avail < 4)
    return 0;
  return (int32_t) be32 (p);
}

static int
list_rpm (struct app_list *l, char **error_r)
{
  const char *path = "/var/lib/rpm/rpmdb.sqlite";
  char *buf;
  size_t len;
  unsigned char *mem;
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  int r;

  r = inspect_read_raw (path, INSPECT_MAX_PKG_DB, &buf, &len);
  if (r < 0) {
    storage_set_error (error_r, "%s: %s (only the sqlite rpm database "
                       "is read)", path, strerror (-r));
    return r;
  }
  if (len < 100 || memcmp (buf, "SQLite format 3", 16) != 0) {
    free (buf);
    storage_set_error (error_r, "%s: not an SQLite database", path);
    return -EINVAL;
  }
  /* The database lives in memory: sqlite owns a copy it may resize.
   * A WAL-mode file is read as a rollback-journal one (the in-memory
   * database has no WAL). */
  mem = sqlite3_malloc64 (len);
  if (mem == NULL) {
    free (buf);
    return -ENOMEM;
  }
  memcpy (mem, buf, len);
  free (buf);
  mem[18] = mem[19] = 1;
  if (sqlite3_open_v2 (":memory:", &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK
      || sqlite3_deserialize (db, "main", mem, len, len,
                              SQLITE_DESERIALIZE_FREEONCLOSE
                              | SQLITE_DESERIALIZE_READONLY) != SQLITE_OK) {
    storage_set_error (error_r, "%s: %s", path,
                       db ? sqlite3_errmsg (db) : "cannot open");
    sqlite3_close (db);
    return -EINVAL;
  }
  if (sqlite3_prepare_v2 (db, "SELECT blob FROM Packages", -1, &st, NULL)
      != SQLITE_OK) {
    storage_set_error (error_r, "%s: %s", path, sqlite3_errmsg (db));
    sqlite3_close (db);
    return -EINVAL;
  }
  while ((r = sqlite3_step (st)) == SQLITE_ROW) {
    const unsigned char *blob = sqlite3_column_blob (st, 0);
    size_t blen = (size_t) sqlite3_column_bytes (st, 0);
    char *name, *version, *release, *arch, *url, *summary, *desc;

    if (blob == NULL)
      continue;
    name = rpm_string (blob, blen, RPMTAG_NAME);
    version = rpm_string (blob, blen, RPMTAG_VERSION);
    release = rpm_string (blob, blen, RPMTAG_RELEASE);
    arch = rpm_string (blob, blen, RPMTAG_ARCH);
    url = rpm_string (blob, blen, RPMTAG_URL);
    summary = rpm_string (blob, blen, RPMTAG_SUMMARY);
    desc = rpm_string (blob, blen, RPMTAG_DESCRIPTION);
    if (name && version && release)
      add_app (l, name, rpm_epoch (blob, blen), version, release, arch, url,
               NULL, summary, desc);
    free (name); free (version); free (release); free (arch);
    free (url); free (summary); free (desc);
  }
  if (r != SQLITE_DONE)
    storage_set_error (error_r, "%s: %s", path, sqlite3_errmsg (db));
  sqlite3_finalize (st);
  sqlite3_close (db);
  return r == SQLITE_DONE ? 0 : -EINVAL;
}
#else
static int
list_rpm (struct app_list *l, char **error_r)
{
  (void) l;
  storage_set_error (error_r, "rpm databases: minnow was built without "
                     "sqlite3");
  return -ENOTSUP;
}
#endif

/* ---------------------------------------------------------------- */

static int
compare_apps (const void *a, const void *b)
{
  const struct inspect_app *x = a, *y = b;

  return strcmp (x->name, y->name);
}

int
inspect_list_apps (const struct inspect_root *root,
                   struct inspect_app **apps_r, size_t *n_r, char **error_r)
{
  struct app_list l = { NULL, 0, 0, 0 };
  const char *f = root->package_format;
  int r = 0;

  if (error_r)
    *error_r = NULL;
  if (strcmp (f, "deb") == 0)
    r = list_deb (&l, error_r);
  else if (strcmp (f, "apk") == 0)
    r = list_apk (&l, error_r);
  else if (strcmp (f, "pacman") == 0)
    r = list_pacman (&l, error_r);
  else if (strcmp (f, "rpm") == 0)
    r = list_rpm (&l, error_r);
  /* Other formats: no applications known, not an error. */
  if (r == 0 && l.oom) {
    storage_set_error (error_r, "out of memory reading the package database");
    r = -ENOMEM;
  }
  if (r < 0) {
    inspect_apps_free (l.v, l.n);
    return r;
  }
  if (l.n > 0)
    qsort (l.v, l.n, sizeof *l.v, compare_apps);
  *apps_r = l.v;
  *n_r = l.n;
  return 0;
}
