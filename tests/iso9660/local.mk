# tests/iso9660: the ISO 9660 engine (issue 15) against images made by
# xorriso and genisoimage from a generated tree, and against images
# built byte by byte (multi-extent files, hostile images).  The C test
# links the storage core directly, as tests/storage does.

iso9660_tests = iso9660/test-iso
check_PROGRAMS += $(iso9660_tests)
TESTS += $(iso9660_tests)
VALGRIND_TESTS += $(iso9660_tests)

iso9660_test_iso_SOURCES = iso9660/test-iso.c $(storage_engine_sources)
iso9660_test_iso_CPPFLAGS = $(storage_cppflags)
iso9660_test_iso_CFLAGS = $(storage_cflags)
iso9660_test_iso_LDADD = $(storage_ldadd)

# mount, ls, cat through the Python binding.
EXTRA_DIST += iso9660/test-iso.py
if HAVE_PYTHON
TESTS += iso9660/test-iso.py
endif
