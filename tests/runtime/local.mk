# tests/runtime: hand-written tests of the library, the daemon and the
# protocol (owned by the spine runtime work).  All speak TAP.
runtime_tests = \
  runtime/test-handle \
  runtime/test-handle-api \
  runtime/test-daemon \
  runtime/test-protocol \
  runtime/test-fuzz \
  runtime/test-disk-create \
  runtime/test-lifeline \
  runtime/test-abuse \
  runtime/test-threads \
  runtime/test-cancel
check_PROGRAMS += $(runtime_tests)
TESTS += $(runtime_tests) runtime/test-sandbox.sh runtime/test-threads-helgrind.sh
EXTRA_DIST += runtime/test-sandbox.sh runtime/test-threads-helgrind.sh
VALGRIND_TESTS += $(runtime_tests)
EXTRA_DIST += tap.h

runtime_libs = \
  $(top_builddir)/c/libminnow.la \
  $(top_builddir)/common/libprotocol.la \
  $(top_builddir)/common/libcommand.la \
  $(TIRPC_LIBS) $(PTHREAD_LIBS)

runtime_test_handle_SOURCES = runtime/test-handle.c tap.h
runtime_test_handle_LDADD = $(runtime_libs)

runtime_test_daemon_SOURCES = runtime/test-daemon.c tap.h
runtime_test_daemon_LDADD = $(runtime_libs)

runtime_test_protocol_SOURCES = runtime/test-protocol.c \
  runtime/protocol-helpers.c runtime/protocol-helpers.h tap.h
runtime_test_protocol_LDADD = $(runtime_libs)

runtime_test_fuzz_SOURCES = runtime/test-fuzz.c \
  runtime/protocol-helpers.c runtime/protocol-helpers.h tap.h
runtime_test_fuzz_LDADD = $(runtime_libs)

runtime_test_disk_create_SOURCES = runtime/test-disk-create.c tap.h
runtime_test_disk_create_LDADD = $(runtime_libs)

runtime_test_lifeline_SOURCES = runtime/test-lifeline.c tap.h
runtime_test_lifeline_LDADD = $(runtime_libs)

runtime_test_handle_api_SOURCES = runtime/test-handle-api.c tap.h
runtime_test_handle_api_LDADD = $(runtime_libs)
runtime_test_abuse_SOURCES = runtime/test-abuse.c tap.h
runtime_test_abuse_LDADD = $(runtime_libs)
runtime_test_threads_SOURCES = runtime/test-threads.c tap.h
runtime_test_threads_LDADD = $(runtime_libs)

# list_disk_labels with labelled drives, max_disks (issue 9).
check_PROGRAMS += runtime/test-disk-labels
TESTS += runtime/test-disk-labels
VALGRIND_TESTS += runtime/test-disk-labels
runtime_test_disk_labels_SOURCES = runtime/test-disk-labels.c tap.h
runtime_test_disk_labels_LDADD = $(runtime_libs)
runtime_test_cancel_SOURCES = runtime/test-cancel.c tap.h
runtime_test_cancel_LDADD = $(runtime_libs)
