/* minnow: inspect_get_icon: the distribution's logo, a PNG file read
 * from the guest's mounted filesystems (as libguestfs does), checked to
 * be a PNG of sensible geometry and size before it is returned. */

#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "storage-actions.h"
#include "inspect.h"
#include "actions.h"

/* optargs_bitmask bits of inspect_get_icon, in api.def order. */
#define ICON_FAVICON     (1 << 0)
#define ICON_HIGHQUALITY (1 << 1)

/* Outcome of looking for one file. */
enum png_result { PNG_FOUND, PNG_NOT_FOUND, PNG_ERROR };

static uint32_t
be32 (const unsigned char *p)
{
  return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
    | (uint32_t) p[2] << 8 | (uint32_t) p[3];
}

/* A PNG of 16..1024 pixels a side, at most max_size bytes (0: four
 * bytes a pixel).  Anything else is "not found", as in libguestfs; only
 * a missing mount is an error. */
static enum png_result
get_png (const char *path, size_t max_size, char **buf_r, size_t *len_r)
{
  unsigned char head[24];
  struct engine_stat st;
  uint32_t w, h;
  ssize_t n;
  int r;

  r = fsop_stat (path, 0, &st);
  if (r == -ENODEV) {
    reply_errno_path (r, path);
    return PNG_ERROR;
  }
  if (r < 0 || !S_ISREG (st.mode))
    return PNG_NOT_FOUND;
  n = fsop_pread (path, head, sizeof head, 0);
  if (n != (ssize_t) sizeof head
      || memcmp (head, "\x89PNG\r\n\x1a\n", 8) != 0
      || memcmp (head + 12, "IHDR", 4) != 0)
    return PNG_NOT_FOUND;
  w = be32 (head + 16);
  h = be32 (head + 20);
  if (w < 16 || h < 16 || w > 1024 || h > 1024)
    return PNG_NOT_FOUND;
  if (max_size == 0)
    max_size = 4 * (size_t) w * h;
  r = inspect_read_raw (path, max_size, buf_r, len_r);
  return r < 0 ? PNG_NOT_FOUND : PNG_FOUND;
}

/* The logo files of each distribution, best first. */
static const struct {
  const char *distro;
  int not_highquality;          /* the file is too poor for highquality */
  const char *path;
  size_t max_size;
} logos[] = {
  { "fedora", 0, "/usr/share/icons/hicolor/96x96/apps/fedora-logo-icon.png", 0 },
  { "debian", 0, "/usr/share/pixmaps/debian-logo.png", 2048 },
  { "ubuntu", 1, "/usr/share/icons/gnome/24x24/places/ubuntu-logo.png", 2048 },
  { "ubuntu", 1, "/usr/share/help/C/ubuntu-help/figures/ubuntu-logo.png", 2048 },
  { "mageia", 0, "/usr/share/icons/mageia.png", 2048 },
  { "opensuse", 0, "/usr/share/icons/hicolor/24x24/apps/distributor.png", 2048 },
  { "sles", 0, "/usr/share/icons/hicolor/24x24/apps/distributor.png", 2048 },
  { "suse-based", 0, "/usr/share/icons/hicolor/24x24/apps/distributor.png", 2048 },
  { "voidlinux", 0, "/usr/share/void-artwork/void-logo.png", 20480 },
  { "altlinux", 0, "/usr/share/icons/hicolor/48x48/apps/altlinux.png", 20480 },
};

static int
is_rhel_family (const char *d)
{
  return strcmp (d, "rhel") == 0 || strcmp (d, "redhat-based") == 0
    || strcmp (d, "centos") == 0 || strcmp (d, "scientificlinux") == 0
    || strcmp (d, "oraclelinux") == 0;
}

char *
do_inspect_get_icon (const char *root, int favicon, int highquality,
                     size_t *size_r)
{
  struct inspect_root *r = inspect_find_root (root);
  enum png_result res = PNG_NOT_FOUND;
  char *buf = NULL;
  size_t len = 0, i;

  if (r == NULL)
    return NULL;
  if (!(optargs_bitmask & ICON_FAVICON))
    favicon = 1;
  if (!(optargs_bitmask & ICON_HIGHQUALITY))
    highquality = 0;
  if (highquality)
    favicon = 0;                /* a favicon is never of high quality */

  if (favicon)
    res = get_png ("/etc/favicon.png", 0, &buf, &len);
  if (res == PNG_NOT_FOUND && is_rhel_family (r->distro))
    res = get_png (r->major < 7
                   ? "/usr/share/pixmaps/redhat/shadowman-transparent.png"
                   : "/usr/share/pixmaps/fedora-logo-sprite.png",
                   102400, &buf, &len);
  for (i = 0; res == PNG_NOT_FOUND && i < sizeof logos / sizeof logos[0]; i++)
    if (strcmp (logos[i].distro, r->distro) == 0
        && !(highquality && logos[i].not_highquality))
      res = get_png (logos[i].path, logos[i].max_size, &buf, &len);

  if (res == PNG_ERROR)
    return NULL;
  if (res == PNG_NOT_FOUND) {
    /* No icon: an empty buffer, not an error. */
    buf = malloc (1);
    if (buf == NULL) {
      reply_with_perror ("malloc");
      return NULL;
    }
    len = 0;
  }
  *size_r = len;
  return buf;
}
