/* Helpers shared by the raw-protocol tests (test-protocol, test-fuzz):
 * spawn minnowd on one end of a socketpair through the spawning core,
 * send hand-made calls, read replies, reap the daemon.  Every wait is
 * bounded by PROTO_TIMEOUT_MS. */

#ifndef MINNOW_TESTS_PROTOCOL_HELPERS_H
#define MINNOW_TESTS_PROTOCOL_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include "protocol.h"
#include "command.h"

/* No wait may take longer than this. */
#define PROTO_TIMEOUT_MS 10000

struct daemon {
  struct command *cmd;
  int sock;
  int err_fd;
  struct minnow_rbuf rbuf;
};

/* Starts `PATH --drives=N --socket=3+N` with drives[0..N-1] as its
 * descriptors 3 … (kept open here) and waits for the launch flag.
 * Returns 0, or -1 when the flag did not come; bails out of the whole
 * test when the daemon cannot be spawned. */
int daemon_start (struct daemon *d, const char *path,
                  const int *drives, int nr_drives);

/* Closes our end and waits for the daemon to exit (its stderr reaching
 * end of file).  Returns the raw wait status, or -1 when it hung. */
int daemon_stop (struct daemon *d);

int send_bytes (struct daemon *d, const void *buf, size_t len);
int send_call (struct daemon *d, unsigned prog, unsigned vers, int proc,
               int direction, uint64_t bitmask, xdrproc_t xdrp, void *args);

/* Waits for the next reply.  Returns 1 with *status and the error's
 * errno name filled, 0 at end of stream, -1 on timeout or garbage. */
int read_reply (struct daemon *d, int *status, char *errno_name, size_t n);

void put32 (char *p, uint32_t v);

#endif /* MINNOW_TESTS_PROTOCOL_HELPERS_H */
