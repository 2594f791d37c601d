/* minnow: quoted strings.  See quote.h. */

#include <config.h>

#include <stdio.h>

#include "quote.h"

void
minnow_fprint_quoted (FILE *fp, const char *buf, size_t len)
{
  size_t i;

  fputc ('"', fp);
  for (i = 0; i < len; ++i) {
    unsigned char c = buf[i];

    switch (c) {
    case '\\': fputs ("\\\\", fp); break;
    case '"': fputs ("\\\"", fp); break;
    case '\n': fputs ("\\n", fp); break;
    case '\t': fputs ("\\t", fp); break;
    case '\r': fputs ("\\r", fp); break;
    default:
      if (c < 0x20 || c == 0x7f)
        fprintf (fp, "\\x%02x", c);
      else
        fputc (c, fp);
    }
  }
  fputc ('"', fp);
}
