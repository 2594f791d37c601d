# daemon/handlers/: the actions (do_X), one file per topic.  Included by
# daemon/Makefile.am after minnowd_SOURCES, _CFLAGS and _LDADD are set;
# it appends.  Handlers turn arguments into calls of the storage library
# (storage/storage.h) and its negative errno and message into the reply
# (do-common.c); they never reach into an engine except through
# storage/engine-NAME.h.

# Devices, partitions, filesystems, files.
minnowd_SOURCES += \
  handlers/storage-actions.h handlers/do-common.c \
  handlers/do-blockdev.c handlers/do-part.c handlers/do-sfdisk.c \
  handlers/do-fs.c handlers/do-fsinfo.c handlers/do-ext.c \
  handlers/do-e2attrs.c handlers/do-mount.c handlers/do-file.c \
  handlers/do-files.c handlers/do-dir.c handlers/do-link.c \
  handlers/do-stat.c handlers/do-xattr.c handlers/do-acl.c \
  handlers/posix-acl.h handlers/posix-acl.c handlers/do-space.c \
  handlers/do-deprecated.c handlers/do-iso.c
minnowd_CFLAGS += $(EXT2FS_CFLAGS) $(FDISK_CFLAGS) $(BLKID_CFLAGS) \
  $(MAGIC_CFLAGS)
minnowd_LDADD += $(BLKID_LIBS) $(MAGIC_LIBS)

# checksum and checksums_out: digests in the daemon (nettle).
minnowd_SOURCES += handlers/digest.h handlers/digest.c handlers/do-checksum.c
minnowd_CFLAGS += $(NETTLE_CFLAGS)
minnowd_LDADD += $(NETTLE_LIBS)

# Files in and out of the image: upload, download, tar (libarchive) and
# the FileOut helpers.
minnowd_SOURCES += handlers/transfer.h handlers/do-transfer.c \
  handlers/do-tar.c handlers/do-fileout.c
minnowd_CFLAGS += $(ARCHIVE_CFLAGS)
minnowd_LDADD += $(ARCHIVE_LIBS)

# Inspection: what operating system is in the drives.
minnowd_SOURCES += handlers/inspect.h handlers/inspect-util.c \
  handlers/inspect-fs.c handlers/inspect-apps.c handlers/inspect-icon.c \
  handlers/do-inspect.c
minnowd_CFLAGS += $(SQLITE3_CFLAGS)
minnowd_LDADD += $(SQLITE3_LIBS)

# The daemon-side test actions (internal_test_daemon*, _sleep ...).
minnowd_SOURCES += handlers/internal_test.c
