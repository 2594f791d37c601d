/* minnow: message digests in the daemon.  The hashes are nettle's; the
 * CRC is the one POSIX specifies for cksum(1), written here from its
 * definition: the polynomial
 *   x^32+x^26+x^23+x^22+x^16+x^12+x^11+x^10+x^8+x^7+x^5+x^4+x^2+x+1
 * over the message, most significant bit of each byte first, followed
 * by the message's length in bytes as the fewest octets that hold it
 * (least significant first), starting from 0, the remainder
 * complemented. */

#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "digest.h"

#define CRC_POLY 0x04c11db7u

/* crc_table[i][b]: the remainder of byte b followed by i zero bytes,
 * so that eight bytes are folded in with eight lookups ("slicing"). */
static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void
crc_make_table (void)
{
  unsigned i, k;

  for (i = 0; i < 256; i++) {
    uint32_t c = (uint32_t) i << 24;

    for (k = 0; k < 8; k++)
      c = (c & 0x80000000u) ? (c << 1) ^ CRC_POLY : c << 1;
    crc_table[0][i] = c;
  }
  for (i = 0; i < 256; i++)
    for (k = 1; k < 8; k++)
      crc_table[k][i] = (crc_table[k - 1][i] << 8)
        ^ crc_table[0][crc_table[k - 1][i] >> 24];
}

static uint32_t
crc_update (uint32_t crc, const unsigned char *p, size_t len)
{
  while (len >= 8) {
    uint32_t hi = crc ^ ((uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 |
                         (uint32_t) p[2] << 8 | p[3]);

    crc = crc_table[7][hi >> 24] ^ crc_table[6][(hi >> 16) & 0xff]
      ^ crc_table[5][(hi >> 8) & 0xff] ^ crc_table[4][hi & 0xff]
      ^ crc_table[3][p[4]] ^ crc_table[2][p[5]]
      ^ crc_table[1][p[6]] ^ crc_table[0][p[7]];
    p += 8;
    len -= 8;
  }
  while (len-- > 0)
    crc = (crc << 8) ^ crc_table[0][(crc >> 24) ^ *p++];
  return crc;
}

static const struct {
  const char *name;
  const struct nettle_hash *hash;
} digests[] = {
  { "md5", &nettle_md5 }, { "sha1", &nettle_sha1 },
  { "sha224", &nettle_sha224 }, { "sha256", &nettle_sha256 },
  { "sha384", &nettle_sha384 }, { "sha512", &nettle_sha512 },
};

int
digest_init (struct digest *d, const char *type)
{
  size_t i;

  memset (d, 0, sizeof *d);
  if (strcmp (type, "crc") == 0) {
    pthread_once (&crc_once, crc_make_table);
    return 0;
  }
  for (i = 0; i < sizeof digests / sizeof digests[0]; i++)
    if (strcmp (type, digests[i].name) == 0) {
      d->hash = digests[i].hash;
      d->hash->init (&d->ctx);
      return 0;
    }
  return -EINVAL;
}

void
digest_update (struct digest *d, const void *buf, size_t len)
{
  if (d->hash)
    d->hash->update (&d->ctx, len, buf);
  else
    d->crc = crc_update (d->crc, buf, len);
  d->length += len;
}

void
digest_text (struct digest *d, char text[DIGEST_TEXT_MAX])
{
  if (d->hash) {
    uint8_t raw[SHA512_DIGEST_SIZE];
    unsigned i;

    d->hash->digest (&d->ctx, d->hash->digest_size, raw);
    for (i = 0; i < d->hash->digest_size; i++)
      snprintf (text + 2 * i, 3, "%02x", raw[i]);
    text[2 * d->hash->digest_size] = '\0';
  }
  else {
    uint32_t crc = d->crc;
    uint64_t n;

    for (n = d->length; n > 0; n >>= 8) {
      unsigned char b = n & 0xff;
      crc = crc_update (crc, &b, 1);
    }
    snprintf (text, DIGEST_TEXT_MAX, "%u", (unsigned) ~crc);
  }
}
