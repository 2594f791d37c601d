/* minnow: helpers shared by the storage actions (do-*.c). */

#ifndef MINNOW_STORAGE_ACTIONS_H
#define MINNOW_STORAGE_ACTIONS_H

#include <errno.h>
#include <stdlib.h>

#include "daemon.h"
#include "storage.h"
#include "fsops.h"

/* Replies for a negative errno r about path (or device): "PATH: strerror".
 * ENODEV from path resolution means nothing is mounted on "/". */
void reply_errno_path (int r, const char *path);

/* Replies with the engine-core message when there is one, else like
 * reply_errno_path; frees msg. */
void reply_errno_msg (int r, const char *what, char *msg);

/* Drive index and partition number of a canonical device name; replies
 * and returns -1 on failure.  need_whole / need_part: what the action
 * requires. */
int device_drive (const char *device, size_t *index_r, int *partnum_r,
                  int need_whole, int need_part);

/* The mount that writing to device would pull the ground from under:
 * device itself, a partition of it (device is a drive) or its drive
 * (device is a partition) mounted; NULL when none. */
struct mount *device_in_use (const char *device);

/* Returns a NULL-terminated malloc'd copy of a list, or NULL after a
 * reply ("out of memory"). */
char **strlist_new (size_t n);

/* Sorts a NULL-terminated list of strings in C-locale order. */
void strlist_sort (char **list);
void strlist_free (char **list);

#endif
