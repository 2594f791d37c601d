/* Fuzz target: the protocol decoders the daemon and the library run on
 * bytes from the other side.
 *
 * The input is a byte stream as it would arrive on the socket: framed
 * messages, flags and progress records.  Each message's header is
 * decoded; a call's arguments are decoded with its procedure's XDR
 * decoder (every procedure, through the table procs.h that the
 * Makefile derives from protocol_xdr.h), replies' error records and
 * file chunks likewise.  Decoders must reject what is malformed, never
 * crash or read out of bounds (AddressSanitizer). */

#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "protocol.h"

struct proc_decoder {
  unsigned proc;
  xdrproc_t args;
  size_t size;
};

static const struct proc_decoder decoders[] = {
#include "procs.h"
};

#define NR_DECODERS (sizeof decoders / sizeof decoders[0])

static void
decode_message (const char *msg, uint32_t len)
{
  minnow_message_header hdr;
  int pos = minnow_decode_header (msg, len, &hdr);
  size_t i;

  if (pos == -1)
    return;
  if (hdr.direction == MINNOW_DIRECTION_REPLY &&
      hdr.status == MINNOW_STATUS_ERROR) {
    minnow_message_error err;

    memset (&err, 0, sizeof err);
    if (minnow_decode_body (msg, len, pos,
                            (xdrproc_t) xdr_minnow_message_error,
                            (char *) &err) == 0)
      xdr_free ((xdrproc_t) xdr_minnow_message_error, (char *) &err);
    return;
  }
  for (i = 0; i < NR_DECODERS; i++)
    if (decoders[i].proc == (unsigned) hdr.proc) {
      char *args = calloc (1, decoders[i].size);

      if (args && minnow_decode_body (msg, len, pos, decoders[i].args,
                                      args) == 0)
        xdr_free (decoders[i].args, args);
      free (args);
      return;
    }
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static struct minnow_rbuf rb;
  static int ready;
  int sv[2];
  enum minnow_wire_kind kind;
  const char *msg;
  uint32_t len;

  if (!ready) {
    if (minnow_rbuf_init (&rb) == -1)
      abort ();
    ready = 1;
  }
  if (size > 65536)             /* what one socket buffer takes */
    return 0;
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
    abort ();
  minnow_rbuf_reset (&rb);
  /* The daemon's reader: fill from the socket, take items until the
   * stream ends or breaks. */
  if (minnow_send_all (sv[0], data, size, -1) == -1 && size > 0)
    abort ();
  close (sv[0]);
  for (;;) {
    int r = minnow_rbuf_next (&rb, &kind, &msg, &len);

    if (r == -1)
      break;                    /* over the limit: the stream ends */
    if (r == 1) {
      if (kind == MINNOW_WIRE_MESSAGE) {
        int cancel;
        const char *cdata;
        size_t clen;

        decode_message (msg, len);
        minnow_decode_chunk (msg, len, &cancel, &cdata, &clen);
      }
      else if (kind == MINNOW_WIRE_PROGRESS) {
        uint64_t array[4];
        minnow_decode_progress (msg, array);
      }
      continue;
    }
    if (minnow_rbuf_fill (&rb, sv[1], 0) <= 0)
      break;
  }
  close (sv[1]);
  return 0;
}
