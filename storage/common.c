/* minnow storage: what every part of the library shares — messages for
 * the caller, and the check that stops a long loop. */

#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "storage.h"

static int (*stop_check) (void);

void
storage_set_stop_check (int (*check) (void))
{
  stop_check = check;
}

int
storage_stop_requested (void)
{
  return stop_check != NULL && stop_check ();
}

void
storage_set_error (char **error_r, const char *fmt, ...)
{
  va_list ap;

  if (error_r == NULL)
    return;
  free (*error_r);
  va_start (ap, fmt);
  if (vasprintf (error_r, fmt, ap) == -1)
    *error_r = NULL;
  va_end (ap);
}
