/* minnow: the wire protocol shared by the library and the daemon.
 *
 * The records themselves (message header, error, chunk, progress) and the
 * per-procedure args/ret structs are described in the generated
 * protocol.x, compiled by rpcgen into protocol_xdr.[ch].  This file adds
 * what XDR does not do: framing (a 4-byte big-endian length before each
 * message, or a flag word in its place), buffered reading with descriptors
 * received through SCM_RIGHTS, and sending with an optional descriptor.
 * See docs/internals.md, "The protocol".
 */

#ifndef MINNOW_PROTOCOL_H
#define MINNOW_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <rpc/types.h>
#include <rpc/xdr.h>

#include "protocol_xdr.h"
#include "errnostring.h"

/* Size of the length word in front of every message. */
#define MINNOW_LENGTH_SIZE 4
/* The fixed part of a chunk: length word, cancel, data length. */
#define MINNOW_CHUNK_HEADER_SIZE 12
/* The progress flag and the XDR minnow_progress record after it. */
#define MINNOW_PROGRESS_SIZE 28
/* Largest item the reader can hold: one message of the largest size. */
#define MINNOW_RBUF_SIZE (MINNOW_LENGTH_SIZE + MINNOW_MESSAGE_MAX)

/* What minnow_rbuf_next found at the front of the stream. */
enum minnow_wire_kind {
  MINNOW_WIRE_MESSAGE,          /* a framed message (XDR, length excluded) */
  MINNOW_WIRE_LAUNCH,           /* the daemon's launch flag */
  MINNOW_WIRE_PROGRESS,         /* a progress record (24 bytes of XDR) */
  MINNOW_WIRE_CANCEL,           /* the peer cancels a file transfer */
};

#define MINNOW_RBUF_MAX_FDS 8

/* A buffered reader on one stream socket.  One recvmsg usually brings a
 * whole message, so a round trip costs one read on each side. */
struct minnow_rbuf {
  char *data;
  size_t start, end, cap;
  int fds[MINNOW_RBUF_MAX_FDS]; /* received with SCM_RIGHTS, oldest first */
  size_t nr_fds;
};

int minnow_rbuf_init (struct minnow_rbuf *rb);
/* Closes descriptors nobody took, frees the buffer. */
void minnow_rbuf_free (struct minnow_rbuf *rb);
/* Forgets buffered bytes and descriptors (after a reconnection). */
void minnow_rbuf_reset (struct minnow_rbuf *rb);
/* Whether bytes are waiting in the buffer. */
int minnow_rbuf_pending (const struct minnow_rbuf *rb);

/* One recvmsg into the free space (flags: 0 or MSG_DONTWAIT).  Returns
 * the number of bytes read, 0 at end of stream, -1 with errno set. */
ssize_t minnow_rbuf_fill (struct minnow_rbuf *rb, int sock, int flags);

/* Waits up to spin_us microseconds, without sleeping, for sock to have
 * bytes (or its end) to read: 1 when it has, 0 when the time is up.
 * Each side of a call waits for the other: a side that is asleep must
 * be woken, which costs a cross-CPU interrupt (tens of microseconds in
 * a virtual machine), while one that polls for a moment picks the
 * message up at once.  Does nothing (0) on a machine with one CPU,
 * where polling would only delay the other side. */
int minnow_spin_readable (int sock, unsigned spin_us);
/* How long each side polls: $MINNOW_SPIN_US (0 turns it off, at most
 * 10000), else MINNOW_SPIN_US_DEFAULT.  Read once. */
#define MINNOW_SPIN_US_DEFAULT 200
unsigned minnow_spin_us (void);

/* Takes the next complete item from the buffer.  Returns 1 and sets
 * *kind, *msg, *len (msg points into the buffer and stays valid until
 * the next fill); 0 when more bytes are needed; -1 when the length word
 * exceeds MINNOW_MESSAGE_MAX (errno EMSGSIZE, *len set to it). */
int minnow_rbuf_next (struct minnow_rbuf *rb, enum minnow_wire_kind *kind,
                      const char **msg, uint32_t *len);

/* Without blocking: whether the peer sent a cancel flag (it is then
 * taken).  Progress records in front of it go to progress_cb when it is
 * not NULL; anything else (a message, EOF, an error) is left for the
 * caller's next read, and the answer is 0. */
int minnow_rbuf_poll_cancel (struct minnow_rbuf *rb, int sock,
                             void (*progress_cb) (void *opaque,
                                                  const char *rec),
                             void *opaque);

/* The oldest descriptor received and not yet taken, or -1. */
int minnow_rbuf_take_fd (struct minnow_rbuf *rb);

/* Encodes a whole message (length word, header, body) into buf.  body_proc
 * may be NULL for a message with no body.  Returns the total size, or 0
 * when it does not fit in cap or exceeds MINNOW_MESSAGE_MAX. */
size_t minnow_encode_message (char *buf, size_t cap,
                              minnow_message_header *hdr,
                              xdrproc_t body_proc, const void *body);

/* Decodes the header at the front of msg.  Returns the XDR position of
 * the body, or -1 when the header cannot be decoded. */
int minnow_decode_header (const char *msg, uint32_t len,
                          minnow_message_header *hdr);

/* Decodes a body (args, ret, or minnow_message_error) that starts at
 * offset pos of msg.  Returns 0, or -1 when it does not decode or leaves
 * bytes over.  On failure the partly decoded body is freed. */
int minnow_decode_body (const char *msg, uint32_t len, unsigned pos,
                        xdrproc_t body_proc, void *body);

/* Writes all of buf; when fd >= 0 it travels with the first byte.
 * Never raises SIGPIPE.  Returns 0 or -1 with errno set. */
int minnow_send_all (int sock, const void *buf, size_t len, int fd);

/* Sends one chunk of a file stream (len == 0 ends it). */
int minnow_send_chunk (int sock, int cancel, const void *data, size_t len);

/* Decodes a chunk message.  Returns 0, or -1 when it is malformed. */
int minnow_decode_chunk (const char *msg, uint32_t len, int *cancel,
                         const char **data, size_t *data_len);

/* Sends a flag word alone (launch, cancel). */
int minnow_send_flag (int sock, uint32_t flag);

/* Sends a progress flag and record. */
int minnow_send_progress (int sock, unsigned proc, unsigned serial,
                          uint64_t position, uint64_t total);

/* Decodes the record after a progress flag into
 * array[4] = { proc, serial, position, total }. */
void minnow_decode_progress (const char *rec, uint64_t array[4]);

#endif /* MINNOW_PROTOCOL_H */
