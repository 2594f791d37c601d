/* minnowd: the sandbox (sandbox.c) and its self-check (sandbox-check.c). */

#ifndef MINNOWD_SANDBOX_H
#define MINNOWD_SANDBOX_H

#include <stddef.h>

#define SANDBOX_MAX_FILES 4096
#define SANDBOX_MAX_ADDRESS_SPACE (4ULL << 30)
#define SANDBOX_MAX_PROCESSES 64

/* What one layer of the sandbox became. */
struct sandbox_layer {
  const char *name;
  int on;
  char detail[256];
};

/* Enters every layer it can, after the drives were added (their
 * descriptors get the only filesystem rules for data).  Layers the
 * kernel refuses are recorded (and printed when verbose).  Returns 0. */
int sandbox_enter (void);

/* The layers of the last sandbox_enter, in order. */
const struct sandbox_layer *sandbox_layers (size_t *n_r);

/* minnowd --check-sandbox: enters the sandbox, prints one line per
 * layer, then tries what a compromised daemon would (read and write a
 * host file, TCP and UDP sockets, run /bin/sh, ptrace its parent, raise
 * a capability, mount), each in a child of its own, and prints one line
 * per attempt.  Returns the exit status: 0 when every attempt failed. */
int sandbox_check (const char *self);

/* minnowd --probe=NAME: one attempt, run by sandbox_check inside the
 * sandbox.  Exits 0 when the attempt succeeded, 1 (with the reason on
 * stdout) when it was refused. */
int sandbox_probe (const char *name);

#endif /* MINNOWD_SANDBOX_H */
