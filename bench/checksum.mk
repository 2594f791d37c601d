# bench/checksum: the cost of a checksum call on small files (issue 16:
# digests in the daemon, no process per call).
noinst_PROGRAMS += bench-checksum
BENCHES += bench-checksum
bench_checksum_SOURCES = checksum.c
bench_checksum_LDADD = \
  $(top_builddir)/c/libminnow.la \
  $(top_builddir)/common/libprotocol.la \
  $(TIRPC_LIBS) $(PTHREAD_LIBS)
