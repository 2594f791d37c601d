/* minnow(1): --listen and --remote (remote.c), and what they use of the
 * rest of the shell (minnow.c). */

#ifndef MINNOW_SHELL_REMOTE_H
#define MINNOW_SHELL_REMOTE_H

#include "minnow.h"

/* Starts `minnowd --listen` on the images FILES (NULL-terminated; file i
 * opened read-only when readonly[i]) in the background and prints
 * MINNOW_PID=N; export MINNOW_PID.  The daemon's pid in *pid_r. */
int remote_listen (char **files, const int *readonly, long *pid_r);

/* Connects to the daemon of --listen (PID, else $MINNOW_PID) with the
 * unix: backend, restores the mounts of the previous session, runs the
 * commands (argv, else the script, else stdin), saves the mounts. */
int remote_session (const char *pid, int argc, char *argv[],
                    const char *script);

/* minnow.c */
int shell_run_commands (int argc, char *argv[], const char *script);
minnow_h *shell_new_handle (void);

#endif /* MINNOW_SHELL_REMOTE_H */
