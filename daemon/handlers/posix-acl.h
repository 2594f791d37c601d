/* minnow: POSIX ACLs between libarchive's entries and the
 * system.posix_acl_access / system.posix_acl_default xattr value (the
 * format the Linux VFS uses; libext2fs converts it to ext4's own). */

#ifndef MINNOWD_POSIX_ACL_H
#define MINNOWD_POSIX_ACL_H

#include <stddef.h>

#include <archive_entry.h>

/* Header and up to 64 entries. */
#define POSIX_ACL_MAX_SIZE (4 + 64 * 8)

/* The entry's ACL of type (ARCHIVE_ENTRY_ACL_TYPE_ACCESS or _DEFAULT)
 * as an xattr value into buf; *len_r 0 when it has none.  0, or -1
 * when it does not fit or holds an entry POSIX ACLs cannot, -2 when a
 * named user or group has no number (a name the daemon cannot look
 * up). */
int posix_acl_from_archive (struct archive_entry *e, int type, char *buf,
                            size_t cap, size_t *len_r);
/* Adds the ACL in an xattr value to the entry.  0, or -1 when the value
 * is malformed (nothing added then). */
int posix_acl_to_archive (struct archive_entry *e, int type,
                          const void *value, size_t len);

#endif /* MINNOWD_POSIX_ACL_H */
