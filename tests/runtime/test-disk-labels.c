/* list_disk_labels with labelled drives (the api.def test can only see
 * the unlabelled scenario drive), and max_disks against add_drive's
 * real limit. */

#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minnow.h"
#include "tap.h"

static void
free_list (char **l)
{
  size_t i;

  for (i = 0; l && l[i]; i++)
    free (l[i]);
  free (l);
}

int
main (void)
{
  minnow_h *g;
  char **l;
  int i, max, r = 0;

  tap_plan (8);
  g = minnow_create_flags (MINNOW_CREATE_NO_ENVIRONMENT);
  if (g == NULL)
    abort ();
  minnow_set_error_handler (g, NULL, NULL);
  tap_ok (minnow_list_disk_labels (g) == NULL,
          "list_disk_labels before launch fails");
  if (minnow_add_drive_scratch (g, 64 << 20, MINNOW_ADD_DRIVE_SCRATCH_LABEL,
                                "boot", -1) == -1 ||
      minnow_add_drive_scratch (g, 64 << 20, -1) == -1 ||
      minnow_add_drive_scratch (g, 64 << 20, MINNOW_ADD_DRIVE_SCRATCH_LABEL,
                                "data", -1) == -1 ||
      minnow_launch (g) == -1 ||
      minnow_part_init (g, "/dev/sdc", "gpt") == -1 ||
      minnow_part_add (g, "/dev/sdc", "p", 2048, 4095) == -1 ||
      minnow_part_add (g, "/dev/sdc", "p", 4096, 8191) == -1) {
    printf ("Bail out! setup: %s\n", minnow_last_error (g));
    return 1;
  }
  l = minnow_list_disk_labels (g);
  tap_ok (l != NULL, "list_disk_labels");
  for (i = 0; l && l[i]; i++)
    ;
  tap_is_int (i, 8, "four pairs: boot, data, data1, data2");
  tap_is_str (l && l[0] ? l[0] : NULL, "boot", "boot first");
  tap_is_str (l && l[1] ? l[1] : NULL, "/dev/sda", "boot is /dev/sda");
  tap_ok (l && i == 8 && strcmp (l[2], "data") == 0 &&
          strcmp (l[3], "/dev/sdc") == 0 && strcmp (l[4], "data1") == 0 &&
          strcmp (l[5], "/dev/sdc1") == 0 && strcmp (l[6], "data2") == 0 &&
          strcmp (l[7], "/dev/sdc2") == 0,
          "data, data1, data2 are /dev/sdc and its partitions");
  free_list (l);
  minnow_close (g);

  /* max_disks is the number add_drive really accepts. */
  g = minnow_create_flags (MINNOW_CREATE_NO_ENVIRONMENT);
  minnow_set_error_handler (g, NULL, NULL);
  max = minnow_max_disks (g);
  for (i = 0; i < max && r == 0; i++)
    r = minnow_add_drive_ro (g, "/dev/null");
  tap_ok (r == 0, "max_disks drives can be added");
  tap_ok (minnow_add_drive_ro (g, "/dev/null") == -1,
          "one more is refused");
  minnow_close (g);
  return tap_done ();
}
