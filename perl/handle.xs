# Sys::Minnow: the fixed handle API (hand-written, included by the
# generated Minnow.xs).

IV
_create (flags)
      int flags;
PREINIT:
      minnow_h *g;
CODE:
      /* DESTROY or close closes the handle, not the atexit handler. */
      g = minnow_create_flags ((unsigned) flags | MINNOW_CREATE_NO_CLOSE_ON_EXIT);
      if (g == NULL)
        croak ("Sys::Minnow->new: could not create the handle: %s", strerror (errno));
      minnow_set_error_handler (g, NULL, NULL);
      RETVAL = PTR2IV (g);
OUTPUT:
      RETVAL

void
close (self)
      SV *self;
PREINIT:
      minnow_h *g;
      SV **cbs;
      size_t i;
CODE:
      g = minnow_perl_handle_or_null (aTHX_ self, "close");
      if (g) {
        (void) hv_delete ((HV *) SvRV (self), "_g", 2, G_DISCARD);
        cbs = minnow_perl_callbacks (g);
        minnow_close (g);       /* the CLOSE event still reaches the callbacks */
        if (cbs) {
          for (i = 0; cbs[i] != NULL; ++i)
            SvREFCNT_dec (cbs[i]);
          free (cbs);
        }
      }

int
set_event_callback (self, cb, events)
      SV *self;
      SV *cb;
      UV events;
PREINIT:
      minnow_h *g;
      SV *copy;
      char key[64];
CODE:
      g = minnow_perl_handle (aTHX_ self, "set_event_callback");
      copy = newSVsv (cb);
      RETVAL = minnow_set_event_callback (g, minnow_perl_event_callback,
                                          (uint64_t) events, 0, copy);
      if (RETVAL == -1) {
        SvREFCNT_dec (copy);
        minnow_perl_croak (aTHX_ g);
      }
      snprintf (key, sizeof key, EVENT_KEY_PREFIX "%d", RETVAL);
      minnow_set_private (g, key, copy);
OUTPUT:
      RETVAL

void
delete_event_callback (self, eh)
      SV *self;
      int eh;
PREINIT:
      minnow_h *g;
      SV *cb;
      char key[64];
CODE:
      g = minnow_perl_handle (aTHX_ self, "delete_event_callback");
      snprintf (key, sizeof key, EVENT_KEY_PREFIX "%d", eh);
      cb = minnow_get_private (g, key);
      if (cb) {
        minnow_delete_event_callback (g, eh);
        minnow_set_private (g, key, NULL);
        SvREFCNT_dec (cb);
      }

SV *
event_to_string (events)
      UV events;
PREINIT:
      char *s;
CODE:
      s = minnow_event_to_string ((uint64_t) events);
      if (s == NULL)
        croak ("event_to_string: %s", strerror (errno));
      RETVAL = newSVpv (s, 0);
      free (s);
OUTPUT:
      RETVAL

void
user_cancel (self)
      SV *self;
CODE:
      minnow_user_cancel (minnow_perl_handle (aTHX_ self, "user_cancel"));

int
last_errno (self)
      SV *self;
CODE:
      RETVAL = minnow_last_errno (minnow_perl_handle (aTHX_ self, "last_errno"));
OUTPUT:
      RETVAL

