/* minnow storage: a drive whose bytes are reached over NBD (libnbd).
 *
 * A drive in another format than raw (qcow2, vmdk ...) is decoded by a
 * qemu-nbd the library starts (c/fuse-drive.c).  The daemon gets two
 * descriptors for such a drive:
 *
 *  - the export as a plain file (nbdfuse), which stays the drive's fd:
 *    the programs the daemon runs (mke2fs, e2fsck, mkfs.fat, libfdisk
 *    through /proc/self/fd/N) and the handlers that work on device
 *    bytes (pread_device, zero_device, fstrim ...) use it;
 *  - a connected socket to the same qemu-nbd, on which this file opens
 *    an NBD connection: the engines' range I/O goes over it, past FUSE
 *    and nbdfuse.
 *
 * A large read or write is cut into requests of at most CHUNK bytes,
 * all sent before the first reply is awaited (up to MAX_INFLIGHT), so
 * qemu-nbd works on them in parallel.  Every request has completed when
 * a call returns.  That is what keeps the two views of the drive the
 * same: qemu-nbd serves both connections from one image, nbdfuse gives
 * FUSE no write-back cache, a writable drive's file is open O_DIRECT in
 * the daemon, and a program opening /proc/self/fd/N anew gets no stale
 * page of FUSE's cache (nbdfuse does not ask FUSE to keep it).
 *
 * Errors: a request the server failed gives the server's errno; a
 * connection that broke (qemu-nbd died) gives EIO with libnbd's message
 * on stderr, which the library shows with what qemu-nbd said. */

#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libnbd.h>

#include "storage.h"

/* The size of one request, and how many one call keeps in flight.  On
 * a qcow2 (bench/formats, uploads in 2 MiB runs) 256 KiB, 512 KiB,
 * 1 MiB and 2 MiB requests were within the noise of each other;
 * 1 MiB is what nbdfuse sent before. */
#define CHUNK (1024 * 1024)
#define MAX_INFLIGHT 16

struct storage_nbd {
  struct nbd_handle *nbd;
  char *what;
  uint32_t chunk;
  int can_flush;
};

/* errno for a failed libnbd call or request, saying why on stderr when
 * the connection itself failed. */
static int
failure (struct storage_nbd *n, const char *op, int server_errno)
{
  if (server_errno > 0)
    return server_errno;
  fprintf (stderr, "minnowd: %s: NBD %s: %s\n", n->what, op,
           nbd_get_error () ? nbd_get_error () : "failed");
  return EIO;
}

static ssize_t
nbd_rw (struct storage_nbd *n, void *buf, size_t count, uint64_t off,
        int write)
{
  int64_t cookie[MAX_INFLIGHT];
  size_t sent = 0, inflight = 0, i;
  int err = 0;

  while (sent < count && inflight < MAX_INFLIGHT) {
    size_t len = count - sent < n->chunk ? count - sent : n->chunk;
    char *p = (char *) buf + sent;
    int64_t c = write
      ? nbd_aio_pwrite (n->nbd, p, len, off + sent, NBD_NULL_COMPLETION, 0)
      : nbd_aio_pread (n->nbd, p, len, off + sent, NBD_NULL_COMPLETION, 0);

    if (c == -1) {
      err = failure (n, write ? "write" : "read", 0);
      break;
    }
    cookie[inflight++] = c;
    sent += len;
  }
  /* Every request sent must be retired before the caller's buffer is
   * given back, the failed ones too. */
  for (i = 0; i < inflight; i++) {
    for (;;) {
      int r = nbd_aio_command_completed (n->nbd, cookie[i]);

      if (r == 1)
        break;
      if (r == -1) {
        if (err == 0)
          err = failure (n, write ? "write" : "read", nbd_get_errno ());
        break;
      }
      if (nbd_poll (n->nbd, -1) == -1) {
        /* The connection is gone: no request will complete, nor write
         * into the buffer. */
        if (err == 0)
          err = failure (n, write ? "write" : "read", 0);
        return -err;
      }
    }
  }
  return err ? -err : (ssize_t) sent;
}

static ssize_t
nbd_backend_pread (void *handle, void *buf, size_t count, uint64_t off)
{
  return nbd_rw (handle, buf, count, off, 0);
}

static ssize_t
nbd_backend_pwrite (void *handle, const void *buf, size_t count,
                    uint64_t off)
{
  return nbd_rw (handle, (void *) buf, count, off, 1);
}

static int
nbd_backend_flush (void *handle)
{
  struct storage_nbd *n = handle;

  if (!n->can_flush)
    return 0;
  if (nbd_flush (n->nbd, 0) == -1)
    return -failure (n, "flush", nbd_get_errno ());
  return 0;
}

const struct range_backend storage_nbd_backend = {
  .pread = nbd_backend_pread,
  .pwrite = nbd_backend_pwrite,
  .flush = nbd_backend_flush,
};

struct storage_nbd *
storage_nbd_connect (int sock, const char *what, uint64_t size)
{
  struct storage_nbd *n = calloc (1, sizeof *n);
  int64_t got, max;

  if (n == NULL || (n->what = strdup (what)) == NULL) {
    fprintf (stderr, "minnowd: %s: %m\n", what);
    free (n);
    return NULL;
  }
  n->nbd = nbd_create ();
  if (n->nbd == NULL)
    goto fail;
  /* qemu-nbd takes requests of any alignment (it reads, modifies and
   * writes itself); the range I/O writes ext2's 1 KiB superblock. */
  if (nbd_set_strict_mode (n->nbd, nbd_get_strict_mode (n->nbd)
                           & ~LIBNBD_STRICT_ALIGN) == -1)
    goto fail;
  if (nbd_connect_socket (n->nbd, sock) == -1)
    goto fail;
  got = nbd_get_size (n->nbd);
  if (got == -1)
    goto fail;
  if ((uint64_t) got != size) {
    fprintf (stderr, "minnowd: %s: the NBD export has %" PRIi64
             " bytes, the drive's file %" PRIu64 "\n", what, got, size);
    storage_nbd_close (n);
    return NULL;
  }
  max = nbd_get_block_size (n->nbd, LIBNBD_SIZE_MAXIMUM);
  n->chunk = max > 0 && max < CHUNK ? (uint32_t) max : CHUNK;
  n->can_flush = nbd_can_flush (n->nbd) == 1;
  return n;

 fail:
  fprintf (stderr, "minnowd: %s: NBD: %s\n", what,
           nbd_get_error () ? nbd_get_error () : "cannot connect");
  storage_nbd_close (n);
  return NULL;
}

void
storage_nbd_close (struct storage_nbd *n)
{
  if (n == NULL)
    return;
  if (n->nbd) {
    /* A clean goodbye: qemu-nbd exits once its last client is gone. */
    if (nbd_aio_is_ready (n->nbd) == 1)
      nbd_shutdown (n->nbd, 0);
    nbd_close (n->nbd);
  }
  free (n->what);
  free (n);
}
