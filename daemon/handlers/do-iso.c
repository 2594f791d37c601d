/* minnow: ISO 9660 actions (issue 15): isoinfo, isoinfo_device.
 *
 * Both read the primary volume descriptor (sector 16) through the
 * ISO 9660 engine's parser: from a device's range, or from an ISO file
 * inside a mounted filesystem (read through the mount, never the host).
 */

#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage-actions.h"
#include "actions.h"
#include "engine-iso9660.h"

static minnow_int_isoinfo *
isoinfo_of (const unsigned char *vd, size_t got, const char *what)
{
  struct iso_voldesc d;
  minnow_int_isoinfo *ret;

  if (got < ISO_SECTOR || iso_parse_pvd (vd, &d) < 0) {
    reply_with_error_errno (EINVAL, "%s: not an ISO 9660 image (no primary "
                            "volume descriptor at byte %d)", what,
                            ISO_VD_START);
    return NULL;
  }
  ret = calloc (1, sizeof *ret);
  if (ret == NULL) {
    reply_with_perror ("calloc");
    return NULL;
  }
  ret->iso_system_id = strdup (d.system_id);
  ret->iso_volume_id = strdup (d.volume_id);
  ret->iso_volume_space_size = d.volume_space_size;
  ret->iso_volume_set_size = d.volume_set_size;
  ret->iso_volume_sequence_number = d.volume_sequence_number;
  ret->iso_logical_block_size = d.logical_block_size;
  ret->iso_volume_set_id = strdup (d.volume_set_id);
  ret->iso_publisher_id = strdup (d.publisher_id);
  ret->iso_data_preparer_id = strdup (d.data_preparer_id);
  ret->iso_application_id = strdup (d.application_id);
  ret->iso_copyright_file_id = strdup (d.copyright_file_id);
  ret->iso_abstract_file_id = strdup (d.abstract_file_id);
  ret->iso_bibliographic_file_id = strdup (d.bibliographic_file_id);
  ret->iso_volume_creation_t = d.creation_t;
  ret->iso_volume_modification_t = d.modification_t;
  ret->iso_volume_expiration_t = d.expiration_t;
  ret->iso_volume_effective_t = d.effective_t;
  if (!ret->iso_system_id || !ret->iso_volume_id || !ret->iso_volume_set_id
      || !ret->iso_publisher_id || !ret->iso_data_preparer_id
      || !ret->iso_application_id || !ret->iso_copyright_file_id
      || !ret->iso_abstract_file_id || !ret->iso_bibliographic_file_id) {
    xdr_free ((xdrproc_t) xdr_minnow_int_isoinfo, (char *) ret);
    free (ret);
    reply_with_perror ("strdup");
    return NULL;
  }
  return ret;
}

minnow_int_isoinfo *
do_isoinfo_device (const char *device)
{
  struct engine_range range;
  unsigned char vd[ISO_SECTOR];
  char *msg = NULL;
  size_t got = 0;
  int r;

  r = storage_device_range (device, &range, &msg);
  if (r < 0) {
    reply_errno_msg (r, device, msg);
    return NULL;
  }
  free (msg);
  if (range.length >= ISO_VD_START + ISO_SECTOR) {
    while (got < sizeof vd) {
      ssize_t n = pread (range.fd, vd + got, sizeof vd - got,
                         range.offset + ISO_VD_START + got);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0) {
        reply_with_perror ("%s: read", device);
        return NULL;
      }
      if (n == 0)
        break;
      got += n;
    }
  }
  return isoinfo_of (vd, got, device);
}

minnow_int_isoinfo *
do_isoinfo (const char *isofile)
{
  unsigned char vd[ISO_SECTOR];
  ssize_t n;

  n = fsop_pread (isofile, vd, sizeof vd, ISO_VD_START);
  if (n < 0) {
    reply_errno_path (n, isofile);
    return NULL;
  }
  return isoinfo_of (vd, n, isofile);
}
