/* minnowd --check-sandbox: proves each layer of the sandbox by trying
 * what a daemon taken over through a crafted image would try.  Each
 * attempt runs in a process of its own (minnowd --probe=NAME, started
 * through the command core inside the sandbox), so an attempt that the
 * seccomp filter answers by killing the process is reported as refused
 * rather than ending the check. */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/ipc.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <cap-ng.h>

#include "command.h"
#include "daemon.h"
#include "sandbox.h"

struct probe {
  const char *name;
  const char *what;
  int (*try) (void);            /* 0: it worked; -1: refused, errno set */
};

static int
try_read_host_file (void)
{
  int fd = open ("/etc/passwd", O_RDONLY | O_CLOEXEC);

  if (fd == -1)
    return -1;
  close (fd);
  return 0;
}

static int
try_write_host_file (void)
{
  char path[64];
  int fd;

  snprintf (path, sizeof path, "/tmp/minnowd-probe-%d", (int) getpid ());
  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd == -1)
    return -1;
  close (fd);
  unlink (path);
  return 0;
}

static int
try_socket (int type)
{
  int fd = socket (AF_INET, type | SOCK_CLOEXEC, 0);

  if (fd == -1)
    fd = socket (AF_INET6, type | SOCK_CLOEXEC, 0);
  if (fd == -1)
    return -1;
  close (fd);
  return 0;
}

static int try_tcp (void) { return try_socket (SOCK_STREAM); }
static int try_udp (void) { return try_socket (SOCK_DGRAM); }

static int
try_exec_shell (void)
{
  struct command *cmd = command_new ("/bin/sh");
  int status, r;

  command_add_arg_list (cmd, "-c", "exit 0", NULL);
  r = command_run (cmd, &status);
  if (r == -1)
    fprintf (stdout, "%s; ", command_get_error (cmd));
  command_free (cmd);
  if (r == -1 || status != 0) {
    errno = EACCES;
    return -1;
  }
  return 0;
}

static int
try_ptrace_parent (void)
{
  if (ptrace (PTRACE_ATTACH, getppid (), NULL, NULL) == -1)
    return -1;
  ptrace (PTRACE_DETACH, getppid (), NULL, NULL);
  return 0;
}

static int
try_raise_capability (void)
{
  capng_get_caps_process ();
  if (capng_update (CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
                    CAP_DAC_READ_SEARCH) == -1 ||
      capng_apply (CAPNG_SELECT_CAPS) != 0) {
    errno = EPERM;
    return -1;
  }
  return 0;
}

static int
try_mount (void)
{
  return mount ("none", "/tmp", "tmpfs", 0, NULL);
}

/* A call outside the allow-list that is not dangerous enough to kill
 * for: System V message queues, which nothing in minnow uses. */
static int
try_unlisted_call (void)
{
  long r = syscall (SYS_msgget, (long) IPC_PRIVATE, 0600L);

  return r == -1 ? -1 : 0;
}

static const struct probe probes[] = {
  { "read-host-file", "open a host file (/etc/passwd) for reading",
    try_read_host_file },
  { "write-host-file", "create a host file in /tmp", try_write_host_file },
  { "tcp-socket", "create a TCP socket", try_tcp },
  { "udp-socket", "create a UDP socket", try_udp },
  { "exec-shell", "run /bin/sh", try_exec_shell },
  { "ptrace-parent", "ptrace the parent process", try_ptrace_parent },
  { "raise-capability", "raise CAP_DAC_READ_SEARCH", try_raise_capability },
  { "mount", "mount a tmpfs", try_mount },
  { "unlisted-call", "make a system call outside the allow-list (msgget)",
    try_unlisted_call },
};

#define NR_PROBES (sizeof probes / sizeof probes[0])

int
sandbox_probe (const char *name)
{
  size_t i;

  for (i = 0; i < NR_PROBES; i++)
    if (strcmp (probes[i].name, name) == 0) {
      if (probes[i].try () == 0) {
        printf ("succeeded");
        return 0;
      }
      printf ("%s", strerror (errno));
      return 1;
    }
  printf ("no such probe: %s", name);
  return 2;
}

int
sandbox_check (const char *self)
{
  const struct sandbox_layer *layers;
  size_t n, i;
  int bad = 0;

  sandbox_enter ();
  layers = sandbox_layers (&n);
  for (i = 0; i < n; i++)
    printf ("layer %s: %s%s%s\n", layers[i].name, layers[i].on ? "on" :
            "NOT ON", layers[i].detail[0] ? ": " : "", layers[i].detail);
  for (i = 0; i < NR_PROBES; i++) {
    struct command *cmd = command_new (self);
    char *out = NULL;
    size_t len;
    int status;

    command_add_arg_format (cmd, "--probe=%s", probes[i].name);
    command_set_output_buffer (cmd, &out, &len);
    command_raw_status (cmd);
    if (command_run (cmd, &status) == -1) {
      printf ("attempt %s: could not run the probe: %s\n", probes[i].name,
              command_get_error (cmd));
      bad = 1;
    }
    else if (WIFEXITED (status) && WEXITSTATUS (status) == 0) {
      printf ("attempt %s: ALLOWED: %s\n", probes[i].name, probes[i].what);
      bad = 1;
    }
    else if (WIFEXITED (status) && WEXITSTATUS (status) == 1)
      printf ("attempt %s: refused: %s: %s\n", probes[i].name,
              probes[i].what, out ? out : "");
    else if (WIFSIGNALED (status) && WTERMSIG (status) == SIGSYS)
      printf ("attempt %s: refused: %s: killed by the seccomp filter\n",
              probes[i].name, probes[i].what);
    else {
      printf ("attempt %s: the probe failed oddly (status 0x%x): %s\n",
              probes[i].name, (unsigned) status, out ? out : "");
      bad = 1;
    }
    free (out);
    command_free (cmd);
  }
  fflush (stdout);
  return bad ? EXIT_FAILURE : EXIT_SUCCESS;
}
