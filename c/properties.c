/* libminnow: the handle properties libguestfs programs set and read
 * (tmpdir, identifier, backend settings, memsize ...), the environment
 * variables that set them, and the availability groups.
 *
 * Most of them configure libguestfs's virtual machine.  minnow runs none,
 * so they are stored and returned and change nothing: the documentation
 * of each set_X says so.  tmpdir and identifier do have an effect. */

#include <config.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minnow-internal.h"
#include "actions-internal.h"

int
minnow_int_init_properties (minnow_h *g)
{
  g->identifier = strdup ("");
  g->program = strdup (program_invocation_short_name);
  g->hv = strdup ("");
  g->backend_settings = calloc (1, sizeof (char *));
  g->memsize = 768;
  g->smp = 1;
  g->recovery_proc = 1;
  if (g->identifier == NULL || g->program == NULL || g->hv == NULL ||
      g->backend_settings == NULL)
    return -1;
  return 0;
}

static void
free_strings (char **l)
{
  size_t i;

  if (l == NULL)
    return;
  for (i = 0; l[i] != NULL; ++i)
    free (l[i]);
  free (l);
}

void
minnow_int_free_properties (minnow_h *g)
{
  free (g->int_tmpdir);
  free (g->env_tmpdir);
  free (g->int_cachedir);
  free (g->env_cachedir);
  free (g->identifier);
  free (g->program);
  free_strings (g->backend_settings);
  free (g->path);
  free (g->hv);
  free (g->append);
}

static char **
copy_strings (minnow_h *g, char *const *l)
{
  size_t i, n;
  char **r;

  for (n = 0; l[n] != NULL; ++n)
    ;
  r = minnow_int_safe_malloc (g, (n + 1) * sizeof (char *));
  for (i = 0; i < n; ++i)
    r[i] = minnow_int_safe_strdup (g, l[i]);
  r[n] = NULL;
  return r;
}

/* Replaces *field with a copy of s (NULL stays NULL). */
static void
set_string (minnow_h *g, char **field, const char *s)
{
  char *copy = s ? minnow_int_safe_strdup (g, s) : NULL;

  free (*field);
  *field = copy;
}

static int
check_absolute (minnow_h *g, const char *call, const char *dir)
{
  if (dir != NULL && dir[0] != '/') {
    minnow_int_error_errno (g, EINVAL, "%s: \"%s\": the directory must be an "
                            "absolute path", call, dir);
    return -1;
  }
  return 0;
}

static const char *
absolute_env (const char *name)
{
  const char *v = getenv (name);

  return v != NULL && v[0] == '/' ? v : NULL;
}

const char *
minnow_int_tmpdir (minnow_h *g)
{
  const char *t;

  if (g->int_tmpdir)
    return g->int_tmpdir;
  if (g->env_tmpdir)
    return g->env_tmpdir;
  t = absolute_env ("TMPDIR");
  return t ? t : "/tmp";
}

int
minnow_impl_get_state (minnow_h *g)
{
  switch (g->state) {
  case STATE_CONFIG: return 0;
  case STATE_LAUNCHING: return 1;
  case STATE_READY: return 2;
  case STATE_BUSY: return 3;
  }
  return 0;
}

/* The daemon has no call that only reads the umask: set a value and put
 * the old one back. */
int
minnow_impl_get_umask (minnow_h *g)
{
  int old = minnow_umask (g, 022);

  if (old == -1)
    return -1;
  if (old != 022 && minnow_umask (g, old) == -1)
    return -1;
  return old;
}

int
minnow_impl_set_tmpdir (minnow_h *g, const char *tmpdir)
{
  if (check_absolute (g, "set_tmpdir", tmpdir) == -1)
    return -1;
  set_string (g, &g->int_tmpdir, tmpdir);
  return 0;
}

char *
minnow_impl_get_tmpdir (minnow_h *g)
{
  return minnow_int_safe_strdup (g, minnow_int_tmpdir (g));
}

int
minnow_impl_set_cachedir (minnow_h *g, const char *cachedir)
{
  if (check_absolute (g, "set_cachedir", cachedir) == -1)
    return -1;
  set_string (g, &g->int_cachedir, cachedir);
  return 0;
}

char *
minnow_impl_get_cachedir (minnow_h *g)
{
  const char *t;

  if (g->int_cachedir)
    t = g->int_cachedir;
  else if (g->env_cachedir)
    t = g->env_cachedir;
  else if ((t = absolute_env ("TMPDIR")) == NULL)
    t = "/var/tmp";
  return minnow_int_safe_strdup (g, t);
}

int
minnow_impl_set_identifier (minnow_h *g, const char *identifier)
{
  size_t i;

  for (i = 0; identifier[i] != '\0'; ++i) {
    char c = identifier[i];

    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '_' || c == '-')) {
      minnow_int_error_errno (g, EINVAL, "set_identifier: \"%s\": only ASCII "
                              "letters, digits, _ and - are allowed",
                              identifier);
      return -1;
    }
  }
  set_string (g, &g->identifier, identifier);
  return 0;
}

const char *
minnow_impl_get_identifier (minnow_h *g)
{
  return g->identifier;
}

int
minnow_impl_set_program (minnow_h *g, const char *programname)
{
  set_string (g, &g->program, programname);
  return 0;
}

const char *
minnow_impl_get_program (minnow_h *g)
{
  return g->program;
}

static int
check_groups (minnow_h *g, const char *call, char *const *groups)
{
  size_t i, j;

  for (i = 0; groups[i] != NULL; ++i) {
    for (j = 0; minnow_int_availability_groups[j] != NULL; ++j)
      if (strcmp (groups[i], minnow_int_availability_groups[j]) == 0)
        break;
    if (minnow_int_availability_groups[j] == NULL) {
      minnow_int_error_errno (g, EINVAL, "%s: %s: unknown group", call,
                              groups[i]);
      return -1;
    }
  }
  return 0;
}

/* Every group of api.def is built into the daemon, so a known group is
 * available. */
int
minnow_impl_feature_available (minnow_h *g, char *const *groups)
{
  return check_groups (g, "feature_available", groups) == -1 ? -1 : 1;
}

int
minnow_impl_available (minnow_h *g, char *const *groups)
{
  return check_groups (g, "available", groups);
}

char **
minnow_impl_available_all_groups (minnow_h *g)
{
  return copy_strings (g, (char *const *) minnow_int_availability_groups);
}

int
minnow_impl_set_backend_settings (minnow_h *g, char *const *settings)
{
  char **copy = copy_strings (g, settings);

  free_strings (g->backend_settings);
  g->backend_settings = copy;
  return 0;
}

char **
minnow_impl_get_backend_settings (minnow_h *g)
{
  return copy_strings (g, g->backend_settings);
}

/* Whether setting s is NAME or NAME=...; *value_r is the value ("1" for
 * a bare NAME). */
static int
setting_matches (const char *s, const char *name, const char **value_r)
{
  size_t n = strlen (name);

  if (strncmp (s, name, n) != 0)
    return 0;
  if (s[n] == '\0') {
    *value_r = "1";
    return 1;
  }
  if (s[n] == '=') {
    *value_r = s + n + 1;
    return 1;
  }
  return 0;
}

char *
minnow_impl_get_backend_setting (minnow_h *g, const char *name)
{
  const char *value;
  size_t i;

  for (i = 0; g->backend_settings[i] != NULL; ++i)
    if (setting_matches (g->backend_settings[i], name, &value))
      return minnow_int_safe_strdup (g, value);
  minnow_int_error_errno (g, ESRCH, "get_backend_setting: %s: no such setting",
                          name);
  return NULL;
}

int
minnow_impl_clear_backend_setting (minnow_h *g, const char *name)
{
  const char *value;
  size_t i, j;
  int removed = 0;

  for (i = j = 0; g->backend_settings[i] != NULL; ++i) {
    if (setting_matches (g->backend_settings[i], name, &value)) {
      free (g->backend_settings[i]);
      removed++;
    }
    else
      g->backend_settings[j++] = g->backend_settings[i];
  }
  g->backend_settings[j] = NULL;
  return removed;
}

int
minnow_impl_set_backend_setting (minnow_h *g, const char *name,
                                 const char *val)
{
  size_t n;

  minnow_impl_clear_backend_setting (g, name);
  for (n = 0; g->backend_settings[n] != NULL; ++n)
    ;
  g->backend_settings = minnow_int_safe_realloc (g, g->backend_settings,
                                                 (n + 2) * sizeof (char *));
  g->backend_settings[n] = minnow_int_safe_asprintf (g, "%s=%s", name, val);
  g->backend_settings[n + 1] = NULL;
  return 0;
}

int
minnow_impl_set_memsize (minnow_h *g, int memsize)
{
  if (memsize <= 0) {
    minnow_int_error_errno (g, EINVAL, "set_memsize: %d: must be positive",
                            memsize);
    return -1;
  }
  g->memsize = memsize;
  return 0;
}

int
minnow_impl_get_memsize (minnow_h *g)
{
  return g->memsize;
}

int
minnow_impl_set_smp (minnow_h *g, int smp)
{
  if (smp < 1) {
    minnow_int_error_errno (g, EINVAL, "set_smp: %d: must be at least 1", smp);
    return -1;
  }
  g->smp = smp;
  return 0;
}

int
minnow_impl_get_smp (minnow_h *g)
{
  return g->smp;
}

int
minnow_impl_set_append (minnow_h *g, const char *append)
{
  set_string (g, &g->append, append);
  return 0;
}

const char *
minnow_impl_get_append (minnow_h *g)
{
  return g->append;
}

int
minnow_impl_set_network (minnow_h *g, int network)
{
  g->network = network != 0;
  return 0;
}

int
minnow_impl_get_network (minnow_h *g)
{
  return g->network;
}

int
minnow_impl_set_hv (minnow_h *g, const char *hv)
{
  set_string (g, &g->hv, hv);
  return 0;
}

char *
minnow_impl_get_hv (minnow_h *g)
{
  return minnow_int_safe_strdup (g, g->hv);
}

int
minnow_impl_set_path (minnow_h *g, const char *searchpath)
{
  set_string (g, &g->path, searchpath);
  return 0;
}

const char *
minnow_impl_get_path (minnow_h *g)
{
  const char *daemon, *slash;

  if (g->path)
    return g->path;
  /* The default: the daemon's directory, kept in the handle. */
  daemon = minnow_int_daemon_path ();
  slash = strrchr (daemon, '/');
  g->path = slash && slash != daemon
    ? minnow_int_safe_strndup (g, daemon, slash - daemon)
    : minnow_int_safe_strdup (g, ".");
  return g->path;
}

int
minnow_impl_set_recovery_proc (minnow_h *g, int recoveryproc)
{
  g->recovery_proc = recoveryproc != 0;
  return 0;
}

int
minnow_impl_get_recovery_proc (minnow_h *g)
{
  return g->recovery_proc;
}

int
minnow_impl_set_pgroup (minnow_h *g, int pgroup)
{
  g->pgroup = pgroup != 0;
  return 0;
}

int
minnow_impl_get_pgroup (minnow_h *g)
{
  return g->pgroup;
}

/* ---------------------------------------------------------------- environment */

static int
is_true (const char *v)
{
  return v[0] != '\0' && strcmp (v, "0") != 0;
}

/* Reads the MINNOW_* settings through getter (getenv, or a list). */
static int
parse_environment (minnow_h *g,
                   const char *(*getter) (const void *, const char *),
                   const void *opaque)
{
  const char *v;

  if ((v = getter (opaque, "MINNOW_TRACE")) != NULL)
    g->trace = is_true (v);
  if ((v = getter (opaque, "MINNOW_DEBUG")) != NULL)
    g->verbose = is_true (v);
  if ((v = getter (opaque, "MINNOW_BACKEND")) != NULL && v[0] != '\0' &&
      minnow_impl_set_backend (g, v) == -1)
    return -1;
  if ((v = getter (opaque, "MINNOW_BACKEND_SETTINGS")) != NULL) {
    char **l = minnow_int_safe_calloc (g, strlen (v) + 2, sizeof (char *));
    char *copy = minnow_int_safe_strdup (g, v), *p, *save = NULL;
    size_t n = 0;

    for (p = strtok_r (copy, ":", &save); p; p = strtok_r (NULL, ":", &save))
      l[n++] = p;
    minnow_impl_set_backend_settings (g, l);
    free (l);
    free (copy);
  }
  if ((v = getter (opaque, "MINNOW_TMPDIR")) != NULL ||
      (v = getter (opaque, "TMPDIR")) != NULL) {
    if (check_absolute (g, "MINNOW_TMPDIR", v) == -1)
      return -1;
    set_string (g, &g->env_tmpdir, v);
  }
  if ((v = getter (opaque, "MINNOW_CACHEDIR")) != NULL ||
      (v = getter (opaque, "TMPDIR")) != NULL) {
    if (check_absolute (g, "MINNOW_CACHEDIR", v) == -1)
      return -1;
    set_string (g, &g->env_cachedir, v);
  }
  if ((v = getter (opaque, "MINNOW_PATH")) != NULL && v[0] != '\0')
    set_string (g, &g->path, v);
  if ((v = getter (opaque, "MINNOW_HV")) != NULL && v[0] != '\0')
    set_string (g, &g->hv, v);
  if ((v = getter (opaque, "MINNOW_APPEND")) != NULL)
    set_string (g, &g->append, v);
  if ((v = getter (opaque, "MINNOW_MEMSIZE")) != NULL && v[0] != '\0') {
    char *end;
    long n;

    errno = 0;
    n = strtol (v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || n <= 0 || n > INT_MAX) {
      minnow_int_error_errno (g, EINVAL, "MINNOW_MEMSIZE: \"%s\": not a "
                              "positive number of megabytes", v);
      return -1;
    }
    g->memsize = (int) n;
  }
  return 0;
}

static const char *
getenv_getter (const void *opaque, const char *name)
{
  (void) opaque;
  return getenv (name);
}

static const char *
list_getter (const void *opaque, const char *name)
{
  char *const *l = opaque;
  size_t n = strlen (name), i;

  for (i = 0; l[i] != NULL; ++i)
    if (strncmp (l[i], name, n) == 0 && l[i][n] == '=')
      return l[i] + n + 1;
  return NULL;
}

int
minnow_impl_parse_environment (minnow_h *g)
{
  return parse_environment (g, getenv_getter, NULL);
}

int
minnow_impl_parse_environment_list (minnow_h *g, char *const *environment)
{
  return parse_environment (g, list_getter, environment);
}
