/* Tests of the spawning core (common/command.[ch]).
 *
 * Each test spawns tests/command/command-helper, which reports what it
 * inherited, and compares the report with what the test asked for.
 */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#ifdef HAVE_LIBCAP_NG
#include <cap-ng.h>
#endif

#include "command.h"
#include "../tap.h"

void command_test_pretend_setuid (int value);

static char helper[4096];
static char tmpdir[] = "/tmp/minnow-command-test.XXXXXX";

static int devnull_fd = -1;
static int under_valgrind;

/* The helper, with stderr to /dev/null unless the test says otherwise. */
static struct command *
new_helper (const char *mode)
{
  struct command *cmd = command_new (helper);
  command_add_arg (cmd, mode);
  command_set_error_fd (cmd, devnull_fd);
  return cmd;
}

/* Runs cmd with stdout captured; returns the output (caller frees) or
 * NULL, printing the error as a diagnostic. */
static char *
run_capture (struct command *cmd)
{
  char *out = NULL;

  command_set_output_buffer (cmd, &out, NULL);
  if (command_run (cmd, NULL) == -1) {
    tap_diag ("command_run failed: %s", command_get_error (cmd));
    free (out);
    out = NULL;
  }
  command_free (cmd);
  return out;
}

/* The lines of text starting with prefix, concatenated. */
static char *
lines_with (const char *text, const char *prefix)
{
  size_t n = strlen (prefix), len = 0;
  char *res = calloc (1, text ? strlen (text) + 1 : 1);
  const char *p = text;

  while (p && *p) {
    const char *nl = strchr (p, '\n');
    size_t l = nl ? (size_t) (nl - p + 1) : strlen (p);
    if (strncmp (p, prefix, n) == 0) {
      memcpy (res + len, p, l);
      len += l;
    }
    p += l;
  }
  res[len] = '\0';
  return res;
}

static bool
has_line (const char *text, const char *line)
{
  size_t n = strlen (line);
  const char *p = text;

  while (p && (p = strstr (p, line)) != NULL) {
    if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
      return true;
    p++;
  }
  return false;
}

static void
check_lines (const char *out, const char *prefix, const char *expected,
             const char *what)
{
  char *got = lines_with (out, prefix);
  tap_is_str (got, expected, what);
  free (got);
}

static char *
read_file (const char *path)
{
  FILE *fp = fopen (path, "r");
  char *buf;
  long n;

  if (!fp)
    return NULL;
  fseek (fp, 0, SEEK_END);
  n = ftell (fp);
  rewind (fp);
  buf = malloc (n + 1);
  if (fread (buf, 1, n, fp) != (size_t) n)
    n = 0;
  buf[n] = '\0';
  fclose (fp);
  return buf;
}

static const char stdio_fds[] = "fd 0 /dev/null\nfd 1 pipe\nfd 2 /dev/null\n";

/* ------------------------------------------------------------------ */

static void
test_args (void)
{
  struct command *cmd = command_new_args (helper, "info", "one", NULL);
  const char *set[] = { "s1", "s 2", NULL };
  char *out;

  command_add_arg (cmd, "two words");
  command_add_arg_pair (cmd, "--opt", "val");
  command_add_arg_format (cmd, "n=%d:%s", 42, "x");
  command_add_arg_set (cmd, set);
  command_add_arg_list (cmd, "l1", "", "l3", NULL);
  out = run_capture (cmd);
  {
    char expected[8192];
    snprintf (expected, sizeof expected,
              "argv[0] %s\nargv[1] info\nargv[2] one\nargv[3] two words\n"
              "argv[4] --opt=val\nargv[5] n=42:x\nargv[6] s1\nargv[7] s 2\n"
              "argv[8] l1\nargv[9] \nargv[10] l3\n", helper);
    check_lines (out, "argv[", expected, "args: single, pair, format, set, list");
  }
  free (out);

  {
    const char *argv[] = { helper, "info", "from-argv", NULL };
    char expected[8192];
    out = run_capture (command_new_argv (argv));
    snprintf (expected, sizeof expected,
              "argv[0] %s\nargv[1] info\nargv[2] from-argv\n", helper);
    check_lines (out, "argv[", expected, "new_argv");
    free (out);
  }
}

static void
test_path_lookup (void)
{
  /* A bare name is found on $PATH. */
  struct command *cmd = command_new ("true");
  int r = command_run (cmd, NULL);

  tap_ok (r == 0, "bare name resolved on PATH (%s)",
          r == 0 ? "ok" : command_get_error (cmd));
  command_free (cmd);
}

static void
test_env (void)
{
  struct command *cmd;
  char *out;

  setenv ("MINNOW_TEST_INHERITED", "yes", 1);
  out = run_capture (new_helper ("info"));
  tap_ok (out && has_line (out, "env MINNOW_TEST_INHERITED=yes"),
          "environment inherited until customised");
  free (out);

  cmd = new_helper ("info");
  command_add_env_pair (cmd, "A", "1");
  command_add_env_string (cmd, "B=two words");
  command_add_env_format (cmd, "C=%d", 3);
  command_add_env_pair (cmd, "A", "replaced");
  out = run_capture (cmd);
  check_lines (out, "env ", "env A=replaced\nenv B=two words\nenv C=3\n",
               "customised environment is exactly what was set");
  free (out);

  cmd = new_helper ("info");
  command_clear_env (cmd);
  out = run_capture (cmd);
  check_lines (out, "env ", "", "cleared environment is empty");
  free (out);

  setenv ("HOME", "/home/test", 1);
  setenv ("USER", "tester", 1);
  setenv ("LOGNAME", "tester", 1);
  setenv ("TMPDIR", "/tmp/t", 1);
  setenv ("LD_LIBRARY_PATH", "/nonexistent-lib", 1);
  unsetenv ("LD_PRELOAD");     /* valgrind sets it */
  setenv ("PATH", "/usr/bin:/bin", 1);
  cmd = new_helper ("info");
  command_add_env_pass_common (cmd);
  out = run_capture (cmd);
  check_lines (out, "env ",
               "env PATH=/usr/bin:/bin\nenv LD_LIBRARY_PATH=/nonexistent-lib\n"
               "env HOME=/home/test\nenv USER=tester\nenv LOGNAME=tester\n"
               "env TMPDIR=/tmp/t\nenv LC_ALL=C\n",
               "pass_common passes the common variables and LC_ALL=C only");
  free (out);

  cmd = new_helper ("info");
  command_add_env_pass (cmd, "MINNOW_TEST_INHERITED");
  command_add_env_pass (cmd, "MINNOW_TEST_NOT_SET");
  out = run_capture (cmd);
  check_lines (out, "env ", "env MINNOW_TEST_INHERITED=yes\n",
               "pass one variable (unset ones are skipped)");
  free (out);

  /* Setuid policies, with the core pretending we run setuid. */
  command_test_pretend_setuid (1);
  cmd = new_helper ("info");
  command_add_env_pass_policy (cmd, "MINNOW_TEST_INHERITED",
                               COMMAND_SETUID_ALLOW, NULL);
  command_add_env_pass_policy (cmd, "USER", COMMAND_SETUID_DEFAULT, "nobody");
  command_add_env_pass_policy (cmd, "HOME", COMMAND_SETUID_DROP, NULL);
  command_add_env_pass_common (cmd);
  out = run_capture (cmd);
  command_test_pretend_setuid (-1);
  check_lines (out, "env ",
               "env MINNOW_TEST_INHERITED=yes\nenv USER=nobody\n"
               "env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
               "env LC_ALL=C\n",
               "setuid policy: allow, safe default, drop");
  free (out);

  cmd = new_helper ("info");
  command_add_env_pass_policy (cmd, "USER", COMMAND_SETUID_DEFAULT, "nobody");
  out = run_capture (cmd);
  check_lines (out, "env ", "env USER=tester\n",
               "setuid policy: the real value when not setuid");
  free (out);
}

static void
test_big_io (void)
{
  size_t n = 16 * 1024 * 1024, i, outlen = 0;
  char *in = malloc (n), *out = NULL;
  struct command *cmd = new_helper ("cat");
  int r;

  for (i = 0; i < n; i++)
    in[i] = (char) (i * 7 + (i >> 13));
  command_set_input_buffer (cmd, in, n);
  command_set_output_buffer (cmd, &out, &outlen);
  r = command_run (cmd, NULL);
  tap_ok (r == 0 && outlen == n && memcmp (in, out, n) == 0,
          "16 MiB through stdin buffer to stdout buffer (r=%d len=%zu)", r, outlen);
  command_free (cmd);
  free (in);
  free (out);
}

static void
test_interleave (void)
{
  char *buf = NULL, *out = NULL, *err = NULL;
  struct command *cmd = new_helper ("interleave");
  char *expected = malloc (20 * 2000), *p = expected;
  char *expected_out = malloc (20 * 2000), *q = expected_out;
  int i;

  for (i = 0; i < 2000; i++) {
    p += sprintf (p, "o%d\ne%d\n", i, i);
    q += sprintf (q, "o%d\n", i);
  }
  command_add_arg (cmd, "2000");
  command_set_output_buffer (cmd, &buf, NULL);
  command_set_error_buffer (cmd, &buf, NULL);
  if (command_run (cmd, NULL) == -1)
    tap_diag ("%s", command_get_error (cmd));
  command_free (cmd);
  tap_ok (buf && strcmp (buf, expected) == 0,
          "one buffer for stdout and stderr keeps their order");

  cmd = new_helper ("interleave");
  command_add_arg (cmd, "2000");
  command_set_output_buffer (cmd, &out, NULL);
  command_set_error_buffer (cmd, &err, NULL);
  command_run (cmd, NULL);
  command_free (cmd);
  tap_ok (out && err && strcmp (out, expected_out) == 0
          && strlen (err) == strlen (expected) - strlen (expected_out),
          "separate stdout and stderr buffers");
  free (buf);
  free (out);
  free (err);
  free (expected);
  free (expected_out);
}

static void
test_fd_io (void)
{
  char path[4200], *content;
  int fd, in, rfd = -1, status = -1;
  struct command *cmd;
  pid_t pid;
  char buf[256];
  ssize_t n, total = 0;

  snprintf (path, sizeof path, "%s/out.txt", tmpdir);
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  cmd = new_helper ("interleave");
  command_add_arg (cmd, "2");
  command_set_output_fd (cmd, fd);
  command_set_error_fd (cmd, fd);
  command_run (cmd, NULL);
  command_free (cmd);
  close (fd);
  content = read_file (path);
  tap_is_str (content, "o0\ne0\no1\ne1\n", "stdout and stderr to an existing fd");
  free (content);

  in = open (path, O_RDONLY | O_CLOEXEC);
  cmd = new_helper ("cat");
  command_set_input_fd (cmd, in);
  content = run_capture (cmd);
  close (in);
  tap_is_str (content, "o0\ne0\no1\ne1\n", "stdin from an fd");
  free (content);

  cmd = new_helper ("interleave");
  command_add_arg (cmd, "3");
  command_set_output_pipe (cmd, &rfd);
  command_set_nonblocking_pipes (cmd);
  if (command_run_async (cmd, &pid) == 0) {
    int fl = fcntl (rfd, F_GETFL);
    tap_ok (fl != -1 && (fl & O_NONBLOCK), "non-blocking pipe to the caller");
    for (;;) {
      n = read (rfd, buf + total, sizeof buf - 1 - total);
      if (n > 0) total += n;
      else if (n == 0) break;
      else if (errno == EAGAIN) usleep (1000);
      else break;
    }
    buf[total] = '\0';
    tap_ok (command_wait (cmd, &status) == 0 && status == 0
            && strcmp (buf, "o0\no1\no2\n") == 0,
            "async: read the output pipe, then wait");
    close (rfd);
  } else {
    tap_ok (0, "non-blocking pipe to the caller: %s", command_get_error (cmd));
    tap_ok (0, "async: read the output pipe, then wait");
  }
  command_free (cmd);

  {
    int wfd = -1;
    char *out = NULL;
    cmd = new_helper ("cat");
    command_set_input_pipe (cmd, &wfd);
    command_set_output_buffer (cmd, &out, NULL);
    if (command_run_async (cmd, NULL) == 0) {
      n = write (wfd, "through a pipe", 14);
      close (wfd);
      command_wait (cmd, NULL);
    }
    tap_is_str (out, "through a pipe", "stdin from a new pipe");
    free (out);
    command_free (cmd);
  }
}

static void
test_fds (void)
{
  int leak = open ("/dev/null", O_RDONLY);     /* deliberately no CLOEXEC */
  int a, b, c, keep;
  char *out, expected[16384];
  struct command *cmd;
  char pa[4200], pb[4200], pc[4200];

  out = run_capture (new_helper ("fds"));
  tap_is_str (out, stdio_fds, "no fd is inherited unless passed");
  free (out);

  keep = fcntl (leak, F_DUPFD, 40);
  cmd = new_helper ("fds");
  command_pass_fd (cmd, keep, 0);
  out = run_capture (cmd);
  snprintf (expected, sizeof expected, "%sfd %d /dev/null\n", stdio_fds, keep);
  tap_is_str (out, expected, "a passed fd keeps its number");
  free (out);
  tap_ok (fcntl (keep, F_GETFD) != -1, "a passed fd stays open in the parent");

  snprintf (pa, sizeof pa, "%s/a", tmpdir);
  snprintf (pb, sizeof pb, "%s/b", tmpdir);
  snprintf (pc, sizeof pc, "%s/c", tmpdir);
  a = open (pa, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  b = open (pb, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  c = open (pc, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  a = dup3 (a, 30, O_CLOEXEC) == 30 ? (close (a), 30) : a;
  b = dup3 (b, 4, O_CLOEXEC) == 4 ? (close (b), 4) : b;
  c = dup3 (c, 21, O_CLOEXEC) == 21 ? (close (c), 21) : c;
  cmd = new_helper ("fds");
  command_pass_fd (cmd, a, 0);
  command_pass_fd (cmd, b, COMMAND_PASS_FD_CLOSE_PARENT);
  command_pass_fd (cmd, c, COMMAND_PASS_FD_CLOSE_PARENT);
  command_set_renumber_fds (cmd);
  out = run_capture (cmd);
  snprintf (expected, sizeof expected, "%sfd 3 %s\nfd 4 %s\nfd 5 %s\n",
            stdio_fds, pa, pb, pc);
  tap_is_str (out, expected, "renumbered fds are 3, 4, 5 in the order passed");
  free (out);
  tap_ok (fcntl (a, F_GETFD) != -1, "fd passed without close-parent stays open");
  tap_ok (fcntl (b, F_GETFD) == -1 && errno == EBADF
          && fcntl (c, F_GETFD) == -1 && errno == EBADF,
          "fds passed with close-parent are closed in the parent");
  close (a);
  close (keep);
  close (leak);
}

struct thread_result {
  int leaks;
  int failures;
  char first[1024];
};

static void *
spawn_thread (void *arg)
{
  struct thread_result *res = arg;
  int i;

  for (i = 0; i < 200; i++) {
    /* An fd opened without CLOEXEC, live while other threads spawn. */
    int fd = open ("/dev/null", O_RDONLY);
    char *out = NULL;
    struct command *cmd = new_helper ("fds");
    command_set_output_buffer (cmd, &out, NULL);
    if (command_run (cmd, NULL) == -1) {
      if (res->failures++ == 0)
        snprintf (res->first, sizeof res->first, "error: %s",
                  command_get_error (cmd));
    }
    else if (strcmp (out, stdio_fds) != 0) {
      if (res->leaks++ == 0)
        snprintf (res->first, sizeof res->first, "%s", out);
    }
    free (out);
    command_free (cmd);
    close (fd);
  }
  return NULL;
}

static void
test_threads (void)
{
  pthread_t t[8];
  struct thread_result res[8];
  int i, leaks = 0, failures = 0;

  memset (res, 0, sizeof res);
  for (i = 0; i < 8; i++)
    pthread_create (&t[i], NULL, spawn_thread, &res[i]);
  for (i = 0; i < 8; i++) {
    pthread_join (t[i], NULL);
    leaks += res[i].leaks;
    failures += res[i].failures;
  }
  if (!tap_ok (leaks == 0 && failures == 0,
               "8 threads x 200 spawns: no fd leaks into children, no failures")) {
    tap_diag ("leaks %d, failures %d", leaks, failures);
    for (i = 0; i < 8; i++)
      if (res[i].leaks || res[i].failures)
        tap_diag_str ("first problem", res[i].first);
  }
}

static void
test_process_attributes (void)
{
  struct command *cmd = new_helper ("info");
  char *out, line[256];

  command_set_umask (cmd, 027);
  command_set_working_directory (cmd, tmpdir);
  out = run_capture (cmd);
  check_lines (out, "umask", "umask 0027\n", "umask");
  snprintf (line, sizeof line, "cwd %s\n", tmpdir);
  check_lines (out, "cwd", line, "working directory");
  free (out);

  /* valgrind refuses setrlimit(RLIMIT_NOFILE) in the child it traces
   * between fork and exec. */
  if (under_valgrind)
    tap_skip ("under valgrind", "rlimits: files, processes, memory, core");
  else {
    cmd = new_helper ("info");
    command_set_max_files (cmd, 77);
    command_set_max_core (cmd, 0);
    command_set_max_memory (cmd, 1ULL << 32);
    command_set_max_processes (cmd, 4096);
    out = run_capture (cmd);
    check_lines (out, "rlimit",
                 "rlimit nofile 77\nrlimit nproc 4096\nrlimit as 4294967296\n"
                 "rlimit core 0\n", "rlimits: files, processes, memory, core");
    free (out);
  }

  cmd = new_helper ("info");
  command_set_working_directory (cmd, "/nonexistent-dir");
  if (command_run (cmd, NULL) == -1)
    tap_ok (strstr (command_get_error (cmd), "/nonexistent-dir") != NULL,
            "bad working directory is reported: %s", command_get_error (cmd));
  else
    tap_ok (0, "bad working directory is reported");
  command_free (cmd);
}

static void
test_credentials (void)
{
  struct command *cmd;
  char *out;

  if (geteuid () != 0) {
    tap_skip ("not root", "uid/gid change");
    tap_skip ("not root", "capabilities cleared");
    tap_skip ("not root", "one capability allowed");
    return;
  }
  cmd = new_helper ("info");
  command_set_uid (cmd, 65534);
  command_set_gid (cmd, 65534);
  out = run_capture (cmd);
  check_lines (out, "uid", "uid 65534 65534\n", "uid/gid change");
  free (out);

  cmd = new_helper ("info");
  command_clear_caps (cmd);
  out = run_capture (cmd);
  check_lines (out, "CapEff", "CapEff 0000000000000000\n", "capabilities cleared");
  free (out);

#ifdef HAVE_LIBCAP_NG
  cmd = new_helper ("info");
  command_allow_cap (cmd, CAP_CHOWN);
  out = run_capture (cmd);
  check_lines (out, "CapEff", "CapEff 0000000000000001\n", "one capability allowed");
  free (out);
#else
  tap_skip ("built without libcap-ng", "one capability allowed");
#endif
}

static void
on_signal (int sig)
{
  (void) sig;
}

static void
test_signals (void)
{
  struct sigaction sa, old_int, old_usr2;
  sigset_t set, old_mask;
  char *out;

  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction (SIGINT, &sa, &old_int);
  sa.sa_handler = SIG_IGN;
  sigaction (SIGUSR2, &sa, &old_usr2);
  sigemptyset (&set);
  sigaddset (&set, SIGUSR1);
  sigprocmask (SIG_BLOCK, &set, &old_mask);

  out = run_capture (new_helper ("info"));
  check_lines (out, "SigBlk", "SigBlk 0000000000000000\n", "signal mask reset");
  check_lines (out, "SigIgn", "SigIgn 0000000000000000\n",
               "ignored signals reset to default");
  check_lines (out, "handler", "", "parent's SIGINT handler not inherited");
  free (out);

  sigprocmask (SIG_SETMASK, &old_mask, NULL);
  sigaction (SIGINT, &old_int, NULL);
  sigaction (SIGUSR2, &old_usr2, NULL);
}

static void
test_status (void)
{
  struct command *cmd;
  int status = -1, r;

  cmd = new_helper ("exit");
  command_add_arg (cmd, "3");
  r = command_run (cmd, NULL);
  tap_ok (r == -1 && strstr (command_get_error (cmd), "exited with status 3"),
          "non-zero exit is an error: %s", command_get_error (cmd));
  command_free (cmd);

  cmd = new_helper ("exit");
  command_add_arg (cmd, "3");
  r = command_run (cmd, &status);
  tap_ok (r == 0 && status == 3, "exit status returned when asked for");
  command_free (cmd);

  cmd = new_helper ("signal");
  command_add_arg (cmd, "9");
  r = command_run (cmd, &status);
  tap_ok (r == -1 && strstr (command_get_error (cmd), "killed by signal 9"),
          "death by signal is an error: %s", command_get_error (cmd));
  command_free (cmd);

  cmd = new_helper ("signal");
  command_add_arg (cmd, "15");
  command_raw_status (cmd);
  r = command_run (cmd, &status);
  tap_ok (r == 0 && WIFSIGNALED (status) && WTERMSIG (status) == SIGTERM,
          "raw status shows the signal (status 0x%x)", status);
  command_free (cmd);
}

static void
test_async_abort (void)
{
  struct command *cmd = new_helper ("sleep");
  pid_t pid = -1;

  command_add_arg (cmd, "60000");
  tap_ok (command_run_async (cmd, &pid) == 0 && pid > 0 && kill (pid, 0) == 0,
          "run_async starts the child");
  command_abort (cmd);
  tap_ok (kill (pid, 0) == -1 && errno == ESRCH
          && waitpid (pid, NULL, WNOHANG) == -1 && errno == ECHILD,
          "abort kills and reaps a sleeping child");
  command_free (cmd);

  cmd = new_helper ("sleep");
  command_add_arg (cmd, "60000");
  command_run_async (cmd, &pid);
  command_free (cmd);
  tap_ok (kill (pid, 0) == -1 && errno == ESRCH,
          "free kills and reaps a still-running child");
}

static void
test_missing (void)
{
  struct command *cmd = command_new ("/nonexistent/minnow-prog");
  char path[4200];

  tap_ok (command_run (cmd, NULL) == -1
          && strstr (command_get_error (cmd), "/nonexistent/minnow-prog")
          && strstr (command_get_error (cmd), "No such file"),
          "missing program: %s", command_get_error (cmd));
  command_free (cmd);

  cmd = command_new ("minnow-no-such-program");
  tap_ok (command_run (cmd, NULL) == -1
          && strstr (command_get_error (cmd), "minnow-no-such-program")
          && strstr (command_get_error (cmd), "not found"),
          "bare name not on PATH: %s", command_get_error (cmd));
  command_free (cmd);

  snprintf (path, sizeof path, "%s/not-exec", tmpdir);
  close (open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  cmd = command_new (path);
  tap_ok (command_run (cmd, NULL) == -1
          && strstr (command_get_error (cmd), "not an executable"),
          "non-executable file: %s", command_get_error (cmd));
  command_free (cmd);

  cmd = new_helper ("info");
  command_add_arg (cmd, NULL);
  command_add_arg (cmd, "more");
  tap_ok (command_run (cmd, NULL) == -1
          && strstr (command_get_error (cmd), "NULL argument"),
          "the first setter error is reported by run: %s", command_get_error (cmd));
  command_free (cmd);

  cmd = new_helper ("info");
  command_pass_fd (cmd, 987, 0);
  tap_ok (command_run (cmd, NULL) == -1 && strstr (command_get_error (cmd), "987"),
          "passing a closed fd is an error naming it: %s", command_get_error (cmd));
  command_free (cmd);
}

static int
hook_fail (void *opaque)
{
  (void) opaque;
  return 42;
}

static int
hook_append (void *opaque)
{
  int fd = open (opaque, O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (fd == -1 || write (fd, "hook\n", 5) != 5)
    return 1;
  close (fd);
  return 0;
}

static void
test_hook_handshake (void)
{
  struct command *cmd = new_helper ("info");
  char path[4200], *content;
  int fd;

  command_set_pre_exec (cmd, hook_fail, NULL);
  tap_ok (command_run (cmd, NULL) == -1
          && strstr (command_get_error (cmd), "hook failed with status 42"),
          "failing hook prevents exec: %s", command_get_error (cmd));
  command_free (cmd);

  snprintf (path, sizeof path, "%s/handshake", tmpdir);
  unlink (path);
  cmd = new_helper ("append");
  command_add_arg (cmd, path);
  command_add_arg (cmd, "exec");
  command_set_pre_exec (cmd, hook_append, path);
  command_require_handshake (cmd);
  if (command_run_async (cmd, NULL) == 0 && command_handshake_wait (cmd) == 0) {
    usleep (20000);           /* if the child did not wait, it would exec now */
    fd = open (path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (write (fd, "parent\n", 7) != 7)
      tap_diag ("write failed");
    close (fd);
    command_handshake_notify (cmd);
    command_wait (cmd, NULL);
  } else
    tap_diag ("handshake: %s", command_get_error (cmd));
  content = read_file (path);
  tap_is_str (content, "hook\nparent\nexec\n",
              "handshake: hook, then the parent, then exec");
  free (content);
  command_free (cmd);

  cmd = new_helper ("info");
  command_set_pre_exec (cmd, hook_fail, NULL);
  command_require_handshake (cmd);
  tap_ok (command_run_async (cmd, NULL) == 0 && command_handshake_wait (cmd) == -1
          && strstr (command_get_error (cmd), "status 42"),
          "handshake wait reports a child that failed first: %s",
          command_get_error (cmd));
  command_free (cmd);
}

static void
test_daemonize (void)
{
  struct command *cmd = new_helper ("daemon-info");
  char pidfile[4200], info[4200], *pidtext, *content = NULL, line[64];
  pid_t pid = -1;
  int i;

  snprintf (pidfile, sizeof pidfile, "%s/daemon.pid", tmpdir);
  snprintf (info, sizeof info, "%s/daemon.info", tmpdir);
  command_add_arg (cmd, info);
  command_daemonize (cmd);
  command_set_pidfile (cmd, pidfile);
  if (command_run (cmd, NULL) == -1)
    tap_diag ("daemonize: %s", command_get_error (cmd));
  pid = command_get_pid (cmd);
  command_free (cmd);
  pidtext = read_file (pidfile);
  snprintf (line, sizeof line, "%d\n", (int) pid);
  tap_ok (pid > 0 && pidtext && strcmp (pidtext, line) == 0,
          "pidfile exists when run returns and holds the daemon's pid");
  for (i = 0; i < 500 && !(content = read_file (info)); i++)
    usleep (10000);
  snprintf (line, sizeof line, "pid %d\nsid %d\ncwd /\n", (int) pid, (int) pid);
  tap_ok (content && strncmp (content, line, strlen (line)) == 0,
          "daemon runs as a session leader in /");
  if (content && strncmp (content, line, strlen (line)) != 0) {
    tap_diag_str ("expected", line);
    tap_diag_str ("got", content);
  }
  free (pidtext);
  free (content);
}

/* Dry run. */
struct dry {
  char argv[512];
  char input[64];
  int env_null;
  int calls;
};

static void
dry_cb (const char *const *argv, const char *const *envp, const char *input,
        char **output, char **error, int *status, void *opaque)
{
  struct dry *d = opaque;
  size_t len = 0;

  d->calls++;
  for (; *argv; argv++)
    len += snprintf (d->argv + len, sizeof d->argv - len, "[%s]", *argv);
  d->env_null = envp == NULL;
  snprintf (d->input, sizeof d->input, "%s", input ? input : "(none)");
  *output = strdup ("dry output");
  *error = strdup ("dry error");
  *status = strcmp (d->input, "fail") == 0 ? 7 : 0;
}

static void
test_dry_run (void)
{
  struct dry d;
  struct command *cmd;
  char *out = NULL, *err = NULL;
  int r;

  memset (&d, 0, sizeof d);
  command_set_dry_run (dry_cb, &d);
  cmd = command_new_args ("/no/such/program", "a b", NULL);
  command_set_input_buffer (cmd, "in", 2);
  command_set_output_buffer (cmd, &out, NULL);
  command_set_error_buffer (cmd, &err, NULL);
  r = command_run (cmd, NULL);
  command_free (cmd);
  tap_ok (r == 0 && d.calls == 1 && strcmp (d.argv, "[/no/such/program][a b]") == 0
          && strcmp (d.input, "in") == 0 && d.env_null
          && out && strcmp (out, "dry output") == 0
          && err && strcmp (err, "dry error") == 0,
          "dry run: callback sees argv/env/input, fills output; nothing spawned");
  free (out);
  free (err);

  cmd = command_new ("/no/such/program");
  command_set_input_buffer (cmd, "fail", 4);
  r = command_run (cmd, NULL);
  tap_ok (r == -1 && strstr (command_get_error (cmd), "status 7"),
          "dry run: a faked non-zero status is an error");
  command_free (cmd);
  command_set_dry_run (NULL, NULL);
}

static void
test_to_string (void)
{
  const char *args[] = { "plain", "a b", "it's", "$HOME", "back\\slash",
                         "new\nline", "\"dq\"", "", "*", NULL };
  struct command *cmd = command_new ("/bin/prog");
  char *s, *out, expected[8192], logpath[4200], *log;
  size_t len = 0;
  int i, fd;

  command_add_arg_set (cmd, args);
  command_add_env_pair (cmd, "V", "x y");
  s = command_to_string (cmd);
  tap_is_str (s,
              "env -i V='x y' /bin/prog plain 'a b' 'it'\\''s' '$HOME' "
              "'back\\slash' 'new\nline' '\"dq\"' '' '*'",
              "to_string quotes spaces, quotes, $, backslashes, newlines");

  snprintf (logpath, sizeof logpath, "%s/arglog", tmpdir);
  fd = open (logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  command_write_arg_log (cmd, fd);
  close (fd);
  log = read_file (logpath);
  snprintf (expected, sizeof expected, "%s\n", s);
  tap_is_str (log, expected, "write_arg_log writes the same line");
  free (log);
  free (s);
  command_free (cmd);

  /* Safe to paste: the shell gives the helper back the same argv. */
  cmd = command_new (helper);
  command_add_arg (cmd, "info");
  command_add_arg_set (cmd, args);
  s = command_to_string (cmd);
  command_free (cmd);
  cmd = command_new_args ("/bin/sh", "-c", s, NULL);
  out = run_capture (cmd);
  len = snprintf (expected, sizeof expected, "argv[0] %s\nargv[1] info\n", helper);
  for (i = 0; args[i]; i++) {
    const char *a = args[i];
    len += snprintf (expected + len, sizeof expected - len, "argv[%d] ", i + 2);
    for (; *a; a++)
      len += snprintf (expected + len, sizeof expected - len, "%s",
                       *a == '\n' ? "\\n" : *a == '\\' ? "\\\\" : (char[]) { *a, 0 });
    len += snprintf (expected + len, sizeof expected - len, "\n");
  }
  check_lines (out, "argv[", expected,
               "to_string output run by /bin/sh gives back the same argv");
  free (out);
  free (s);
}

/* command_set_new_pgroup: the child leads a group of its own;
 * command_set_interrupt_check: a raised flag kills a waited-for child and
 * the wait fails with EINTR. */
static volatile int stop_flag;

static int
stop_requested (void)
{
  return stop_flag;
}

static void *
raise_stop_later (void *arg)
{
  (void) arg;
  usleep (200000);
  stop_flag = 1;
  return NULL;
}

static void
test_pgroup_interrupt (void)
{
  struct command *cmd = new_helper ("sleep");
  pid_t pid = -1;
  pthread_t th;
  struct timespec t0, t1;
  int r, status = -1;
  long ms;

  command_add_arg (cmd, "60000");
  command_set_new_pgroup (cmd);
  r = command_run_async (cmd, &pid);
  tap_ok (r == 0 && getpgid (pid) == pid && getpgid (pid) != getpgrp (),
          "new_pgroup: the child leads its own process group");
  command_free (cmd);

  cmd = new_helper ("sleep");
  command_add_arg (cmd, "60000");
  stop_flag = 0;
  command_set_interrupt_check (stop_requested);
  pthread_create (&th, NULL, raise_stop_later, NULL);
  clock_gettime (CLOCK_MONOTONIC, &t0);
  r = command_run (cmd, &status);
  clock_gettime (CLOCK_MONOTONIC, &t1);
  pthread_join (th, NULL);
  ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
  tap_ok (r == -1 && errno == EINTR && command_get_error (cmd) &&
          strstr (command_get_error (cmd), "interrupted") && ms < 5000,
          "interrupt check: the child is killed and the run fails with "
          "EINTR (%ld ms)", ms);
  command_free (cmd);

  /* The same with the output collected (the poll loop). */
  cmd = new_helper ("sleep");
  {
    char *out = NULL;
    size_t len;

    command_add_arg (cmd, "60000");
    command_set_output_buffer (cmd, &out, &len);
    stop_flag = 0;
    pthread_create (&th, NULL, raise_stop_later, NULL);
    r = command_run (cmd, &status);
    pthread_join (th, NULL);
    tap_ok (r == -1 && errno == EINTR, "interrupt check while collecting "
            "output");
    free (out);
  }
  command_free (cmd);
  command_set_interrupt_check (NULL);

  cmd = new_helper ("exit");
  command_add_arg (cmd, "3");
  tap_ok (command_run (cmd, &status) == 0 && status == 3,
          "without an interrupt check, runs are unaffected");
  command_free (cmd);
}

int
main (void)
{
  const char *top = getenv ("abs_top_builddir");

  if (top)
    snprintf (helper, sizeof helper, "%s/tests/command/command-helper", top);
  else if (!realpath ("command/command-helper", helper)) {
    fprintf (stderr, "cannot find command/command-helper\n");
    return 1;
  }
  /* Kept high, out of the way of the fd numbers the tests choose. */
  devnull_fd = open ("/dev/null", O_WRONLY | O_CLOEXEC);
  if (devnull_fd >= 0) {
    int high = fcntl (devnull_fd, F_DUPFD_CLOEXEC, 200);
    close (devnull_fd);
    devnull_fd = high;
  }
  under_valgrind = getenv ("LD_PRELOAD") && strstr (getenv ("LD_PRELOAD"), "vgpreload");
  if (!mkdtemp (tmpdir)) {
    perror ("mkdtemp");
    return 1;
  }

  tap_plan (61);
  test_args ();
  test_path_lookup ();
  test_env ();
  test_big_io ();
  test_interleave ();
  test_fd_io ();
  test_fds ();
  test_threads ();
  test_process_attributes ();
  test_credentials ();
  test_signals ();
  test_status ();
  test_async_abort ();
  test_missing ();
  test_hook_handshake ();
  test_daemonize ();
  test_dry_run ();
  test_to_string ();
  test_pgroup_interrupt ();

  {
    struct command *cmd = command_new_args ("rm", "-rf", tmpdir, NULL);
    command_run (cmd, NULL);
    command_free (cmd);
  }
  return tap_done ();
}
