/* Sys::Minnow's C helpers, included by the generated Minnow.xs: the
 * handle (as in libguestfs, a blessed hash reference whose key _g holds
 * the pointer, deleted once closed), errors, string lists and event
 * callbacks. */

#ifndef MINNOW_PERL_H_
#define MINNOW_PERL_H_

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minnow.h"

#define EVENT_KEY_PREFIX "_minnow_perl_event_"

/* The handle in self, or NULL if it was closed; croaks if self is not
 * a Sys::Minnow handle. */
static minnow_h *
minnow_perl_handle_or_null (pTHX_ SV *self, const char *action)
{
  SV **svp;

  if (!sv_isobject (self) || !sv_derived_from (self, "Sys::Minnow") ||
      SvTYPE (SvRV (self)) != SVt_PVHV)
    croak ("Sys::Minnow::%s(): g is not a blessed HV reference", action);
  svp = hv_fetch ((HV *) SvRV (self), "_g", 2, 0);
  if (svp == NULL || !SvOK (*svp))
    return NULL;
  return INT2PTR (minnow_h *, SvIV (*svp));
}

/* The messages are libguestfs's, renamed. */
static minnow_h *
minnow_perl_handle (pTHX_ SV *self, const char *action)
{
  minnow_h *g = minnow_perl_handle_or_null (aTHX_ self, action);

  if (g == NULL)
    croak ("Sys::Minnow::%s(): called on a closed handle", action);
  return g;
}

/* Croak with the library's message; the errno is in $! and in
 * $g->last_errno. */
static void
minnow_perl_croak (pTHX_ minnow_h *g)
{
  const char *msg = minnow_last_error (g);

  errno = minnow_last_errno (g);
  croak ("%s", msg ? msg : "unknown error");
}

static void
minnow_perl_free_strings (char **strs)
{
  size_t i;

  if (strs == NULL)
    return;
  for (i = 0; strs[i] != NULL; ++i)
    free (strs[i]);
  free (strs);
}

/* An array reference of strings as a NULL-terminated array of copies. */
static char **
minnow_perl_string_list (pTHX_ SV *sv, const char *name)
{
  AV *av;
  SSize_t i, n;
  char **r;

  if (!SvROK (sv) || SvTYPE (SvRV (sv)) != SVt_PVAV)
    croak ("%s: expected an array reference", name);
  av = (AV *) SvRV (sv);
  n = av_len (av) + 1;
  r = malloc ((n + 1) * sizeof (char *));
  if (r == NULL)
    croak ("%s: out of memory", name);
  for (i = 0; i < n; ++i) {
    SV **e = av_fetch (av, i, 0);
    r[i] = strdup (e && SvOK (*e) ? SvPV_nolen (*e) : "");
  }
  r[n] = NULL;
  return r;
}

static void
minnow_perl_event_callback (minnow_h *g, void *opaque, uint64_t event,
                            int event_handle, int flags,
                            const char *buf, size_t buf_len,
                            const uint64_t *array, size_t array_len)
{
  dTHX;
  dSP;
  SV *cb = opaque;
  AV *av = newAV ();
  size_t i;

  (void) g;
  (void) flags;
  for (i = 0; i < array_len; ++i)
    av_push (av, newSVuv ((UV) array[i]));
  ENTER;
  SAVETMPS;
  PUSHMARK (SP);
  XPUSHs (sv_2mortal (newSVuv ((UV) event)));
  XPUSHs (sv_2mortal (newSViv (event_handle)));
  XPUSHs (sv_2mortal (newSVpvn (buf ? buf : "", buf ? buf_len : 0)));
  XPUSHs (sv_2mortal (newRV_noinc ((SV *) av)));
  PUTBACK;
  /* A callback that dies cannot unwind through the library: warn. */
  call_sv (cb, G_VOID | G_DISCARD | G_EVAL);
  if (SvTRUE (ERRSV))
    warn ("Sys::Minnow: event callback died: %s", SvPV_nolen (ERRSV));
  FREETMPS;
  LEAVE;
}

/* The callbacks registered on g, NULL-terminated. */
static SV **
minnow_perl_callbacks (minnow_h *g)
{
  const char *key;
  void *data;
  size_t n = 0, i = 0, len = strlen (EVENT_KEY_PREFIX);
  SV **r;

  for (data = minnow_first_private (g, &key); key != NULL;
       data = minnow_next_private (g, &key))
    if (data && strncmp (key, EVENT_KEY_PREFIX, len) == 0)
      n++;
  r = calloc (n + 1, sizeof *r);
  if (r == NULL)
    return NULL;
  for (data = minnow_first_private (g, &key); key != NULL && i < n;
       data = minnow_next_private (g, &key))
    if (data && strncmp (key, EVENT_KEY_PREFIX, len) == 0)
      r[i++] = data;
  return r;
}

#endif /* MINNOW_PERL_H_ */
