/* minnow: the spawning core.  See command.h for the interface.
 *
 * Everything the child needs is computed in the parent before fork: the
 * resolved program path, argv, envp, the final layout of descriptors and
 * the list of descriptors to close.  Between fork and exec the child only
 * makes async-signal-safe system calls, in the order documented in
 * command.h, and reports a failure through a close-on-exec pipe as a
 * fixed-size record, so the parent can say which step failed and why.
 */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <grp.h>

#ifdef HAVE_LIBCAP_NG
#include <cap-ng.h>
#endif

#include "command.h"

extern char **environ;

#define NCHILD_ENDS 6

enum output_kind { OUT_INHERIT, OUT_BUFFER, OUT_FD, OUT_PIPE };
enum input_kind { IN_NULL, IN_BUFFER, IN_FD, IN_PIPE };

struct passed_fd {
  int fd;
  unsigned flags;
};

/* Child-side failure record, sent through the report pipe. */
enum child_stage {
  STAGE_PID = 1,                /* not a failure: pid of a daemonized child */
  STAGE_SIGNALS, STAGE_FDS, STAGE_RLIMIT, STAGE_UMASK, STAGE_GID,
  STAGE_UID, STAGE_CAPS, STAGE_CWD, STAGE_HOOK, STAGE_HANDSHAKE,
  STAGE_DAEMONIZE, STAGE_PIDFILE, STAGE_EXEC, STAGE_PGROUP,
};
struct child_report {
  int stage;
  int value;                    /* errno, hook return value, or pid */
};

struct command {
  /* First error, reported by run/run_async. */
  char *error;

  char *binary;                 /* as given (maybe a bare name) */
  char **args;                  /* args[0] = binary as given */
  size_t nargs, args_alloc;

  bool env_custom;
  char **env;                   /* NAME=VALUE strings */
  size_t nenv, env_alloc;

  enum input_kind in_kind;
  const char *in_buf;
  size_t in_len;
  int in_fd;
  int *in_pipe_r;

  struct output {
    enum output_kind kind;
    char **buf;
    size_t *len;
    int fd;
    int *pipe_r;
  } out[2];                     /* stdout, stderr */
  bool nonblocking;

  struct passed_fd *fds;
  size_t nfds;
  bool renumber;

  bool have_rlimit[4];
  unsigned long long rlimit[4];
  bool have_umask;
  mode_t umask_value;
  bool have_uid, have_gid;
  uid_t uid;
  gid_t gid;
  bool clear_caps;
  int *caps;
  size_t ncaps;
  char *cwd;

  command_hook hook;
  void *hook_opaque;

  bool handshake;
  int hs_ready_r, hs_go_w;      /* parent's ends */

  bool daemonize;
  char *pidfile;
  bool raw_status;
  bool new_pgroup;
  bool interrupted;             /* killed by the interrupt check */

  /* Running state. */
  pid_t pid;
  bool running;
  int report_r;                 /* parent's end of the report pipe, or -1 */
  int io_in_w, io_out_r, io_err_r;    /* parent's ends used for buffers */
  char *collect_out, *collect_err;    /* buffers being filled */
  size_t collect_out_len, collect_err_len;
  bool shared_buffer;
};

static const int rlimit_resources[4] = {
  RLIMIT_NOFILE, RLIMIT_NPROC, RLIMIT_AS, RLIMIT_CORE
};
static const char *const rlimit_names[4] = {
  "open files", "processes", "memory", "core size"
};

static command_dry_run_cb dry_run_cb;
static void *dry_run_opaque;
static pthread_mutex_t dry_run_lock = PTHREAD_MUTEX_INITIALIZER;

static int pretend_setuid = -1;

static int (*interrupt_check) (void);

/* ------------------------------------------------------------------ */
/* Errors: only the first one is kept. */

static char oom_message[] = "out of memory";

static void set_error (struct command *cmd, const char *fmt, ...)
  __attribute__((format (printf, 2, 3)));

static void
set_error (struct command *cmd, const char *fmt, ...)
{
  va_list ap;

  if (!cmd || cmd->error)
    return;
  va_start (ap, fmt);
  if (vasprintf (&cmd->error, fmt, ap) == -1)
    cmd->error = NULL;
  va_end (ap);
  if (!cmd->error)
    cmd->error = oom_message;
}

static bool
is_static_error (const struct command *cmd)
{
  return cmd->error == oom_message;
}

static void
oom (struct command *cmd)
{
  if (!cmd->error)
    cmd->error = oom_message;
}

const char *
command_get_error (const struct command *cmd)
{
  return cmd ? cmd->error : oom_message;
}

/* ------------------------------------------------------------------ */
/* Construction and arguments. */

static struct command *
command_alloc (const char *binary)
{
  struct command *cmd = calloc (1, sizeof *cmd);

  if (!cmd)
    return NULL;
  cmd->in_fd = cmd->out[0].fd = cmd->out[1].fd = -1;
  cmd->hs_ready_r = cmd->hs_go_w = -1;
  cmd->report_r = -1;
  cmd->io_in_w = cmd->io_out_r = cmd->io_err_r = -1;
  cmd->pid = -1;
  if (binary == NULL || *binary == '\0')
    set_error (cmd, "command: no program given");
  else if ((cmd->binary = strdup (binary)) == NULL)
    oom (cmd);
  command_add_arg (cmd, binary ? binary : "");
  return cmd;
}

struct command *
command_new (const char *binary)
{
  return command_alloc (binary);
}

struct command *
command_new_argv (const char *const *argv)
{
  struct command *cmd = command_alloc (argv ? argv[0] : NULL);

  if (cmd && argv && argv[0])
    command_add_arg_set (cmd, argv + 1);
  return cmd;
}

struct command *
command_new_args (const char *binary, ...)
{
  struct command *cmd = command_alloc (binary);
  va_list ap;

  va_start (ap, binary);
  if (cmd)
    command_add_arg_list_va (cmd, ap);
  va_end (ap);
  return cmd;
}

/* Appends s (owned) to a growing NULL-terminated array; on failure s is
 * freed and the out-of-memory error recorded. */
static void
strv_append (struct command *cmd, char ***v, size_t *n, size_t *alloc,
             char *s)
{
  if (*n + 2 > *alloc) {
    size_t a = *alloc ? *alloc * 2 : 8;
    char **p = realloc (*v, a * sizeof *p);
    if (!p) {
      free (s);
      oom (cmd);
      return;
    }
    *v = p;
    *alloc = a;
  }
  (*v)[(*n)++] = s;
  (*v)[*n] = NULL;
}

/* Takes ownership of arg (NULL = allocation failed). */
static void
add_arg_owned (struct command *cmd, char *arg)
{
  if (!cmd)
    return;
  if (!arg) {
    oom (cmd);
    return;
  }
  strv_append (cmd, &cmd->args, &cmd->nargs, &cmd->args_alloc, arg);
}

void
command_add_arg (struct command *cmd, const char *arg)
{
  if (!cmd)
    return;
  if (!arg) {
    set_error (cmd, "command: NULL argument");
    return;
  }
  add_arg_owned (cmd, strdup (arg));
}

void
command_add_arg_pair (struct command *cmd, const char *name, const char *value)
{
  char *s;

  if (!cmd)
    return;
  if (!name || !value) {
    set_error (cmd, "command: NULL argument pair");
    return;
  }
  if (asprintf (&s, "%s=%s", name, value) == -1)
    s = NULL;
  add_arg_owned (cmd, s);
}

void
command_add_arg_format (struct command *cmd, const char *fmt, ...)
{
  va_list ap;
  char *s;

  if (!cmd)
    return;
  va_start (ap, fmt);
  if (vasprintf (&s, fmt, ap) == -1)
    s = NULL;
  va_end (ap);
  add_arg_owned (cmd, s);
}

void
command_add_arg_set (struct command *cmd, const char *const *args)
{
  if (!cmd || !args)
    return;
  for (; *args; args++)
    command_add_arg (cmd, *args);
}

void
command_add_arg_list_va (struct command *cmd, va_list args)
{
  const char *s;

  while ((s = va_arg (args, const char *)) != NULL)
    command_add_arg (cmd, s);
}

void
command_add_arg_list (struct command *cmd, ...)
{
  va_list ap;

  va_start (ap, cmd);
  command_add_arg_list_va (cmd, ap);
  va_end (ap);
}

/* ------------------------------------------------------------------ */
/* Environment. */

static void
env_customise (struct command *cmd)
{
  cmd->env_custom = true;
}

/* Takes ownership of s ("NAME=VALUE"); replaces an earlier NAME. */
static void
add_env_owned (struct command *cmd, char *s)
{
  size_t i, namelen;
  const char *eq;

  if (!cmd)
    return;
  env_customise (cmd);
  if (!s) {
    oom (cmd);
    return;
  }
  eq = strchr (s, '=');
  if (!eq || eq == s) {
    set_error (cmd, "command: invalid environment string '%s'", s);
    free (s);
    return;
  }
  namelen = eq - s + 1;
  for (i = 0; i < cmd->nenv; i++) {
    if (strncmp (cmd->env[i], s, namelen) == 0) {
      free (cmd->env[i]);
      cmd->env[i] = s;
      return;
    }
  }
  strv_append (cmd, &cmd->env, &cmd->nenv, &cmd->env_alloc, s);
}

void
command_clear_env (struct command *cmd)
{
  if (cmd)
    env_customise (cmd);
}

void
command_add_env_pair (struct command *cmd, const char *name, const char *value)
{
  char *s;

  if (!cmd)
    return;
  if (!name || !value) {
    set_error (cmd, "command: NULL environment pair");
    return;
  }
  if (asprintf (&s, "%s=%s", name, value) == -1)
    s = NULL;
  add_env_owned (cmd, s);
}

void
command_add_env_string (struct command *cmd, const char *str)
{
  if (!cmd)
    return;
  if (!str) {
    set_error (cmd, "command: NULL environment string");
    return;
  }
  add_env_owned (cmd, strdup (str));
}

void
command_add_env_format (struct command *cmd, const char *fmt, ...)
{
  va_list ap;
  char *s;

  if (!cmd)
    return;
  va_start (ap, fmt);
  if (vasprintf (&s, fmt, ap) == -1)
    s = NULL;
  va_end (ap);
  add_env_owned (cmd, s);
}

static bool
running_setuid (void)
{
  if (pretend_setuid >= 0)
    return pretend_setuid;
  return getuid () != geteuid () || getgid () != getegid ();
}

/* For tests only: make the setuid policies act as if we ran setuid
 * (1), not (0), or look at the real credentials again (-1). */
void command_test_pretend_setuid (int value);
void
command_test_pretend_setuid (int value)
{
  pretend_setuid = value;
}

void
command_add_env_pass_policy (struct command *cmd, const char *name,
                             enum command_setuid_policy policy,
                             const char *safe_default)
{
  const char *value;

  if (!cmd)
    return;
  env_customise (cmd);
  if (running_setuid ()) {
    if (policy == COMMAND_SETUID_DROP)
      return;
    if (policy == COMMAND_SETUID_DEFAULT) {
      if (safe_default)
        command_add_env_pair (cmd, name, safe_default);
      return;
    }
  }
  value = getenv (name);
  if (value)
    command_add_env_pair (cmd, name, value);
}

void
command_add_env_pass (struct command *cmd, const char *name)
{
  command_add_env_pass_policy (cmd, name, COMMAND_SETUID_ALLOW, NULL);
}

void
command_add_env_pass_common (struct command *cmd)
{
  static const char safe_path[] =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  if (!cmd)
    return;
  command_add_env_pass_policy (cmd, "PATH", COMMAND_SETUID_DEFAULT, safe_path);
  command_add_env_pass_policy (cmd, "LD_PRELOAD", COMMAND_SETUID_DROP, NULL);
  command_add_env_pass_policy (cmd, "LD_LIBRARY_PATH", COMMAND_SETUID_DROP, NULL);
  command_add_env_pass_policy (cmd, "HOME", COMMAND_SETUID_DROP, NULL);
  command_add_env_pass_policy (cmd, "USER", COMMAND_SETUID_DROP, NULL);
  command_add_env_pass_policy (cmd, "LOGNAME", COMMAND_SETUID_DROP, NULL);
  command_add_env_pass_policy (cmd, "TMPDIR", COMMAND_SETUID_DROP, NULL);
  command_add_env_pair (cmd, "LC_ALL", "C");
}

/* ------------------------------------------------------------------ */
/* I/O setters. */

void
command_set_input_buffer (struct command *cmd, const char *buf, size_t len)
{
  if (!cmd)
    return;
  cmd->in_kind = IN_BUFFER;
  cmd->in_buf = buf;
  cmd->in_len = buf ? len : 0;
}

void
command_set_input_fd (struct command *cmd, int fd)
{
  if (!cmd)
    return;
  if (fd < 0) {
    set_error (cmd, "command: invalid input fd %d", fd);
    return;
  }
  cmd->in_kind = IN_FD;
  cmd->in_fd = fd;
}

void
command_set_input_pipe (struct command *cmd, int *fd_w)
{
  if (!cmd)
    return;
  cmd->in_kind = IN_PIPE;
  cmd->in_pipe_r = fd_w;
}

/* which: 0 for stdout, 1 for stderr. */
static void
set_output (struct command *cmd, int which, enum output_kind kind,
            char **buf, size_t *len, int fd, int *pipe_r)
{
  if (!cmd)
    return;
  if (kind == OUT_FD && fd < 0) {
    set_error (cmd, "command: invalid %s fd %d", which ? "error" : "output", fd);
    return;
  }
  cmd->out[which].kind = kind;
  cmd->out[which].buf = buf;
  cmd->out[which].len = len;
  cmd->out[which].fd = fd;
  cmd->out[which].pipe_r = pipe_r;
}

void command_set_output_buffer (struct command *cmd, char **buf, size_t *len)
{ set_output (cmd, 0, OUT_BUFFER, buf, len, -1, NULL); }
void command_set_error_buffer (struct command *cmd, char **buf, size_t *len)
{ set_output (cmd, 1, OUT_BUFFER, buf, len, -1, NULL); }
void command_set_output_fd (struct command *cmd, int fd)
{ set_output (cmd, 0, OUT_FD, NULL, NULL, fd, NULL); }
void command_set_error_fd (struct command *cmd, int fd)
{ set_output (cmd, 1, OUT_FD, NULL, NULL, fd, NULL); }
void command_set_output_pipe (struct command *cmd, int *fd_r)
{ set_output (cmd, 0, OUT_PIPE, NULL, NULL, -1, fd_r); }
void command_set_error_pipe (struct command *cmd, int *fd_r)
{ set_output (cmd, 1, OUT_PIPE, NULL, NULL, -1, fd_r); }

void
command_set_nonblocking_pipes (struct command *cmd)
{
  if (cmd)
    cmd->nonblocking = true;
}

/* ------------------------------------------------------------------ */
/* Descriptors, limits, credentials. */

void
command_pass_fd (struct command *cmd, int fd, unsigned flags)
{
  struct passed_fd *p;
  size_t i;

  if (!cmd)
    return;
  if (fd < 0 || fcntl (fd, F_GETFD) == -1) {
    set_error (cmd, "command: cannot pass fd %d: not an open descriptor", fd);
    return;
  }
  for (i = 0; i < cmd->nfds; i++)
    if (cmd->fds[i].fd == fd) {
      cmd->fds[i].flags |= flags;
      return;
    }
  p = realloc (cmd->fds, (cmd->nfds + 1) * sizeof *p);
  if (!p) {
    oom (cmd);
    return;
  }
  cmd->fds = p;
  cmd->fds[cmd->nfds].fd = fd;
  cmd->fds[cmd->nfds].flags = flags;
  cmd->nfds++;
}

void
command_set_renumber_fds (struct command *cmd)
{
  if (cmd)
    cmd->renumber = true;
}

static void
set_rlimit (struct command *cmd, int which, unsigned long long n)
{
  if (!cmd)
    return;
  cmd->have_rlimit[which] = true;
  cmd->rlimit[which] = n;
}

void command_set_max_files (struct command *cmd, unsigned long long n)
{ set_rlimit (cmd, 0, n); }
void command_set_max_processes (struct command *cmd, unsigned long long n)
{ set_rlimit (cmd, 1, n); }
void command_set_max_memory (struct command *cmd, unsigned long long n)
{ set_rlimit (cmd, 2, n); }
void command_set_max_core (struct command *cmd, unsigned long long n)
{ set_rlimit (cmd, 3, n); }

void
command_set_umask (struct command *cmd, mode_t mask)
{
  if (!cmd)
    return;
  cmd->have_umask = true;
  cmd->umask_value = mask & 0777;
}

void
command_set_uid (struct command *cmd, uid_t uid)
{
  if (!cmd)
    return;
  cmd->have_uid = true;
  cmd->uid = uid;
}

void
command_set_gid (struct command *cmd, gid_t gid)
{
  if (!cmd)
    return;
  cmd->have_gid = true;
  cmd->gid = gid;
}

void
command_clear_caps (struct command *cmd)
{
  if (cmd)
    cmd->clear_caps = true;
}

void
command_allow_cap (struct command *cmd, int capability)
{
  int *p;

  if (!cmd)
    return;
#ifndef HAVE_LIBCAP_NG
  set_error (cmd, "command: capabilities are not supported in this build");
  return;
#endif
  p = realloc (cmd->caps, (cmd->ncaps + 1) * sizeof *p);
  if (!p) {
    oom (cmd);
    return;
  }
  cmd->caps = p;
  cmd->caps[cmd->ncaps++] = capability;
  cmd->clear_caps = true;
}

void
command_set_working_directory (struct command *cmd, const char *dir)
{
  if (!cmd)
    return;
  if (cmd->cwd) {
    set_error (cmd, "command: working directory set twice");
    return;
  }
  if (!dir || !(cmd->cwd = strdup (dir)))
    oom (cmd);
}

void
command_set_new_pgroup (struct command *cmd)
{
  if (cmd)
    cmd->new_pgroup = true;
}

void
command_set_interrupt_check (int (*check) (void))
{
  __atomic_store_n (&interrupt_check, check, __ATOMIC_RELEASE);
}

static int
interrupted (void)
{
  int (*check) (void) = __atomic_load_n (&interrupt_check, __ATOMIC_ACQUIRE);

  return check != NULL && check ();
}

void
command_set_pre_exec (struct command *cmd, command_hook hook, void *opaque)
{
  if (!cmd)
    return;
  cmd->hook = hook;
  cmd->hook_opaque = opaque;
}

void
command_require_handshake (struct command *cmd)
{
  if (cmd)
    cmd->handshake = true;
}

void
command_daemonize (struct command *cmd)
{
  if (cmd)
    cmd->daemonize = true;
}

void
command_set_pidfile (struct command *cmd, const char *path)
{
  if (!cmd)
    return;
  free (cmd->pidfile);
  if (!path || !(cmd->pidfile = strdup (path)))
    oom (cmd);
}

void
command_raw_status (struct command *cmd)
{
  if (cmd)
    cmd->raw_status = true;
}

pid_t
command_get_pid (const struct command *cmd)
{
  return cmd ? cmd->pid : -1;
}

void
command_set_dry_run (command_dry_run_cb cb, void *opaque)
{
  pthread_mutex_lock (&dry_run_lock);
  dry_run_cb = cb;
  dry_run_opaque = opaque;
  pthread_mutex_unlock (&dry_run_lock);
}

/* ------------------------------------------------------------------ */
/* Shell quoting for to_string and the argument log. */

static bool
shell_safe (const char *s)
{
  if (*s == '\0')
    return false;
  for (; *s; s++)
    if (!strchr ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                 "0123456789_@%+=:,./-", *s))
      return false;
  return true;
}

/* Appends s to the growing string *buf; returns false on OOM. */
static bool
append (char **buf, size_t *len, size_t *alloc, const char *s, size_t n)
{
  if (*len + n + 1 > *alloc) {
    size_t a = *alloc ? *alloc : 64;
    char *p;
    while (a < *len + n + 1)
      a *= 2;
    p = realloc (*buf, a);
    if (!p)
      return false;
    *buf = p;
    *alloc = a;
  }
  memcpy (*buf + *len, s, n);
  *len += n;
  (*buf)[*len] = '\0';
  return true;
}

/* Single quotes protect everything except ' itself, written '\''. */
static bool
append_quoted (char **buf, size_t *len, size_t *alloc, const char *s)
{
  if (shell_safe (s))
    return append (buf, len, alloc, s, strlen (s));
  if (!append (buf, len, alloc, "'", 1))
    return false;
  for (; *s; s++) {
    bool ok = *s == '\''
      ? append (buf, len, alloc, "'\\''", 4)
      : append (buf, len, alloc, s, 1);
    if (!ok)
      return false;
  }
  return append (buf, len, alloc, "'", 1);
}

char *
command_to_string (struct command *cmd)
{
  char *buf = NULL;
  size_t len = 0, alloc = 0, i;
  bool ok = true;

  if (!cmd)
    return NULL;
  if (cmd->env_custom) {
    ok = append (&buf, &len, &alloc, "env -i ", 7);
    for (i = 0; ok && i < cmd->nenv; i++) {
      const char *eq = strchr (cmd->env[i], '=');
      ok = append (&buf, &len, &alloc, cmd->env[i], eq - cmd->env[i] + 1)
        && append_quoted (&buf, &len, &alloc, eq + 1)
        && append (&buf, &len, &alloc, " ", 1);
    }
  }
  for (i = 0; ok && i < cmd->nargs; i++)
    ok = (i == 0 || append (&buf, &len, &alloc, " ", 1))
      && append_quoted (&buf, &len, &alloc, cmd->args[i]);
  if (!ok) {
    free (buf);
    oom (cmd);
    return NULL;
  }
  return buf;
}

static int
write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;

  while (len > 0) {
    ssize_t r = write (fd, p, len);
    if (r == -1) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += r;
    len -= r;
  }
  return 0;
}

void
command_write_arg_log (struct command *cmd, int fd)
{
  char *s = command_to_string (cmd);

  if (!s)
    return;
  if (write_all (fd, s, strlen (s)) == -1 || write_all (fd, "\n", 1) == -1)
    set_error (cmd, "command: cannot write argument log: %s", strerror (errno));
  free (s);
}

/* ------------------------------------------------------------------ */
/* Preparing to run. */

/* Resolves cmd->binary to an executable path (malloc'd), or sets the
 * error naming the program. */
static char *
resolve_binary (struct command *cmd)
{
  const char *path, *p;
  struct stat st;
  char *candidate;

  if (strchr (cmd->binary, '/')) {
    if (stat (cmd->binary, &st) == -1) {
      set_error (cmd, "cannot run %s: %s", cmd->binary, strerror (errno));
      return NULL;
    }
    if (!S_ISREG (st.st_mode) || access (cmd->binary, X_OK) == -1) {
      set_error (cmd, "cannot run %s: not an executable file", cmd->binary);
      return NULL;
    }
    if (!(candidate = strdup (cmd->binary)))
      oom (cmd);
    return candidate;
  }

  path = getenv ("PATH");
  if (!path || !*path)
    path = "/usr/local/bin:/usr/bin:/bin";
  for (p = path;; ) {
    const char *end = strchr (p, ':');
    size_t n = end ? (size_t) (end - p) : strlen (p);
    if (asprintf (&candidate, "%.*s/%s", (int) n, n ? p : ".", cmd->binary) == -1) {
      oom (cmd);
      return NULL;
    }
    if (stat (candidate, &st) == 0 && S_ISREG (st.st_mode)
        && access (candidate, X_OK) == 0)
      return candidate;
    free (candidate);
    if (!end)
      break;
    p = end + 1;
  }
  set_error (cmd, "cannot run %s: program not found on $PATH", cmd->binary);
  return NULL;
}

/* What the child needs, computed before fork. */
struct plan {
  char *path;
  char **envp;
  int in_src, out_src, err_src;   /* fds to dup2 onto 0,1,2 (-1: leave) */
  int *moved;                     /* temporary high slots, one per source */
  int nsrc;                       /* sources: in, out, err, passed fds… */
  int *src;                       /* the source fds, same order */
  int *dst;                       /* where they end up (0..2, passed…) */
  int report_w, hs_ready_w, hs_go_r;  /* their numbers in the child */
  int report_orig;                /* the report fd before renumbering */
  int top;                        /* first fd above everything we use */
  int *keep;                      /* sorted fds that stay open */
  int nkeep;
  int maxfd;                      /* fallback close limit */
  bool bound_caps;                /* we may change the bounding set */
  int close_in_child[6];          /* parent's pipe ends, closed in child */
};

static int
cmp_int (const void *a, const void *b)
{
  int x = *(const int *) a, y = *(const int *) b;
  return x < y ? -1 : x > y;
}

static void
close_if (int *fd)
{
  if (*fd >= 0) {
    close (*fd);
    *fd = -1;
  }
}

static int
make_pipe (struct command *cmd, int fds[2], const char *what)
{
  if (pipe2 (fds, O_CLOEXEC) == -1) {
    set_error (cmd, "command: cannot create %s pipe: %s", what, strerror (errno));
    return -1;
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* The child, between fork and exec: async-signal-safe only. */

static void __attribute__((noreturn))
child_fail (int report_w, int stage, int value)
{
  struct child_report r = { stage, value };
  ssize_t ignored = write (report_w, &r, sizeof r);

  (void) ignored;
  _exit (127);
}

/* Closes fds first..last; last < 0 means "to the end". */
static void
close_range_compat (int first, int last, int maxfd)
{
  int fd;

  if (last >= 0 && first > last)
    return;
#ifdef SYS_close_range
  if (syscall (SYS_close_range, (unsigned) first,
               last < 0 ? ~0U : (unsigned) last, 0) == 0)
    return;
#endif
  if (last < 0 || last > maxfd)
    last = maxfd;
  for (fd = first; fd <= last; fd++)
    close (fd);
}

static void
child_setup_fds (struct plan *p)
{
  int i, rw = p->report_orig;

  /* Move every source out of the way first, so that placing one cannot
   * overwrite another that is still to be placed. */
  for (i = 0; i < p->nsrc; i++) {
    if (dup2 (p->src[i], p->moved[i]) == -1)
      child_fail (rw, STAGE_FDS, errno);
  }
  for (i = 0; i < p->nsrc; i++) {
    if (dup2 (p->moved[i], p->dst[i]) == -1)
      child_fail (rw, STAGE_FDS, errno);
  }
  /* Close everything else. */
  {
    int prev = -1;
    for (i = 0; i < p->nkeep; i++) {
      if (p->keep[i] > prev + 1)
        close_range_compat (prev + 1, p->keep[i] - 1, p->maxfd);
      prev = p->keep[i];
    }
    close_range_compat (prev + 1, -1, p->maxfd);
  }
  /* The report pipe must close on exec: its EOF tells the parent that
   * exec succeeded. */
  if (fcntl (p->report_w, F_SETFD, FD_CLOEXEC) == -1)
    child_fail (rw, STAGE_FDS, errno);
}

static void
child_setup_caps (struct command *cmd, struct plan *p)
{
#ifdef HAVE_LIBCAP_NG
  size_t i;
  capng_select_t which = p->bound_caps ? CAPNG_SELECT_BOTH : CAPNG_SELECT_CAPS;

  if (!cmd->clear_caps)
    return;
  capng_clear (CAPNG_SELECT_BOTH);
  for (i = 0; i < cmd->ncaps; i++)
    if (capng_update (CAPNG_ADD,
                      CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_INHERITABLE
                      | (p->bound_caps ? CAPNG_BOUNDING_SET : 0),
                      cmd->caps[i]) == -1)
      child_fail (p->report_w, STAGE_CAPS, EINVAL);
  if (capng_apply (which) == -1)
    child_fail (p->report_w, STAGE_CAPS, EPERM);
#else
  (void) cmd; (void) p;
#endif
}

static void
write_decimal (int fd, long v)
{
  char buf[32];
  int n = sizeof buf;

  buf[--n] = '\n';
  do {
    buf[--n] = '0' + v % 10;
    v /= 10;
  } while (v > 0 && n > 0);
  (void) write_all (fd, buf + n, sizeof buf - n);
}

static void __attribute__((noreturn))
child_main (struct command *cmd, struct plan *p)
{
  int rw = p->report_orig;        /* until the fds are in place */
  int i;
  sigset_t set;
  struct sigaction sa;

  /* 1. Signals: every disposition back to default, then an empty mask
   * (the parent blocked everything around fork). */
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  for (i = 1; i < NSIG; i++) {
    if (i == SIGKILL || i == SIGSTOP)
      continue;
    /* glibc refuses the signals it reserves for itself (32, 33), but an
     * ignored one would still be inherited across exec: ask the kernel. */
    if (sigaction (i, &sa, NULL) == -1 && errno == EINVAL) {
      struct { void *handler; unsigned long flags; void *restorer;
               unsigned long mask; } ksa = { SIG_DFL, 0, NULL, 0 };
      (void) syscall (SYS_rt_sigaction, i, &ksa, NULL, sizeof ksa.mask);
    }
  }

  for (i = 0; i < 6; i++)
    if (p->close_in_child[i] >= 0)
      close (p->close_in_child[i]);

  if (cmd->daemonize) {
    pid_t pid = fork ();

    if (pid == -1)
      child_fail (rw, STAGE_DAEMONIZE, errno);
    if (pid > 0) {
      /* The intermediate process: record the real pid, then go. */
      struct child_report r = { STAGE_PID, pid };
      if (cmd->pidfile) {
        int fd = open (cmd->pidfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd == -1) {
          kill (pid, SIGKILL);
          child_fail (rw, STAGE_PIDFILE, errno);
        }
        write_decimal (fd, pid);
        close (fd);
      }
      (void) write_all (rw, &r, sizeof r);
      _exit (0);
    }
    /* The daemon itself: the session leader. */
    if (setsid () == -1)
      child_fail (rw, STAGE_DAEMONIZE, errno);
  }

  if (cmd->new_pgroup && !cmd->daemonize && setpgid (0, 0) == -1)
    child_fail (rw, STAGE_PGROUP, errno);

  /* 2. Descriptors. */
  child_setup_fds (p);
  rw = p->report_w;
  sigemptyset (&set);
  if (sigprocmask (SIG_SETMASK, &set, NULL) == -1)
    child_fail (rw, STAGE_SIGNALS, errno);

  /* 3. Limits. */
  for (i = 0; i < 4; i++)
    if (cmd->have_rlimit[i]) {
      struct rlimit rl;
      rl.rlim_cur = rl.rlim_max = cmd->rlimit[i];
      if (setrlimit (rlimit_resources[i], &rl) == -1)
        child_fail (rw, STAGE_RLIMIT, (i << 16) | errno);
    }

  /* 4. umask. */
  if (cmd->have_umask)
    umask (cmd->umask_value);

  /* 5. Credentials: groups first, while we may still change them. */
  if (cmd->have_uid && cmd->ncaps > 0)
    (void) prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0);
  if (cmd->have_gid) {
    if (setgroups (0, NULL) == -1 && errno != EPERM)
      child_fail (rw, STAGE_GID, errno);
    if (setresgid (cmd->gid, cmd->gid, cmd->gid) == -1)
      child_fail (rw, STAGE_GID, errno);
  }
  if (cmd->have_uid && setresuid (cmd->uid, cmd->uid, cmd->uid) == -1)
    child_fail (rw, STAGE_UID, errno);

  /* 6. Capabilities. */
  child_setup_caps (cmd, p);

  /* 7. Working directory. */
  if (cmd->cwd) {
    if (chdir (cmd->cwd) == -1)
      child_fail (rw, STAGE_CWD, errno);
  } else if (cmd->daemonize && chdir ("/") == -1)
    child_fail (rw, STAGE_CWD, errno);

  /* 8. Hook. */
  if (cmd->hook) {
    int r = cmd->hook (cmd->hook_opaque);
    if (r != 0)
      child_fail (rw, STAGE_HOOK, r);
  }

  /* 9. Handshake: say we are ready, wait for the go. */
  if (cmd->handshake) {
    char c = 'r';
    if (write_all (p->hs_ready_w, &c, 1) == -1)
      child_fail (rw, STAGE_HANDSHAKE, errno);
    for (;;) {
      ssize_t r = read (p->hs_go_r, &c, 1);
      if (r == 1)
        break;
      if (r == -1 && errno == EINTR)
        continue;
      child_fail (rw, STAGE_HANDSHAKE, r == 0 ? ECONNABORTED : errno);
    }
    close (p->hs_ready_w);
    close (p->hs_go_r);
  }

  execve (p->path, cmd->args, p->envp);
  child_fail (rw, STAGE_EXEC, errno);
}

/* ------------------------------------------------------------------ */
/* Parent side. */

static const char *
stage_name (int stage)
{
  switch (stage) {
  case STAGE_SIGNALS: return "cannot reset signals";
  case STAGE_PGROUP: return "cannot start a process group";
  case STAGE_FDS: return "cannot set up file descriptors";
  case STAGE_RLIMIT: return "cannot set resource limit";
  case STAGE_UMASK: return "cannot set umask";
  case STAGE_GID: return "cannot change group";
  case STAGE_UID: return "cannot change user";
  case STAGE_CAPS: return "cannot set capabilities";
  case STAGE_CWD: return "cannot change directory";
  case STAGE_HANDSHAKE: return "handshake with parent failed";
  case STAGE_DAEMONIZE: return "cannot daemonize";
  case STAGE_PIDFILE: return "cannot write pidfile";
  case STAGE_EXEC: return "cannot execute";
  default: return "child setup failed";
  }
}

static void
report_child_failure (struct command *cmd, const struct child_report *r)
{
  if (r->stage == STAGE_HOOK)
    set_error (cmd, "%s: pre-exec hook failed with status %d",
               cmd->binary, r->value);
  else if (r->stage == STAGE_RLIMIT)
    set_error (cmd, "%s: %s (%s): %s", cmd->binary, stage_name (r->stage),
               rlimit_names[(r->value >> 16) & 3], strerror (r->value & 0xffff));
  else if (r->stage == STAGE_CWD)
    set_error (cmd, "%s: %s to %s: %s", cmd->binary, stage_name (r->stage),
               cmd->cwd ? cmd->cwd : "/", strerror (r->value));
  else if (r->stage == STAGE_PIDFILE)
    set_error (cmd, "%s: %s %s: %s", cmd->binary, stage_name (r->stage),
               cmd->pidfile, strerror (r->value));
  else
    set_error (cmd, "%s: %s: %s", cmd->binary, stage_name (r->stage),
               strerror (r->value));
}

static pid_t
waitpid_eintr (pid_t pid, int *status, int flags)
{
  pid_t r;

  do
    r = waitpid (pid, status, flags);
  while (r == -1 && errno == EINTR);
  return r;
}

/* Reads the report pipe until EOF (the child exec'd or died).  Returns
 * 0 if the child (daemonized or not) exec'd, -1 with the error set. */
static int
read_reports (struct command *cmd)
{
  struct child_report r;
  int ret = 0;

  for (;;) {
    ssize_t n = read (cmd->report_r, &r, sizeof r);
    if (n == -1 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    if (n != (ssize_t) sizeof r)
      break;
    if (r.stage == STAGE_PID)
      cmd->pid = r.value;
    else {
      report_child_failure (cmd, &r);
      ret = -1;
    }
  }
  close_if (&cmd->report_r);
  return ret;
}

static void
free_plan (struct plan *p)
{
  free (p->path);
  free (p->moved);
  free (p->src);
  free (p->dst);
  free (p->keep);
  if (p->envp && p->envp != environ)
    free (p->envp);             /* strings belong to cmd->env */
}

static void
set_nonblock (int fd)
{
  int fl = fcntl (fd, F_GETFL);
  if (fl != -1)
    (void) fcntl (fd, F_SETFL, fl | O_NONBLOCK);
}

/* Sets up the pipes and the descriptor plan.  Child ends of pipes are
 * stored in child_ends[] (closed by the parent after fork). */
static int
prepare (struct command *cmd, struct plan *p, int child_ends[NCHILD_ENDS])
{
  int fds[2], i, n;
  int devnull = -1;
  struct rlimit rl;

  memset (p, 0, sizeof *p);
  p->in_src = p->out_src = p->err_src = -1;
  p->report_w = p->hs_ready_w = p->hs_go_r = -1;
  for (i = 0; i < 6; i++)
    p->close_in_child[i] = -1;
  for (i = 0; i < NCHILD_ENDS; i++)
    child_ends[i] = -1;

  if (!(p->path = resolve_binary (cmd)))
    return -1;
  if (cmd->env_custom) {
    /* A copy of the array (the strings stay in cmd->env). */
    p->envp = calloc (cmd->nenv + 1, sizeof (char *));
    if (!p->envp) {
      oom (cmd);
      return -1;
    }
    if (cmd->nenv)
      memcpy (p->envp, cmd->env, cmd->nenv * sizeof (char *));
  } else
    p->envp = environ;

  /* stdin */
  switch (cmd->in_kind) {
  case IN_NULL:
    devnull = open ("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull == -1) {
      set_error (cmd, "command: cannot open /dev/null: %s", strerror (errno));
      return -1;
    }
    child_ends[0] = p->in_src = devnull;
    break;
  case IN_FD:
    p->in_src = cmd->in_fd;
    break;
  case IN_BUFFER:
  case IN_PIPE:
    if (make_pipe (cmd, fds, "input") == -1)
      return -1;
    child_ends[0] = p->in_src = fds[0];
    if (cmd->in_kind == IN_BUFFER) {
      cmd->io_in_w = fds[1];
      set_nonblock (fds[1]);
    } else {
      if (cmd->nonblocking)
        set_nonblock (fds[1]);
      *cmd->in_pipe_r = fds[1];
    }
    p->close_in_child[0] = fds[1];
    break;
  }

  /* stdout, then stderr; the same buffer for both means one pipe. */
  cmd->shared_buffer = cmd->out[0].kind == OUT_BUFFER && cmd->out[1].kind == OUT_BUFFER
    && cmd->out[0].buf == cmd->out[1].buf;
  for (i = 0; i < 2; i++) {
    enum output_kind kind = cmd->out[i].kind;
    int *src = i == 0 ? &p->out_src : &p->err_src;

    switch (kind) {
    case OUT_INHERIT:
      break;
    case OUT_FD:
      *src = cmd->out[i].fd;
      break;
    case OUT_BUFFER:
      if (i == 1 && cmd->shared_buffer) {
        p->err_src = p->out_src;
        break;
      }
      /* fall through */
    case OUT_PIPE:
      if (make_pipe (cmd, fds, i == 0 ? "output" : "error") == -1)
        return -1;
      child_ends[1 + i] = *src = fds[1];
      p->close_in_child[1 + i] = fds[0];
      if (kind == OUT_BUFFER) {
        set_nonblock (fds[0]);
        if (i == 0) cmd->io_out_r = fds[0]; else cmd->io_err_r = fds[0];
      } else {
        if (cmd->nonblocking)
          set_nonblock (fds[0]);
        *cmd->out[i].pipe_r = fds[0];
      }
      break;
    }
  }

  /* Report pipe and handshake pipes. */
  if (make_pipe (cmd, fds, "report") == -1)
    return -1;
  cmd->report_r = fds[0];
  p->report_w = p->report_orig = fds[1];
  child_ends[3] = fds[1];
  p->close_in_child[3] = fds[0];
  if (cmd->handshake) {
    if (make_pipe (cmd, fds, "handshake") == -1)
      return -1;
    cmd->hs_ready_r = fds[0];
    p->hs_ready_w = fds[1];
    p->close_in_child[4] = fds[0];
    if (make_pipe (cmd, fds, "handshake") == -1) {
      close (p->hs_ready_w);
      return -1;
    }
    cmd->hs_go_w = fds[1];
    p->hs_go_r = fds[0];
    p->close_in_child[5] = fds[1];
    child_ends[4] = p->hs_ready_w;
    child_ends[5] = p->hs_go_r;
  }

  /* The descriptor plan: sources → destinations. */
  n = 3 + (int) cmd->nfds + 3;
  p->src = malloc (n * sizeof (int));
  p->dst = malloc (n * sizeof (int));
  p->moved = malloc (n * sizeof (int));
  p->keep = malloc (n * sizeof (int));
  if (!p->src || !p->dst || !p->moved || !p->keep) {
    oom (cmd);
    return -1;
  }
  p->nsrc = 0;
  p->top = 3 + (int) cmd->nfds;
#define ADD_SRC(s, d) do {                                       \
    p->src[p->nsrc] = (s); p->dst[p->nsrc] = (d); p->nsrc++;     \
    if ((s) >= p->top) p->top = (s) + 1;                         \
    if ((d) >= p->top) p->top = (d) + 1;                         \
  } while (0)
  if (p->in_src >= 0) ADD_SRC (p->in_src, 0);
  if (p->out_src >= 0) ADD_SRC (p->out_src, 1);
  if (p->err_src >= 0) ADD_SRC (p->err_src, 2);
  for (i = 0; i < (int) cmd->nfds; i++)
    ADD_SRC (cmd->fds[i].fd, cmd->renumber ? 3 + i : cmd->fds[i].fd);
  /* The report and handshake fds are placed above everything else. */
  {
    int extra[3] = { p->report_w, p->hs_ready_w, p->hs_go_r };
    int base;
    for (i = 0; i < 3; i++)
      if (extra[i] >= p->top)
        p->top = extra[i] + 1;
    base = p->top + p->nsrc;
    if (p->report_w >= 0) { ADD_SRC (p->report_w, base); p->report_w = base; }
    if (p->hs_ready_w >= 0) { ADD_SRC (p->hs_ready_w, base + 1); p->hs_ready_w = base + 1; }
    if (p->hs_go_r >= 0) { ADD_SRC (p->hs_go_r, base + 2); p->hs_go_r = base + 2; }
  }
#undef ADD_SRC
  /* Temporary slots: above every source and destination. */
  for (i = 0; i < p->nsrc; i++) {
    if (p->src[i] >= p->top) p->top = p->src[i] + 1;
    if (p->dst[i] >= p->top) p->top = p->dst[i] + 1;
  }
  for (i = 0; i < p->nsrc; i++)
    p->moved[i] = p->top + i;

  /* What stays open: 0, 1, 2 and every destination. */
  p->nkeep = 0;
  for (i = 0; i < 3; i++)
    p->keep[p->nkeep++] = i;
  for (i = 0; i < p->nsrc; i++)
    if (p->dst[i] >= 3)
      p->keep[p->nkeep++] = p->dst[i];
  qsort (p->keep, p->nkeep, sizeof (int), cmp_int);

  p->maxfd = 65536;
  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY
      && rl.rlim_max < (rlim_t) INT_MAX)
    p->maxfd = (int) rl.rlim_max;
  if (p->maxfd < p->top + p->nsrc + 1)
    p->maxfd = p->top + p->nsrc + 1;

#ifdef HAVE_LIBCAP_NG
  if (cmd->clear_caps) {
    capng_get_caps_process ();
    p->bound_caps = capng_have_capability (CAPNG_EFFECTIVE, CAP_SETPCAP);
  }
#endif
  return 0;
}

static void
close_child_ends (int child_ends[NCHILD_ENDS])
{
  int i;

  for (i = 0; i < NCHILD_ENDS; i++)
    close_if (&child_ends[i]);
}

/* Dry run: no process at all. */
static int
run_dry (struct command *cmd, command_dry_run_cb cb, void *opaque,
         int *exitstatus)
{
  char *input = NULL, *out = NULL, *err = NULL;
  int status = 0;
  char *const *envp = cmd->env_custom ? cmd->env : NULL;
  static char *empty_env[] = { NULL };

  if (cmd->env_custom && !envp)
    envp = empty_env;
  if (cmd->in_kind == IN_BUFFER) {
    input = malloc (cmd->in_len + 1);
    if (!input) {
      oom (cmd);
      return -1;
    }
    memcpy (input, cmd->in_buf, cmd->in_len);
    input[cmd->in_len] = '\0';
  }
  cb ((const char *const *) cmd->args, (const char *const *) envp, input,
      &out, &err, &status, opaque);
  free (input);

  if (cmd->out[0].kind == OUT_BUFFER) {
    if (cmd->shared_buffer || (cmd->out[1].kind == OUT_BUFFER && cmd->out[1].buf == cmd->out[0].buf)) {
      char *both;
      if (asprintf (&both, "%s%s", out ? out : "", err ? err : "") == -1)
        both = NULL;
      free (out);
      free (err);
      out = both;
      err = NULL;
    }
    *cmd->out[0].buf = out ? out : strdup ("");
    if (cmd->out[0].len)
      *cmd->out[0].len = *cmd->out[0].buf ? strlen (*cmd->out[0].buf) : 0;
    out = NULL;
  }
  if (cmd->out[1].kind == OUT_BUFFER && cmd->out[1].buf != cmd->out[0].buf) {
    *cmd->out[1].buf = err ? err : strdup ("");
    if (cmd->out[1].len)
      *cmd->out[1].len = *cmd->out[1].buf ? strlen (*cmd->out[1].buf) : 0;
    err = NULL;
  }
  free (out);
  free (err);

  if (exitstatus) {
    *exitstatus = status;
    return 0;
  }
  if (status != 0) {
    set_error (cmd, "%s exited with status %d", cmd->binary, status);
    return -1;
  }
  return 0;
}

int
command_run_async (struct command *cmd, pid_t *pid_r)
{
  struct plan plan;
  int child_ends[NCHILD_ENDS];
  sigset_t all, old;
  pid_t pid;
  int saved_errno, r;

  if (!cmd)
    return -1;
  if (cmd->error)
    return -1;
  if (cmd->running) {
    set_error (cmd, "%s: command is already running", cmd->binary);
    return -1;
  }
  if (cmd->pidfile && !cmd->daemonize) {
    set_error (cmd, "%s: a pidfile needs daemonize", cmd->binary);
    return -1;
  }

  if (prepare (cmd, &plan, child_ends) == -1)
    goto fail;

  /* Block all signals so no handler of ours runs in the child before it
   * resets them. */
  sigfillset (&all);
  pthread_sigmask (SIG_SETMASK, &all, &old);
  pid = fork ();
  saved_errno = errno;
  if (pid == 0)
    child_main (cmd, &plan);
  pthread_sigmask (SIG_SETMASK, &old, NULL);

  close_child_ends (child_ends);
  if (pid == -1) {
    set_error (cmd, "%s: cannot fork: %s", cmd->binary, strerror (saved_errno));
    goto fail;
  }

  for (size_t i = 0; i < cmd->nfds; i++)
    if (cmd->fds[i].flags & COMMAND_PASS_FD_CLOSE_PARENT) {
      close (cmd->fds[i].fd);
      cmd->fds[i].fd = -1;
    }

  cmd->pid = pid;
  cmd->running = true;
  /* Also from this side, so that the group exists when we return,
   * whichever process runs first (EACCES: it has exec'd already). */
  if (cmd->new_pgroup && !cmd->daemonize)
    (void) setpgid (pid, pid);

  if (cmd->daemonize) {
    int status;
    /* The intermediate process writes the pidfile and the daemon's pid,
     * then exits. */
    r = read_reports (cmd);
    (void) waitpid_eintr (pid, &status, 0);
    cmd->running = false;
    if (r == -1) {
      cmd->pid = -1;
      goto fail_started;
    }
    free_plan (&plan);
    if (pid_r)
      *pid_r = cmd->pid;
    return 0;
  }

  /* Without a handshake, learn now whether exec worked; with one, the
   * child is waiting for us: command_handshake_wait reads the report. */
  if (!cmd->handshake) {
    if (read_reports (cmd) == -1) {
      int status;
      waitpid_eintr (pid, &status, 0);
      cmd->running = false;
      cmd->pid = -1;
      goto fail_started;
    }
  }
  free_plan (&plan);
  if (pid_r)
    *pid_r = pid;
  return 0;

 fail:
  close_child_ends (child_ends);
 fail_started:
  free_plan (&plan);
  close_if (&cmd->report_r);
  close_if (&cmd->io_in_w);
  close_if (&cmd->io_out_r);
  close_if (&cmd->io_err_r);
  close_if (&cmd->hs_ready_r);
  close_if (&cmd->hs_go_w);
  return -1;
}

int
command_handshake_wait (struct command *cmd)
{
  char c;
  ssize_t r;

  if (!cmd || !cmd->handshake || !cmd->running || cmd->hs_ready_r < 0) {
    if (cmd)
      set_error (cmd, "command: no handshake pending");
    return -1;
  }
  do
    r = read (cmd->hs_ready_r, &c, 1);
  while (r == -1 && errno == EINTR);
  close_if (&cmd->hs_ready_r);
  if (r != 1) {
    /* The child failed before it was ready: find out why. */
    int status;
    if (read_reports (cmd) == 0)
      set_error (cmd, "%s: child exited before the handshake", cmd->binary);
    waitpid_eintr (cmd->pid, &status, 0);
    cmd->running = false;
    close_if (&cmd->hs_go_w);
    return -1;
  }
  return 0;
}

int
command_handshake_notify (struct command *cmd)
{
  char c = 'g';

  if (!cmd || !cmd->handshake || !cmd->running || cmd->hs_go_w < 0) {
    if (cmd)
      set_error (cmd, "command: no handshake pending");
    return -1;
  }
  if (write_all (cmd->hs_go_w, &c, 1) == -1) {
    set_error (cmd, "%s: cannot notify child: %s", cmd->binary, strerror (errno));
    close_if (&cmd->hs_go_w);
    return -1;
  }
  close_if (&cmd->hs_go_w);
  /* Now the child execs (or fails to). */
  if (read_reports (cmd) == -1) {
    int status;
    waitpid_eintr (cmd->pid, &status, 0);
    cmd->running = false;
    return -1;
  }
  return 0;
}

/* Grows a collection buffer by reading what is available from fd.
 * Returns 1 while open, 0 at EOF, -1 on error. */
static int
collect (int fd, char **buf, size_t *len)
{
  char tmp[65536];
  ssize_t r = read (fd, tmp, sizeof tmp);

  if (r == -1)
    return errno == EINTR || errno == EAGAIN ? 1 : -1;
  if (r == 0)
    return 0;
  {
    char *p = realloc (*buf, *len + r + 1);
    if (!p)
      return -1;
    *buf = p;
    memcpy (*buf + *len, tmp, r);
    *len += r;
    (*buf)[*len] = '\0';
  }
  return 1;
}

/* Moves data between the buffers and the child until the child has
 * closed its outputs and taken all its input. */
static int
do_io (struct command *cmd)
{
  size_t in_off = 0;
  int ret = 0;

  while (cmd->io_in_w >= 0 || cmd->io_out_r >= 0 || cmd->io_err_r >= 0) {
    struct pollfd pfd[3];
    int n = 0, i_in = -1, i_out = -1, i_err = -1, pr;

    if (cmd->io_in_w >= 0) {
      if (in_off >= cmd->in_len) {
        close_if (&cmd->io_in_w);
        continue;
      }
      pfd[n].fd = cmd->io_in_w; pfd[n].events = POLLOUT; i_in = n++;
    }
    if (cmd->io_out_r >= 0) {
      pfd[n].fd = cmd->io_out_r; pfd[n].events = POLLIN; i_out = n++;
    }
    if (cmd->io_err_r >= 0) {
      pfd[n].fd = cmd->io_err_r; pfd[n].events = POLLIN; i_err = n++;
    }
    pr = poll (pfd, n, interrupt_check ? 50 : -1);
    if (interrupted ()) {
      kill (cmd->pid, SIGKILL);
      cmd->interrupted = true;
      close_if (&cmd->io_in_w);
      close_if (&cmd->io_out_r);
      close_if (&cmd->io_err_r);
      break;
    }
    if (pr == 0)
      continue;
    if (pr == -1) {
      if (errno == EINTR)
        continue;
      set_error (cmd, "%s: poll: %s", cmd->binary, strerror (errno));
      ret = -1;
      break;
    }
    if (i_in >= 0 && pfd[i_in].revents) {
      ssize_t w = write (cmd->io_in_w, cmd->in_buf + in_off, cmd->in_len - in_off);
      if (w > 0)
        in_off += w;
      else if (w == -1 && errno != EAGAIN && errno != EINTR)
        close_if (&cmd->io_in_w);   /* EPIPE: the child stopped reading */
    }
    if (i_out >= 0 && pfd[i_out].revents) {
      int r = collect (cmd->io_out_r, &cmd->collect_out, &cmd->collect_out_len);
      if (r <= 0)
        close_if (&cmd->io_out_r);
      if (r < 0) {
        set_error (cmd, "%s: cannot read output: %s", cmd->binary, strerror (errno));
        ret = -1;
      }
    }
    if (i_err >= 0 && pfd[i_err].revents) {
      int r = collect (cmd->io_err_r, &cmd->collect_err, &cmd->collect_err_len);
      if (r <= 0)
        close_if (&cmd->io_err_r);
      if (r < 0) {
        set_error (cmd, "%s: cannot read error output: %s", cmd->binary, strerror (errno));
        ret = -1;
      }
    }
  }
  return ret;
}

static void
deliver_buffers (struct command *cmd)
{
  if (cmd->out[0].kind == OUT_BUFFER) {
    if (!cmd->collect_out)
      cmd->collect_out = strdup ("");
    *cmd->out[0].buf = cmd->collect_out;
    if (cmd->out[0].len)
      *cmd->out[0].len = cmd->collect_out_len;
    cmd->collect_out = NULL;
    cmd->collect_out_len = 0;
  }
  if (cmd->out[1].kind == OUT_BUFFER && !cmd->shared_buffer) {
    if (!cmd->collect_err)
      cmd->collect_err = strdup ("");
    *cmd->out[1].buf = cmd->collect_err;
    if (cmd->out[1].len)
      *cmd->out[1].len = cmd->collect_err_len;
    cmd->collect_err = NULL;
    cmd->collect_err_len = 0;
  }
}

/* waitpid, asking the interrupt check (when there is one) while the
 * child runs. */
static pid_t
wait_child (struct command *cmd, int *status)
{
  pid_t r;

  if (!interrupt_check || cmd->interrupted)
    return waitpid_eintr (cmd->pid, status, 0);
  for (;;) {
    r = waitpid_eintr (cmd->pid, status, WNOHANG);
    if (r != 0)
      return r;
    if (interrupted ()) {
      kill (cmd->pid, SIGKILL);
      cmd->interrupted = true;
      return waitpid_eintr (cmd->pid, status, 0);
    }
    (void) poll (NULL, 0, 20);
  }
}

int
command_wait (struct command *cmd, int *exitstatus)
{
  int status, io;
  sigset_t pipe_set, old_set, pending;
  bool was_pending;

  if (!cmd)
    return -1;
  if (!cmd->running) {
    set_error (cmd, "%s: command is not running", cmd->binary ? cmd->binary : "command");
    return -1;
  }
  if (cmd->handshake && cmd->hs_go_w >= 0) {
    set_error (cmd, "%s: wait before the handshake completed", cmd->binary);
    return -1;
  }

  /* Writing to a child that exited must not kill us with SIGPIPE, and
   * changing the process-wide disposition would race with other
   * threads: block it in this thread and swallow what we caused. */
  sigemptyset (&pipe_set);
  sigaddset (&pipe_set, SIGPIPE);
  sigpending (&pending);
  was_pending = sigismember (&pending, SIGPIPE);
  pthread_sigmask (SIG_BLOCK, &pipe_set, &old_set);
  io = do_io (cmd);
  if (!was_pending) {
    struct timespec zero = { 0, 0 };
    sigpending (&pending);
    if (sigismember (&pending, SIGPIPE))
      (void) sigtimedwait (&pipe_set, NULL, &zero);
  }
  pthread_sigmask (SIG_SETMASK, &old_set, NULL);

  if (wait_child (cmd, &status) == -1) {
    set_error (cmd, "%s: waitpid: %s", cmd->binary, strerror (errno));
    cmd->running = false;
    return -1;
  }
  cmd->running = false;
  deliver_buffers (cmd);
  if (cmd->interrupted) {
    cmd->interrupted = false;
    set_error (cmd, "%s: interrupted", cmd->binary);
    errno = EINTR;
    return -1;
  }
  if (io == -1)
    return -1;

  if (cmd->raw_status && exitstatus) {
    *exitstatus = status;
    return 0;
  }
  if (WIFEXITED (status)) {
    if (exitstatus) {
      *exitstatus = WEXITSTATUS (status);
      return 0;
    }
    if (WEXITSTATUS (status) != 0) {
      set_error (cmd, "%s exited with status %d", cmd->binary, WEXITSTATUS (status));
      return -1;
    }
    return 0;
  }
  if (WIFSIGNALED (status))
    set_error (cmd, "%s was killed by signal %d (%s)", cmd->binary,
               WTERMSIG (status), strsignal (WTERMSIG (status)));
  else
    set_error (cmd, "%s ended with unexpected status 0x%x", cmd->binary, status);
  return -1;
}

int
command_run (struct command *cmd, int *exitstatus)
{
  command_dry_run_cb cb;
  void *opaque;

  if (!cmd)
    return -1;
  if (cmd->error)
    return -1;
  pthread_mutex_lock (&dry_run_lock);
  cb = dry_run_cb;
  opaque = dry_run_opaque;
  pthread_mutex_unlock (&dry_run_lock);
  if (cb)
    return run_dry (cmd, cb, opaque, exitstatus);

  if (cmd->handshake) {
    set_error (cmd, "%s: a handshake needs command_run_async", cmd->binary);
    return -1;
  }
  if (command_run_async (cmd, NULL) == -1)
    return -1;
  if (cmd->daemonize) {
    if (exitstatus)
      *exitstatus = 0;
    return 0;
  }
  return command_wait (cmd, exitstatus);
}

void
command_abort (struct command *cmd)
{
  int status;

  if (!cmd || !cmd->running)
    return;
  kill (cmd->pid, SIGKILL);
  close_if (&cmd->io_in_w);
  close_if (&cmd->io_out_r);
  close_if (&cmd->io_err_r);
  close_if (&cmd->hs_ready_r);
  close_if (&cmd->hs_go_w);
  close_if (&cmd->report_r);
  waitpid_eintr (cmd->pid, &status, 0);
  cmd->running = false;
}

void
command_free (struct command *cmd)
{
  size_t i;

  if (!cmd)
    return;
  command_abort (cmd);
  close_if (&cmd->report_r);
  for (i = 0; i < cmd->nfds; i++)
    if (cmd->fds[i].fd >= 0 && (cmd->fds[i].flags & COMMAND_PASS_FD_CLOSE_PARENT))
      close (cmd->fds[i].fd);
  for (i = 0; i < cmd->nargs; i++)
    free (cmd->args[i]);
  free (cmd->args);
  for (i = 0; i < cmd->nenv; i++)
    free (cmd->env[i]);
  free (cmd->env);
  free (cmd->fds);
  free (cmd->caps);
  free (cmd->cwd);
  free (cmd->pidfile);
  free (cmd->binary);
  free (cmd->collect_out);
  free (cmd->collect_err);
  if (!is_static_error (cmd))
    free (cmd->error);
  free (cmd);
}
