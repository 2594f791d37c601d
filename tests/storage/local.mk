# tests/storage: the storage engine's standalone tests (owned by the
# storage work).  They link the engine core from daemon/ directly, with
# image files standing in for the daemon's drives (harness.c).

storage_engine_sources = \
  storage/harness.c storage/harness.h \
  ../daemon/engine-ext2.c ../daemon/mount.c ../daemon/part.c \
  ../daemon/mkfs.c ../daemon/fsops.c ../daemon/space.c \
  ../storage/engines/fat/fat.h ../storage/engines/fat/fat-table.c \
  ../storage/engines/fat/fat-dir.c ../storage/engines/fat/fat-file.c \
  ../storage/engines/iso9660/iso-volume.c \
  ../storage/engines/iso9660/iso-dir.c ../storage/engines/iso9660/iso-names.c
storage_cppflags = $(AM_CPPFLAGS) -I$(top_srcdir)/daemon \
  -I$(top_srcdir)/storage/engines/fat -I$(srcdir)/storage \
  -I$(top_srcdir)/storage/engines/iso9660
storage_cflags = $(AM_CFLAGS) $(EXT2FS_CFLAGS) $(FDISK_CFLAGS)
storage_ldadd = $(top_builddir)/common/libcommand.la $(EXT2FS_LIBS) \
  $(FDISK_LIBS) $(ZLIB_LIBS)

storage_tests = storage/test-engine storage/test-prepared storage/test-hostile
check_PROGRAMS += $(storage_tests)
TESTS += $(storage_tests)
VALGRIND_TESTS += $(storage_tests)

storage_test_engine_SOURCES = storage/test-engine.c $(storage_engine_sources)
storage_test_engine_CPPFLAGS = $(storage_cppflags)
storage_test_engine_CFLAGS = $(storage_cflags)
storage_test_engine_LDADD = $(storage_ldadd)

storage_test_prepared_SOURCES = storage/test-prepared.c \
  $(storage_engine_sources)
storage_test_prepared_CPPFLAGS = $(storage_cppflags)
storage_test_prepared_CFLAGS = $(storage_cflags)
storage_test_prepared_LDADD = $(storage_ldadd)

storage_test_hostile_SOURCES = storage/test-hostile.c $(storage_engine_sources)
storage_test_hostile_CPPFLAGS = $(storage_cppflags)
storage_test_hostile_CFLAGS = $(storage_cflags)
storage_test_hostile_LDADD = $(storage_ldadd)
