/* The OCaml binding's C glue shared by handle-c.c (hand-written) and
 * actions-c.c (which the generator writes). */

#ifndef MINNOW_C_H_
#define MINNOW_C_H_

#include <caml/mlvalues.h>

#include "minnow.h"

/* The minnow_h of a handle; raises Minnow.Handle_closed if it was closed. */
extern minnow_h *ocaml_minnow_handle (value gv, const char *action);

/* Raise Minnow.Error from the handle's last error and errno. */
extern void ocaml_minnow_raise_error (minnow_h *g) __attribute__((noreturn));

/* Copies out of the OCaml heap (the runtime lock is released during
 * calls, and the GC may move values meanwhile). */
extern char *ocaml_minnow_strdup (value sv);
extern char *ocaml_minnow_memdup (value sv, size_t len);
extern char **ocaml_minnow_string_array (value av);
extern void ocaml_minnow_free_strings (char **strs);

/* Results. */
extern value ocaml_minnow_string_option (const char *s);
extern value ocaml_minnow_hashtable (char **strs);

/* Errno names and values, generated (same order). */
extern const char *const ocaml_minnow_errno_names[];
extern const int ocaml_minnow_errno_values[];

#endif /* MINNOW_C_H_ */
