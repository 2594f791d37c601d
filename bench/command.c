/* bench/command: spawn-and-wait of /bin/true through the spawning core,
 * against plain posix_spawn + waitpid in the same run.
 *
 * Usage: bench-command [ITERATIONS]   (default 1000 of each)
 * Prints both medians (microseconds) and their ratio.
 */

#include <config.h>

#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "command.h"

extern char **environ;

static double
now_us (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
median (double *v, int n)
{
  qsort (v, n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int
spawn_core (void)
{
  struct command *cmd = command_new ("/bin/true");
  int r = command_run (cmd, NULL);
  if (r == -1)
    fprintf (stderr, "bench-command: %s\n", command_get_error (cmd));
  command_free (cmd);
  return r;
}

static int
spawn_posix (void)
{
  char *argv[] = { (char *) "/bin/true", NULL };
  pid_t pid;
  int status;

  if (posix_spawn (&pid, "/bin/true", NULL, NULL, argv, environ) != 0)
    return -1;
  if (waitpid (pid, &status, 0) == -1 || !WIFEXITED (status)
      || WEXITSTATUS (status) != 0)
    return -1;
  return 0;
}

int
main (int argc, char **argv)
{
  int n = argc > 1 ? atoi (argv[1]) : 1000, i;
  double *core = malloc (n * sizeof (double));
  double *posix = malloc (n * sizeof (double));
  double mc, mp;

  if (n < 1 || !core || !posix)
    return 1;
  /* Warm up, then alternate so that both see the same machine state. */
  for (i = 0; i < 20; i++)
    if (spawn_core () == -1 || spawn_posix () == -1)
      return 1;
  for (i = 0; i < n; i++) {
    double t0 = now_us ();
    if (spawn_core () == -1)
      return 1;
    double t1 = now_us ();
    if (spawn_posix () == -1)
      return 1;
    double t2 = now_us ();
    core[i] = t1 - t0;
    posix[i] = t2 - t1;
  }
  mc = median (core, n);
  mp = median (posix, n);
  printf ("spawn+wait /bin/true, %d runs each\n", n);
  printf ("  command core          median %8.1f us\n", mc);
  printf ("  posix_spawn+waitpid   median %8.1f us\n", mp);
  printf ("  ratio core/posix_spawn       %8.2fx  (target: <= 1.50x)\n", mc / mp);
  free (core);
  free (posix);
  return 0;
}
