/* libminnow: what the hand-written library files and the generated client
 * stubs share.  Not installed.  The calling sequence of a generated stub
 * is in docs/internals.md, "The library". */

#ifndef MINNOW_INTERNAL_H
#define MINNOW_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "minnow.h"
#include "protocol.h"

struct command;

enum minnow_state { STATE_CONFIG, STATE_LAUNCHING, STATE_READY, STATE_BUSY };

enum drive_discard { DISCARD_DISABLE, DISCARD_ENABLE, DISCARD_BESTEFFORT };

struct drive {
  char *filename;               /* as given; "scratch" for scratch drives */
  char *label;                  /* NULL if none */
  int readonly;
  int scratch_fd;               /* scratch drives: the unlinked temp file */

  /* Non-raw and NBD drives reach the daemon through a FUSE file
   * (fuse-drive.c); a raw file drive has format == NULL and nbd_server
   * == NULL, and none of the rest is used. */
  char *format;                 /* qemu's format name; NULL: raw */
  char *nbd_server;             /* protocol nbd: "unix:PATH" or "tcp:H:P" */
  char *exportname;             /* protocol nbd: NULL for the default */
  int cache_unsafe;
  enum drive_discard discard;
  int copyonread;

  /* While launching and while the daemon runs. */
  struct command *qemu_cmd;     /* qemu-nbd (file drives) */
  int qemu_err_fd;              /* its stderr, -1 once at end of file */
  struct command *fuse_cmd;     /* nbdfuse */
  int fuse_err_fd;              /* its stderr, -1 once at end of file */
  char *fuse_dir;               /* the private directory, until removed */
  int fuse_mounted;             /* fuse_dir/disk is still attached */
  int fuse_fd;                  /* the opened FUSE file, until passed */
  int server_no_trim;           /* protocol nbd: the server has no trim */
  int nbd_sock;                 /* the daemon's own connection to qemu-nbd
                                   (file drives), until passed; or -1 */
};

struct event_cb {
  uint64_t bitmask;             /* 0: a deleted slot */
  minnow_event_callback cb;
  void *opaque;
  int flags;
};

struct pda_entry {
  char *key;
  void *data;
};

struct backend_ops;

struct minnow_h {
  struct minnow_h *next;        /* the list of open handles (atexit) */
  unsigned create_flags;
  volatile enum minnow_state state;

  int trace, verbose, autosync;
  char *backend;                /* "local" or "unix:PATH" */

  /* Every public call holds this recursive lock for its whole run, so
   * that several threads can share the handle (calls serialize) and an
   * event callback can call back into the handle from the same thread.
   * Not taken by user_cancel, last_error and last_errno. */
  pthread_mutex_t lock;

  /* The last error and the error handler stack are each thread's own
   * (errors.c); error_cb is the handler of threads that set none. */
  pthread_mutex_t error_lock;   /* guards the list, a leaf lock */
  struct minnow_error_data *error_data;
  minnow_error_handler_cb error_cb;
  void *error_cb_data;
  minnow_abort_cb abort_cb;

  struct event_cb *events;
  size_t nr_events;
  int in_callback;              /* depth of event callbacks running */

  struct pda_entry *pda;
  size_t nr_pda;
  size_t pda_next;              /* iterator of first/next_private */

  struct drive *drives;
  size_t nr_drives;

  char *const_string;           /* ConstString results owned by the handle */
  FILE *test_fp;                /* internal_test_set_output's file, or NULL */

  /* The connection to the daemon (state != CONFIG). */
  const struct backend_ops *ops;
  struct command *cmd;          /* local: the daemon's command object */
  pid_t pid;                    /* local: the daemon, or 0 */
  pid_t cancel_pid;             /* the daemon user_cancel signals, or 0 */
  int exit_status;              /* wait status of the last daemon, or -1 */
  int sock;                     /* -1 when not connected */
  int stderr_fd;                /* local: the daemon's stderr, or -1 */
  char stderr_tail[512];        /* its last bytes, for error messages */
  size_t stderr_tail_len;
  struct minnow_rbuf rbuf;
  char *wbuf;                   /* encoding buffer, MINNOW_RBUF_SIZE */
  unsigned serial;
  volatile sig_atomic_t user_cancel;


  /* Properties (properties.c).  NULL strings mean "the default". */
  char *int_tmpdir, *env_tmpdir;     /* set_tmpdir; MINNOW_TMPDIR */
  char *int_cachedir, *env_cachedir; /* set_cachedir; MINNOW_CACHEDIR */
  char *identifier;                  /* never NULL; "" when unset */
  char *program;                     /* never NULL */
  char **backend_settings;           /* NULL-terminated, never NULL */
  char *path;                        /* NULL: the default */
  char *hv;                          /* never NULL */
  char *append;                      /* may be NULL */
  int memsize, smp, network, recovery_proc, pgroup;
  /* A transfer through a passed descriptor is running in the daemon:
   * the wait for the reply watches user_cancel and sends the cancel flag
   * (once). */
  int transfer_fd_active;
  int transfer_cancel_sent;
};

/* A backend: how the daemon is reached. */
struct backend_ops {
  const char *name;
  /* Makes g->sock (and for local g->pid, g->stderr_fd); error set on -1. */
  int (*launch) (minnow_h *g, const char *arg);
  /* Tears the connection down and reaps; may be called twice. */
  void (*shutdown) (minnow_h *g, int *exit_status);
};
extern const struct backend_ops minnow_backend_local;
extern const struct backend_ops minnow_backend_unix;

/* cancel.c: asks the local daemon to stop the running call (SIGUSR1);
 * async-signal-safe, for minnow_user_cancel. */
void minnow_int_cancel_daemon (minnow_h *g);

/* errors.c */
struct error_handler_save { minnow_error_handler_cb cb; void *data; };
struct minnow_error_data {
  struct minnow_error_data *next;
  pthread_t thread;
  char *last_error;
  int last_errnum;
  int have_cb;                  /* the thread set its own handler */
  minnow_error_handler_cb cb;
  void *cb_data;
  struct error_handler_save *stack;  /* push/pop, innermost last */
  size_t nr_stack;
};
struct minnow_error_data *minnow_int_error_data (minnow_h *g);
void minnow_int_free_error_data (minnow_h *g);
/* Runs fn without calling the thread's error handler, keeping the
 * thread's last error as it was before. */
struct minnow_saved_error { char *msg; int errnum; int have_cb; minnow_error_handler_cb cb; void *cb_data; };
void minnow_int_quiet_errors_begin (minnow_h *g, struct minnow_saved_error *s);
void minnow_int_quiet_errors_end (minnow_h *g, struct minnow_saved_error *s);

/* handle.c: the handle lock, held for the current scope. */
minnow_h *minnow_int_lock (minnow_h *g);
void minnow_int_unlock_cleanup (minnow_h **gp);
#define MINNOW_LOCK_FOR_SCOPE(g) \
  minnow_h *minnow_int_scope_lock_ __attribute__((cleanup (minnow_int_unlock_cleanup), unused)) \
    = minnow_int_lock (g)
void minnow_int_default_error_handler (minnow_h *g, void *opaque,
                                      const char *msg);
void minnow_int_error_errno (minnow_h *g, int errnum, const char *fs, ...)
  __attribute__((format (printf, 3, 4)));
#define minnow_int_error(g, ...) minnow_int_error_errno ((g), 0, __VA_ARGS__)
void minnow_int_perrorf (minnow_h *g, const char *fs, ...)
  __attribute__((format (printf, 2, 3)));
void *minnow_int_safe_malloc (minnow_h *g, size_t n);
void *minnow_int_safe_calloc (minnow_h *g, size_t n, size_t s);
void *minnow_int_safe_realloc (minnow_h *g, void *p, size_t n);
char *minnow_int_safe_strdup (minnow_h *g, const char *s);
char *minnow_int_safe_strndup (minnow_h *g, const char *s, size_t n);
void *minnow_int_safe_memdup (minnow_h *g, const void *p, size_t n);
char *minnow_int_safe_asprintf (minnow_h *g, const char *fs, ...)
  __attribute__((format (printf, 2, 3)));

/* events.c */
void minnow_int_call_callbacks_void (minnow_h *g, uint64_t event);
void minnow_int_call_callbacks_message (minnow_h *g, uint64_t event,
                                        const char *buf, size_t buf_len);
void minnow_int_call_callbacks_array (minnow_h *g, uint64_t event,
                                      const uint64_t *array, size_t len);
int minnow_int_has_callback (minnow_h *g, uint64_t event);
/* Debug message: LIBRARY event, or stderr, only when verbose. */
void minnow_int_debug (minnow_h *g, const char *fs, ...)
  __attribute__((format (printf, 2, 3)));
#define debug(g, ...) \
  do { if ((g)->verbose) minnow_int_debug ((g), __VA_ARGS__); } while (0)

/* trace.c: the ENTER event and trace lines. */
void minnow_int_enter (minnow_h *g, const char *name);
void minnow_int_trace (minnow_h *g, const char *fs, ...)
  __attribute__((format (printf, 2, 3)));
void minnow_int_trace_call (minnow_h *g, const char *name, const char *fs, ...)
  __attribute__((format (printf, 3, 4)));
void minnow_int_trace_return (minnow_h *g, const char *name,
                              const char *fs, ...)
  __attribute__((format (printf, 3, 4)));
/* Renderings of arguments for trace lines (caller frees). */
char *minnow_int_trace_quote (minnow_h *g, const char *str);
char *minnow_int_trace_quote_list (minnow_h *g, char *const *list);

/* proto.c: the calling sequence of a daemon action. */
int minnow_int_check_ready (minnow_h *g, const char *name);
int minnow_int_send (minnow_h *g, int proc, unsigned progress_hint,
                     uint64_t optargs_bitmask, xdrproc_t xdrp, char *args);
int minnow_int_send_with_fd (minnow_h *g, int proc, unsigned progress_hint,
                             uint64_t optargs_bitmask, int fd,
                             xdrproc_t xdrp, char *args);
int minnow_int_recv (minnow_h *g, const char *name,
                     minnow_message_header *hdr, minnow_message_error *err,
                     xdrproc_t xdrp, char *ret);
int minnow_int_check_reply_header (minnow_h *g,
                                   const minnow_message_header *hdr,
                                   unsigned proc, unsigned serial);
void minnow_int_reply_error (minnow_h *g, const char *name,
                             minnow_message_error *err);

/* FileIn and FileOut as the generated stubs use them (see
 * docs/internals.md, "Transfers").  file_in_open opens the host file
 * before the call; *pass_r says whether its descriptor goes with the
 * call (a regular file, unless MINNOW_NO_FD_TRANSFER is set).
 * file_in_send, after the call: on the fast path only closes fd; else
 * streams it (and closes it), with PROGRESS events.  0, -1 (error set;
 * a stream was cancelled and the daemon's reply read), or -2 (the
 * daemon cancelled the stream: read its reply, which says why). */
int minnow_int_file_in_open (minnow_h *g, const char *filename, int *pass_r);
int minnow_int_file_in_send (minnow_h *g, int fd, int pass, int proc,
                             unsigned serial, const char *filename);
/* file_out_open opens (creating, not truncating) the host file;
 * *created_r says whether it did not exist.  file_out_finish, after an
 * OK reply: on the fast path nothing is left to do; else truncates and
 * receives the stream.  file_out_close closes fd and, when the call
 * failed and the file was created by file_out_open, removes it;
 * returns -1 (error set) only when closing a file after success failed. */
int minnow_int_file_out_open (minnow_h *g, const char *filename, int *pass_r,
                              int *created_r);
int minnow_int_file_out_finish (minnow_h *g, int fd, int pass,
                                const char *filename);
int minnow_int_file_out_close (minnow_h *g, int fd, int failed, int created,
                               const char *filename);
void minnow_int_end_busy (minnow_h *g);
/* Waits for the launch flag (timeout in ms); -1 and error set. */
int minnow_int_wait_launch_flag (minnow_h *g, int timeout_ms);
/* Reads whatever the daemon wrote on stderr without blocking. */
void minnow_int_drain_stderr (minnow_h *g);

/* launch.c */
int minnow_int_shutdown (minnow_h *g, int check_errors);
/* The daemon went away: reap it, fire SUBPROCESS_QUIT, back to CONFIG.
 * The caller sets the error. */
void minnow_int_daemon_gone (minnow_h *g);
const char *minnow_int_daemon_path (void);
int64_t minnow_int_now_ns (void);

/* properties.c */
/* Sets the defaults of the properties; 0, or -1 when out of memory. */
int minnow_int_init_properties (minnow_h *g);
void minnow_int_free_properties (minnow_h *g);
/* The directory for temporary files (never NULL). */
const char *minnow_int_tmpdir (minnow_h *g);
/* The availability groups of api.def, NULL-terminated (actions.c). */
extern const char *const minnow_int_availability_groups[];

/* A warning: WARNING event, or stderr without a callback. */
void minnow_int_warning (minnow_h *g, const char *fs, ...)
  __attribute__((format (printf, 2, 3)));

/* drives.c */
void minnow_int_free_drives (minnow_h *g);
/* Whether drive i reaches the daemon through nbdfuse. */
int minnow_int_drive_needs_fuse (const struct drive *d);

/* fuse-drive.c: a FUSE file per non-raw or NBD drive.  start_all
 * starts nbdfuse for every such drive at once, then waits until each
 * is ready, opens its file and detaches its mount; -1 and error set
 * (everything started is stopped again).  stop_all waits (up to a
 * grace time, then kills) for what start_all left running, which ends
 * once the daemon has closed the files.  check_tools is add_drive's
 * early check that the programs and /dev/fuse exist. */
int minnow_int_fuse_start_all (minnow_h *g);
void minnow_int_fuse_stop_all (minnow_h *g);
int minnow_int_fuse_check_tools (minnow_h *g, const char *name,
                                 const struct drive *d);
/* Whether name is an executable on $PATH. */
int minnow_int_find_program (const char *name);
/* After a failed call: NULL, or (caller frees) a note naming the drives
 * whose nbdfuse/qemu-nbd chain has died, with what it said. */
char *minnow_int_fuse_dead_note (minnow_h *g, int errnum);

/* qemu.c: qemu-img, run under resource limits. */
/* A qemu-img command with the limits set; add the arguments. */
struct command *minnow_int_qemu_img_new (void);
/* Runs it; stdout into *out (caller frees) if out; -1 and error set
 * (qemu-img's own message) on failure.  Does not free cmd. */
int minnow_int_qemu_img_run (minnow_h *g, const char *name,
                             const char *filename, struct command *cmd,
                             char **out);
/* The JSON of `qemu-img info` as a json_object (opaque here), or NULL
 * and error set (ENOENT for a missing file, EINVAL for what qemu-img
 * refuses).  Free with minnow_int_qemu_info_free. */
void *minnow_int_qemu_info (minnow_h *g, const char *name,
                            const char *filename, const char *format);
void minnow_int_qemu_info_free (void *info);
/* The probed format of filename, or NULL and error set (caller frees). */
int minnow_int_qemu_looks_raw (const char *filename);
char *minnow_int_qemu_probe_format (minnow_h *g, const char *name,
                                    const char *filename);
/* Whether minnow knows format as a qemu block format. */
int minnow_int_qemu_known_format (const char *format);
/* A host path that qemu cannot take for a protocol or JSON prefix. */
char *minnow_int_qemu_safe_path (minnow_h *g, const char *filename);
/* Opens drive i for the daemon (O_CLOEXEC), -1 + error on failure. */
int minnow_int_open_drive (minnow_h *g, size_t i);
/* Drive i's connected socket to its qemu-nbd, for the daemon's own NBD
 * connection (the caller owns it), or -1 when it has none. */
int minnow_int_drive_nbd_socket (minnow_h *g, size_t i);
/* Whether a discard on drive d reaches its image: discard "besteffort"
 * or "enable", on a raw or qcow2 image or an NBD server. */
int minnow_int_drive_discards (const struct drive *d);

#endif /* MINNOW_INTERNAL_H */
