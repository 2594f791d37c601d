# tests/command: the spawning core.
check_PROGRAMS += command/test-command command/command-helper
TESTS += command/test-command
VALGRIND_TESTS += command/test-command
EXTRA_DIST += tap.h

command_test_command_SOURCES = command/test-command.c tap.h
command_test_command_CPPFLAGS = $(AM_CPPFLAGS) $(CAPNG_CFLAGS)
command_test_command_LDADD = $(top_builddir)/common/libcommand.la $(PTHREAD_LIBS)

command_command_helper_SOURCES = command/command-helper.c
