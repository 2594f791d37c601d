/* Round trips of upload/download (and the _offset forms) through both
 * paths (the host file's descriptor passed to the daemon, and the chunk
 * stream forced by MINNOW_NO_FD_TRANSFER or used for pipes), sparse
 * files, PROGRESS events, user_cancel in both directions from a
 * callback and from another thread, and e2fsck of the image at the
 * end. */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "minnow.h"
#include "tap.h"

static char tmpdir[] = "/tmp/minnow-transfer-XXXXXX";
static char *in_path, *out_path, *big_path;

/* tap_is_int with a formatted description. */
static void
is_int (long long got, long long expected, const char *fmt, ...)
{
  char what[256];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (what, sizeof what, fmt, ap);
  va_end (ap);
  tap_is_int (got, expected, what);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
next_rand (void)
{
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

/* Writes size random bytes to path. */
static void
make_random (const char *path, uint64_t size)
{
  char buf[65536];
  FILE *fp = fopen (path, "w");
  uint64_t done = 0;

  if (fp == NULL)
    abort ();
  while (done < size) {
    size_t n = size - done < sizeof buf ? size - done : sizeof buf, i;
    for (i = 0; i + 8 <= n; i += 8) {
      uint64_t r = next_rand ();
      memcpy (buf + i, &r, 8);
    }
    for (; i < n; i++)
      buf[i] = (char) next_rand ();
    if (fwrite (buf, 1, n, fp) != n)
      abort ();
    done += n;
  }
  if (fclose (fp) != 0)
    abort ();
}

/* 1 if the two host files have the same bytes. */
static int
same_files (const char *a, const char *b)
{
  FILE *fa = fopen (a, "r"), *fb = fopen (b, "r");
  char ba[65536], bb[65536];
  int same = fa && fb;

  while (same) {
    size_t na = fread (ba, 1, sizeof ba, fa), nb = fread (bb, 1, sizeof bb, fb);
    if (na != nb || memcmp (ba, bb, na) != 0)
      same = 0;
    if (na == 0)
      break;
  }
  if (fa) fclose (fa);
  if (fb) fclose (fb);
  return same;
}

static int64_t
host_size (const char *path)
{
  struct stat st;

  return stat (path, &st) == 0 ? st.st_size : -1;
}

static int64_t
host_blocks (const char *path)
{
  struct stat st;

  return stat (path, &st) == 0 ? st.st_blocks : -1;
}

static void
set_stream (int on)
{
  if (on)
    setenv ("MINNOW_NO_FD_TRANSFER", "1", 1);
  else
    unsetenv ("MINNOW_NO_FD_TRANSFER");
}

/* PROGRESS: count, last position and total, monotonic positions; and
 * optionally cancel once the position passes cancel_at. */
struct progress {
  int events;
  uint64_t last_pos, last_total;
  int backwards;
  uint64_t cancel_at;           /* 0: never */
};

static void
progress_cb (minnow_h *g, void *opaque, uint64_t event, int eh, int flags,
             const char *buf, size_t buf_len, const uint64_t *array,
             size_t array_len)
{
  struct progress *p = opaque;

  (void) event; (void) eh; (void) flags; (void) buf; (void) buf_len;
  if (array_len != 4)
    return;
  if (p->events > 0 && array[2] < p->last_pos)
    p->backwards = 1;
  p->events++;
  p->last_pos = array[2];
  p->last_total = array[3];
  if (p->cancel_at && array[2] >= p->cancel_at)
    minnow_user_cancel (g);
}

static void
round_trip (minnow_h *g, uint64_t size, int stream)
{
  const char *how = stream ? "stream" : "descriptor";
  int r;

  set_stream (stream);
  make_random (in_path, size);
  unlink (out_path);
  r = minnow_upload (g, in_path, "/f");
  tap_ok (r == 0, "upload %" PRIu64 " bytes (%s)%s%s", size, how,
          r ? ": " : "", r ? minnow_last_error (g) : "");
  is_int (minnow_filesize (g, "/f"), (int64_t) size,
              "filesize after upload of %" PRIu64 " (%s)", size, how);
  r = minnow_download (g, "/f", out_path);
  tap_ok (r == 0 && same_files (in_path, out_path) &&
          host_size (out_path) == (int64_t) size,
          "download of %" PRIu64 " bytes gives the same bytes (%s)", size,
          how);
  set_stream (0);
}

struct cancel_thread {
  minnow_h *g;
  int delay_ms;
};

static void *
cancel_later (void *arg)
{
  struct cancel_thread *c = arg;
  struct timespec ts = { 0, c->delay_ms * 1000000L };

  nanosleep (&ts, NULL);
  minnow_user_cancel (c->g);
  return NULL;
}

int
main (void)
{
  static const uint64_t sizes[] = {
    0, 1, 4095, 4096, 1048575, 1048576, 1048577, 100 * 1048576
  };
  minnow_h *g;
  struct progress p;
  char *img, *sum1, *sum2;
  int eh, r, i;
  int fd;

  tap_plan (86);
  if (mkdtemp (tmpdir) == NULL)
    abort ();
  if (asprintf (&in_path, "%s/in", tmpdir) == -1 ||
      asprintf (&out_path, "%s/out", tmpdir) == -1 ||
      asprintf (&big_path, "%s/big", tmpdir) == -1 ||
      asprintf (&img, "%s/disk.img", tmpdir) == -1)
    abort ();
  fd = open (img, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd == -1 || ftruncate (fd, INT64_C(2) << 30) == -1)
    abort ();
  close (fd);

  g = minnow_create_flags (MINNOW_CREATE_NO_ENVIRONMENT);
  if (g == NULL || minnow_add_drive (g, img) == -1 ||
      minnow_launch (g) == -1 ||
      minnow_mkfs (g, "ext4", "/dev/sda") == -1 ||
      minnow_mount (g, "/dev/sda", "/") == -1) {
    printf ("Bail out! cannot set up: %s\n", g ? minnow_last_error (g) : "");
    return 1;
  }
  minnow_set_error_handler (g, NULL, NULL);

  /* 8 sizes x 3 checks on the descriptor path, 4 on the stream path. */
  for (i = 0; i < (int) (sizeof sizes / sizeof sizes[0]); i++)
    round_trip (g, sizes[i], 0);
  round_trip (g, 0, 1);
  round_trip (g, 4095, 1);
  round_trip (g, 1048577, 1);
  round_trip (g, 100 * 1048576, 1);

  /* The image's checksum agrees with the host's bytes. */
  sum1 = minnow_checksum (g, "sha256", "/f");
  tap_ok (sum1 != NULL && strlen (sum1) == 64, "checksum of the uploaded file");

  /* Sparse: 64 MiB with data at 0, 10 MiB and the last byte. */
  {
    char data[8192];
    int64_t blocks;
    struct minnow_statns *st;

    memset (data, 'x', sizeof data);
    fd = open (in_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd == -1 || pwrite (fd, data, sizeof data, 0) != sizeof data ||
        pwrite (fd, data, sizeof data, 10 << 20) != sizeof data ||
        pwrite (fd, "y", 1, (64 << 20) - 1) != 1)
      abort ();
    close (fd);
    for (r = 0; r < 2; r++) {
      set_stream (r);
      is_int (minnow_upload (g, in_path, "/sparse"), 0,
                  "upload a sparse file (%s)", r ? "stream" : "descriptor");
      st = minnow_statns (g, "/sparse");
      tap_ok (st && st->st_size == 64 << 20 && st->st_blocks < 1024,
              "its holes stay holes in the image (%" PRId64 " blocks)",
              st ? st->st_blocks : -1);
      minnow_free_statns (st);
      unlink (out_path);
      is_int (minnow_download (g, "/sparse", out_path), 0,
                  "download it (%s)", r ? "stream" : "descriptor");
      blocks = host_blocks (out_path);
      tap_ok (same_files (in_path, out_path) && blocks >= 0 && blocks < 1024,
              "same bytes, holes on the host (%" PRId64 " blocks)", blocks);
    }
    set_stream (0);
  }

  /* upload_offset / download_offset. */
  {
    char *content;
    size_t len;

    minnow_write (g, "/o", "0123456789", 10);
    fd = open (in_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd == -1 || write (fd, "abc", 3) != 3)
      abort ();
    close (fd);
    is_int (minnow_upload_offset (g, in_path, "/o", 4), 0,
                "upload_offset into the middle");
    content = minnow_read_file (g, "/o", &len);
    tap_ok (content && len == 10 && memcmp (content, "0123abc789", 10) == 0,
            "upload_offset overwrote only its bytes");
    free (content);
    is_int (minnow_upload_offset (g, in_path, "/o", 20), 0,
                "upload_offset beyond the end");
    is_int (minnow_filesize (g, "/o"), 23, "the file grew to 23 bytes");
    unlink (out_path);
    is_int (minnow_download_offset (g, "/o", out_path, 2, 5), 0,
                "download_offset");
    content = NULL;
    fd = open (out_path, O_RDONLY);
    {
      char b[16] = "";
      ssize_t n = fd >= 0 ? read (fd, b, sizeof b) : -1;
      tap_ok (n == 5 && memcmp (b, "23abc", 5) == 0,
              "download_offset gave bytes 2..6");
    }
    if (fd >= 0)
      close (fd);
    /* A failed download leaves an existing host file as it was. */
    tap_ok (minnow_download (g, "/missing", out_path) == -1 &&
            minnow_last_errno (g) == ENOENT && host_size (out_path) == 5,
            "a failed download leaves the host file alone");
    unlink (out_path);
    tap_ok (minnow_download (g, "/missing", out_path) == -1 &&
            host_size (out_path) == -1,
            "a failed download creates no host file");
  }

  /* PROGRESS on every path; cancel (from a callback) with a larger
   * file, so that the transfer lasts beyond the first PROGRESS event. */
  make_random (big_path, 400 * 1048576);
  make_random (in_path, 100 * 1048576);
  for (r = 0; r < 2; r++) {
    set_stream (r);
    memset (&p, 0, sizeof p);
    eh = minnow_set_event_callback (g, progress_cb, MINNOW_EVENT_PROGRESS, 0,
                                    &p);
    is_int (minnow_upload (g, in_path, "/p"), 0, "upload with progress");
    tap_ok (p.events >= 1 && !p.backwards && p.last_pos == p.last_total &&
            p.last_total == 100 * 1048576,
            "upload PROGRESS (%s): %d events, last %" PRIu64 "/%" PRIu64,
            r ? "stream" : "descriptor", p.events, p.last_pos, p.last_total);
    memset (&p, 0, sizeof p);
    unlink (out_path);
    is_int (minnow_download (g, "/p", out_path), 0,
                "download with progress");
    tap_ok (p.events >= 1 && !p.backwards && p.last_pos == p.last_total &&
            p.last_total == 100 * 1048576,
            "download PROGRESS (%s): %d events, last %" PRIu64 "/%" PRIu64,
            r ? "stream" : "descriptor", p.events, p.last_pos, p.last_total);

    /* Cancel from the progress callback, in both directions. */
    memset (&p, 0, sizeof p);
    p.cancel_at = 1;
    tap_ok (minnow_upload (g, big_path, "/c") == -1 &&
            minnow_last_errno (g) == EINTR,
            "user_cancel from a callback stops an upload with EINTR (%s)",
            r ? "stream" : "descriptor");
    tap_ok (p.last_pos < 400 * 1048576,
            "the upload stopped early (at %" PRIu64 ")", p.last_pos);
    tap_is_int (minnow_filesize (g, "/p"), 100 * 1048576,
                "the handle works after the cancel");
    p.cancel_at = 0;
    tap_is_int (minnow_upload (g, big_path, "/c"), 0, "upload it whole");
    memset (&p, 0, sizeof p);
    p.cancel_at = 1;
    tap_ok (minnow_download (g, "/c", out_path) == -1 &&
            minnow_last_errno (g) == EINTR,
            "user_cancel from a callback stops a download with EINTR (%s)",
            r ? "stream" : "descriptor");
    tap_is_int (minnow_filesize (g, "/p"), 100 * 1048576,
                "the handle works after the cancel");
    minnow_rm (g, "/c");
    minnow_delete_event_callback (g, eh);
  }
  set_stream (0);

  /* Cancel from another thread, during a descriptor transfer. */
  {
    pthread_t th;
    struct cancel_thread c = { g, 30 };
    int64_t t0;
    struct timespec ts;

    clock_gettime (CLOCK_MONOTONIC, &ts);
    t0 = ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    pthread_create (&th, NULL, cancel_later, &c);
    r = minnow_upload (g, big_path, "/t");
    pthread_join (th, NULL);
    clock_gettime (CLOCK_MONOTONIC, &ts);
    tap_ok (r == -1 && minnow_last_errno (g) == EINTR,
            "user_cancel from another thread stops an upload (after %" PRId64
            " ms)", ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - t0);
    is_int (minnow_is_ready (g), 1, "the handle is ready again");
    tap_is_int (minnow_upload (g, big_path, "/t"), 0, "upload it whole");
    pthread_create (&th, NULL, cancel_later, &c);
    r = minnow_download (g, "/t", out_path);
    pthread_join (th, NULL);
    tap_ok (r == -1 ? minnow_last_errno (g) == EINTR : 1,
            "user_cancel from another thread during a download: %s",
            r == -1 ? "EINTR" : "finished first");
    sum2 = minnow_checksum (g, "sha256", "/p");
    tap_ok (sum2 != NULL, "the handle works after the cancel");
    free (sum2);
    minnow_rm (g, "/t");
  }
  free (sum1);

  /* A character device is streamed: an endless one, stopped by a
   * thread's cancel. */
  {
    pthread_t th;
    struct cancel_thread c = { g, 100 };
    pthread_create (&th, NULL, cancel_later, &c);
    r = minnow_upload (g, "/dev/zero", "/z");
    pthread_join (th, NULL);
    tap_ok (r == -1 && minnow_last_errno (g) == EINTR,
            "user_cancel stops an endless upload from /dev/zero");
    tap_ok (minnow_filesize (g, "/z") > 0, "it wrote some zeroes first");
  }

  /* Full filesystem: a clear ENOSPC, and the handle stays usable. */
  {
    minnow_h *g2 = minnow_create_flags (MINNOW_CREATE_NO_ENVIRONMENT);
    int ok = g2 && minnow_add_drive_scratch (g2, 16 << 20, -1) == 0 &&
      minnow_launch (g2) == 0 &&
      minnow_mkfs (g2, "ext4", "/dev/sda") == 0 &&
      minnow_mount (g2, "/dev/sda", "/") == 0;

    if (g2)
      minnow_set_error_handler (g2, NULL, NULL);
    make_random (in_path, 32 << 20);
    for (r = 0; r < 2; r++) {
      set_stream (r);
      int u = ok ? minnow_upload (g2, in_path, "/big") : 0;
      tap_ok (u == -1 && minnow_last_errno (g2) == ENOSPC,
              "upload into a full filesystem: ENOSPC (%s): %s",
              r ? "stream" : "descriptor", u ? minnow_last_error (g2) : "");
      tap_ok (ok && minnow_rm (g2, "/big") == 0,
              "the handle works after it");
    }
    set_stream (0);
    tap_ok (ok && minnow_umount_all (g2) == 0 &&
            minnow_e2fsck (g2, "/dev/sda", -1) == 0,
            "e2fsck -fn is clean after the full filesystem");
    if (g2)
      minnow_close (g2);
  }

  tap_ok (minnow_umount_all (g) == 0 && minnow_e2fsck (g, "/dev/sda", -1) == 0,
          "e2fsck -fn of the image is clean at the end");
  minnow_close (g);

  unlink (in_path);
  unlink (out_path);
  unlink (big_path);
  unlink (img);
  rmdir (tmpdir);
  free (in_path);
  free (out_path);
  free (big_path);
  free (img);
  return tap_done ();
}
