/* The hand-written spine tests start from one launched handle with a
 * 1 MiB scratch drive (/dev/sda), errors reported only by return values. */

#ifndef SPINE_LAUNCHED_H
#define SPINE_LAUNCHED_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "minnow.h"

/* Bails out of the TAP run when the handle cannot be launched. */
static inline minnow_h *
launched_handle (void)
{
  minnow_h *g = minnow_create_flags (MINNOW_CREATE_NO_ENVIRONMENT);

  if (g == NULL ||
      minnow_add_drive_scratch (g, INT64_C(1048576), -1) == -1 ||
      minnow_launch (g) == -1) {
    printf ("Bail out! cannot launch: %s\n", g ? minnow_last_error (g) : "");
    exit (EXIT_FAILURE);
  }
  minnow_set_error_handler (g, NULL, NULL);
  return g;
}

#endif /* SPINE_LAUNCHED_H */
