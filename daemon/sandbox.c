/* minnowd: the sandbox the daemon enters once it holds its descriptors.
 *
 * The daemon parses images an attacker may have made, with libext2fs and
 * libfdisk; a bug there must not give the attacker the caller's power
 * over the host.  The layers, in the order they are put on:
 *
 *   namespaces   new user (when the kernel allows it), IPC and network
 *                namespaces: no network interface but loopback, which is
 *                down.  No mount namespace: a private copy of the host's
 *                mounts would keep every host filesystem mounted that the
 *                host unmounts while a handle is open.
 *   limits       no core dumps, a bounded address space and descriptor
 *                count, a bounded number of processes.
 *   no_new_privs nothing the daemon runs can gain privileges (setuid
 *                bits, file capabilities).
 *   landlock     the host's filesystem is out of reach: the daemon may
 *                read and write its drives (rules on the open drive
 *                descriptors themselves, so a helper reopening
 *                /proc/self/fd/N reaches the drive and nothing else),
 *                execute the helper programs it runs (each by its own
 *                rule) and read the shared libraries and the few
 *                configuration files they need.  TCP is refused, and
 *                signals to, or abstract sockets of, processes outside
 *                the sandbox.
 *   capabilities all dropped, the bounding set too.
 *   seccomp      kills the process on system calls no part of minnow
 *                needs and an attacker would (ptrace, mount, kexec,
 *                bpf, keyctl, module loading, …); sockets other than
 *                AF_UNIX fail with EAFNOSUPPORT.
 *
 * Every layer is attempted; one the kernel refuses is recorded with the
 * reason, printed in verbose mode and by --check-sandbox, never silently
 * dropped.  MINNOWD_NO_SANDBOX=1 turns the whole sandbox off (for
 * debugging with tools that need to see the daemon). */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <cap-ng.h>
#include <seccomp.h>

#include "daemon.h"
#include "sandbox.h"

/* Landlock, written out here: Debian 12's kernel headers stop at ABI 2,
 * and the running kernel decides what is available anyway. */
#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1

#define LL_FS_EXECUTE     (1ULL << 0)
#define LL_FS_WRITE_FILE  (1ULL << 1)
#define LL_FS_READ_FILE   (1ULL << 2)
#define LL_FS_READ_DIR    (1ULL << 3)
#define LL_FS_ABI1_ALL    ((1ULL << 13) - 1)
#define LL_FS_REFER       (1ULL << 13)      /* ABI 2 */
#define LL_FS_TRUNCATE    (1ULL << 14)      /* ABI 3 */
#define LL_FS_IOCTL_DEV   (1ULL << 15)      /* ABI 5 */
#define LL_NET_BIND_TCP    (1ULL << 0)      /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)   /* ABI 6 */
#define LL_SCOPE_SIGNAL               (1ULL << 1)

struct ll_ruleset_attr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;
  uint64_t scoped;
};

struct ll_path_beneath_attr {
  uint64_t allowed_access;
  int32_t parent_fd;
} __attribute__((packed));

/* The programs the daemon may run: each is executable in the sandbox
 * (when installed), nothing else is.  A new helper is added here. */
static const char *const helpers[] = {
  "mke2fs", "e2fsck", "tune2fs", "resize2fs", "debugfs", "dumpe2fs",
  "e2label", "mkfs.fat", "fsck.fat", "mkswap", "wipefs",
  "gzip", "bzip2", "xz", "zstd", "lz4", "lzop",
  NULL
};

/* Read-only trees and files the helpers need: shared libraries, the
 * loader's cache, e2fsprogs' configuration. */
static const char *const readable[] = {
  "/usr/lib", "/usr/lib64", "/lib", "/lib64", "/usr/libexec",
  "/etc/ld.so.cache", "/etc/mke2fs.conf", "/etc/e2fsck.conf",
  "/etc/localtime",
  NULL
};

#define MAX_LAYERS 8

static struct sandbox_layer layers[MAX_LAYERS];
static size_t nr_layers;

static void
record (const char *name, int on, const char *fmt, ...)
  __attribute__((format (printf, 3, 4)));

static void
record (const char *name, int on, const char *fmt, ...)
{
  struct sandbox_layer *l;
  va_list args;

  if (nr_layers >= MAX_LAYERS)
    return;
  l = &layers[nr_layers++];
  l->name = name;
  l->on = on;
  va_start (args, fmt);
  vsnprintf (l->detail, sizeof l->detail, fmt, args);
  va_end (args);
  if (verbose)
    fprintf (stderr, "minnowd: sandbox: %s: %s%s%s\n", name,
             on ? "on" : "NOT ON", l->detail[0] ? ": " : "", l->detail);
}

const struct sandbox_layer *
sandbox_layers (size_t *n_r)
{
  *n_r = nr_layers;
  return layers;
}

static int
write_file (const char *path, const char *content)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  ssize_t len = strlen (content);
  int ok;

  if (fd == -1)
    return -1;
  ok = write (fd, content, len) == len;
  close (fd);
  return ok ? 0 : -1;
}

/* Returns 1 when the daemon is in a user namespace of its own. */
static int
enter_namespaces (void)
{
  uid_t uid = getuid ();
  gid_t gid = getgid ();
  char map[64], why[128] = "";
  int userns = 0;

  if (unshare (CLONE_NEWUSER) == 0) {
    userns = 1;
    /* Keep our own identity inside, and nothing else. */
    write_file ("/proc/self/setgroups", "deny");
    snprintf (map, sizeof map, "%u %u 1\n", (unsigned) uid, (unsigned) uid);
    if (write_file ("/proc/self/uid_map", map) == -1)
      snprintf (why, sizeof why, "uid_map: %m; ");
    snprintf (map, sizeof map, "%u %u 1\n", (unsigned) gid, (unsigned) gid);
    if (write_file ("/proc/self/gid_map", map) == -1)
      snprintf (why + strlen (why), sizeof why - strlen (why),
                "gid_map: %m; ");
  }
  else
    snprintf (why, sizeof why, "no user namespace (%m); ");
  if (unshare (CLONE_NEWIPC | CLONE_NEWNET) == 0)
    record ("namespaces", 1, "%snew network and IPC namespaces", why);
  else
    record ("namespaces", 0, "%sno network/IPC namespace: %m", why);
  return userns;
}

static int
set_limit (int resource, rlim_t value)
{
  struct rlimit rl;

  if (getrlimit (resource, &rl) == 0 && rl.rlim_max != RLIM_INFINITY &&
      rl.rlim_max < value)
    value = rl.rlim_max;
  rl.rlim_cur = rl.rlim_max = value;
  return setrlimit (resource, &rl);
}

/* RLIMIT_NPROC counts every process of the user; only inside a user
 * namespace of our own does it count just the daemon's. */
static void
set_limits (int userns)
{
  int bad = 0;

  bad |= set_limit (RLIMIT_CORE, 0);
  bad |= set_limit (RLIMIT_NOFILE, SANDBOX_MAX_FILES);
  bad |= set_limit (RLIMIT_AS, SANDBOX_MAX_ADDRESS_SPACE);
  if (userns)
    bad |= set_limit (RLIMIT_NPROC, SANDBOX_MAX_PROCESSES);
  if (bad)
    record ("limits", 0, "setrlimit: %m");
  else
    record ("limits", 1, "core 0, %d files, %llu MiB of address space, "
            "%s processes", SANDBOX_MAX_FILES,
            (unsigned long long) SANDBOX_MAX_ADDRESS_SPACE >> 20,
            userns ? "64" : "unbounded (no user namespace)");
}

static int
ll_add (int ruleset, int fd, uint64_t access)
{
  struct ll_path_beneath_attr pb = { .allowed_access = access,
                                     .parent_fd = fd };

  return syscall (__NR_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH,
                  &pb, 0);
}

/* A rule for a path of the host; a missing one is simply not allowed. */
static void
ll_add_path (int ruleset, const char *path, uint64_t access,
             uint64_t handled)
{
  struct stat st;
  int fd = open (path, O_PATH | O_CLOEXEC);

  if (fd == -1)
    return;
  if (fstat (fd, &st) == 0 && !S_ISDIR (st.st_mode))
    access &= LL_FS_EXECUTE | LL_FS_READ_FILE | LL_FS_WRITE_FILE |
      LL_FS_TRUNCATE | LL_FS_IOCTL_DEV;
  if (ll_add (ruleset, fd, access & handled) == -1 && verbose)
    fprintf (stderr, "minnowd: sandbox: landlock rule for %s: %m\n", path);
  close (fd);
}

/* The full path of program, looked up in PATH (and the sbin
 * directories, which an ordinary user's PATH may lack). */
static int
find_program (const char *prog, char *buf, size_t size)
{
  const char *path = getenv ("PATH");
  char *dirs, *dir, *save = NULL;
  int found = 0;

  if (asprintf (&dirs, "%s:/usr/sbin:/sbin:/usr/bin:/bin",
                path ? path : "") == -1)
    return 0;
  for (dir = strtok_r (dirs, ":", &save); dir && !found;
       dir = strtok_r (NULL, ":", &save)) {
    snprintf (buf, size, "%s/%s", dir, prog);
    found = dir[0] == '/' && access (buf, X_OK) == 0;
  }
  free (dirs);
  return found;
}

static void
enter_landlock (void)
{
  struct ll_ruleset_attr attr;
  size_t attr_size;
  uint64_t fs_all;
  int abi, ruleset;
  size_t i;
  char path[4096];

  abi = syscall (__NR_landlock_create_ruleset, NULL, 0,
                 LL_CREATE_RULESET_VERSION);
  if (abi < 1) {
    record ("landlock", 0, "the kernel has no Landlock (%m): the host's "
            "files are NOT out of reach");
    return;
  }
  memset (&attr, 0, sizeof attr);
  fs_all = LL_FS_ABI1_ALL;
  if (abi >= 2)
    fs_all |= LL_FS_REFER;
  if (abi >= 3)
    fs_all |= LL_FS_TRUNCATE;
  if (abi >= 5)
    fs_all |= LL_FS_IOCTL_DEV;
  attr.handled_access_fs = fs_all;
  attr_size = sizeof attr.handled_access_fs;
  if (abi >= 4) {
    attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
    attr_size = offsetof (struct ll_ruleset_attr, scoped);
  }
  if (abi >= 6) {
    attr.scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL;
    attr_size = sizeof attr;
  }
  ruleset = syscall (__NR_landlock_create_ruleset, &attr, attr_size, 0);
  if (ruleset == -1) {
    record ("landlock", 0, "landlock_create_ruleset: %m");
    return;
  }

  /* The drives, through their own descriptors. */
  for (i = 0; i < storage_drive_count (); i++) {
    uint64_t access = LL_FS_READ_FILE | LL_FS_IOCTL_DEV;

    if (!storage_drive_readonly (i))
      access |= LL_FS_WRITE_FILE | LL_FS_TRUNCATE;
    if (ll_add (ruleset, storage_drive_fd (i), access & fs_all) == -1) {
      record ("landlock", 0, "rule for drive %zu: %m", i);
      close (ruleset);
      return;
    }
  }
  for (i = 0; helpers[i]; i++)
    if (find_program (helpers[i], path, sizeof path))
      ll_add_path (ruleset, path, LL_FS_EXECUTE | LL_FS_READ_FILE, fs_all);
  for (i = 0; readable[i]; i++)
    ll_add_path (ruleset, readable[i], LL_FS_READ_FILE | LL_FS_READ_DIR
                 | LL_FS_EXECUTE, fs_all);
  /* The daemon itself: --check-sandbox runs its probes with it. */
  {
    ssize_t n = readlink ("/proc/self/exe", path, sizeof path - 1);
    if (n > 0) {
      path[n] = '\0';
      ll_add_path (ruleset, path, LL_FS_EXECUTE | LL_FS_READ_FILE, fs_all);
    }
  }
  /* e2fsprogs' tools refuse to work on a device unless they can read
   * /proc/mounts and /proc/swaps (each helper's own /proc/PID, so no
   * narrower rule serves).  Reading under /proc shows the host's process
   * list to whoever guesses the pids, but not much else: a file reached
   * through a /proc magic link is judged by its real path, and other
   * processes' memory, descriptors and environment need ptrace access,
   * which Landlock refuses across domains. */
  ll_add_path (ruleset, "/proc", LL_FS_READ_FILE, fs_all);
  /* Helpers' standard input and discarded output; random bytes for
   * UUIDs, temporary names and scrubbing. */
  ll_add_path (ruleset, "/dev/null", LL_FS_READ_FILE | LL_FS_WRITE_FILE,
               fs_all);
  ll_add_path (ruleset, "/dev/urandom", LL_FS_READ_FILE, fs_all);
  ll_add_path (ruleset, "/dev/random", LL_FS_READ_FILE, fs_all);

  if (syscall (__NR_landlock_restrict_self, ruleset, 0) == -1) {
    record ("landlock", 0, "landlock_restrict_self: %m");
    close (ruleset);
    return;
  }
  close (ruleset);
  record ("landlock", 1, "ABI %d: the drives, the helper programs and "
          "shared libraries only%s%s", abi,
          abi >= 4 ? "; no TCP" : "",
          abi >= 6 ? "; no signals or abstract sockets outside" : "");
}

static void
drop_capabilities (void)
{
  capng_clear (CAPNG_SELECT_ALL);
  if (capng_apply (CAPNG_SELECT_ALL) == 0) {
    record ("capabilities", 1, "all dropped, bounding set included");
    return;
  }
  /* Without CAP_SETPCAP the bounding set stays; the rest still goes. */
  capng_clear (CAPNG_SELECT_BOTH);
  if (capng_apply (CAPNG_SELECT_BOTH) == 0)
    record ("capabilities", 1, "all dropped (the bounding set could not "
            "be changed)");
  else
    record ("capabilities", 0, "capng_apply failed");
}

/* What the daemon and its helpers (mke2fs, e2fsck, mkfs.fat, the
 * compressors, ...) call, as measured with strace over the test suite,
 * plus the neighbours glibc may pick instead on another kernel (statx
 * for fstatat, clone3 for clone, ...).  Anything else fails with ENOSYS
 * (so glibc's fallbacks still work and a missed call gives an error, not
 * a dead daemon), and the calls in `forbidden` kill the process. */
static const char *const allowed[] = {
  /* files and descriptors */
  "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv",
  "pwritev", "preadv2", "pwritev2", "lseek", "open", "openat", "creat",
  "close", "close_range", "dup", "dup2", "dup3", "fcntl", "ioctl", "flock",
  "stat", "fstat", "lstat", "newfstatat", "statx", "statfs", "fstatfs",
  "access", "faccessat", "faccessat2", "readlink", "readlinkat",
  "getdents", "getdents64", "getcwd", "chdir", "fchdir",
  "fsync", "fdatasync", "sync", "syncfs", "sync_file_range",
  "truncate", "ftruncate", "fallocate", "fadvise64", "copy_file_range",
  "sendfile", "splice", "tee", "unlink", "unlinkat", "rename", "renameat",
  "renameat2", "mkdir", "mkdirat", "rmdir", "chmod", "fchmod", "fchmodat",
  "fchown", "fchownat", "lchown", "umask", "utimensat", "link", "linkat",
  "symlink", "symlinkat", "getxattr", "lgetxattr", "fgetxattr",
  "listxattr", "llistxattr", "flistxattr", "memfd_create",
  "pipe", "pipe2", "eventfd2", "signalfd", "signalfd4", "poll", "ppoll",
  "select", "pselect6",
  "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait",
  /* memory */
  "mmap", "munmap", "mprotect", "mremap", "madvise", "brk", "mincore",
  /* processes and threads */
  "clone", "clone3", "fork", "vfork", "execve", "execveat", "exit",
  "exit_group", "wait4", "waitid", "kill", "tgkill", "tkill",
  "getpid", "getppid", "gettid", "getuid", "geteuid", "getgid", "getegid",
  "getgroups", "getresuid", "getresgid", "getpgrp", "getpgid", "getsid",
  "setpgid", "setsid", "prctl", "arch_prctl", "set_tid_address",
  "set_robust_list", "get_robust_list", "rseq", "futex", "sched_yield",
  "sched_getaffinity", "getrlimit", "setrlimit", "prlimit64", "getrusage",
  "sysinfo", "uname", "times", "getpriority", "capget", "capset",
  "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self",
  "seccomp",
  /* signals and time */
  "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending",
  "rt_sigtimedwait", "rt_sigsuspend", "sigaltstack", "alarm",
  "setitimer", "getitimer", "pause", "clock_gettime", "clock_getres",
  "clock_nanosleep", "nanosleep", "gettimeofday", "time", "getrandom",
  /* AF_UNIX sockets (socket itself is checked below) */
  "socketpair", "connect", "bind", "listen", "accept", "accept4",
  "sendmsg", "recvmsg", "sendto", "recvfrom", "shutdown", "getsockopt",
  "setsockopt", "getsockname", "getpeername",
  NULL
};

/* Nothing in minnow, its helpers or their libraries makes these: a call
 * means the process is not doing minnow's work any more. */
static const char *const forbidden[] = {
  "ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
  "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree",
  "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
  "unshare", "setns",
  "kexec_load", "kexec_file_load", "reboot",
  "init_module", "finit_module", "delete_module",
  "bpf", "perf_event_open", "userfaultfd",
  "keyctl", "add_key", "request_key",
  "swapon", "swapoff", "acct", "quotactl", "quotactl_fd",
  "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
  "iopl", "ioperm", "personality",
  "open_by_handle_at", "name_to_handle_at",
  "fanotify_init", "lookup_dcookie", "syslog", "vhangup",
  "io_uring_setup", "io_uring_enter", "io_uring_register",
  "sethostname", "setdomainname",
  NULL
};

static int
add_rules (scmp_filter_ctx ctx, const char *const *names, uint32_t action,
           size_t *count)
{
  size_t i;
  int r = 0;

  for (i = 0; names[i] && r == 0; i++) {
    int nr = seccomp_syscall_resolve_name (names[i]);

    if (nr != __NR_SCMP_ERROR) {
      r = seccomp_rule_add (ctx, action, nr, 0);
      ++*count;
    }
  }
  return r;
}

static void
enter_seccomp (void)
{
  scmp_filter_ctx ctx = seccomp_init (SCMP_ACT_ERRNO (ENOSYS));
  size_t nr_allowed = 0, nr_killed = 0;
  int r;

  if (ctx == NULL) {
    record ("seccomp", 0, "seccomp_init failed");
    return;
  }
  r = add_rules (ctx, allowed, SCMP_ACT_ALLOW, &nr_allowed);
  if (r == 0)
    r = add_rules (ctx, forbidden, SCMP_ACT_KILL_PROCESS, &nr_killed);
  /* Sockets: AF_UNIX only. */
  if (r == 0)
    r = seccomp_rule_add (ctx, SCMP_ACT_ALLOW, SCMP_SYS (socket), 1,
                          SCMP_A0 (SCMP_CMP_EQ, AF_UNIX));
  if (r == 0)
    r = seccomp_rule_add (ctx, SCMP_ACT_ERRNO (EAFNOSUPPORT),
                          SCMP_SYS (socket), 1,
                          SCMP_A0 (SCMP_CMP_NE, AF_UNIX));
  if (r == 0)
    r = seccomp_load (ctx);
  seccomp_release (ctx);
  if (r == 0)
    record ("seccomp", 1, "allows %zu system calls, kills on %zu, "
            "refuses the rest (ENOSYS); sockets AF_UNIX only",
            nr_allowed, nr_killed);
  else
    record ("seccomp", 0, "%s", strerror (-r));
}

int
sandbox_enter (void)
{
  const char *off = getenv ("MINNOWD_NO_SANDBOX");

  nr_layers = 0;
  if (off && off[0] && strcmp (off, "0") != 0) {
    record ("sandbox", 0, "turned off by MINNOWD_NO_SANDBOX");
    return 0;
  }
  set_limits (enter_namespaces ());
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0)
    record ("no_new_privs", 1, "%s", "");
  else
    record ("no_new_privs", 0, "prctl: %m");
  enter_landlock ();
  drop_capabilities ();
  enter_seccomp ();
  return 0;
}
