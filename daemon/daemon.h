/* minnowd: what the daemon's files share.  See docs/internals.md, "The
 * daemon". */

#ifndef MINNOWD_DAEMON_H
#define MINNOWD_DAEMON_H

#include <stddef.h>
#include <stdint.h>
#include <rpc/types.h>
#include <rpc/xdr.h>

#include "protocol.h"

/* main.c */
extern int verbose;

/* proto.c: the call being served. */
extern uint64_t optargs_bitmask;
extern unsigned proc_nr, serial;

/* Serves one client on sock until it disconnects.  Returns 0 when the
 * client went away cleanly, -1 after a protocol error that ended the
 * connection.  exit_if_stuck: see lifeline_start. */
int serve_connection (int sock, int exit_if_stuck);

/* lifeline.c: watches sock for the client hanging up while a call runs
 * (storage_should_stop then says so); with exit_if_stuck, exits the
 * daemon when the call does not stop within a grace period.  Stopped
 * when the connection ends. */
void lifeline_start (int sock, int exit_if_stuck);
void lifeline_stop (void);
/* The user's cancel (SIGUSR1 from the library): lifeline_init_cancel
 * (first thing in main) blocks the signal and prepares its descriptor;
 * lifeline_call_begin names the call being served (its serial);
 * lifeline_cancelled says whether the user cancelled that call. */
void lifeline_init_cancel (void);
void lifeline_call_begin (unsigned serial);
int lifeline_cancelled (void);

/* Replies.  Each do_X either returns its value, or calls one of the
 * reply_with_* once and returns its error value. */
void reply_with_error_errno (int err, const char *fs, ...)
  __attribute__((format (printf, 2, 3)));
#define reply_with_error(...) reply_with_error_errno (0, __VA_ARGS__)
/* Appends ": strerror (err)". */
void reply_with_perror_errno (int err, const char *fs, ...)
  __attribute__((format (printf, 2, 3)));
#define reply_with_perror(...) reply_with_perror_errno (errno, __VA_ARGS__)
/* Success reply, used by the generated stubs (xdrp NULL: no value). */
void reply (xdrproc_t xdrp, char *ret);

/* FileIn: calls cb for each chunk of the stream.  Returns 0 at its end,
 * -1 on error (cb failed, errno kept; or the client went away), -2 when
 * the client cancelled.  Either way the stream has been read to its end,
 * and do_X still sends one reply. */
int receive_file (int (*cb) (void *opaque, const void *buf, size_t len),
                  void *opaque);
/* The same, and when the data comes from the host file's descriptor
 * (passed with the call), its holes are not read but given to hole_cb
 * (which may be NULL: then they are read as zeroes).  PROGRESS is sent
 * on the fast path (the total is the file's size); on the chunk stream
 * the library reports it. */
/* errno of receive_file and file_in_next when the host file (passed as
 * a descriptor) was truncated during the transfer; reply with
 * HOST_FILE_SHRANK_TEXT and EIO. */
#define HOST_FILE_SHRANK ENODATA
#define HOST_FILE_SHRANK_TEXT "the host file shrank while it was being read"
int receive_file_sparse (int (*cb) (void *opaque, const void *buf,
                                    size_t len),
                         int (*hole_cb) (void *opaque, uint64_t len),
                         void *opaque);
/* A FileIn read piece by piece (for libarchive): file_in_begin once,
 * then file_in_next until it returns 0 (the end), -1 (errno) or -2
 * (the client cancelled); data stays valid until the next call.
 * file_in_end always, last: it stops and drains a stream not read to
 * its end.  PROGRESS as with receive_file_sparse. */
int file_in_begin (void);
int file_in_next (const void **data, size_t *len);
void file_in_end (void);
/* do_X of a FileIn action failing before receive_file: drains the
 * stream (after telling the client to stop). */
int cancel_receive (void);

/* FileOut: after reply (NULL, NULL) (or reply with the ret), send the
 * data and end with send_file_end (0); send_file_end (1) cancels.
 * send_file_write returns 0, -1 on error, -2 when the client cancelled
 * (a cancel chunk has then been sent: do_X just returns -1). */
int send_file_write (const void *buf, size_t len);
int send_file_end (int cancel);
/* Called by the generated stub of every FileOut action before do_X:
 * when the host file's descriptor came with the call, the data goes
 * straight to it (aligned zero blocks of a regular file become holes),
 * do_X's reply (NULL, NULL) is held back until send_file_end (0), and
 * an error on the way (including the client's cancel: EINTR) is sent as
 * the call's error reply.  do_X is written the same for both paths. */
void file_out_prepare (void);
int file_out_is_fd (void);

/* Progress of the current call, rate-limited. */
void notify_progress (uint64_t position, uint64_t total);

/* The descriptor passed with this call (SCM_RIGHTS), or -1.  The caller
 * owns it; one not taken is closed after the call. */
int received_fd (void);

/* Drives, device names, partitions, mounts: storage/storage.h. */
#include "storage.h"

/* The generated dispatcher (stubs.c): decodes the args of proc_nr from
 * xdr_in, calls do_X, replies. */
void dispatch_incoming_message (XDR *xdr_in);

#endif /* MINNOWD_DAEMON_H */
