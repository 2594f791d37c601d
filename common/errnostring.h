/* minnow: errno values <-> portable names ("ENOENT").
 *
 * The daemon sends errno names, never numbers, so that a library on a
 * different platform maps them back to its own values.
 */

#ifndef MINNOW_ERRNOSTRING_H
#define MINNOW_ERRNOSTRING_H

/* The name of errnum ("EIO"), or NULL when it has no portable name. */
const char *minnow_errno_to_string (int errnum);

/* The host's value for name, or 0 when the name is unknown or NULL. */
int minnow_string_to_errno (const char *name);

#endif /* MINNOW_ERRNOSTRING_H */
