# bench/command: the spawning core against posix_spawn.
noinst_PROGRAMS += bench-command
BENCHES += bench-command
bench_command_SOURCES = command.c
bench_command_LDADD = $(top_builddir)/common/libcommand.la $(PTHREAD_LIBS)
