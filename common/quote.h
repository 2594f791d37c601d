/* minnow: the one rendering of strings shared by trace output, the
 * internal test actions and the bindtests (docs/internals.md): double
 * quotes, \\ \" \n \t \r escaped, other bytes below 0x20 and 0x7f as
 * \xNN (lower-case hex), bytes from 0x80 on as they are. */

#ifndef MINNOW_QUOTE_H
#define MINNOW_QUOTE_H

#include <stddef.h>
#include <stdio.h>

void minnow_fprint_quoted (FILE *fp, const char *buf, size_t len);

#endif /* MINNOW_QUOTE_H */
