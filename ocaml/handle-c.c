/* The OCaml binding: the handle (a custom block, closed by its finalizer
 * if the program did not close it), errors, events, and the conversions
 * the generated stubs (actions-c.c) use. */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <caml/alloc.h>
#include <caml/callback.h>
#include <caml/custom.h>
#include <caml/fail.h>
#include <caml/memory.h>
#include <caml/mlvalues.h>
#include <caml/printexc.h>
#include <caml/signals.h>

#include "minnow.h"
#include "minnow-c.h"

#define Handle_val(v) (*((minnow_h **) Data_custom_val (v)))
#define EVENT_KEY_PREFIX "_minnow_ocaml_event_"

static void raise_message (const char *msg) __attribute__((noreturn));

/* Minnow.Error msg, as libguestfs's Guestfs.Error; the errno stays in
 * the handle for last_errno. */
static void
raise_message (const char *msg)
{
  const value *exn = caml_named_value ("Minnow.Error");

  if (exn == NULL)
    caml_failwith (msg);
  caml_raise_with_string (*exn, msg);
}

minnow_h *
ocaml_minnow_handle (value gv, const char *action)
{
  minnow_h *g = Handle_val (gv);

  if (g == NULL) {
    const value *exn = caml_named_value ("Minnow.Handle_closed");

    if (exn == NULL)
      caml_failwith (action);
    caml_raise_with_string (*exn, action);
  }
  return g;
}

void
ocaml_minnow_raise_error (minnow_h *g)
{
  const char *msg = minnow_last_error (g);

  raise_message (msg ? msg : "unknown error");
}

static void *
xmalloc (size_t n)
{
  void *p = malloc (n ? n : 1);

  if (p == NULL)
    caml_raise_out_of_memory ();
  return p;
}

char *
ocaml_minnow_strdup (value sv)
{
  return ocaml_minnow_memdup (sv, caml_string_length (sv));
}

/* A copy of LEN bytes with a NUL byte after them. */
char *
ocaml_minnow_memdup (value sv, size_t len)
{
  char *p = xmalloc (len + 1);

  memcpy (p, String_val (sv), len);
  p[len] = '\0';
  return p;
}

char **
ocaml_minnow_string_array (value av)
{
  size_t i, n = Wosize_val (av);
  char **r = xmalloc ((n + 1) * sizeof (char *));

  for (i = 0; i < n; ++i)
    r[i] = ocaml_minnow_strdup (Field (av, i));
  r[n] = NULL;
  return r;
}

void
ocaml_minnow_free_strings (char **strs)
{
  size_t i;

  if (strs == NULL)
    return;
  for (i = 0; strs[i] != NULL; ++i)
    free (strs[i]);
  free (strs);
}

value
ocaml_minnow_string_option (const char *s)
{
  CAMLparam0 ();
  CAMLlocal2 (rv, sv);

  if (s == NULL)
    CAMLreturn (Val_int (0));
  sv = caml_copy_string (s);
  rv = caml_alloc (1, 0);
  Store_field (rv, 0, sv);
  CAMLreturn (rv);
}

/* A (string * string) list, in the order of the array. */
value
ocaml_minnow_hashtable (char **strs)
{
  CAMLparam0 ();
  CAMLlocal4 (rv, cons, pair, s);
  size_t n, i;

  for (n = 0; strs[n] != NULL; ++n)
    ;
  n &= ~(size_t) 1;
  rv = Val_int (0);
  for (i = n; i >= 2; i -= 2) {
    pair = caml_alloc_tuple (2);
    s = caml_copy_string (strs[i-2]);
    Store_field (pair, 0, s);
    s = caml_copy_string (strs[i-1]);
    Store_field (pair, 1, s);
    cons = caml_alloc (2, 0);
    Store_field (cons, 0, pair);
    Store_field (cons, 1, rv);
    rv = cons;
  }
  CAMLreturn (rv);
}

/* ---------------------------------------------------------------- events */

/* The closures registered on a handle are global roots in malloc'd
 * cells, kept in the handle's private data under EVENT_KEY_PREFIX N. */
static void
event_callback_wrapper (minnow_h *g, void *opaque, uint64_t event,
                        int event_handle, int flags,
                        const char *buf, size_t buf_len,
                        const uint64_t *array, size_t array_len)
{
  value *root = opaque;
  size_t i;

  /* Every call into the library releases the runtime lock, so callbacks
   * run without it: take it for the OCaml closure. */
  caml_leave_blocking_section ();
  {
    CAMLparam0 ();
    CAMLlocalN (args, 4);
    CAMLlocal2 (r, v);

    args[0] = caml_copy_int64 ((int64_t) event);
    args[1] = Val_int (event_handle);
    args[2] = caml_alloc_initialized_string (buf ? buf_len : 0, buf ? buf : "");
    args[3] = array_len ? caml_alloc (array_len, 0) : Atom (0);
    for (i = 0; i < array_len; ++i) {
      v = caml_copy_int64 ((int64_t) array[i]);
      Store_field (args[3], i, v);
    }
    r = caml_callbackN_exn (*root, 4, args);
    if (Is_exception_result (r)) {
      char *msg = caml_format_exception (Extract_exception (r));

      fprintf (stderr, "minnow: an OCaml event callback raised %s\n", msg);
      free (msg);
    }
    CAMLdrop;
  }
  caml_enter_blocking_section ();
}

value ocaml_minnow_set_event_callback (value gv, value closure, value eventsv);
value
ocaml_minnow_set_event_callback (value gv, value closure, value eventsv)
{
  CAMLparam3 (gv, closure, eventsv);
  minnow_h *g = ocaml_minnow_handle (gv, "set_event_callback");
  value *root = xmalloc (sizeof *root);
  char key[64];
  int eh;

  uint64_t events = (uint64_t) Int64_val (eventsv);

  *root = closure;
  caml_register_generational_global_root (root);
  /* Outside the runtime lock: the handle's lock may be held by a call in
   * another thread whose callback needs the runtime. */
  caml_enter_blocking_section ();
  eh = minnow_set_event_callback (g, event_callback_wrapper, events, 0, root);
  if (eh != -1) {
    snprintf (key, sizeof key, EVENT_KEY_PREFIX "%d", eh);
    minnow_set_private (g, key, root);
  }
  caml_leave_blocking_section ();
  if (eh == -1) {
    caml_remove_generational_global_root (root);
    free (root);
    ocaml_minnow_raise_error (g);
  }
  CAMLreturn (Val_int (eh));
}

value ocaml_minnow_delete_event_callback (value gv, value ehv);
value
ocaml_minnow_delete_event_callback (value gv, value ehv)
{
  CAMLparam2 (gv, ehv);
  minnow_h *g = ocaml_minnow_handle (gv, "delete_event_callback");
  char key[64];
  value *root;

  int eh = Int_val (ehv);

  snprintf (key, sizeof key, EVENT_KEY_PREFIX "%d", eh);
  caml_enter_blocking_section ();
  root = minnow_get_private (g, key);
  if (root) {
    minnow_delete_event_callback (g, eh);
    minnow_set_private (g, key, NULL);
  }
  caml_leave_blocking_section ();
  if (root) {
    caml_remove_generational_global_root (root);
    free (root);
  }
  CAMLreturn (Val_unit);
}

/* The roots registered on g, NULL-terminated; with delete, the callbacks
 * are also removed from the handle. */
static value **
take_roots (minnow_h *g, int delete)
{
  const char *key;
  void *data;
  size_t n = 0, i = 0;
  value **r;
  size_t len = strlen (EVENT_KEY_PREFIX);

  for (data = minnow_first_private (g, &key); key != NULL;
       data = minnow_next_private (g, &key))
    if (data && strncmp (key, EVENT_KEY_PREFIX, len) == 0)
      n++;
  r = calloc (n + 1, sizeof *r);
  if (r == NULL)
    return NULL;
  for (data = minnow_first_private (g, &key); key != NULL && i < n;
       data = minnow_next_private (g, &key))
    if (data && strncmp (key, EVENT_KEY_PREFIX, len) == 0) {
      r[i++] = data;
      if (delete)
        minnow_delete_event_callback (g, atoi (key + len));
    }
  return r;
}

static void
free_roots (value **roots)
{
  size_t i;

  if (roots == NULL)
    return;
  for (i = 0; roots[i] != NULL; ++i) {
    caml_remove_generational_global_root (roots[i]);
    free (roots[i]);
  }
  free (roots);
}

/* ---------------------------------------------------------------- handle */

/* Still open when the block is freed (minnow.ml's Gc.finalise closes
 * collected handles first, running their callbacks): no OCaml code may
 * run here, so the callbacks are removed before the handle is closed. */
static void
finalize (value gv)
{
  minnow_h *g = Handle_val (gv);

  if (g) {
    Handle_val (gv) = NULL;
    free_roots (take_roots (g, 1));
    minnow_close (g);
  }
}

static struct custom_operations handle_ops = {
  "minnow_h",
  finalize,
  custom_compare_default,
  custom_hash_default,
  custom_serialize_default,
  custom_deserialize_default,
  custom_compare_ext_default,
  custom_fixed_length_default
};

value ocaml_minnow_create (value flagsv);
value
ocaml_minnow_create (value flagsv)
{
  CAMLparam1 (flagsv);
  CAMLlocal1 (gv);
  minnow_h *g;

  /* The finalizer or close closes the handle, not the atexit handler. */
  g = minnow_create_flags ((unsigned) Int_val (flagsv) | MINNOW_CREATE_NO_CLOSE_ON_EXIT);
  if (g == NULL)
    raise_message ("create: could not create the handle");
  minnow_set_error_handler (g, NULL, NULL);
  gv = caml_alloc_custom (&handle_ops, sizeof (minnow_h *), 0, 1);
  Handle_val (gv) = g;
  CAMLreturn (gv);
}

value ocaml_minnow_close (value gv);
value
ocaml_minnow_close (value gv)
{
  CAMLparam1 (gv);
  minnow_h *g = Handle_val (gv);
  value **roots;

  if (g) {
    Handle_val (gv) = NULL;
    caml_enter_blocking_section ();
    roots = take_roots (g, 0);
    minnow_close (g);          /* the CLOSE event still reaches the closures */
    caml_leave_blocking_section ();
    free_roots (roots);
  }
  CAMLreturn (Val_unit);
}

value ocaml_minnow_event_to_string (value eventsv);
value
ocaml_minnow_event_to_string (value eventsv)
{
  CAMLparam1 (eventsv);
  CAMLlocal1 (rv);
  char *s = minnow_event_to_string ((uint64_t) Int64_val (eventsv));

  if (s == NULL)
    raise_message ("event_to_string: failed");
  rv = caml_copy_string (s);
  free (s);
  CAMLreturn (rv);
}

value ocaml_minnow_user_cancel (value gv);
value
ocaml_minnow_user_cancel (value gv)
{
  minnow_h *g = Handle_val (gv);

  if (g)
    minnow_user_cancel (g);
  return Val_unit;
}

value ocaml_minnow_last_errno (value gv);
value
ocaml_minnow_last_errno (value gv)
{
  CAMLparam1 (gv);
  minnow_h *g = ocaml_minnow_handle (gv, "last_errno");

  CAMLreturn (Val_int (minnow_last_errno (g)));
}

value ocaml_minnow_errno_of_string (value sv);
value
ocaml_minnow_errno_of_string (value sv)
{
  CAMLparam1 (sv);
  size_t i;

  for (i = 0; ocaml_minnow_errno_names[i] != NULL; ++i)
    if (strcmp (ocaml_minnow_errno_names[i], String_val (sv)) == 0)
      CAMLreturn (Val_int (ocaml_minnow_errno_values[i]));
  CAMLreturn (Val_int (-1));
}

value ocaml_minnow_string_of_errno (value ev);
value
ocaml_minnow_string_of_errno (value ev)
{
  CAMLparam1 (ev);
  size_t i;

  for (i = 0; ocaml_minnow_errno_names[i] != NULL; ++i)
    if (ocaml_minnow_errno_values[i] == Int_val (ev))
      CAMLreturn (caml_copy_string (ocaml_minnow_errno_names[i]));
  CAMLreturn (caml_copy_string ("unknown errno"));
}
