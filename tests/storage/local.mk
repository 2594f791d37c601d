# tests/storage: the storage library's standalone tests.  They link
# storage/libstorage.la without the daemon, with image files as drives
# (harness.c).

storage_engine_sources = storage/harness.c storage/harness.h
storage_cppflags = $(AM_CPPFLAGS) -I$(top_srcdir)/storage \
  -I$(top_srcdir)/storage/engines/fat -I$(srcdir)/storage \
  -I$(top_srcdir)/storage/engines/iso9660
storage_cflags = $(AM_CFLAGS) $(EXT2FS_CFLAGS) $(FDISK_CFLAGS)
storage_ldadd = $(top_builddir)/storage/libstorage.la \
  $(top_builddir)/common/libcommand.la $(EXT2FS_LIBS) $(FDISK_LIBS) \
  $(ZLIB_LIBS)

storage_tests = storage/test-engine storage/test-prepared storage/test-hostile \
  storage/test-datapath
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

storage_test_datapath_SOURCES = storage/test-datapath.c \
  $(storage_engine_sources)
storage_test_datapath_CPPFLAGS = $(storage_cppflags)
storage_test_datapath_CFLAGS = $(storage_cflags)
storage_test_datapath_LDADD = $(storage_ldadd)
