# tests/formats: qemu's image formats and NBD drives through nbdfuse and
# qemu-nbd (issue 11).  TAP; skips without FUSE or the qemu tools.
TESTS += formats/test-formats.sh formats/test-api-qcow2.sh
EXTRA_DIST += formats/test-formats.sh formats/test-api-qcow2.sh
if HAVE_PYTHON
TESTS += formats/test-python.py
endif
EXTRA_DIST += formats/test-python.py

# The library's side under valgrind (make check runs it there too).
formats_tests = formats/test-formats-c
check_PROGRAMS += $(formats_tests)
TESTS += $(formats_tests)
VALGRIND_TESTS += $(formats_tests)
formats_test_formats_c_SOURCES = formats/test-formats-c.c tap.h
formats_test_formats_c_LDADD = $(top_builddir)/c/libminnow.la \
  $(top_builddir)/common/libprotocol.la $(TIRPC_LIBS)
