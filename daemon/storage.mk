# daemon/storage.mk: the storage engine's sources (owned by the storage work).
#
# daemon/Makefile.am defines minnowd_SOURCES, minnowd_CFLAGS and
# minnowd_LDADD with '=' and includes this file after them; it appends.
#
# Layout: the engine core never replies to the client, so the tests in
# tests/storage link it without the daemon:
#   engine.h, engine-ext2.c   the filesystem engine interface; ext2/3/4
#   storage.h, mount.c        device ranges, mount table, path resolution
#   part.h, part.c            partition tables (libfdisk)
#   mkfs.c                    mke2fs and e2fsck through the command core
#   fsops.h, fsops.c          operations on paths
#   drives.c                  the engine's side of devices.c (daemon only)
# and the actions (do_X), one file per topic, are thin wrappers
# (do-TOPIC.c).
storage_core_sources = \
  engine.h engine-ext2.c storage.h mount.c part.h part.c mkfs.c \
  fsops.h fsops.c space.c

# The FAT engine (issue 15) lives in its own directory.
fat_engine_sources = \
  ../storage/engines/fat/fat.h ../storage/engines/fat/fat-table.c \
  ../storage/engines/fat/fat-dir.c ../storage/engines/fat/fat-file.c
minnowd_CPPFLAGS += -I$(top_srcdir)/storage/engines/fat

minnowd_SOURCES += $(storage_core_sources) $(fat_engine_sources) drives.c \
  storage-actions.h do-common.c do-part.c do-fs.c do-mount.c do-file.c \
  do-dir.c do-link.c do-stat.c do-xattr.c do-checksum.c digest.h digest.c \
  do-blockdev.c do-fsinfo.c do-ext.c do-e2attrs.c \
  do-files.c do-acl.c do-space.c do-deprecated.c do-sfdisk.c do-iso.c
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

# ISO 9660 with Rock Ridge and Joliet, read-only (issue 15).
iso9660_engine_sources = \
  ../storage/engines/iso9660/iso9660.h \
  ../storage/engines/iso9660/iso-volume.c \
  ../storage/engines/iso9660/iso-dir.c \
  ../storage/engines/iso9660/iso-names.c
minnowd_SOURCES += $(iso9660_engine_sources)
minnowd_CPPFLAGS += -I$(top_srcdir)/storage/engines/iso9660
minnowd_CFLAGS += $(ZLIB_CFLAGS)
minnowd_LDADD += $(ZLIB_LIBS)
