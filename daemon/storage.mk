# daemon/storage.mk: the actions on storage (do_X, one file per topic,
# thin wrappers over storage/storage.h that turn its negative errno and
# message into the reply).  The storage library itself is storage/.
minnowd_SOURCES += storage-actions.h do-common.c do-part.c do-fs.c \
  do-mount.c do-file.c do-dir.c do-link.c do-stat.c do-xattr.c \
  do-checksum.c digest.h digest.c do-blockdev.c do-fsinfo.c do-ext.c \
  do-e2attrs.c do-files.c do-acl.c do-space.c do-deprecated.c \
  do-sfdisk.c do-iso.c
minnowd_CFLAGS += $(EXT2FS_CFLAGS) $(FDISK_CFLAGS) $(BLKID_CFLAGS) $(MAGIC_CFLAGS)
minnowd_LDADD += $(BLKID_LIBS) $(MAGIC_LIBS)
# Digests for checksum and checksums_out (nettle).
minnowd_CFLAGS += $(NETTLE_CFLAGS)
minnowd_LDADD += $(NETTLE_LIBS)

# Inspection (issue 13): what operating system is in the drives.
minnowd_SOURCES += inspect.h inspect-util.c inspect-fs.c inspect-apps.c \
  inspect-icon.c do-inspect.c
minnowd_CFLAGS += $(SQLITE3_CFLAGS)
minnowd_LDADD += $(SQLITE3_LIBS)

