/* The Ruby binding's C glue shared by handle-rb.c (hand-written) and
 * actions-rb.c (which the generator writes). */

#ifndef MINNOW_RB_H_
#define MINNOW_RB_H_

#include <ruby.h>

#include "minnow.h"

/* Defines Minnow::Minnow (new, close, events) and Minnow::Error in the
 * module m; returns the class. */
extern void minnow_rb_init_handle (VALUE m, VALUE c);

/* The minnow_h of a handle; raises Minnow::Error if it was closed. */
extern minnow_h *minnow_rb_handle (VALUE self, const char *action);

/* Raise Minnow::Error from the handle's last error and errno. */
extern void minnow_rb_raise_error (minnow_h *g) __attribute__((noreturn));

/* An Array of Strings as a NULL-terminated array of copies. */
extern char **minnow_rb_string_list (VALUE v, const char *name);
extern void minnow_rb_free_strings (char **strs);

/* The value of an optional argument in the options hash, by Symbol or
 * String key; Qundef when absent. */
extern VALUE minnow_rb_option (VALUE opts, const char *name);

extern VALUE minnow_rb_string_array (char **strs);
extern VALUE minnow_rb_hash (char **strs);

#endif /* MINNOW_RB_H_ */
