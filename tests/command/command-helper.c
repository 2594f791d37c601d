/* A child for the spawning core's tests: it reports what it inherited,
 * or does one small job, so that tests can compare what the child saw
 * with what the parent asked for.
 *
 *   command-helper info [FILE]    argv, env, fds, umask, cwd, limits, ids,
 *                                 capabilities, signal mask and handlers
 *   command-helper fds            only the open fds
 *   command-helper cat            stdin to stdout
 *   command-helper interleave N   "oI\n" to stdout, "eI\n" to stderr, I < N
 *   command-helper sleep MS
 *   command-helper signal N       kill itself with signal N
 *   command-helper exit N
 *   command-helper daemon-info FILE   pid, sid, cwd, into FILE (atomically)
 *   command-helper append FILE TEXT   appends TEXT\n to FILE
 */

#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>

extern char **environ;

static void
print_fds (FILE *out)
{
  DIR *dir = opendir ("/proc/self/fd");
  struct dirent *d;
  int self;
  int fds[4096];
  int n = 0, i, j;

  if (!dir) {
    perror ("/proc/self/fd");
    exit (1);
  }
  self = dirfd (dir);
  while ((d = readdir (dir)) != NULL) {
    int fd;
    if (d->d_name[0] == '.')
      continue;
    fd = atoi (d->d_name);
    if (fd != self && n < 4096)
      fds[n++] = fd;
  }
  closedir (dir);
  /* Sorted, so that the output does not depend on the directory order. */
  for (i = 1; i < n; i++)
    for (j = i; j > 0 && fds[j - 1] > fds[j]; j--) {
      int t = fds[j]; fds[j] = fds[j - 1]; fds[j - 1] = t;
    }
  for (i = 0; i < n; i++) {
    char link[64], target[PATH_MAX];
    ssize_t r;
    snprintf (link, sizeof link, "/proc/self/fd/%d", fds[i]);
    r = readlink (link, target, sizeof target - 1);
    target[r > 0 ? r : 0] = '\0';
    /* Pipes and sockets have inode numbers that differ per run. */
    if (strncmp (target, "pipe:", 5) == 0) strcpy (target, "pipe");
    if (strncmp (target, "socket:", 7) == 0) strcpy (target, "socket");
    fprintf (out, "fd %d %s\n", fds[i], target);
  }
}

static void
print_status_field (FILE *out, const char *field)
{
  FILE *fp = fopen ("/proc/self/status", "r");
  char line[256];
  size_t n = strlen (field);

  if (!fp)
    return;
  while (fgets (line, sizeof line, fp))
    if (strncmp (line, field, n) == 0 && line[n] == ':') {
      char *v = line + n + 1;
      while (*v == ' ' || *v == '\t')
        v++;
      fprintf (out, "%s %s", field, v);
    }
  fclose (fp);
}

static void
print_limit (FILE *out, const char *name, int resource)
{
  struct rlimit rl;

  getrlimit (resource, &rl);
  if (rl.rlim_cur == RLIM_INFINITY)
    fprintf (out, "rlimit %s unlimited\n", name);
  else
    fprintf (out, "rlimit %s %llu\n", name, (unsigned long long) rl.rlim_cur);
}

static void
info (int argc, char **argv, FILE *out)
{
  char **e;
  char cwd[PATH_MAX];
  mode_t m;
  int i;

  for (i = 0; i < argc; i++) {
    const char *p;
    /* Backslash and newline escaped, so that each argument is one line. */
    fprintf (out, "argv[%d] ", i);
    for (p = argv[i]; *p; p++)
      if (*p == '\n') fputs ("\\n", out);
      else if (*p == '\\') fputs ("\\\\", out);
      else fputc (*p, out);
    fputc ('\n', out);
  }
  for (e = environ; *e; e++)
    fprintf (out, "env %s\n", *e);
  print_fds (out);
  m = umask (0);
  umask (m);
  fprintf (out, "umask %04o\n", (unsigned) m);
  if (getcwd (cwd, sizeof cwd))
    fprintf (out, "cwd %s\n", cwd);
  print_limit (out, "nofile", RLIMIT_NOFILE);
  print_limit (out, "nproc", RLIMIT_NPROC);
  print_limit (out, "as", RLIMIT_AS);
  print_limit (out, "core", RLIMIT_CORE);
  fprintf (out, "uid %d %d\n", (int) getuid (), (int) geteuid ());
  fprintf (out, "gid %d %d\n", (int) getgid (), (int) getegid ());
  print_status_field (out, "CapEff");
  print_status_field (out, "CapPrm");
  print_status_field (out, "CapBnd");
  print_status_field (out, "SigBlk");
  print_status_field (out, "SigIgn");
  for (i = 1; i < NSIG; i++) {
    struct sigaction sa;
    if (sigaction (i, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL)
      fprintf (out, "handler %d\n", i);
  }
}

static void
sleep_ms (long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
  while (nanosleep (&ts, &ts) == -1 && errno == EINTR)
    ;
}

int
main (int argc, char **argv)
{
  const char *mode = argc > 1 ? argv[1] : "info";

  if (strcmp (mode, "info") == 0) {
    FILE *out = stdout;
    if (argc > 2 && strncmp (argv[2], "file=", 5) == 0) {
      out = fopen (argv[2] + 5, "w");
      if (!out) { perror (argv[2] + 5); return 1; }
    }
    info (argc, argv, out);
    return fclose (out) == 0 ? 0 : 1;
  }
  if (strcmp (mode, "fds") == 0) {
    print_fds (stdout);
    return 0;
  }
  if (strcmp (mode, "cat") == 0) {
    char buf[65536];
    ssize_t r;
    while ((r = read (0, buf, sizeof buf)) > 0) {
      char *p = buf;
      while (r > 0) {
        ssize_t w = write (1, p, r);
        if (w <= 0) return 1;
        p += w; r -= w;
      }
    }
    return r == 0 ? 0 : 1;
  }
  if (strcmp (mode, "interleave") == 0 && argc > 2) {
    int i, n = atoi (argv[2]);
    char buf[32];
    for (i = 0; i < n; i++) {
      int len = snprintf (buf, sizeof buf, "o%d\n", i);
      if (write (1, buf, len) != len) return 1;
      len = snprintf (buf, sizeof buf, "e%d\n", i);
      if (write (2, buf, len) != len) return 1;
    }
    return 0;
  }
  if (strcmp (mode, "sleep") == 0 && argc > 2) {
    sleep_ms (atol (argv[2]));
    return 0;
  }
  if (strcmp (mode, "signal") == 0 && argc > 2) {
    kill (getpid (), atoi (argv[2]));
    sleep_ms (1000);
    return 99;
  }
  if (strcmp (mode, "exit") == 0 && argc > 2)
    return atoi (argv[2]);
  if (strcmp (mode, "daemon-info") == 0 && argc > 2) {
    char tmp[PATH_MAX], cwd[PATH_MAX] = "?";
    FILE *fp;
    snprintf (tmp, sizeof tmp, "%s.tmp", argv[2]);
    fp = fopen (tmp, "w");
    if (!fp) return 1;
    if (!getcwd (cwd, sizeof cwd)) strcpy (cwd, "?");
    fprintf (fp, "pid %d\nsid %d\ncwd %s\n", (int) getpid (),
             (int) getsid (0), cwd);
    print_fds (fp);
    fclose (fp);
    return rename (tmp, argv[2]) == 0 ? 0 : 1;
  }
  if (strcmp (mode, "append") == 0 && argc > 3) {
    FILE *fp = fopen (argv[2], "a");
    if (!fp) return 1;
    fprintf (fp, "%s\n", argv[3]);
    return fclose (fp) == 0 ? 0 : 1;
  }
  fprintf (stderr, "command-helper: unknown mode %s\n", mode);
  return 2;
}
