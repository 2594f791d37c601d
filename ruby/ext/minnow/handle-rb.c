/* The Ruby binding: the handle (closed by the GC if the program did not
 * close it), Minnow::Error, events, and conversions for actions-rb.c. */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ruby.h>
#include <ruby/thread.h>

#include "minnow.h"
#include "minnow-rb.h"

#define EVENT_KEY_PREFIX "_minnow_ruby_event_"

static VALUE c_error;

static void raise_message (const char *msg, int errnum) __attribute__((noreturn));

static void
raise_message (const char *msg, int errnum)
{
  VALUE exc = rb_exc_new_cstr (c_error, msg);

  rb_iv_set (exc, "@errno", INT2NUM (errnum));
  rb_exc_raise (exc);
}

/* ---------------------------------------------------------------- handle */

/* A handle the program did not close is closed, with its CLOSE callbacks,
 * when the GC collects the Minnow::Minnow object, as libguestfs does.
 * Ruby code cannot run inside the GC's free functions, so the closing is
 * done by a finalizer (ObjectSpace.define_finalizer), which Ruby runs
 * after the collection, in normal context, and at exit.  The finalizer
 * must not refer to the Minnow object, or that would never be collected:
 * it is a "closer", a hidden object that shares the C handle and the Hash
 * of callback procs (so the procs live until the CLOSE event is over).
 * The Minnow object's own free function does nothing. */

static const rb_data_type_t closer_type;
static VALUE c_closer;

static void *
close_without_gvl (void *g)
{
  minnow_close (g);
  return NULL;
}

/* The closer collected while its handle is still open (the finalizer did
 * not run): close without calling Ruby, the callbacks removed first. */
static void
closer_free (void *p)
{
  minnow_h *g = p;
  const char *key;
  void *data;
  size_t len = strlen (EVENT_KEY_PREFIX);

  if (g == NULL)
    return;
  for (data = minnow_first_private (g, &key); key != NULL;
       data = minnow_next_private (g, &key))
    if (data && strncmp (key, EVENT_KEY_PREFIX, len) == 0)
      minnow_delete_event_callback (g, atoi (key + len));
  minnow_close (g);
}

static const rb_data_type_t closer_type = {
  "minnow_closer",
  { NULL, closer_free, NULL, },
  NULL, NULL, RUBY_TYPED_FREE_IMMEDIATELY
};

/* closer.call(object_id): the finalizer.  Also used by close. */
static VALUE
closer_call (int argc, VALUE *argv, VALUE closer)
{
  minnow_h *g = rb_check_typeddata (closer, &closer_type);

  (void) argc;
  (void) argv;
  if (g) {
    DATA_PTR (closer) = NULL;
    /* Like every call, without the GVL; the CLOSE event reaches the
     * procs, which take it back. */
    rb_thread_call_without_gvl (close_without_gvl, g, NULL, NULL);
    rb_iv_set (closer, "@callbacks", rb_hash_new ());
  }
  return Qnil;
}

static const rb_data_type_t handle_type = {
  "minnow_h",
  { NULL, NULL, NULL, },
  NULL, NULL, RUBY_TYPED_FREE_IMMEDIATELY
};

minnow_h *
minnow_rb_handle (VALUE self, const char *action)
{
  minnow_h *g = rb_check_typeddata (self, &handle_type);

  /* libguestfs's exception and message. */
  if (g == NULL)
    rb_raise (rb_eArgError, "%s: used handle after closing it", action);
  return g;
}

void
minnow_rb_raise_error (minnow_h *g)
{
  const char *msg = minnow_last_error (g);

  raise_message (msg ? msg : "unknown error", minnow_last_errno (g));
}

static VALUE
handle_alloc (VALUE klass)
{
  return TypedData_Wrap_Struct (klass, &handle_type, NULL);
}

/* Only symbols or strings with these names are flags. */
static int
check_flag_key (VALUE key, VALUE val, VALUE unused)
{
  VALUE name = SYMBOL_P (key) ? rb_sym2str (key) : key;
  const char *s = RB_TYPE_P (name, T_STRING) ? StringValueCStr (name) : "";

  (void) val;
  (void) unused;
  if (strcmp (s, "environment") != 0 && strcmp (s, "close_on_exit") != 0)
    rb_raise (rb_eArgError, "Minnow::Minnow.new: unknown flag %" PRIsVALUE
              " (known: environment, close_on_exit)", rb_inspect (key));
  return ST_CONTINUE;
}

static int
flag_is_false (VALUE hash, const char *name)
{
  VALUE v = rb_hash_lookup2 (hash, ID2SYM (rb_intern (name)), Qundef);

  if (v == Qundef)
    v = rb_hash_lookup2 (hash, rb_str_new_cstr (name), Qundef);
  return v != Qundef && !RTEST (v);
}

/* new({environment: false, close_on_exit: false}) as libguestfs, or
 * new(flags) with minnow's CREATE_* bits. */
static VALUE
handle_initialize (int argc, VALUE *argv, VALUE self)
{
  VALUE arg, closer, callbacks;
  unsigned flags = 0;
  minnow_h *g;

  rb_scan_args (argc, argv, "01", &arg);
  if (RB_TYPE_P (arg, T_HASH)) {
    rb_hash_foreach (arg, check_flag_key, Qnil);
    if (flag_is_false (arg, "environment"))
      flags |= MINNOW_CREATE_NO_ENVIRONMENT;
    if (flag_is_false (arg, "close_on_exit"))
      flags |= MINNOW_CREATE_NO_CLOSE_ON_EXIT;
  }
  else if (!NIL_P (arg))
    flags = NUM2UINT (arg);
  /* close or the GC closes the handle, not the atexit handler. */
  g = minnow_create_flags (flags | MINNOW_CREATE_NO_CLOSE_ON_EXIT);
  if (g == NULL)
    raise_message ("Minnow::Minnow.new: could not create the handle", errno);
  minnow_set_error_handler (g, NULL, NULL);
  closer = TypedData_Wrap_Struct (c_closer, &closer_type, g);
  callbacks = rb_hash_new ();
  rb_iv_set (closer, "@callbacks", callbacks);
  DATA_PTR (self) = g;
  rb_iv_set (self, "@callbacks", callbacks);
  rb_iv_set (self, "@closer", closer);
  rb_define_finalizer (self, rb_obj_method (closer, ID2SYM (rb_intern ("call"))));
  return self;
}

/* Minnow.create(...): libguestfs's older spelling of Minnow::Minnow.new. */
static VALUE
module_create (int argc, VALUE *argv, VALUE m)
{
  VALUE c = rb_const_get (m, rb_intern ("Minnow"));

  return rb_class_new_instance (argc, argv, c);
}

static VALUE
handle_close (VALUE self)
{
  minnow_h *g = rb_check_typeddata (self, &handle_type);
  VALUE closer;

  if (g) {
    DATA_PTR (self) = NULL;
    closer = rb_iv_get (self, "@closer");
    rb_undefine_finalizer (self);
    closer_call (0, NULL, closer);
    rb_iv_set (self, "@callbacks", rb_hash_new ());
  }
  return Qnil;
}

/* ---------------------------------------------------------------- events */

struct event_args {
  VALUE proc;
  VALUE args[4];
};

static VALUE
call_proc (VALUE p)
{
  struct event_args *a = (struct event_args *) p;

  return rb_funcallv (a->proc, rb_intern ("call"), 4, a->args);
}

struct event {
  VALUE proc;
  uint64_t event;
  int event_handle;
  const char *buf;
  size_t buf_len;
  const uint64_t *array;
  size_t array_len;
};

/* Runs with the GVL. */
static void *
event_with_gvl (void *p)
{
  struct event *ev = p;
  struct event_args a;
  size_t i;
  int state = 0;

  a.proc = ev->proc;
  a.args[0] = ULL2NUM (ev->event);
  a.args[1] = INT2NUM (ev->event_handle);
  a.args[2] = rb_str_new (ev->buf ? ev->buf : "", ev->buf ? (long) ev->buf_len : 0);
  a.args[3] = rb_ary_new2 ((long) ev->array_len);
  for (i = 0; i < ev->array_len; ++i)
    rb_ary_push (a.args[3], ULL2NUM (ev->array[i]));
  /* An exception cannot unwind through the library: report it. */
  rb_protect (call_proc, (VALUE) &a, &state);
  if (state) {
    VALUE err = rb_errinfo ();
    rb_set_errinfo (Qnil);
    rb_warn ("Minnow: event callback raised %s",
             RSTRING_PTR (rb_inspect (err)));
  }
  return NULL;
}

/* Every call into the library (close included) releases the GVL, so a
 * callback takes it back for the proc. */
static void
event_callback (minnow_h *g, void *opaque, uint64_t event,
                int event_handle, int flags,
                const char *buf, size_t buf_len,
                const uint64_t *array, size_t array_len)
{
  struct event ev = { (VALUE) opaque, event, event_handle, buf, buf_len,
                      array, array_len };

  (void) g;
  (void) flags;
  rb_thread_call_with_gvl (event_with_gvl, &ev);
}

/* set_event_callback(proc, events) as libguestfs, and minnow's
 * set_event_callback(events) { |event, event_handle, buf, array| ... }
 * or set_event_callback(events, proc). */
struct set_cb_args {
  minnow_h *g;
  uint64_t events;
  void *proc;
  int eh;
};

static void *
set_cb_without_gvl (void *opaque)
{
  struct set_cb_args *a = opaque;
  char key[64];

  a->eh = minnow_set_event_callback (a->g, event_callback, a->events, 0,
                                     a->proc);
  if (a->eh != -1) {
    snprintf (key, sizeof key, EVENT_KEY_PREFIX "%d", a->eh);
    minnow_set_private (a->g, key, a->proc);
  }
  return NULL;
}

struct delete_cb_args {
  minnow_h *g;
  int eh;
  int found;
};

static void *
delete_cb_without_gvl (void *opaque)
{
  struct delete_cb_args *a = opaque;
  char key[64];

  snprintf (key, sizeof key, EVENT_KEY_PREFIX "%d", a->eh);
  if (minnow_get_private (a->g, key)) {
    minnow_delete_event_callback (a->g, a->eh);
    minnow_set_private (a->g, key, NULL);
    a->found = 1;
  }
  return NULL;
}

static VALUE
handle_set_event_callback (int argc, VALUE *argv, VALUE self)
{
  minnow_h *g = minnow_rb_handle (self, "set_event_callback");
  VALUE events, opt, blk, proc;
  int eh;

  rb_scan_args (argc, argv, "11&", &events, &opt, &blk);
  if (rb_respond_to (events, rb_intern ("call"))) {
    VALUE t = events;           /* libguestfs's order */
    events = opt;
    opt = t;
    if (NIL_P (events))
      rb_raise (rb_eArgError, "set_event_callback: expected (proc, events)");
  }
  proc = NIL_P (opt) ? blk : opt;
  if (NIL_P (proc))
    rb_raise (rb_eArgError, "set_event_callback: give a block or a proc");
  {
    struct set_cb_args a = { g, NUM2ULL (events), (void *) proc, -1 };

    /* Without the GVL: the handle's lock may be held by a call in
     * another thread whose callback needs the GVL. */
    rb_thread_call_without_gvl (set_cb_without_gvl, &a, NULL, NULL);
    eh = a.eh;
  }
  if (eh == -1)
    minnow_rb_raise_error (g);
  /* Keep the proc alive while the handle may call it. */
  rb_hash_aset (rb_iv_get (self, "@callbacks"), INT2NUM (eh), proc);
  return INT2NUM (eh);
}

static VALUE
handle_delete_event_callback (VALUE self, VALUE ehv)
{
  minnow_h *g = minnow_rb_handle (self, "delete_event_callback");
  struct delete_cb_args a = { g, NUM2INT (ehv), 0 };

  rb_thread_call_without_gvl (delete_cb_without_gvl, &a, NULL, NULL);
  if (a.found)
    rb_hash_delete (rb_iv_get (self, "@callbacks"), ehv);
  return Qnil;
}

static VALUE
handle_user_cancel (VALUE self)
{
  minnow_user_cancel (minnow_rb_handle (self, "user_cancel"));
  return Qnil;
}

static VALUE
handle_last_errno (VALUE self)
{
  return INT2NUM (minnow_last_errno (minnow_rb_handle (self, "last_errno")));
}

static VALUE
module_event_to_string (VALUE m, VALUE events)
{
  char *s = minnow_event_to_string (NUM2ULL (events));
  VALUE r;

  if (s == NULL)
    raise_message ("event_to_string: failed", errno);
  r = rb_str_new2 (s);
  free (s);
  return r;
}

/* ---------------------------------------------------------------- values */

char **
minnow_rb_string_list (VALUE v, const char *name)
{
  long i, n;
  char **r;

  Check_Type (v, T_ARRAY);
  n = RARRAY_LEN (v);
  r = malloc ((n + 1) * sizeof (char *));
  if (r == NULL)
    rb_raise (rb_eNoMemError, "%s: out of memory", name);
  for (i = 0; i < n; ++i) {
    VALUE s = rb_ary_entry (v, i);
    r[i] = strdup (StringValueCStr (s));
  }
  r[n] = NULL;
  return r;
}

void
minnow_rb_free_strings (char **strs)
{
  size_t i;

  if (strs == NULL)
    return;
  for (i = 0; strs[i] != NULL; ++i)
    free (strs[i]);
  free (strs);
}

VALUE
minnow_rb_option (VALUE opts, const char *name)
{
  VALUE v = rb_hash_lookup2 (opts, ID2SYM (rb_intern (name)), Qundef);

  if (v == Qundef)
    v = rb_hash_lookup2 (opts, rb_str_new2 (name), Qundef);
  return v;
}

VALUE
minnow_rb_string_array (char **strs)
{
  VALUE a = rb_ary_new ();
  size_t i;

  for (i = 0; strs[i] != NULL; ++i)
    rb_ary_push (a, rb_str_new2 (strs[i]));
  return a;
}

VALUE
minnow_rb_hash (char **strs)
{
  VALUE h = rb_hash_new ();
  size_t i;

  for (i = 0; strs[i] != NULL && strs[i+1] != NULL; i += 2)
    rb_hash_aset (h, rb_str_new2 (strs[i]), rb_str_new2 (strs[i+1]));
  return h;
}

void
minnow_rb_init_handle (VALUE m, VALUE c)
{
  c_error = rb_define_class_under (m, "Error", rb_eStandardError);
  rb_define_attr (c_error, "errno", 1, 0);
  rb_define_const (m, "CREATE_NO_ENVIRONMENT", INT2NUM (MINNOW_CREATE_NO_ENVIRONMENT));
  rb_define_const (m, "CREATE_NO_CLOSE_ON_EXIT", INT2NUM (MINNOW_CREATE_NO_CLOSE_ON_EXIT));
  rb_define_module_function (m, "create", module_create, -1);
  rb_define_module_function (m, "event_to_string", module_event_to_string, 1);
  c_closer = rb_define_class_under (m, "HandleCloser", rb_cObject);
  rb_undef_alloc_func (c_closer);
  rb_define_method (c_closer, "call", closer_call, -1);
  rb_define_alloc_func (c, handle_alloc);
  rb_define_method (c, "initialize", handle_initialize, -1);
  rb_define_method (c, "close", handle_close, 0);
  rb_define_method (c, "set_event_callback", handle_set_event_callback, -1);
  rb_define_method (c, "delete_event_callback", handle_delete_event_callback, 1);
  rb_define_method (c, "user_cancel", handle_user_cancel, 0);
  rb_define_method (c, "last_errno", handle_last_errno, 0);
}
