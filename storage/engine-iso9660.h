/* minnow storage: what the ISO 9660 engine offers beyond engine.h
 * (isoinfo, isoinfo_device). */

#ifndef MINNOW_ENGINE_ISO9660_H
#define MINNOW_ENGINE_ISO9660_H

#include <stdint.h>

#define ISO_SECTOR 2048
#define ISO_VD_START (16 * ISO_SECTOR)   /* system area: sectors 0-15 */

/* The fields of a primary or supplementary volume descriptor that
 * isoinfo reports (strings with trailing blanks removed). */
struct iso_voldesc {
  char system_id[33], volume_id[33], volume_set_id[129];
  char publisher_id[129], data_preparer_id[129], application_id[129];
  char copyright_file_id[38], abstract_file_id[38], bibliographic_file_id[38];
  uint32_t volume_space_size, volume_set_size, volume_sequence_number;
  uint32_t logical_block_size;
  int64_t creation_t, modification_t, expiration_t, effective_t;
  char uuid_date[17];                   /* "YYYYMMDDHHMMSSCC": blkid's UUID */
};

/* Parses a primary volume descriptor (2048 bytes): -EINVAL when vd is
 * not one. */
int iso_parse_pvd (const unsigned char *vd, struct iso_voldesc *d);

#endif /* MINNOW_ENGINE_ISO9660_H */
