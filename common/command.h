/* minnow: the spawning core.
 *
 * Every child process minnow starts goes through this object: the
 * library starting minnowd, the daemon starting mke2fs or e2fsck, the
 * tests.  Nothing else in the tree may call system(), popen() or fork+exec.
 *
 * Usage: build a command with command_new*, describe the child with the
 * setters, then command_run (synchronous) or command_run_async +
 * command_wait / command_abort, then command_free.  Setters never fail:
 * the first error (out of memory, a bad argument, a program that cannot be
 * found) is remembered and reported by command_run / command_run_async,
 * which return -1; command_get_error then says what went wrong.
 *
 * A command object is not itself thread-safe, but many threads may each
 * use their own command objects at the same time.
 */

#ifndef MINNOW_COMMAND_H
#define MINNOW_COMMAND_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

struct command;

/* Construction.  A bare name (no '/') is looked up on $PATH when the
 * command runs; a program that does not exist or is not executable is an
 * error naming it. */
struct command *command_new (const char *binary);
struct command *command_new_argv (const char *const *argv);
struct command *command_new_args (const char *binary, ...)
  __attribute__((sentinel));

/* Arguments. */
void command_add_arg (struct command *cmd, const char *arg);
void command_add_arg_pair (struct command *cmd, const char *name,
                          const char *value);          /* name=value */
void command_add_arg_format (struct command *cmd, const char *fmt, ...)
  __attribute__((format (printf, 2, 3)));
void command_add_arg_set (struct command *cmd, const char *const *args);
void command_add_arg_list (struct command *cmd, ...)
  __attribute__((sentinel));
void command_add_arg_list_va (struct command *cmd, va_list args);

/* Environment.  The child inherits the parent's environment until any
 * of these is called; from then on it gets only what was added. */
void command_add_env_pass_common (struct command *cmd);
void command_add_env_pass (struct command *cmd, const char *name);
enum command_setuid_policy {
  COMMAND_SETUID_ALLOW,       /* pass the value even when we run setuid */
  COMMAND_SETUID_DEFAULT,     /* when setuid, pass the safe default instead */
  COMMAND_SETUID_DROP,        /* when setuid, do not pass it at all */
};
void command_add_env_pass_policy (struct command *cmd, const char *name,
                                  enum command_setuid_policy policy,
                                  const char *safe_default);
void command_add_env_pair (struct command *cmd, const char *name,
                           const char *value);
void command_add_env_string (struct command *cmd, const char *name_eq_value);
void command_add_env_format (struct command *cmd, const char *fmt, ...)
  __attribute__((format (printf, 2, 3)));
void command_clear_env (struct command *cmd);

/* Standard I/O.  Without a setter, stdin is /dev/null and stdout/stderr
 * are inherited.  Buffers given to set_output_buffer/set_error_buffer are
 * filled (NUL-terminated, caller frees) when command_run returns; passing
 * the same pointer to both interleaves the two streams in one buffer.
 * set_*_pipe returns, at run time, the parent's end of a new pipe. */
void command_set_input_buffer (struct command *cmd, const char *buf,
                               size_t len);
void command_set_input_fd (struct command *cmd, int fd);
void command_set_output_buffer (struct command *cmd, char **buf, size_t *len);
void command_set_error_buffer (struct command *cmd, char **buf, size_t *len);
void command_set_output_fd (struct command *cmd, int fd);
void command_set_error_fd (struct command *cmd, int fd);
void command_set_output_pipe (struct command *cmd, int *fd_r);
void command_set_error_pipe (struct command *cmd, int *fd_r);
void command_set_input_pipe (struct command *cmd, int *fd_w);
void command_set_nonblocking_pipes (struct command *cmd);

/* File descriptors.  Every descriptor not passed is closed in the child.
 * With renumber, the passed fds become 3, 4, … in the child, in the order
 * they were passed. */
#define COMMAND_PASS_FD_CLOSE_PARENT 1
void command_pass_fd (struct command *cmd, int fd, unsigned flags);
void command_set_renumber_fds (struct command *cmd);

/* Limits and credentials (applied in the child, in this order). */
void command_set_max_files (struct command *cmd, unsigned long long n);
void command_set_max_processes (struct command *cmd, unsigned long long n);
void command_set_max_memory (struct command *cmd, unsigned long long bytes);
void command_set_max_core (struct command *cmd, unsigned long long bytes);
void command_set_umask (struct command *cmd, mode_t mask);
void command_set_uid (struct command *cmd, uid_t uid);
void command_set_gid (struct command *cmd, gid_t gid);
void command_clear_caps (struct command *cmd);
void command_allow_cap (struct command *cmd, int capability);
void command_set_working_directory (struct command *cmd, const char *dir);

/* Process group: the child becomes the leader of a new process group, so
 * a terminal's Ctrl-C (SIGINT to the foreground group) does not reach it. */
void command_set_new_pgroup (struct command *cmd);

/* The pre-exec hook runs in the child after every other setup step; it
 * must be async-signal-safe.  A non-zero return stops the exec and makes
 * command_run / command_run_async fail with the hook's return value. */
typedef int (*command_hook) (void *opaque);
void command_set_pre_exec (struct command *cmd, command_hook hook,
                           void *opaque);

/* Handshake: after the hook, the child tells the parent it is ready and
 * waits for the parent's go before exec.  With a handshake, use
 * command_run_async, then command_handshake_wait, then
 * command_handshake_notify. */
void command_require_handshake (struct command *cmd);
int command_handshake_wait (struct command *cmd);
int command_handshake_notify (struct command *cmd);

/* Daemonize: the program runs as a session leader in "/", reparented
 * to init; the pidfile (if set) holds its pid when command_run returns. */
void command_daemonize (struct command *cmd);
void command_set_pidfile (struct command *cmd, const char *path);

/* Running.  command_run: with exitstatus == NULL a non-zero exit is an
 * error; otherwise the exit status is stored (a death by signal is an
 * error unless command_raw_status was called, in which case *exitstatus
 * is the raw wait status). */
void command_raw_status (struct command *cmd);
int command_run (struct command *cmd, int *exitstatus);
int command_run_async (struct command *cmd, pid_t *pid);
int command_wait (struct command *cmd, int *exitstatus);
void command_abort (struct command *cmd);
pid_t command_get_pid (const struct command *cmd);

/* Interruption, for the whole process: while command_wait waits for a
 * child, it asks check() every 50 ms; when check() returns non-zero the
 * child is killed (SIGKILL) and command_wait fails with errno EINTR and
 * an error saying it was interrupted.  NULL (the default) waits without
 * asking.  check must be cheap and thread-safe. */
void command_set_interrupt_check (int (*check) (void));

/* The first error, or NULL.  Owned by cmd. */
const char *command_get_error (const struct command *cmd);

/* Kills (SIGKILL) and reaps a still-running async child, frees. */
void command_free (struct command *cmd);

/* Shell-quoted, safe to paste: env assignments then argv.  Caller frees. */
char *command_to_string (struct command *cmd);
/* Writes the same line followed by '\n' to fd. */
void command_write_arg_log (struct command *cmd, int fd);

/* Dry run (tests): while a callback is installed nothing is spawned;
 * command_run calls it with argv, envp (NULL: inherited) and input
 * (NULL: none), and it fills *output / *error (malloc'd, may stay NULL)
 * and *status (the exit status). */
typedef void (*command_dry_run_cb) (const char *const *argv,
                                    const char *const *envp,
                                    const char *input,
                                    char **output, char **error,
                                    int *status, void *opaque);
void command_set_dry_run (command_dry_run_cb cb, void *opaque);

#endif /* MINNOW_COMMAND_H */
