/* minnow: what the transfer actions (do-transfer.c, do-tar.c,
 * do-fileout.c) share: a target that is a file in the mounted tree or a
 * device, and a writer that fills it in large runs. */

#ifndef MINNOWD_TRANSFER_H
#define MINNOWD_TRANSFER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "storage.h"

/* Runs written to (or read from) the engine at once.  The daemon's
 * peak memory is a small multiple of this, whatever the file size. */
#define XFER_WRITE_RUN (2 * 1024 * 1024)
/* Zero runs of this size, aligned in the file, become holes. */
#define XFER_HOLE_BLOCK 4096

struct xfer_target {
  const char *where;            /* the path or device as given */
  int is_device;
  struct engine_range range;    /* devices */
  struct resolved res;          /* files: resolved once per call */
  int resolved;
};

/* A path or a device (already translated by the stub).  create: make a
 * missing file; truncate: empty it.  0, or -1 after a reply. */
int xfer_target_open (struct xfer_target *t, const char *where, int create,
                      int truncate);
void xfer_target_close (struct xfer_target *t);
/* Devices: not read-only, not mounted.  0, or -1 after a reply. */
int xfer_target_check_write (struct xfer_target *t);
/* The size of the file or device (flushing a mounted device's cache
 * first).  0, or -1 after a reply. */
int xfer_target_size (struct xfer_target *t, uint64_t *size_r);
/* Reads at most len bytes; the count (0 at the end) or a negative errno. */
ssize_t xfer_target_pread (struct xfer_target *t, void *buf, size_t len,
                           uint64_t off);
/* FileOut of size bytes from offset: replies, streams, ends the stream.
 * 0, or -1 (the error has been sent). */
int xfer_send_range (struct xfer_target *t, uint64_t offset, uint64_t size);

struct xfer_writer {
  struct xfer_target *t;
  uint64_t pos;                 /* where the next byte goes */
  int sparse;                   /* aligned zero blocks are not written */
  char *buf;                    /* the pending run */
  size_t buf_len;
  uint64_t buf_off;
  int err;                      /* negative errno of a failed write */
};

/* 0, or -1 after a reply. */
int xfer_writer_init (struct xfer_writer *w, struct xfer_target *t,
                      uint64_t start, int sparse);
/* Callbacks for receive_file_sparse (opaque is the writer): 0, or -1
 * with errno set and w->err recorded. */
int xfer_writer_data (void *opaque, const void *data, size_t len);
int xfer_writer_hole (void *opaque, uint64_t len);
/* Writes what is pending and sets the size of a file that ends in a
 * hole.  0 or the first negative errno. */
int xfer_writer_flush (struct xfer_writer *w);
/* The same, and frees the buffer. */
int xfer_writer_finish (struct xfer_writer *w);
/* Starts on another target, keeping the buffer (after a flush). */
void xfer_writer_reset (struct xfer_writer *w, struct xfer_target *t,
                        uint64_t start, int sparse);

#endif /* MINNOWD_TRANSFER_H */
