/* Abuse from the client side: arguments over the protocol's limits,
 * offsets and counts no device has, a list of a million entries, calls
 * in the wrong state, close from inside a callback, and the image file
 * truncated under a mounted filesystem.  Each must give a clear error
 * (or work), leave the handle usable where it can be, and never crash
 * the library or the daemon. */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "minnow.h"
#include "tap.h"

static char tmpdir[] = "/tmp/minnow-test-abuseXXXXXX";
static char image[sizeof tmpdir + 16];

static void
quiet (minnow_h *g, void *opaque, const char *msg)
{
  if (getenv ("VERBOSE"))
    fprintf (stderr, "(error: %s)\n", msg);
}

static minnow_h *
launched_scratch (void)
{
  minnow_h *g = minnow_create_flags (MINNOW_CREATE_NO_ENVIRONMENT);

  minnow_set_error_handler (g, quiet, NULL);
  if (minnow_add_drive_scratch (g, 64 << 20, -1) == -1 ||
      minnow_launch (g) == -1) {
    printf ("Bail out! cannot launch: %s\n", minnow_last_error (g));
    exit (1);
  }
  return g;
}

/* Fails with errnum, and the handle still answers. */
static void
fails_then_alive (minnow_h *g, int r, int errnum, const char *what)
{
  if (!tap_ok (r == -1 && minnow_last_errno (g) == errnum, "%s: fails with "
               "%s", what, strerror (errnum)))
    tap_diag ("got %d, errno %d: %s", r, minnow_last_errno (g),
              minnow_last_error (g) ? minnow_last_error (g) : "");
  tap_is_int (minnow_internal_test_noop (g), 0, "and the handle still works");
}

static void
test_limits (void)
{
  minnow_h *g = launched_scratch ();
  size_t big = 5 << 20;
  char *buf = calloc (1, big + 1), **list;
  size_t n = 1000000, i;
  int r;

  fails_then_alive (g, minnow_pwrite_device (g, "/dev/sda", buf, big, 0),
                    EMSGSIZE, "a 5 MiB buffer");
  memset (buf, 'a', big);
  fails_then_alive (g, minnow_mkdir_p (g, buf), EMSGSIZE,
                    "a 5 MiB path");
  fails_then_alive (g, minnow_pwrite_device (g, "/dev/sda", "x", 1, -1),
                    EINVAL, "a negative offset");
  r = minnow_pwrite_device (g, "/dev/sda", "x", 1, INT64_C(1) << 62);
  tap_ok (r == -1, "an offset of 2^62: fails (%s)",
          minnow_last_error (g) ? minnow_last_error (g) : "");
  {
    size_t size;
    char *p = minnow_pread_device (g, "/dev/sda", -5, 0, &size);

    tap_ok (p == NULL && minnow_last_errno (g) == EINVAL,
            "a negative count: EINVAL");
    free (p);
    p = minnow_pread_device (g, "/dev/sda", 1 << 30, 0, &size);
    tap_ok (p == NULL, "a 1 GiB read of a 64 MiB drive: refused (%s)",
            minnow_last_error (g) ? minnow_last_error (g) : "");
    free (p);
  }

  /* A million names (20 MB): over the limit as a whole, refused
   * before anything is sent. */
  list = calloc (n + 1, sizeof *list);
  for (i = 0; i < n; i++)
    list[i] = "/name-of-some-length";
  {
    char **r2 = minnow_readlinklist (g, "/", list);

    fails_then_alive (g, r2 == NULL ? -1 : 0, EMSGSIZE,
                      "a list of a million names");
  }
  /* A hundred thousand short names fit: the daemon answers each. */
  for (i = 0; i < 100000; i++)
    list[i] = "x";
  list[100000] = NULL;
  {
    char **r2 = minnow_readlinklist (g, "/", list);
    size_t k = 0;

    while (r2 && r2[k])
      free (r2[k++]);
    free (r2);
    if (!tap_is_int (k, 100000, "a list of 100,000 short names: one "
                     "answer each"))
      tap_diag ("%s", minnow_last_error (g) ? minnow_last_error (g) : "");
  }
  free (list);
  free (buf);
  minnow_close (g);
}

static void
test_states (void)
{
  minnow_h *g = minnow_create_flags (MINNOW_CREATE_NO_ENVIRONMENT);

  minnow_set_error_handler (g, quiet, NULL);
  tap_ok (minnow_mkdir_p (g, "/a") == -1 && minnow_last_error (g) &&
          strstr (minnow_last_error (g), "launch"),
          "a call before launch: an error that says to launch");
  tap_is_int (minnow_launch (g), 0, "launch without drives works");
  tap_ok (minnow_launch (g) == -1, "launch twice: an error");
  minnow_close (g);
}

static int closed_in_callback;

static void
close_cb (minnow_h *g, void *opaque, uint64_t event, int eh, int flags,
          const char *buf, size_t buf_len, const uint64_t *array,
          size_t array_len)
{
  closed_in_callback++;
  minnow_close (g);
}

/* Closing from a callback would free the handle under the call that
 * runs the callback: it is refused (EBUSY), the call finishes, and the
 * handle is closed afterwards as usual. */
static void
test_close_in_callback (void)
{
  minnow_h *g = launched_scratch ();

  minnow_set_event_callback (g, close_cb, MINNOW_EVENT_PROGRESS, 0, NULL);
  tap_is_int (minnow_internal_test_progress (g, 5), 0,
              "a call whose progress callback closes the handle finishes");
  tap_ok (closed_in_callback > 0 && minnow_last_errno (g) == EBUSY,
          "the close from the callback was refused with EBUSY");
  tap_is_int (minnow_internal_test_noop (g), 0, "the handle still works");
  minnow_delete_event_callback (g, 0);
  minnow_close (g);
}

static void
test_truncated_image (void)
{
  minnow_h *g = minnow_create_flags (MINNOW_CREATE_NO_ENVIRONMENT);
  int fd, i, r = 0, failed = 0;
  char data[4096], path[32];

  memset (data, 'z', sizeof data);
  minnow_set_error_handler (g, quiet, NULL);
  fd = open (image, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd == -1 || ftruncate (fd, 64 << 20) == -1)
    exit (1);
  close (fd);
  if (minnow_add_drive (g, image) == -1 || minnow_launch (g) == -1 ||
      minnow_mkfs (g, "ext4", "/dev/sda") == -1 ||
      minnow_mount (g, "/dev/sda", "/") == -1) {
    tap_ok (0, "prepare: %s", minnow_last_error (g));
    minnow_close (g);
    return;
  }
  for (i = 0; i < 20; i++) {
    snprintf (path, sizeof path, "/f%d", i);
    r |= minnow_write (g, path, data, sizeof data);
  }
  tap_is_int (r, 0, "writes before the truncation");
  if (truncate (image, 1 << 20) == -1)
    perror ("truncate");
  /* Whatever still works, and whatever fails with an error: the daemon
   * stays up to say which. */
  for (i = 0; i < 200; i++) {
    snprintf (path, sizeof path, "/g%d", i);
    if (minnow_write (g, path, data, sizeof data) == -1)
      failed++;
  }
  r = minnow_sync (g);
  tap_ok (failed > 0 || r == -1, "writes or sync after the image shrank "
          "to 1 MiB fail (%d failed; sync: %s)", failed,
          r == -1 ? minnow_last_error (g) : "ok");
  tap_is_int (minnow_internal_test_noop (g), 0,
              "the daemon is still there to answer");
  minnow_close (g);
  unlink (image);
}

int
main (void)
{
  if (getenv ("MINNOW_DAEMON") == NULL) {
    printf ("1..0 # SKIP MINNOW_DAEMON not set (run through ./run)\n");
    return 0;
  }
  if (mkdtemp (tmpdir) == NULL)
    return 1;
  snprintf (image, sizeof image, "%s/img", tmpdir);
  test_limits ();
  test_states ();
  test_close_in_callback ();
  test_truncated_image ();
  rmdir (tmpdir);
  printf ("1..%d\n", tap_n);
  return tap_done ();
}
