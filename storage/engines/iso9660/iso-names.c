/* minnow: ISO 9660 names as the Linux kernel shows them by default.
 *
 * Plain ISO 9660 (no Rock Ridge, no Joliet): identifiers are upper-case
 * "NAME.EXT;VERSION".  Shown lower-cased, the version ";1" dropped
 * together with a dot that would end the name ("README.;1" is
 * "readme"), any other ';' shown as '.'.
 *
 * Joliet: identifiers are UCS-2 big-endian (UTF-16 in practice); shown
 * in UTF-8, ";1" and a final dot dropped likewise, case kept.
 */

#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "iso9660.h"

char *
iso_plain_name (const unsigned char *id, size_t len)
{
  char *name;
  size_t i, n = len;

  if (n >= 2 && id[n - 2] == ';' && id[n - 1] == '1')
    n -= 2;
  if (n >= 1 && n < len && id[n - 1] == '.')
    n--;
  name = malloc (n + 1);
  if (name == NULL)
    return NULL;
  for (i = 0; i < n; i++) {
    unsigned char c = id[i];
    if (c >= 'A' && c <= 'Z')
      c = c - 'A' + 'a';
    else if (c == ';')
      c = '.';
    else if (c == '/' || c == 0)
      c = '_';                  /* never a separator or end of string */
    name[i] = c;
  }
  name[n] = '\0';
  return name;
}

/* UTF-16BE to UTF-8; an unpaired surrogate becomes U+FFFD. */
static size_t
put_utf8 (char *out, uint32_t cp)
{
  if (cp < 0x80) {
    out[0] = cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = 0xc0 | (cp >> 6);
    out[1] = 0x80 | (cp & 0x3f);
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = 0xe0 | (cp >> 12);
    out[1] = 0x80 | ((cp >> 6) & 0x3f);
    out[2] = 0x80 | (cp & 0x3f);
    return 3;
  }
  out[0] = 0xf0 | (cp >> 18);
  out[1] = 0x80 | ((cp >> 12) & 0x3f);
  out[2] = 0x80 | ((cp >> 6) & 0x3f);
  out[3] = 0x80 | (cp & 0x3f);
  return 4;
}

static char *
utf16be_to_utf8 (const unsigned char *id, size_t units, int sanitize)
{
  char *s = malloc (units * 3 + 1);    /* a pair (2 units) gives 4 bytes */
  size_t i, o = 0;

  if (s == NULL)
    return NULL;
  for (i = 0; i < units; i++) {
    uint32_t cp = (id[2 * i] << 8) | id[2 * i + 1];
    if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < units) {
      uint32_t lo = (id[2 * i + 2] << 8) | id[2 * i + 3];
      if (lo >= 0xdc00 && lo < 0xe000) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      } else
        cp = 0xfffd;
    } else if (cp >= 0xd800 && cp < 0xe000)
      cp = 0xfffd;
    if (sanitize && (cp == '/' || cp == 0))
      cp = '_';
    o += put_utf8 (s + o, cp);
  }
  s[o] = '\0';
  return s;
}

char *
iso_joliet_name (const unsigned char *id, size_t len)
{
  size_t units = len / 2;

  if (units >= 2 && id[2 * units - 4] == 0 && id[2 * units - 3] == ';'
      && id[2 * units - 2] == 0 && id[2 * units - 1] == '1')
    units -= 2;
  if (units >= 1 && units < len / 2
      && id[2 * units - 2] == 0 && id[2 * units - 1] == '.')
    units--;
  return utf16be_to_utf8 (id, units, 1);
}

/* A Joliet descriptor's text field (volume id ...): UCS-2, trailing
 * blanks and NULs removed. */
char *
iso_joliet_string (const unsigned char *id, size_t len)
{
  size_t units = len / 2;

  while (units > 0 && id[2 * units - 2] == 0
         && (id[2 * units - 1] == ' ' || id[2 * units - 1] == 0))
    units--;
  return utf16be_to_utf8 (id, units, 0);
}
