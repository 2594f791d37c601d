/* The Python binding's C glue shared by handle.c (hand-written) and
 * actions.c (which the generator writes). */

#ifndef MINNOW_PY_H_
#define MINNOW_PY_H_

#include <Python.h>

#include "minnow.h"

/* The minnow_h of a handle capsule; with an exception set (naming the
 * action) and NULL if the handle was closed. */
extern minnow_h *minnow_py_get_handle (PyObject *obj, const char *action);

/* Raise minnow.Error from the handle's last error and errno. */
extern void minnow_py_raise_error (minnow_h *g);

/* Arguments.  A string is str (UTF-8; surrogateescape for bytes that are
 * not UTF-8) or bytes; *keep receives a reference to release after the
 * call.  None is accepted only when optional is true (*s = NULL). */
extern int minnow_py_get_string (PyObject *obj, const char *name, int optional,
                                 const char **s, PyObject **keep);
/* A list or tuple of strings, as a NULL-terminated array of copies. */
extern char **minnow_py_get_string_list (PyObject *obj, const char *name);
extern int minnow_py_get_int (PyObject *obj, const char *name);
/* Free a NULL-terminated array and its strings (NULL is harmless). */
extern void minnow_py_free_strings (char **strs);

/* Results. */
extern PyObject *minnow_py_string (const char *s);
extern PyObject *minnow_py_string_list (char **strs);
extern PyObject *minnow_py_hashtable (char **strs);

/* The fixed handle API, in the module's method table. */
extern PyObject *minnow_py_create (PyObject *self, PyObject *args);
extern PyObject *minnow_py_close (PyObject *self, PyObject *args);
extern PyObject *minnow_py_set_event_callback (PyObject *self, PyObject *args);
extern PyObject *minnow_py_delete_event_callback (PyObject *self, PyObject *args);
extern PyObject *minnow_py_event_to_string (PyObject *self, PyObject *args);
extern PyObject *minnow_py_user_cancel (PyObject *self, PyObject *args);
extern PyObject *minnow_py_last_errno (PyObject *self, PyObject *args);
extern PyObject *minnow_py__set_error_class (PyObject *self, PyObject *args);

#endif /* MINNOW_PY_H_ */
