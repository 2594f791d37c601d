/* minnow-demo: the shortest useful tour of libminnow.
 *
 * Creates a scratch disk, launches a handle (and says how long that took),
 * lists the devices, writes a few bytes to the disk with pwrite_device,
 * reads them back with pread_device and checks they are the same.
 *
 *   ./run examples/minnow-demo
 */

#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "minnow.h"

static double
now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int
main (void)
{
  static const char message[] = "hello from minnow\0with a NUL inside";
  const int64_t offset = 1024 * 1024;
  minnow_h *g;
  char **devices, *back;
  size_t i, len;
  double t0;
  int n, ok;

  g = minnow_create ();
  if (g == NULL) {
    perror ("minnow_create");
    exit (EXIT_FAILURE);
  }
  /* The default error handler prints each error; minnow_close below cleans
   * up whatever happened. */

  if (minnow_add_drive_scratch (g, INT64_C(64) * 1024 * 1024, -1) == -1)
    goto fail;

  t0 = now_ms ();
  if (minnow_launch (g) == -1)
    goto fail;
  printf ("launched in %.2f ms (daemon pid %d)\n",
          now_ms () - t0, minnow_get_pid (g));

  devices = minnow_list_devices (g);
  if (devices == NULL)
    goto fail;
  for (i = 0; devices[i] != NULL; ++i) {
    printf ("device: %s, %lld bytes\n", devices[i],
            (long long) minnow_blockdev_getsize64 (g, devices[i]));
    free (devices[i]);
  }
  free (devices);

  n = minnow_pwrite_device (g, "/dev/sda", message, sizeof message, offset);
  if (n == -1)
    goto fail;
  printf ("wrote %d bytes at offset %lld\n", n, (long long) offset);

  back = minnow_pread_device (g, "/dev/sda", sizeof message, offset, &len);
  if (back == NULL)
    goto fail;
  ok = len == sizeof message && memcmp (back, message, len) == 0;
  printf ("read %zu bytes back: %s\n", len, ok ? "identical" : "DIFFERENT");
  free (back);

  t0 = now_ms ();
  minnow_close (g);
  printf ("closed in %.2f ms\n", now_ms () - t0);
  exit (ok ? EXIT_SUCCESS : EXIT_FAILURE);

 fail:
  minnow_close (g);
  exit (EXIT_FAILURE);
}
