/* minnow: framing, buffered reading and descriptor passing.
 * See protocol.h and docs/internals.md. */

#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <arpa/inet.h>

#include "protocol.h"

static uint32_t
get_be32 (const char *p)
{
  uint32_t v;

  memcpy (&v, p, 4);
  return ntohl (v);
}

static void
put_be32 (char *p, uint32_t v)
{
  v = htonl (v);
  memcpy (p, &v, 4);
}

static void
put_be64 (char *p, uint64_t v)
{
  put_be32 (p, (uint32_t) (v >> 32));
  put_be32 (p + 4, (uint32_t) v);
}

static uint64_t
get_be64 (const char *p)
{
  return ((uint64_t) get_be32 (p) << 32) | get_be32 (p + 4);
}

int
minnow_rbuf_init (struct minnow_rbuf *rb)
{
  memset (rb, 0, sizeof *rb);
  /* Slack for reading ahead into the next item; pages that are never
   * touched cost nothing. */
  rb->cap = MINNOW_RBUF_SIZE + 4096;
  rb->data = malloc (rb->cap);
  if (rb->data == NULL)
    return -1;
  return 0;
}

void
minnow_rbuf_reset (struct minnow_rbuf *rb)
{
  size_t i;

  for (i = 0; i < rb->nr_fds; ++i)
    close (rb->fds[i]);
  rb->nr_fds = 0;
  rb->start = rb->end = 0;
}

void
minnow_rbuf_free (struct minnow_rbuf *rb)
{
  minnow_rbuf_reset (rb);
  free (rb->data);
  rb->data = NULL;
  rb->cap = 0;
}

int
minnow_rbuf_pending (const struct minnow_rbuf *rb)
{
  return rb->end > rb->start;
}

static void
queue_fds (struct minnow_rbuf *rb, struct msghdr *mh)
{
  struct cmsghdr *cm;

  for (cm = CMSG_FIRSTHDR (mh); cm != NULL; cm = CMSG_NXTHDR (mh, cm)) {
    size_t n, i;
    const char *p;

    if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
      continue;
    n = (cm->cmsg_len - CMSG_LEN (0)) / sizeof (int);
    p = (const char *) CMSG_DATA (cm);
    for (i = 0; i < n; ++i) {
      int fd;

      memcpy (&fd, p + i * sizeof fd, sizeof fd);
      if (rb->nr_fds < MINNOW_RBUF_MAX_FDS)
        rb->fds[rb->nr_fds++] = fd;
      else
        close (fd);             /* a peer flooding us with descriptors */
    }
  }
}

ssize_t
minnow_rbuf_fill (struct minnow_rbuf *rb, int sock, int flags)
{
  union {
    char buf[CMSG_SPACE (sizeof (int) * MINNOW_RBUF_MAX_FDS)];
    struct cmsghdr align;
  } control;
  struct msghdr mh;
  struct iovec iov;
  ssize_t r;

  if (rb->start == rb->end)
    rb->start = rb->end = 0;
  else if (rb->start > 0 && rb->cap - rb->end < MINNOW_RBUF_SIZE) {
    memmove (rb->data, rb->data + rb->start, rb->end - rb->start);
    rb->end -= rb->start;
    rb->start = 0;
  }

  iov.iov_base = rb->data + rb->end;
  iov.iov_len = rb->cap - rb->end;
  memset (&mh, 0, sizeof mh);
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control.buf;
  mh.msg_controllen = sizeof control.buf;

  do
    r = recvmsg (sock, &mh, flags | MSG_CMSG_CLOEXEC);
  while (r == -1 && errno == EINTR);
  if (r == -1)
    return -1;
  if (mh.msg_controllen > 0)
    queue_fds (rb, &mh);
  rb->end += r;
  return r;
}

unsigned
minnow_spin_us (void)
{
  static int known;
  static unsigned us;

  if (!__atomic_load_n (&known, __ATOMIC_ACQUIRE)) {
    const char *e = getenv ("MINNOW_SPIN_US");
    char *end;
    unsigned long v = MINNOW_SPIN_US_DEFAULT;

    if (e && *e) {
      v = strtoul (e, &end, 10);
      if (*end != '\0')
        v = MINNOW_SPIN_US_DEFAULT;
      if (v > 10000)
        v = 10000;
    }
    us = (unsigned) v;
    __atomic_store_n (&known, 1, __ATOMIC_RELEASE);
  }
  return us;
}

int
minnow_spin_readable (int sock, unsigned spin_us)
{
  static int cpus;
  struct timespec start, now;
  char c;

  if (spin_us == 0)
    return 0;
  if (cpus == 0)
    cpus = sysconf (_SC_NPROCESSORS_ONLN) > 1 ? 2 : 1;
  if (cpus == 1)
    return 0;
  clock_gettime (CLOCK_MONOTONIC, &start);
  for (;;) {
    ssize_t r = recv (sock, &c, 1, MSG_PEEK | MSG_DONTWAIT);

    if (r >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
      return 1;                 /* bytes, the end, or an error to report */
    clock_gettime (CLOCK_MONOTONIC, &now);
    if ((uint64_t) (now.tv_sec - start.tv_sec) * 1000000
        + (uint64_t) (now.tv_nsec - start.tv_nsec) / 1000 >= spin_us)
      return 0;
  }
}

int
minnow_rbuf_next (struct minnow_rbuf *rb, enum minnow_wire_kind *kind,
                  const char **msg, uint32_t *len)
{
  size_t avail = rb->end - rb->start;
  const char *p = rb->data + rb->start;
  uint32_t word;

  if (avail < MINNOW_LENGTH_SIZE)
    return 0;
  word = get_be32 (p);
  switch (word) {
  case MINNOW_LAUNCH_FLAG:
  case MINNOW_CANCEL_FLAG:
    *kind = word == MINNOW_LAUNCH_FLAG ? MINNOW_WIRE_LAUNCH : MINNOW_WIRE_CANCEL;
    *msg = NULL;
    *len = 0;
    rb->start += MINNOW_LENGTH_SIZE;
    return 1;
  case MINNOW_PROGRESS_FLAG:
    if (avail < MINNOW_PROGRESS_SIZE)
      return 0;
    *kind = MINNOW_WIRE_PROGRESS;
    *msg = p + MINNOW_LENGTH_SIZE;
    *len = MINNOW_PROGRESS_SIZE - MINNOW_LENGTH_SIZE;
    rb->start += MINNOW_PROGRESS_SIZE;
    return 1;
  }
  if (word > MINNOW_MESSAGE_MAX) {
    *len = word;
    errno = EMSGSIZE;
    return -1;
  }
  if (avail - MINNOW_LENGTH_SIZE < word)
    return 0;
  *kind = MINNOW_WIRE_MESSAGE;
  *msg = p + MINNOW_LENGTH_SIZE;
  *len = word;
  rb->start += MINNOW_LENGTH_SIZE + word;
  return 1;
}

int
minnow_rbuf_poll_cancel (struct minnow_rbuf *rb, int sock,
                         void (*progress_cb) (void *opaque, const char *rec),
                         void *opaque)
{
  for (;;) {
    enum minnow_wire_kind kind;
    const char *msg;
    uint32_t len;
    size_t start = rb->start;
    int r = minnow_rbuf_next (rb, &kind, &msg, &len);

    if (r == 1) {
      if (kind == MINNOW_WIRE_CANCEL)
        return 1;
      if (kind == MINNOW_WIRE_PROGRESS && progress_cb) {
        progress_cb (opaque, msg);
        continue;
      }
      rb->start = start;        /* not ours: put it back */
      return 0;
    }
    if (r == -1)
      return 0;
    if (minnow_rbuf_fill (rb, sock, MSG_DONTWAIT) <= 0)
      return 0;
  }
}

int
minnow_rbuf_take_fd (struct minnow_rbuf *rb)
{
  int fd;

  if (rb->nr_fds == 0)
    return -1;
  fd = rb->fds[0];
  memmove (&rb->fds[0], &rb->fds[1], (rb->nr_fds - 1) * sizeof (int));
  rb->nr_fds--;
  return fd;
}

size_t
minnow_encode_message (char *buf, size_t cap, minnow_message_header *hdr,
                       xdrproc_t body_proc, const void *body)
{
  XDR xdr;
  size_t len;

  if (cap <= MINNOW_LENGTH_SIZE)
    return 0;
  if (cap > MINNOW_RBUF_SIZE)
    cap = MINNOW_RBUF_SIZE;
  xdrmem_create (&xdr, buf + MINNOW_LENGTH_SIZE, cap - MINNOW_LENGTH_SIZE,
                 XDR_ENCODE);
  if (!xdr_minnow_message_header (&xdr, hdr) ||
      (body_proc != NULL && !body_proc (&xdr, (void *) body, 0))) {
    xdr_destroy (&xdr);
    return 0;
  }
  len = xdr_getpos (&xdr);
  xdr_destroy (&xdr);
  put_be32 (buf, (uint32_t) len);
  return len + MINNOW_LENGTH_SIZE;
}

int
minnow_decode_header (const char *msg, uint32_t len,
                      minnow_message_header *hdr)
{
  XDR xdr;
  int pos;

  memset (hdr, 0, sizeof *hdr);
  xdrmem_create (&xdr, (char *) msg, len, XDR_DECODE);
  if (!xdr_minnow_message_header (&xdr, hdr))
    pos = -1;
  else
    pos = (int) xdr_getpos (&xdr);
  xdr_destroy (&xdr);
  return pos;
}

int
minnow_decode_body (const char *msg, uint32_t len, unsigned pos,
                    xdrproc_t body_proc, void *body)
{
  XDR xdr;
  int ok;

  if (pos > len)
    return -1;
  xdrmem_create (&xdr, (char *) msg + pos, len - pos, XDR_DECODE);
  ok = body_proc (&xdr, body, 0) && xdr_getpos (&xdr) == len - pos;
  xdr_destroy (&xdr);
  if (!ok) {
    xdr_free (body_proc, body);
    return -1;
  }
  return 0;
}

static int
send_iov (int sock, struct iovec *iov, int iovcnt, int fd)
{
  union {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  struct msghdr mh;

  while (iovcnt > 0) {
    ssize_t r;

    memset (&mh, 0, sizeof mh);
    mh.msg_iov = iov;
    mh.msg_iovlen = iovcnt;
    if (fd >= 0) {
      struct cmsghdr *cm;

      memset (&control, 0, sizeof control);
      mh.msg_control = control.buf;
      mh.msg_controllen = sizeof control.buf;
      cm = CMSG_FIRSTHDR (&mh);
      cm->cmsg_level = SOL_SOCKET;
      cm->cmsg_type = SCM_RIGHTS;
      cm->cmsg_len = CMSG_LEN (sizeof (int));
      memcpy (CMSG_DATA (cm), &fd, sizeof fd);
    }
    r = sendmsg (sock, &mh, MSG_NOSIGNAL);
    if (r == -1) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    fd = -1;                    /* the descriptor went with the first byte */
    while (iovcnt > 0 && (size_t) r >= iov->iov_len) {
      r -= iov->iov_len;
      iov++;
      iovcnt--;
    }
    if (iovcnt > 0) {
      iov->iov_base = (char *) iov->iov_base + r;
      iov->iov_len -= r;
    }
  }
  return 0;
}

int
minnow_send_all (int sock, const void *buf, size_t len, int fd)
{
  struct iovec iov = { .iov_base = (void *) buf, .iov_len = len };

  return send_iov (sock, &iov, 1, fd);
}

int
minnow_send_chunk (int sock, int cancel, const void *data, size_t len)
{
  static const char zeroes[4];
  char head[MINNOW_CHUNK_HEADER_SIZE];
  struct iovec iov[3];
  size_t pad = (4 - (len & 3)) & 3;

  if (len > MINNOW_CHUNK_MAX) {
    errno = EMSGSIZE;
    return -1;
  }
  put_be32 (head, (uint32_t) (8 + len + pad));
  put_be32 (head + 4, cancel ? 1 : 0);
  put_be32 (head + 8, (uint32_t) len);
  iov[0].iov_base = head;
  iov[0].iov_len = sizeof head;
  iov[1].iov_base = (void *) data;
  iov[1].iov_len = len;
  iov[2].iov_base = (void *) zeroes;
  iov[2].iov_len = pad;
  return send_iov (sock, iov, 3, -1);
}

int
minnow_decode_chunk (const char *msg, uint32_t len, int *cancel,
                     const char **data, size_t *data_len)
{
  uint32_t n;

  if (len < 8)
    return -1;
  n = get_be32 (msg + 4);
  if (n > MINNOW_CHUNK_MAX || len != 8 + n + ((4 - (n & 3)) & 3))
    return -1;
  *cancel = get_be32 (msg) != 0;
  *data = msg + 8;
  *data_len = n;
  return 0;
}

int
minnow_send_flag (int sock, uint32_t flag)
{
  char buf[4];

  put_be32 (buf, flag);
  return minnow_send_all (sock, buf, sizeof buf, -1);
}

int
minnow_send_progress (int sock, unsigned proc, unsigned serial,
                      uint64_t position, uint64_t total)
{
  char buf[MINNOW_PROGRESS_SIZE];

  put_be32 (buf, MINNOW_PROGRESS_FLAG);
  put_be32 (buf + 4, proc);
  put_be32 (buf + 8, serial);
  put_be64 (buf + 12, position);
  put_be64 (buf + 20, total);
  return minnow_send_all (sock, buf, sizeof buf, -1);
}

void
minnow_decode_progress (const char *rec, uint64_t array[4])
{
  array[0] = get_be32 (rec);
  array[1] = get_be32 (rec + 4);
  array[2] = get_be64 (rec + 8);
  array[3] = get_be64 (rec + 16);
}
