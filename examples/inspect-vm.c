/* Prints what inspection finds in a disk image: each operating system,
 * its version, architecture, hostname and mountpoints, then mounts it
 * read-only and lists its first applications.
 *
 *   ./run examples/inspect-vm disk.img
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minnow.h"

#define MAX_APPS 10

static size_t
count (char **list)
{
  size_t n = 0;

  while (list[n])
    n++;
  return n;
}

static void
free_list (char **list)
{
  size_t i;

  for (i = 0; list[i]; i++)
    free (list[i]);
  free (list);
}

/* Mountpoint/device pairs, shortest mountpoint first, so that /boot is
 * mounted after /. */
static int
by_mountpoint_length (const void *a, const void *b)
{
  const char *const *x = a, *const *y = b;

  return (int) strlen (x[0]) - (int) strlen (y[0]);
}

static void
print_string (minnow_h *g, const char *label,
              char *(*get) (minnow_h *, const char *), const char *root)
{
  char *s = get (g, root);

  printf ("  %-19s %s\n", label, s ? s : minnow_last_error (g));
  free (s);
}

static int
inspect_root (minnow_h *g, const char *root)
{
  char **mps;
  struct minnow_application2_list *apps;
  size_t i, n;

  printf ("Root device: %s\n", root);
  print_string (g, "Product name:", minnow_inspect_get_product_name, root);
  printf ("  %-19s %d.%d\n", "Version:",
          minnow_inspect_get_major_version (g, root),
          minnow_inspect_get_minor_version (g, root));
  print_string (g, "Type:", minnow_inspect_get_type, root);
  print_string (g, "Distro:", minnow_inspect_get_distro, root);
  print_string (g, "Architecture:", minnow_inspect_get_arch, root);
  print_string (g, "Hostname:", minnow_inspect_get_hostname, root);
  print_string (g, "Package format:", minnow_inspect_get_package_format, root);
  print_string (g, "osinfo:", minnow_inspect_get_osinfo, root);

  mps = minnow_inspect_get_mountpoints (g, root);
  if (mps == NULL)
    return -1;
  n = count (mps) / 2;
  qsort (mps, n, 2 * sizeof (char *), by_mountpoint_length);
  for (i = 0; i < n; i++) {
    printf ("  Mountpoint:         %-10s %s\n", mps[2 * i], mps[2 * i + 1]);
    /* A filesystem of the guest that is not here is not fatal. */
    if (minnow_mount_ro (g, mps[2 * i + 1], mps[2 * i]) == -1)
      printf ("    (not mounted: %s)\n", minnow_last_error (g));
  }
  free_list (mps);

  apps = minnow_inspect_list_applications2 (g, root);
  if (apps == NULL)
    printf ("  Applications:       %s\n", minnow_last_error (g));
  else {
    printf ("  Applications:       %u installed\n", apps->len);
    for (i = 0; i < apps->len && i < MAX_APPS; i++)
      printf ("    %s %s%s%s\n", apps->val[i].app2_name,
              apps->val[i].app2_version,
              apps->val[i].app2_release[0] ? "-" : "",
              apps->val[i].app2_release);
    if (apps->len > MAX_APPS)
      printf ("    ...\n");
    minnow_free_application2_list (apps);
  }
  return minnow_umount_all (g);
}

int
main (int argc, char *argv[])
{
  minnow_h *g;
  char **roots;
  size_t i;
  int ret = EXIT_SUCCESS;

  if (argc != 2) {
    fprintf (stderr, "usage: %s disk.img\n", argv[0]);
    return EXIT_FAILURE;
  }
  g = minnow_create ();
  if (g == NULL) {
    perror ("minnow_create");
    return EXIT_FAILURE;
  }
  /* Errors are printed where they happen, not by the default handler. */
  minnow_set_error_handler (g, NULL, NULL);
  if (minnow_add_drive_ro (g, argv[1]) == -1 || minnow_launch (g) == -1) {
    fprintf (stderr, "%s: %s\n", argv[1], minnow_last_error (g));
    minnow_close (g);
    return EXIT_FAILURE;
  }

  roots = minnow_inspect_os (g);
  if (roots == NULL) {
    fprintf (stderr, "inspect_os: %s\n", minnow_last_error (g));
    minnow_close (g);
    return EXIT_FAILURE;
  }
  if (roots[0] == NULL) {
    fprintf (stderr, "%s: no operating system found\n", argv[1]);
    ret = EXIT_FAILURE;
  }
  for (i = 0; roots[i]; i++) {
    if (i > 0)
      printf ("\n");
    if (inspect_root (g, roots[i]) == -1) {
      fprintf (stderr, "%s: %s\n", roots[i], minnow_last_error (g));
      ret = EXIT_FAILURE;
    }
  }
  free_list (roots);
  minnow_close (g);
  return ret;
}
