/* minnow(1): the shell.  Options, scripts, the shell's own commands and
 * the dispatch of command lines; the commands for the actions are
 * written by the generator (actions.c), interactive use is interactive.c,
 * --listen/--remote is remote.c. */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "command.h"
#include "shell.h"
#include "remote.h"

minnow_h *g;
int shell_read_write;
int shell_json;
int shell_keys_from_stdin;
volatile int shell_interrupted;
int shell_remote;

static int echo_commands;               /* -x */
static int verbose;                     /* -v */
static int inspector;                   /* -i */
int shell_progress_bars = -1;           /* -1: when stderr is a terminal */

/* Drives and mounts from the command line, in order. */
struct drive {
  char *file;
  const char *format;
  int readonly;
  char *prepare;                /* -N: "part ..", "fs ..", else NULL */
};
static struct drive *drives;
static size_t nr_drives;
struct mount_spec { char *dev, *mountpoint, *options, *fstype; };
static struct mount_spec *mounts;
static size_t nr_mounts;

static void
usage (int status)
{
  FILE *fp = status ? stderr : stdout;

  fprintf (fp,
"usage: minnow [OPTIONS] [COMMAND [ARGS...] [: COMMAND ...]]\n"
"Create, read and modify disk images from the command line or a script.\n"
"  -a, --add IMAGE       add a disk image (read-only unless --rw)\n"
"  --format=FORMAT       the format of the -a images that follow (raw, ...)\n"
"  --format=json         print every result as one JSON value\n"
"  -m, --mount DEV[:MOUNTPOINT[:OPTIONS[:FSTYPE]]]  mount after launching\n"
"  -N, --new [FILE=]TYPE create a prepared disk: disk[:SIZE],\n"
"                        part[:mbr|gpt[:SIZE]], fs[:FSTYPE[:SIZE[:mbr|gpt]]]\n"
"  -w, --rw              add -a images read-write (default: read-only)\n"
"  --ro                  add -a images read-only (the default)\n"
"  -f, --file SCRIPT     run the commands of SCRIPT ('-' for stdin)\n"
"  -x                    echo each command before running it\n"
"  -v, --verbose         debugging messages of the library and the daemon\n"
"  --progress-bars, --no-progress-bars   (default: on a terminal)\n"
"  --keys-from-stdin     read keys and passphrases from stdin\n"
"  --listen              start a daemon for later --remote shells; prints\n"
"                        MINNOW_PID=N; export MINNOW_PID\n"
"  --remote[=PID]        run the commands on the daemon of --listen\n"
"  -i, --inspector       inspect the disks, mount the operating system's\n"
"                        filesystems (read-only unless --rw)\n"
"  -h, --help            this text;  -V, --version\n"
"Without a command or -f: commands from stdin (interactive on a terminal).\n"
"Type 'help' at the prompt for the list of commands.  See minnow(1).\n");
  exit (status);
}

/* ------------------------------------------------------------ handle */

/* Progress of the running call, on one line of stderr: a bar when the
 * total is known; a byte count when the daemon reports position ==
 * total again and again (a stream of unknown size).  The line is ended
 * once, when the call returns (shell_progress_end), at 100% if the call
 * succeeded. */
static struct {
  int drawn;                    /* on the line, not ended yet */
  int last_percent;
  int unknown_total;
  uint64_t last_pos, last_total;
} progress = { 0, -1, 0, 0, 0 };

static void
progress_cb (minnow_h *h, void *opaque, uint64_t event, int event_handle,
             int flags, const char *buf, size_t buf_len,
             const uint64_t *array, size_t array_len)
{
  uint64_t pos, total;
  int percent, width = 40, fill;

  if (array_len < 4 || !shell_progress_bars)
    return;
  pos = array[2];
  total = array[3];
  if (pos >= total && progress.drawn && pos > progress.last_pos &&
      progress.last_pos >= progress.last_total)
    progress.unknown_total = 1;
  progress.last_pos = pos;
  progress.last_total = total;
  if (progress.unknown_total) {
    fprintf (stderr, "\r%-47s", "");
    fprintf (stderr, "\r%.1f MiB transferred", pos / 1048576.0);
    progress.drawn = 1;
    fflush (stderr);
    return;
  }
  percent = total ? (int) (pos * 100 / total) : 100;
  if (percent > 100)
    percent = 100;
  if (percent == progress.last_percent)
    return;
  progress.last_percent = percent;
  fill = percent * width / 100;
  fprintf (stderr, "\r[");
  for (int i = 0; i < width; ++i)
    fputc (i < fill ? '#' : '-', stderr);
  fprintf (stderr, "] %3d%%", percent);
  progress.drawn = 1;
  fflush (stderr);
}

void
shell_progress_end (int ok)
{
  /* A call that succeeded is complete, whether or not its last step was
   * reported. */
  if (progress.drawn && ok && !progress.unknown_total &&
      progress.last_percent < 100) {
    fprintf (stderr, "\r[");
    for (int i = 0; i < 40; ++i)
      fputc ('#', stderr);
    fprintf (stderr, "] 100%%");
  }
  if (progress.drawn)
    fputc ('\n', stderr);
  memset (&progress, 0, sizeof progress);
  progress.last_percent = -1;
}

static minnow_h *
new_handle (void)
{
  minnow_h *h = minnow_create ();

  if (h == NULL) {
    fprintf (stderr, "minnow: cannot create a handle\n");
    exit (EXIT_FAILURE);
  }
  /* The shell prints errors itself (shell_failed), with hints. */
  minnow_set_error_handler (h, NULL, NULL);
  /* The daemon out of the terminal's process group: Ctrl-C reaches the
   * shell only, which cancels the running call (user_cancel). */
  minnow_set_pgroup (h, 1);
  if (verbose)
    minnow_set_verbose (h, 1);
  minnow_set_event_callback (h, progress_cb, MINNOW_EVENT_PROGRESS, 0, NULL);
  return h;
}

/* Which drive a device name belongs to: /dev/sdb2 -> 1; -1 if unknown. */
static long
drive_index (const char *dev)
{
  long idx = -1;
  const char *p;

  if (strncmp (dev, "/dev/sd", 7) && strncmp (dev, "/dev/vd", 7) &&
      strncmp (dev, "/dev/hd", 7))
    return -1;
  for (p = dev + 7; *p >= 'a' && *p <= 'z'; ++p)
    idx = (idx + 1) * 26 + (*p - 'a');
  return p == dev + 7 ? -1 : idx;
}

static int
device_is_readonly (const char *dev)
{
  long i = drive_index (dev);

  if (i >= 0 && (size_t) i < nr_drives)
    return drives[i].readonly;
  return !shell_read_write;
}

/* -N: the disk was created before launch; make its partitions and
 * filesystem now.  TYPE: disk[:SIZE], part[:PARTTYPE[:SIZE]],
 * fs[:FSTYPE[:SIZE[:PARTTYPE]]]. */
static int
prepare_drive (size_t i)
{
  char dev[32], part[40];
  char **f;
  const char *err = NULL;
  int r = 0;

  snprintf (dev, sizeof dev, "/dev/sd%c", (char) ('a' + i));
  snprintf (part, sizeof part, "%s1", dev);
  f = shell_split_words (drives[i].prepare, &err);
  if (f == NULL)
    return -1;
  if (strcmp (f[0], "part") == 0) {
    if (minnow_part_disk (g, dev, f[1] && *f[1] ? f[1] : "mbr") == -1)
      r = shell_failed ("-N part");
  }
  else if (strcmp (f[0], "fs") == 0) {
    const char *fstype = f[1] && *f[1] ? f[1] : "ext4";
    const char *ptype = f[1] && f[2] && f[3] && *f[3] ? f[3] : "mbr";

    if (minnow_part_disk (g, dev, ptype) == -1 ||
        minnow_mkfs (g, fstype, part) == -1)
      r = shell_failed ("-N fs");
  }
  shell_free_list (f);
  return r;
}

static int
mount_one (const struct mount_spec *m)
{
  int ro = device_is_readonly (m->dev);
  const char *mp = m->mountpoint ? m->mountpoint : "/";
  int r;

  if (m->fstype) {
    char *t = minnow_vfs_type (g, m->dev);

    if (t == NULL)
      return shell_failed ("-m");
    if (strcmp (t, m->fstype) != 0) {
      fprintf (stderr, "minnow: -m: %s holds %s, not %s\n", m->dev,
               *t ? t : "no filesystem", m->fstype);
      free (t);
      return -1;
    }
    free (t);
  }
  if (m->options && *m->options) {
    char *opts;

    if (asprintf (&opts, "%s%s", ro ? "ro," : "", m->options) == -1)
      return -1;
    r = minnow_mount_options (g, opts, m->dev, mp);
    free (opts);
  }
  else if (ro)
    r = minnow_mount_ro (g, m->dev, mp);
  else
    r = minnow_mount (g, m->dev, mp);
  return r == -1 ? shell_failed ("-m") : 0;
}

static void
free_strings (char **v)
{
  for (size_t i = 0; v && v[i]; ++i)
    free (v[i]);
  free (v);
}

static int
by_mountpoint_length (const void *a, const void *b)
{
  const char *const *x = a, *const *y = b;
  size_t lx = strlen (x[0]), ly = strlen (y[0]);

  return lx < ly ? -1 : lx > ly ? 1 : strcmp (x[0], y[0]);
}

/* -i: inspect, then mount every filesystem of the one operating system
 * at its mount point, shortest mount point first (read-only unless
 * --rw, as every drive of the shell). */
static int
inspect_and_mount (void)
{
  char **roots = minnow_inspect_os (g), **mps;
  size_t n = 0, i;
  int r = 0;

  if (roots == NULL)
    return shell_failed ("-i");
  while (roots[n])
    n++;
  if (n != 1) {
    fprintf (stderr, "minnow: -i: %s: mount the filesystems with "
             "-m DEVICE[:MOUNTPOINT]\n", n == 0 ? "no operating system "
             "was found" : "several operating systems were found");
    free_strings (roots);
    return -1;
  }
  mps = minnow_inspect_get_mountpoints (g, roots[0]);
  if (mps == NULL) {
    free_strings (roots);
    return shell_failed ("-i");
  }
  for (n = 0; mps[n]; n += 2)
    ;
  qsort (mps, n / 2, 2 * sizeof *mps, by_mountpoint_length);
  for (i = 0; i < n && r == 0; i += 2) {
    if (shell_read_write)
      r = minnow_mount (g, mps[i + 1], mps[i]);
    else
      r = minnow_mount_ro (g, mps[i + 1], mps[i]);
    if (r == -1)
      shell_failed ("-i");
  }
  free_strings (mps);
  free_strings (roots);
  return r;
}

/* Launches the handle (if it is not yet), then prepares the -N disks
 * and mounts the -m filesystems, or those inspection finds (-i). */
static int
launch_and_mount (void)
{
  if (minnow_is_config (g) == 1) {
    if (minnow_launch (g) == -1)
      return shell_failed ("launch");
    for (size_t i = 0; i < nr_drives; ++i)
      if (drives[i].prepare && prepare_drive (i) == -1)
        return -1;
    for (size_t i = 0; i < nr_mounts; ++i)
      if (mount_one (&mounts[i]) == -1)
        return -1;
    if (inspector && inspect_and_mount () == -1)
      return -1;
  }
  return 0;
}

static int
add_drives (void)
{
  for (size_t i = 0; i < nr_drives; ++i) {
    struct drive *d = &drives[i];
    int r;

    if (d->format)
      r = minnow_add_drive_opts (g, d->file,
                                 MINNOW_ADD_DRIVE_OPTS_READONLY, d->readonly,
                                 MINNOW_ADD_DRIVE_OPTS_FORMAT, d->format, -1);
    else
      r = minnow_add_drive_opts (g, d->file,
                                 MINNOW_ADD_DRIVE_OPTS_READONLY, d->readonly,
                                 -1);
    if (r == -1)
      return shell_failed ("-a");
  }
  return 0;
}

/* ------------------------------------------------------------ sizes of
 * the shell's own commands: a bare number is refused, a unit is asked
 * for (guestfish's prepared disks read sizes without units as megabytes
 * in places and as bytes in others). */
static int
parse_disk_size (const char *cmd, const char *s, int64_t *r)
{
  const char *err;
  size_t n = strlen (s);

  if (n > 0 && s[n - 1] >= '0' && s[n - 1] <= '9') {
    fprintf (stderr, "minnow: %s: size '%s' has no unit: say %sK, %sM or "
             "%sG (or %sb for bytes)\n", cmd, s, s, s, s, s);
    return -1;
  }
  err = shell_size_error (s, r);
  if (err) {
    fprintf (stderr, "minnow: %s: size '%s': %s\n", cmd, s, err);
    return -1;
  }
  if (*r <= 0) {
    fprintf (stderr, "minnow: %s: size '%s' must be positive\n", cmd, s);
    return -1;
  }
  return 0;
}

/* -N [FILE=]TYPE */
static void
add_prepared (const char *spec, int n)
{
  const char *eq = strchr (spec, '=');
  const char *type = eq ? eq + 1 : spec;
  char *file, **f;
  const char *err = NULL, *size = NULL;
  int64_t bytes = 100 * 1024 * 1024;
  char *colons = strdup (type);
  struct drive *d;

  for (char *p = colons; *p; ++p)
    if (*p == ':')
      *p = ' ';
  f = shell_split_words (colons, &err);
  if (f == NULL || f[0] == NULL) {
    fprintf (stderr, "minnow: -N %s: no type (disk, part or fs)\n", spec);
    exit (EXIT_FAILURE);
  }
  if (strcmp (f[0], "disk") == 0)
    size = f[1];
  else if (strcmp (f[0], "part") == 0)
    size = f[1] ? f[2] : NULL;
  else if (strcmp (f[0], "fs") == 0)
    size = f[1] ? f[2] : NULL;
  else {
    fprintf (stderr, "minnow: -N %s: unknown type '%s' (disk, part or fs)\n",
             spec, f[0]);
    exit (EXIT_FAILURE);
  }
  if (strcmp (f[0], "part") == 0 && f[1] && strcmp (f[1], "mbr") &&
      strcmp (f[1], "gpt") && strcmp (f[1], "msdos")) {
    fprintf (stderr, "minnow: -N %s: partition table '%s': use mbr or gpt\n",
             spec, f[1]);
    exit (EXIT_FAILURE);
  }
  if (size && parse_disk_size ("-N", size, &bytes) == -1)
    exit (EXIT_FAILURE);
  shell_free_list (f);
  if (eq)
    file = strndup (spec, eq - spec);
  else if (asprintf (&file, "test%d.img", n) == -1)
    exit (EXIT_FAILURE);
  if (minnow_disk_create (g, file, "raw", bytes, -1) == -1) {
    shell_failed ("-N");
    exit (EXIT_FAILURE);
  }
  drives = realloc (drives, (nr_drives + 1) * sizeof *drives);
  d = &drives[nr_drives++];
  d->file = file;
  d->format = "raw";
  d->readonly = 0;             /* made here, to be written */
  /* The words of TYPE, space-separated, for prepare_drive. */
  d->prepare = strcmp (type, "disk") && strncmp (type, "disk:", 5) ? colons : NULL;
  if (d->prepare == NULL)
    free (colons);
}

static void
add_mount_spec (const char *spec)
{
  char *s = strdup (spec), *p;
  struct mount_spec *m;

  mounts = realloc (mounts, (nr_mounts + 1) * sizeof *mounts);
  m = &mounts[nr_mounts++];
  memset (m, 0, sizeof *m);
  m->dev = s;
  if ((p = strchr (s, ':')) != NULL) {
    *p++ = '\0';
    m->mountpoint = p;
    if ((p = strchr (p, ':')) != NULL) {
      *p++ = '\0';
      m->options = p;
      if ((p = strchr (p, ':')) != NULL) {
        *p++ = '\0';
        m->fstype = p;
      }
    }
  }
  if (m->mountpoint && m->mountpoint[0] != '/') {
    fprintf (stderr, "minnow: -m %s: the mount point must be an absolute "
             "path\n", spec);
    exit (EXIT_FAILURE);
  }
}

/* ------------------------------------------------------------ local
 * commands: through the spawning core only. */

/* Runs CMDLINE with /bin/sh, stdin/stdout/stderr the shell's own. */
static int
run_local (const char *cmdline, int input_fd, int *status)
{
  struct command *c = command_new_args ("/bin/sh", "-c", cmdline, NULL);
  int r;

  command_set_input_fd (c, input_fd);
  command_set_output_fd (c, 1);
  command_set_error_fd (c, 2);
  fflush (stdout);
  r = command_run (c, status);
  if (r == -1)
    fprintf (stderr, "minnow: %s: %s\n", cmdline, command_get_error (c));
  command_free (c);
  return r;
}

/* ------------------------------------------------------------ shell
 * commands */

static int dispatch (int argc, char *argv[], int lineno);

static const struct shell_builtin {
  const char *name;
  int (*run) (int argc, char *argv[]);
  const char *synopsis;
  const char *help;
} builtins[];

static int
needs_launch (const char *cmd)
{
  if (minnow_is_config (g) == 1 && launch_and_mount () == -1) {
    fprintf (stderr, "minnow: %s: the handle could not be launched\n", cmd);
    return -1;
  }
  return 0;
}

static int
cmd_help (int argc, char *argv[])
{
  if (argc == 1) {
    printf ("Commands of the shell:\n");
    for (size_t i = 0; builtins[i].name; ++i)
      printf ("  %-22s %s\n", builtins[i].name, builtins[i].help);
    printf ("Commands of the API (libguestfs's names; 'help NAME' for one):\n");
    for (size_t i = 0; i < shell_nr_actions; ++i) {
      char name[128];

      if (!shell_actions[i].in_docs)
        continue;
      snprintf (name, sizeof name, "%s", shell_actions[i].name);
      for (char *p = name; *p; ++p)
        if (*p == '_') *p = '-';
      printf ("  %-22s %s\n", name, shell_actions[i].shortdesc);
    }
    printf ("Optional arguments are name:value; a leading '-' ignores a "
            "command's error;\n'CMD | PIPELINE' pipes the output to a local "
            "command.  See minnow(1).\n");
    return 0;
  }
  if (argc != 2) {
    fprintf (stderr, "minnow: help: wrong number of arguments: 'help' or "
             "'help COMMAND'\n");
    return -1;
  }
  for (size_t i = 0; builtins[i].name; ++i)
    if (strcmp (argv[1], builtins[i].name) == 0) {
      printf ("%s - %s\n\n %s\n", builtins[i].name, builtins[i].help,
              builtins[i].synopsis);
      return 0;
    }
  const struct shell_command *c = shell_find_action (argv[1]);
  if (c == NULL) {
    fprintf (stderr, "minnow: help: %s: unknown command (type 'help' for the "
             "list)\n", argv[1]);
    return -1;
  }
  fputs (c->help, stdout);
  return 0;
}

static int
cmd_quit (int argc, char *argv[])
{
  return 1;                     /* dispatch turns this into "stop" */
}

static int
cmd_lcd (int argc, char *argv[])
{
  if (argc != 2) {
    fprintf (stderr, "minnow: lcd: wrong number of arguments: lcd DIRECTORY\n");
    return -1;
  }
  if (chdir (argv[1]) == -1) {
    fprintf (stderr, "minnow: lcd: %s: %m\n", argv[1]);
    return -1;
  }
  return 0;
}

static int
cmd_echo (int argc, char *argv[])
{
  for (int i = 1; i < argc; ++i)
    printf ("%s%s", i > 1 ? " " : "", argv[i]);
  printf ("\n");
  return 0;
}

static int
cmd_time (int argc, char *argv[])
{
  struct timespec t0, t1;
  int r;

  if (argc < 2) {
    fprintf (stderr, "minnow: time: wrong number of arguments: time COMMAND [ARGS...]\n");
    return -1;
  }
  clock_gettime (CLOCK_MONOTONIC, &t0);
  r = dispatch (argc - 1, argv + 1, 0);
  clock_gettime (CLOCK_MONOTONIC, &t1);
  fprintf (shell_json ? stderr : stdout, "elapsed time: %.3f seconds\n",
           (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
  return r;
}

/* glob: expand the wildcards of each argument inside the image, then run
 * the command once per combination. */
static int
has_wildcard (const char *s)
{
  return strpbrk (s, "*?[") != NULL;
}

static void
add_string (char ***list, size_t *n, const char *s)
{
  *list = realloc (*list, (*n + 2) * sizeof (char *));
  (*list)[(*n)++] = strdup (s);
  (*list)[*n] = NULL;
}

/* Expands the path pattern component by component from the root. */
static void
expand_path (const char *dir, const char *rest, char ***out, size_t *n)
{
  const char *slash = strchr (rest, '/');
  size_t len = slash ? (size_t) (slash - rest) : strlen (rest);
  char *comp = strndup (rest, len);
  char **entries;

  if (!has_wildcard (comp)) {
    char *path;

    if (asprintf (&path, "%s/%s", strcmp (dir, "/") ? dir : "", comp) != -1) {
      if (slash && slash[1])
        expand_path (path, slash + 1, out, n);
      else if (minnow_exists (g, path) == 1)
        add_string (out, n, path);
      free (path);
    }
    free (comp);
    return;
  }
  entries = minnow_ls (g, dir);
  if (entries) {
    for (size_t i = 0; entries[i]; ++i) {
      char *path;

      if (fnmatch (comp, entries[i], FNM_PERIOD) != 0)
        continue;
      if (asprintf (&path, "%s/%s", strcmp (dir, "/") ? dir : "",
                    entries[i]) == -1)
        continue;
      if (slash && slash[1]) {
        if (minnow_is_dir (g, path) == 1)
          expand_path (path, slash + 1, out, n);
      }
      else
        add_string (out, n, path);
      free (path);
    }
    shell_free_list (entries);
  }
  free (comp);
}

static char **
glob_expand (const char *pattern)
{
  char **out = NULL;
  size_t n = 0;

  if (!has_wildcard (pattern) || pattern[0] != '/') {
    add_string (&out, &n, pattern);
    return out;
  }
  if (strncmp (pattern, "/dev/", 5) == 0) {
    char **devs = minnow_list_devices (g), **parts = minnow_list_partitions (g);

    for (char **l = devs; l && *l; ++l)
      if (fnmatch (pattern, *l, 0) == 0)
        add_string (&out, &n, *l);
    for (char **l = parts; l && *l; ++l)
      if (fnmatch (pattern, *l, 0) == 0)
        add_string (&out, &n, *l);
    shell_free_list (devs);
    shell_free_list (parts);
  }
  else
    expand_path ("/", pattern + 1, &out, &n);
  if (n == 0)
    add_string (&out, &n, pattern);      /* no match: the word as it is */
  return out;
}

static int
glob_run (int argc, char **words, char ***expanded, int k, int *failed)
{
  if (k == argc) {
    if (dispatch (argc, words, 0) == -1)
      *failed = 1;
    return 0;
  }
  for (size_t i = 0; expanded[k][i]; ++i) {
    words[k] = expanded[k][i];
    glob_run (argc, words, expanded, k + 1, failed);
  }
  return 0;
}

static int
cmd_glob (int argc, char *argv[])
{
  char ***expanded;
  char **words;
  int failed = 0;

  if (argc < 2) {
    fprintf (stderr, "minnow: glob: wrong number of arguments: glob COMMAND [ARGS...]\n");
    return -1;
  }
  if (needs_launch ("glob") == -1)
    return -1;
  argc--, argv++;
  expanded = calloc (argc, sizeof *expanded);
  words = calloc (argc + 1, sizeof *words);
  words[0] = argv[0];
  expanded[0] = NULL;
  for (int i = 1; i < argc; ++i)
    expanded[i] = glob_expand (argv[i]);
  {
    char *first[2] = { argv[0], NULL };
    expanded[0] = first;
    glob_run (argc, words, expanded, 0, &failed);
    expanded[0] = NULL;
  }
  for (int i = 1; i < argc; ++i)
    shell_free_list (expanded[i]);
  free (expanded);
  free (words);
  return failed ? -1 : 0;
}

static int
alloc_common (int argc, char *argv[], const char *prealloc)
{
  int64_t size;

  if (argc != 3) {
    fprintf (stderr, "minnow: %s: wrong number of arguments: %s FILE SIZE\n",
             argv[0], argv[0]);
    return -1;
  }
  if (parse_disk_size (argv[0], argv[2], &size) == -1)
    return -1;
  if (minnow_is_config (g) != 1) {
    fprintf (stderr, "minnow: %s: the handle is already launched: a disk can "
             "only be added before (use 'reopen' first)\n", argv[0]);
    return -1;
  }
  if (minnow_disk_create (g, argv[1], "raw", size, MINNOW_DISK_CREATE_PREALLOCATION,
                          prealloc, -1) == -1 ||
      minnow_add_drive_opts (g, argv[1], MINNOW_ADD_DRIVE_OPTS_FORMAT, "raw", -1) == -1)
    return shell_failed (argv[0]);
  drives = realloc (drives, (nr_drives + 1) * sizeof *drives);
  drives[nr_drives].file = strdup (argv[1]);
  drives[nr_drives].format = "raw";
  drives[nr_drives].readonly = 0;
  drives[nr_drives].prepare = NULL;
  nr_drives++;
  return 0;
}

static int
cmd_alloc (int argc, char *argv[])
{
  return alloc_common (argc, argv, "full");
}

static int
cmd_sparse (int argc, char *argv[])
{
  return alloc_common (argc, argv, "sparse");
}

static int
cmd_reopen (int argc, char *argv[])
{
  if (argc != 1) {
    fprintf (stderr, "minnow: reopen: takes no arguments\n");
    return -1;
  }
  minnow_close (g);
  g = new_handle ();
  nr_drives = 0;
  nr_mounts = 0;
  return 0;
}

static int
cmd_supported (int argc, char *argv[])
{
  /* api.def declares no optional feature groups yet: every command of
   * this build is available. */
  printf ("every command of this build is available (%zu commands; "
          "minnow has no optional feature groups)\n", shell_nr_actions);
  return 0;
}

/* The file, streamed with download into a new temporary file (any size,
 * any bytes). */
static int
fetch_to_temp (const char *cmd, const char *path, char *tmpl)
{
  int fd;

  if (needs_launch (cmd) == -1)
    return -1;
  fd = mkstemp (tmpl);
  if (fd == -1) {
    fprintf (stderr, "minnow: %s: %s: %m\n", cmd, tmpl);
    return -1;
  }
  close (fd);
  if (minnow_download (g, path, tmpl) == -1) {
    unlink (tmpl);
    return shell_failed (cmd);
  }
  return 0;
}

static int
cmd_page (int argc, char *argv[])
{
  char tmpl[] = "/tmp/minnow-view-XXXXXX";
  const char *viewer;
  char *line;
  int r, status;

  if (argc != 2) {
    fprintf (stderr, "minnow: %s: wrong number of arguments: %s PATH\n",
             argv[0], argv[0]);
    return -1;
  }
  if (fetch_to_temp (argv[0], argv[1], tmpl) == -1)
    return -1;
  if (strcmp (argv[0], "display") == 0)
    viewer = getenv ("MINNOW_DISPLAY_IMAGE") ? : "display";
  else
    viewer = getenv ("PAGER") ? : (strcmp (argv[0], "more") == 0 ? "more" : "less");
  if (asprintf (&line, "%s \"$1\"", viewer) == -1)
    return -1;
  {
    struct command *c = command_new_args ("/bin/sh", "-c", line, "sh", tmpl, NULL);

    command_set_input_fd (c, 0);
    command_set_output_fd (c, 1);
    command_set_error_fd (c, 2);
    fflush (stdout);
    r = command_run (c, &status);
    if (r == -1)
      fprintf (stderr, "minnow: %s: %s\n", argv[0], command_get_error (c));
    command_free (c);
  }
  free (line);
  unlink (tmpl);
  return r == -1 || status != 0 ? -1 : 0;
}

static int
cmd_edit (int argc, char *argv[])
{
  char tmpl[] = "/tmp/minnow-edit-XXXXXX";
  const char *editor;
  char *line;
  struct stat before, after;
  int r, status = 0;

  if (argc != 2) {
    fprintf (stderr, "minnow: %s: wrong number of arguments: %s PATH\n",
             argv[0], argv[0]);
    return -1;
  }
  if (fetch_to_temp (argv[0], argv[1], tmpl) == -1)
    return -1;
  if (strcmp (argv[0], "vi") == 0)
    editor = "vi";
  else if (strcmp (argv[0], "emacs") == 0)
    editor = "emacs";
  else
    editor = getenv ("EDITOR") ? : "vi";
  stat (tmpl, &before);
  if (asprintf (&line, "%s \"$1\"", editor) == -1)
    return -1;
  {
    struct command *c = command_new_args ("/bin/sh", "-c", line, "sh", tmpl, NULL);

    command_set_input_fd (c, 0);
    command_set_output_fd (c, 1);
    command_set_error_fd (c, 2);
    fflush (stdout);
    r = command_run (c, &status);
    if (r == -1)
      fprintf (stderr, "minnow: %s: %s\n", argv[0], command_get_error (c));
    command_free (c);
  }
  free (line);
  if (r == 0 && status != 0) {
    fprintf (stderr, "minnow: %s: the editor failed (status %d): %s unchanged\n",
             argv[0], status, argv[1]);
    r = -1;
  }
  if (r == 0 && stat (tmpl, &after) == 0 &&
      (after.st_mtim.tv_sec != before.st_mtim.tv_sec ||
       after.st_mtim.tv_nsec != before.st_mtim.tv_nsec ||
       after.st_size != before.st_size) &&
      minnow_upload (g, tmpl, argv[1]) == -1)
    r = shell_failed (argv[0]);
  unlink (tmpl);
  return r;
}

static const struct shell_builtin builtins[] = {
  { "help", cmd_help, "help [COMMAND]", "list the commands, or show one's documentation" },
  { "quit", cmd_quit, "quit", "end the shell" },
  { "exit", cmd_quit, "exit", "end the shell" },
  { "lcd", cmd_lcd, "lcd DIRECTORY", "change the shell's directory on the host" },
  { "echo", cmd_echo, "echo [WORDS...]", "print the words" },
  { "time", cmd_time, "time COMMAND [ARGS...]", "run a command and print how long it took" },
  { "glob", cmd_glob, "glob COMMAND [ARGS...]", "expand wildcards in the arguments (paths in the image, /dev/ names) and run the command for each match" },
  { "alloc", cmd_alloc, "alloc FILE SIZE", "create a raw disk image, fully allocated, and add it (read-write); SIZE needs a unit" },
  { "allocate", cmd_alloc, "allocate FILE SIZE", "the same as alloc" },
  { "sparse", cmd_sparse, "sparse FILE SIZE", "create a sparse raw disk image and add it (read-write); SIZE needs a unit" },
  { "reopen", cmd_reopen, "reopen", "close the handle and open a new one (drives and mounts are forgotten)" },
  { "supported", cmd_supported, "supported", "say which optional features this build has" },
  { "display", cmd_page, "display PATH", "show an image file of the disk with display(1) ($MINNOW_DISPLAY_IMAGE)" },
  { "less", cmd_page, "less PATH", "page a file of the disk ($PAGER, else less)" },
  { "more", cmd_page, "more PATH", "page a file of the disk ($PAGER, else more)" },
  { "edit", cmd_edit, "edit PATH", "edit a file of the disk with $EDITOR (default vi)" },
  { "vi", cmd_edit, "vi PATH", "edit a file of the disk with vi" },
  { "emacs", cmd_edit, "emacs PATH", "edit a file of the disk with emacs" },
  { "!", NULL, "!COMMAND", "run a command on the host with /bin/sh" },
  { NULL, NULL, NULL, NULL }
};

const struct shell_command *
shell_find_action (const char *name)
{
  char buf[128];
  size_t n = strlen (name);

  if (n >= sizeof buf)
    return NULL;
  for (size_t i = 0; i <= n; ++i)
    buf[i] = name[i] == '-' ? '_' : name[i];
  for (size_t i = 0; i < shell_nr_actions; ++i)
    if (strcmp (shell_actions[i].name, buf) == 0)
      return &shell_actions[i];
  return NULL;
}

static void
sigint_handler (int sig)
{
  shell_interrupted = 1;
  if (g)
    minnow_user_cancel (g);
}

/* Runs one command (words already split).  0 ok, -1 failed, 1 quit. */
static int
dispatch (int argc, char *argv[], int lineno)
{
  const struct shell_command *c;
  int r;

  if (echo_commands && lineno == -1) {
    for (int i = 0; i < argc; ++i)
      fprintf (stderr, "%s%s", i ? " " : "", argv[i]);
    fprintf (stderr, "\n");
  }
  for (size_t i = 0; builtins[i].name; ++i)
    if (builtins[i].run && strcmp (argv[0], builtins[i].name) == 0) {
      r = builtins[i].run (argc, argv);
      shell_progress_end (r == 0);
      return r;
    }
  /* run: guestfish's name for launch. */
  c = shell_find_action (strcmp (argv[0], "run") == 0 ? "launch" : argv[0]);
  if (c == NULL) {
    fprintf (stderr, "minnow: %s: unknown command (type 'help' for the "
             "list)\n", argv[0]);
    return -1;
  }
  /* Check the argument count before launching anything. */
  if (argc - 1 < c->nr_args || argc - 1 > c->nr_args + c->nr_optargs)
    return shell_wrong_args (argv[0], c->nr_args, c->nr_optargs, argc - 1);
  if (strcmp (c->name, "launch") == 0)
    return minnow_is_config (g) == 1 ? launch_and_mount () : c->run (argv[0], 0, argv + 1);
  if (c->daemon && needs_launch (argv[0]) == -1)
    return -1;
  shell_interrupted = 0;
  shell_call_begin ();
  r = c->run (argv[0], argc - 1, argv + 1);
  shell_call_end ();
  shell_file_out_done ();
  shell_progress_end (r == 0 && !shell_interrupted);
  fflush (stdout);
  /* A call the cancel stopped has said so (EINTR); one that ended
   * before the cancel reached it loses its result. */
  if (shell_interrupted && r == 0) {
    fprintf (stderr, "minnow: %s: interrupted\n", argv[0]);
    r = -1;
  }
  return r;
}

/* The position of the first '|' outside quotes, or -1. */
static long
find_pipe (const char *line)
{
  char quote = 0;

  for (const char *p = line; *p; ++p) {
    if (quote) {
      if (*p == '\\' && quote == '"' && p[1])
        ++p;
      else if (*p == quote)
        quote = 0;
    }
    else if (*p == '"' || *p == '\'')
      quote = *p;
    else if (*p == '|')
      return p - line;
    else if (*p == '#' && (p == line || p[-1] == ' ' || p[-1] == '\t'))
      return -1;
  }
  return -1;
}

static int
count_words (char **words)
{
  int n = 0;

  while (words[n])
    ++n;
  return n;
}

/* 0 ok, -1 failed, 1 quit. */
int
shell_execute_line (const char *line, int lineno)
{
  char *copy, *cmdpart, *pipeline = NULL, **words;
  const char *err = NULL;
  int ignore_error = 0, r;
  long bar;

  while (*line == ' ' || *line == '\t')
    ++line;
  if (*line == '\0' || *line == '#' || *line == '\n')
    return 0;
  if (echo_commands) {
    fflush (stdout);
    fprintf (stderr, "%s\n", line);
  }
  if (*line == '!') {
    int status;

    if (run_local (line + 1, 0, &status) == -1)
      return -1;
    return status == 0 ? 0 : -1;
  }
  if (*line == '-' && line[1] != '\0' && line[1] != ' ') {
    ignore_error = 1;
    ++line;
  }
  copy = strdup (line);
  cmdpart = copy;
  bar = find_pipe (copy);
  if (bar >= 0) {
    copy[bar] = '\0';
    pipeline = copy + bar + 1;
  }
  words = shell_split_words (cmdpart, &err);
  if (words == NULL) {
    fprintf (stderr, "minnow: %s\n", err);
    free (copy);
    return ignore_error ? 0 : -1;
  }
  if (words[0] == NULL) {
    shell_free_list (words);
    free (copy);
    return 0;
  }
  if (pipeline) {
    struct command *c;
    int wfd = -1, saved, status = 0;
    const struct shell_command *act = shell_find_action (words[0]);

    /* Launch first: the daemon must not inherit the pipe as its stdout
     * (the pipeline would never see the end of its input). */
    if (act && act->daemon && needs_launch (words[0]) == -1) {
      shell_free_list (words);
      free (copy);
      return ignore_error ? 0 : -1;
    }
    c = command_new_args ("/bin/sh", "-c", pipeline, NULL);

    command_set_input_pipe (c, &wfd);
    command_set_output_fd (c, 1);
    command_set_error_fd (c, 2);
    fflush (stdout);
    if (command_run_async (c, NULL) == -1) {
      fprintf (stderr, "minnow: %s: %s\n", pipeline, command_get_error (c));
      command_free (c);
      shell_free_list (words);
      free (copy);
      return ignore_error ? 0 : -1;
    }
    saved = dup (1);
    dup2 (wfd, 1);
    close (wfd);
    r = dispatch (count_words (words), words, lineno);
    fflush (stdout);
    dup2 (saved, 1);
    close (saved);
    if (command_wait (c, &status) == -1 || status != 0) {
      if (r == 0)
        fprintf (stderr, "minnow: %s: the pipeline failed (status %d)\n",
                 pipeline, status);
      if (r == 0)
        r = -1;
    }
    command_free (c);
  }
  else
    r = dispatch (count_words (words), words, lineno);
  shell_free_list (words);
  free (copy);
  if (r == -1 && ignore_error)
    r = 0;
  return r;
}

/* Commands from a file or stdin.  Stops at the first failing command,
 * naming its line. */
static int
run_script (FILE *fp, const char *name)
{
  char *line = NULL;
  size_t cap = 0;
  int lineno = 0, r = 0;

  while (getline (&line, &cap, fp) != -1) {
    size_t n = strlen (line);

    ++lineno;
    if (n > 0 && line[n - 1] == '\n')
      line[n - 1] = '\0';
    r = shell_execute_line (line, lineno);
    if (r == 1) {
      r = 0;
      break;
    }
    if (r == -1) {
      fprintf (stderr, "minnow: %s:%d: stopping: this command failed: %s\n",
               name, lineno, line);
      break;
    }
  }
  free (line);
  return r;
}

/* Commands from the command line, separated by ':' words. */
static int
run_args (int argc, char *argv[])
{
  int start = 0;

  while (start < argc) {
    int end = start, r;

    while (end < argc && strcmp (argv[end], ":") != 0)
      ++end;
    if (end > start) {
      char **words = calloc (end - start + 1, sizeof (char *));

      for (int i = start; i < end; ++i)
        words[i - start] = argv[i];
      r = dispatch (end - start, words, -1);
      free (words);
      if (r == 1)
        return 0;
      if (r == -1)
        return -1;
    }
    start = end + 1;
  }
  return 0;
}

int
main (int argc, char *argv[])
{
  enum { OPT_FORMAT = 256, OPT_RO, OPT_KEYS, OPT_PROGRESS, OPT_NO_PROGRESS,
         OPT_LISTEN, OPT_REMOTE };
  static const struct option long_options[] = {
    { "add", required_argument, NULL, 'a' },
    { "format", optional_argument, NULL, OPT_FORMAT },
    { "mount", required_argument, NULL, 'm' },
    { "new", required_argument, NULL, 'N' },
    { "file", required_argument, NULL, 'f' },
    { "rw", no_argument, NULL, 'w' },
    { "ro", no_argument, NULL, OPT_RO },
    { "verbose", no_argument, NULL, 'v' },
    { "inspector", no_argument, NULL, 'i' },
    { "keys-from-stdin", no_argument, NULL, OPT_KEYS },
    { "progress-bars", no_argument, NULL, OPT_PROGRESS },
    { "no-progress-bars", no_argument, NULL, OPT_NO_PROGRESS },
    { "listen", no_argument, NULL, OPT_LISTEN },
    { "remote", optional_argument, NULL, OPT_REMOTE },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 }
  };
  const char *format = NULL, *script = NULL, *remote_pid = NULL;
  int c, listen = 0, remote = 0, nr_new = 0, r;
  struct sigaction sa;

  g = new_handle ();
  while ((c = getopt_long (argc, argv, "+a:m:N:f:wxvihV", long_options,
                           NULL)) != -1) {
    switch (c) {
    case 'a':
      drives = realloc (drives, (nr_drives + 1) * sizeof *drives);
      drives[nr_drives].file = strdup (optarg);
      drives[nr_drives].format = format;
      drives[nr_drives].readonly = -1;  /* decided once --rw is known */
      drives[nr_drives].prepare = NULL;
      nr_drives++;
      break;
    case OPT_FORMAT:
      if (optarg && (strcmp (optarg, "json") == 0 || strcmp (optarg, "text") == 0))
        shell_json = strcmp (optarg, "json") == 0;
      else
        format = optarg && *optarg ? optarg : NULL;
      break;
    case 'm': add_mount_spec (optarg); break;
    case 'N': add_prepared (optarg, ++nr_new); break;
    case 'f': script = optarg; break;
    case 'w': shell_read_write = 1; break;
    case OPT_RO: shell_read_write = 0; break;
    case 'x': echo_commands = 1; break;
    case 'v': verbose = 1; minnow_set_verbose (g, 1); break;
    case 'i': inspector = 1; break;
    case OPT_KEYS: shell_keys_from_stdin = 1; break;
    case OPT_PROGRESS: shell_progress_bars = 1; break;
    case OPT_NO_PROGRESS: shell_progress_bars = 0; break;
    case OPT_LISTEN: listen = 1; break;
    case OPT_REMOTE: remote = shell_remote = 1; remote_pid = optarg; break;
    case 'h': usage (EXIT_SUCCESS); break;
    case 'V': printf ("minnow %s\n", PACKAGE_VERSION); exit (EXIT_SUCCESS);
    default: usage (EXIT_FAILURE);
    }
  }
  for (size_t i = 0; i < nr_drives; ++i)
    if (drives[i].readonly == -1)
      drives[i].readonly = !shell_read_write;
  if (shell_progress_bars == -1)
    shell_progress_bars = isatty (2);

  memset (&sa, 0, sizeof sa);
  sa.sa_handler = sigint_handler;
  sa.sa_flags = SA_RESTART;
  sigaction (SIGINT, &sa, NULL);
  signal (SIGPIPE, SIG_IGN);

  if (remote) {
    if (listen || nr_drives || nr_mounts) {
      fprintf (stderr, "minnow: --remote: the drives and mounts are the "
               "listening daemon's: -a, -N, -m and --listen do not apply\n");
      exit (EXIT_FAILURE);
    }
    exit (remote_session (remote_pid, argc - optind, argv + optind, script)
          == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
  }
  if (listen) {
    char **files = calloc (nr_drives + 1, sizeof (char *));
    int *readonly = calloc (nr_drives + 1, sizeof (int));

    for (size_t i = 0; i < nr_drives; ++i) {
      if (drives[i].prepare) {
        fprintf (stderr, "minnow: --listen: -N disks cannot be prepared by a "
                 "listening daemon yet: prepare them first, then -a\n");
        exit (EXIT_FAILURE);
      }
      files[i] = drives[i].file;
      readonly[i] = drives[i].readonly;
    }
    long pid = 0;
    char pidstr[32];

    r = remote_listen (files, readonly, &pid);
    snprintf (pidstr, sizeof pidstr, "%ld", pid);
    if (r == 0 && nr_mounts) {
      /* Mount the -m filesystems in a first remote session: the state
       * file keeps them for the next ones. */
      char **cmds = calloc (nr_mounts * 4 + 1, sizeof (char *));
      int n = 0;

      for (size_t i = 0; i < nr_mounts; ++i) {
        if (n) cmds[n++] = (char *) ":";
        cmds[n++] = (char *) "mount";
        cmds[n++] = mounts[i].dev;
        cmds[n++] = mounts[i].mountpoint ? mounts[i].mountpoint : (char *) "/";
      }
      r = remote_session (pidstr, n, cmds, NULL);
      free (cmds);
    }
    free (files);
    free (readonly);
    exit (r == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
  }

  if (add_drives () == -1)
    exit (EXIT_FAILURE);
  if ((nr_mounts > 0 || nr_new > 0) && launch_and_mount () == -1)
    exit (EXIT_FAILURE);

  if (optind < argc)
    r = run_args (argc - optind, argv + optind);
  else if (script) {
    FILE *fp = strcmp (script, "-") == 0 ? stdin : fopen (script, "r");

    if (fp == NULL) {
      fprintf (stderr, "minnow: -f %s: %m\n", script);
      exit (EXIT_FAILURE);
    }
    r = run_script (fp, strcmp (script, "-") == 0 ? "stdin" : script);
    if (fp != stdin)
      fclose (fp);
  }
  else if (isatty (0))
    r = shell_interactive ();
  else
    r = run_script (stdin, "stdin");

  /* Closing syncs (autosync): report a failure there too. */
  if (minnow_is_ready (g) == 1 && minnow_shutdown (g) == -1) {
    shell_failed ("shutdown");
    r = -1;
  }
  minnow_close (g);
  exit (r == -1 ? EXIT_FAILURE : EXIT_SUCCESS);
}

/* For remote.c: run a script or arguments on the current handle. */
int
shell_run_commands (int argc, char *argv[], const char *script)
{
  if (argc > 0)
    return run_args (argc, argv);
  if (script) {
    FILE *fp = strcmp (script, "-") == 0 ? stdin : fopen (script, "r");
    int r;

    if (fp == NULL) {
      fprintf (stderr, "minnow: -f %s: %m\n", script);
      return -1;
    }
    r = run_script (fp, strcmp (script, "-") == 0 ? "stdin" : script);
    if (fp != stdin)
      fclose (fp);
    return r;
  }
  return run_script (stdin, "stdin");
}

minnow_h *
shell_new_handle (void)
{
  return new_handle ();
}
