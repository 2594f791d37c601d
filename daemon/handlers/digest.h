/* minnow: message digests computed in the daemon (nettle), and the
 * POSIX cksum CRC, for checksum, checksum_device and checksums_out. */

#ifndef MINNOWD_DIGEST_H
#define MINNOWD_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include <nettle/md5.h>
#include <nettle/nettle-meta.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>

/* Longest text a digest gives: sha512 in hex, or a CRC in decimal. */
#define DIGEST_TEXT_MAX (2 * SHA512_DIGEST_SIZE + 1)

/* The names the calls accept, for error messages. */
#define DIGEST_NAMES "crc, md5, sha1, sha224, sha256, sha384, sha512"

struct digest {
  const struct nettle_hash *hash;       /* NULL: the cksum CRC */
  union {
    struct md5_ctx md5;
    struct sha1_ctx sha1;
    struct sha256_ctx sha256;           /* sha224 too */
    struct sha512_ctx sha512;           /* sha384 too */
  } ctx;
  uint32_t crc;
  uint64_t length;                      /* bytes seen (the CRC needs it) */
};

/* 0, or -EINVAL when type is not one of DIGEST_NAMES. */
int digest_init (struct digest *d, const char *type);
void digest_update (struct digest *d, const void *buf, size_t len);
/* The result as coreutils prints it: lower-case hex for the hashes, the
 * CRC in decimal as cksum(1) prints it.  d must be initialised again
 * before another use. */
void digest_text (struct digest *d, char text[DIGEST_TEXT_MAX]);

/* do-checksum.c: the digest of the regular file at path (in the
 * mounted tree, symlinks followed) as text.  0, or a negative errno
 * (-EINVAL for an unknown type or a file that is not regular, -EISDIR
 * for a directory).  Does not reply. */
int checksum_file_text (const char *csumtype, const char *path,
                        char text[DIGEST_TEXT_MAX]);

#endif /* MINNOWD_DIGEST_H */
