/* The Python binding: the handle, errors, events and the conversions the
 * generated wrappers (actions.c) use. */

#define PY_SSIZE_T_CLEAN 1
#include <Python.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minnow.h"
#include "minnow-py.h"

/* minnow.Error and minnow.ClosedHandle, registered by minnow.py when it
 * is imported. */
static PyObject *error_class, *closed_class;

#define CAPSULE_NAME "minnow_h"
#define EVENT_KEY_PREFIX "_minnow_py_event_"

static void
raise_in_class (PyObject *cls, PyObject *fallback, const char *msg, int errnum)
{
  PyObject *exc;

  if (cls == NULL) {
    PyErr_SetString (fallback, msg);
    return;
  }
  exc = PyObject_CallFunction (cls, "si", msg, errnum);
  if (exc != NULL) {
    PyErr_SetObject (cls, exc);
    Py_DECREF (exc);
  }
}

static void
raise_message (const char *msg, int errnum)
{
  raise_in_class (error_class, PyExc_RuntimeError, msg, errnum);
}

minnow_h *
minnow_py_get_handle (PyObject *obj, const char *action)
{
  if (obj == Py_None) {
    /* libguestfs's message, renamed. */
    raise_in_class (closed_class, PyExc_ValueError,
                    "Minnow: method called on closed handle", 0);
    return NULL;
  }
  return PyCapsule_GetPointer (obj, CAPSULE_NAME);
}

void
minnow_py_raise_error (minnow_h *g)
{
  const char *msg = minnow_last_error (g);

  raise_message (msg ? msg : "unknown error", minnow_last_errno (g));
}

int
minnow_py_get_string (PyObject *obj, const char *name, int optional,
                      const char **s, PyObject **keep)
{
  Py_ssize_t len;

  *keep = NULL;
  if (obj == Py_None && optional) {
    *s = NULL;
    return 0;
  }
  if (PyUnicode_Check (obj)) {
    *s = PyUnicode_AsUTF8AndSize (obj, &len);
    if (*s == NULL) {
      /* Lone surrogates: bytes that were not UTF-8 when they came from
       * the library (minnow_py_string decodes with surrogateescape). */
      PyErr_Clear ();
      *keep = PyUnicode_AsEncodedString (obj, "utf-8", "surrogateescape");
      if (*keep == NULL)
        return -1;
      *s = PyBytes_AS_STRING (*keep);
      len = PyBytes_GET_SIZE (*keep);
    }
  }
  else if (PyBytes_Check (obj)) {
    *s = PyBytes_AS_STRING (obj);
    len = PyBytes_GET_SIZE (obj);
  }
  else {
    PyErr_Format (PyExc_TypeError, "%s: expected %s, got %s", name,
                  optional ? "str, bytes or None" : "str or bytes",
                  Py_TYPE (obj)->tp_name);
    return -1;
  }
  if ((size_t) len != strlen (*s)) {
    Py_CLEAR (*keep);
    PyErr_Format (PyExc_ValueError, "%s: embedded NUL character", name);
    return -1;
  }
  return 0;
}

char **
minnow_py_get_string_list (PyObject *obj, const char *name)
{
  PyObject *seq;
  Py_ssize_t i, n;
  char **r;

  if (PyUnicode_Check (obj) || PyBytes_Check (obj)) {
    PyErr_Format (PyExc_TypeError, "%s: expected a list of strings, got a string", name);
    return NULL;
  }
  seq = PySequence_Fast (obj, "expected a list of strings");
  if (seq == NULL)
    return NULL;
  n = PySequence_Fast_GET_SIZE (seq);
  r = calloc ((size_t) n + 1, sizeof (char *));
  if (r == NULL) {
    Py_DECREF (seq);
    PyErr_NoMemory ();
    return NULL;
  }
  for (i = 0; i < n; ++i) {
    const char *s;
    PyObject *keep;

    if (minnow_py_get_string (PySequence_Fast_GET_ITEM (seq, i), name, 0,
                              &s, &keep) == -1 ||
        (r[i] = strdup (s)) == NULL) {
      if (!PyErr_Occurred ())
        PyErr_NoMemory ();
      Py_XDECREF (keep);
      minnow_py_free_strings (r);
      Py_DECREF (seq);
      return NULL;
    }
    Py_XDECREF (keep);
  }
  Py_DECREF (seq);
  return r;
}

int
minnow_py_get_int (PyObject *obj, const char *name)
{
  long v = PyLong_AsLong (obj);

  if (v == -1 && PyErr_Occurred ())
    return -1;
  if (v < INT_MIN || v > INT_MAX) {
    PyErr_Format (PyExc_OverflowError, "%s: out of range for an int", name);
    return -1;
  }
  return (int) v;
}

void
minnow_py_free_strings (char **strs)
{
  size_t i;

  if (strs == NULL)
    return;
  for (i = 0; strs[i] != NULL; ++i)
    free (strs[i]);
  free (strs);
}

PyObject *
minnow_py_string (const char *s)
{
  return PyUnicode_DecodeUTF8 (s, (Py_ssize_t) strlen (s), "surrogateescape");
}

PyObject *
minnow_py_string_list (char **strs)
{
  PyObject *list;
  size_t i, n;

  for (n = 0; strs[n] != NULL; ++n)
    ;
  list = PyList_New ((Py_ssize_t) n);
  if (list == NULL)
    return NULL;
  for (i = 0; i < n; ++i) {
    PyObject *s = minnow_py_string (strs[i]);
    if (s == NULL) {
      Py_DECREF (list);
      return NULL;
    }
    PyList_SET_ITEM (list, (Py_ssize_t) i, s);
  }
  return list;
}

PyObject *
minnow_py_hashtable (char **strs)
{
  PyObject *dict = PyDict_New ();
  size_t i;

  if (dict == NULL)
    return NULL;
  for (i = 0; strs[i] != NULL && strs[i+1] != NULL; i += 2) {
    PyObject *k = minnow_py_string (strs[i]);
    PyObject *v = minnow_py_string (strs[i+1]);
    if (k == NULL || v == NULL || PyDict_SetItem (dict, k, v) == -1) {
      Py_XDECREF (k);
      Py_XDECREF (v);
      Py_DECREF (dict);
      return NULL;
    }
    Py_DECREF (k);
    Py_DECREF (v);
  }
  return dict;
}

/* ---------------------------------------------------------------- handle */

PyObject *
minnow_py_create (PyObject *self, PyObject *args)
{
  unsigned flags = 0;
  minnow_h *g;

  if (!PyArg_ParseTuple (args, "|I:create", &flags))
    return NULL;
  /* Python closes the handle when the object is collected; the library's
   * atexit handler must not close it behind Python's back. */
  g = minnow_create_flags (flags | MINNOW_CREATE_NO_CLOSE_ON_EXIT);
  if (g == NULL) {
    raise_message ("minnow_create: could not create the handle", errno);
    return NULL;
  }
  /* Errors become exceptions; nothing is printed. */
  minnow_set_error_handler (g, NULL, NULL);
  return PyCapsule_New (g, CAPSULE_NAME, NULL);
}

/* The Python callables registered on a handle, in a NULL-terminated
 * array (collected before minnow_close, released after it, because the
 * CLOSE event still calls them). */
static PyObject **
event_callables (minnow_h *g)
{
  PyObject **r;
  const char *key;
  void *data;
  size_t n = 0, i = 0;

  for (data = minnow_first_private (g, &key); data != NULL || key != NULL;
       data = minnow_next_private (g, &key)) {
    if (key == NULL)
      break;
    if (data && strncmp (key, EVENT_KEY_PREFIX, strlen (EVENT_KEY_PREFIX)) == 0)
      n++;
  }
  r = calloc (n + 1, sizeof *r);
  if (r == NULL)
    return NULL;
  for (data = minnow_first_private (g, &key); data != NULL || key != NULL;
       data = minnow_next_private (g, &key)) {
    if (key == NULL)
      break;
    if (data && i < n && strncmp (key, EVENT_KEY_PREFIX, strlen (EVENT_KEY_PREFIX)) == 0)
      r[i++] = data;
  }
  return r;
}

PyObject *
minnow_py_close (PyObject *self, PyObject *args)
{
  PyObject *py_g, **cbs;
  minnow_h *g;
  size_t i;

  if (!PyArg_ParseTuple (args, "O:close", &py_g))
    return NULL;
  g = minnow_py_get_handle (py_g, "close");
  if (g == NULL)
    return NULL;
  /* Without the GIL: close (and the private-data walk) wait for a call
   * running in another thread, whose callbacks may need the GIL. */
  Py_BEGIN_ALLOW_THREADS
  cbs = event_callables (g);
  minnow_close (g);
  Py_END_ALLOW_THREADS

  if (cbs) {
    for (i = 0; cbs[i] != NULL; ++i)
      Py_DECREF (cbs[i]);
    free (cbs);
  }
  Py_RETURN_NONE;
}

static void
event_callback_wrapper (minnow_h *g, void *opaque, uint64_t event,
                        int event_handle, int flags,
                        const char *buf, size_t buf_len,
                        const uint64_t *array, size_t array_len)
{
  PyGILState_STATE state = PyGILState_Ensure ();
  PyObject *cb = opaque, *py_array, *r;
  size_t i;

  py_array = PyList_New ((Py_ssize_t) array_len);
  if (py_array == NULL)
    goto out;
  for (i = 0; i < array_len; ++i) {
    PyObject *v = PyLong_FromUnsignedLongLong (array[i]);
    if (v == NULL) {
      Py_DECREF (py_array);
      goto out;
    }
    PyList_SET_ITEM (py_array, (Py_ssize_t) i, v);
  }
  r = PyObject_CallFunction (cb, "Kiy#O", (unsigned long long) event,
                             event_handle, buf ? buf : "",
                             (Py_ssize_t) (buf ? buf_len : 0), py_array);
  Py_DECREF (py_array);
  Py_XDECREF (r);
 out:
  /* A callback cannot raise into the library: report and carry on. */
  if (PyErr_Occurred ())
    PyErr_Print ();
  PyGILState_Release (state);
}

PyObject *
minnow_py_set_event_callback (PyObject *self, PyObject *args)
{
  PyObject *py_g, *cb;
  unsigned long long events;
  minnow_h *g;
  int eh;
  char key[64];

  if (!PyArg_ParseTuple (args, "OOK:set_event_callback", &py_g, &cb, &events))
    return NULL;
  g = minnow_py_get_handle (py_g, "set_event_callback");
  if (g == NULL)
    return NULL;
  if (!PyCallable_Check (cb)) {
    PyErr_SetString (PyExc_TypeError, "set_event_callback: the callback is not callable");
    return NULL;
  }
  /* The handle's lock may be held by a call in another thread whose
   * callbacks need the GIL: wait for it without the GIL. */
  Py_INCREF (cb);
  Py_BEGIN_ALLOW_THREADS
  eh = minnow_set_event_callback (g, event_callback_wrapper, events, 0, cb);
  if (eh != -1) {
    snprintf (key, sizeof key, EVENT_KEY_PREFIX "%d", eh);
    minnow_set_private (g, key, cb);
  }
  Py_END_ALLOW_THREADS
  if (eh == -1) {
    Py_DECREF (cb);
    minnow_py_raise_error (g);
    return NULL;
  }
  return PyLong_FromLong (eh);
}

PyObject *
minnow_py_delete_event_callback (PyObject *self, PyObject *args)
{
  PyObject *py_g, *cb;
  minnow_h *g;
  int eh;
  char key[64];

  if (!PyArg_ParseTuple (args, "Oi:delete_event_callback", &py_g, &eh))
    return NULL;
  g = minnow_py_get_handle (py_g, "delete_event_callback");
  if (g == NULL)
    return NULL;
  snprintf (key, sizeof key, EVENT_KEY_PREFIX "%d", eh);
  Py_BEGIN_ALLOW_THREADS
  cb = minnow_get_private (g, key);
  if (cb) {
    minnow_delete_event_callback (g, eh);
    minnow_set_private (g, key, NULL);
  }
  Py_END_ALLOW_THREADS
  if (cb)
    Py_DECREF (cb);
  Py_RETURN_NONE;
}

PyObject *
minnow_py_event_to_string (PyObject *self, PyObject *args)
{
  unsigned long long events;
  char *s;
  PyObject *r;

  if (!PyArg_ParseTuple (args, "K:event_to_string", &events))
    return NULL;
  s = minnow_event_to_string (events);
  if (s == NULL) {
    raise_message ("event_to_string: failed", errno);
    return NULL;
  }
  r = minnow_py_string (s);
  free (s);
  return r;
}

PyObject *
minnow_py_user_cancel (PyObject *self, PyObject *args)
{
  PyObject *py_g;
  minnow_h *g;

  if (!PyArg_ParseTuple (args, "O:user_cancel", &py_g))
    return NULL;
  g = minnow_py_get_handle (py_g, "user_cancel");
  if (g == NULL)
    return NULL;
  minnow_user_cancel (g);
  Py_RETURN_NONE;
}

PyObject *
minnow_py_last_errno (PyObject *self, PyObject *args)
{
  PyObject *py_g;
  minnow_h *g;

  if (!PyArg_ParseTuple (args, "O:last_errno", &py_g))
    return NULL;
  g = minnow_py_get_handle (py_g, "last_errno");
  if (g == NULL)
    return NULL;
  return PyLong_FromLong (minnow_last_errno (g));
}

PyObject *
minnow_py__set_error_class (PyObject *self, PyObject *args)
{
  PyObject *cls, *closed;

  if (!PyArg_ParseTuple (args, "OO:_set_error_class", &cls, &closed))
    return NULL;
  Py_INCREF (cls);
  Py_XSETREF (error_class, cls);
  Py_INCREF (closed);
  Py_XSETREF (closed_class, closed);
  Py_RETURN_NONE;
}
