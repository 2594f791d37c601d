# bench/spine: launch+close of a handle, and the round trip of a no-op
# daemon action against a raw socketpair ping-pong (owned by the spine
# runtime work).
noinst_PROGRAMS += bench-spine
BENCHES += bench-spine
bench_spine_SOURCES = spine.c
bench_spine_LDADD = \
  $(top_builddir)/c/libminnow.la \
  $(top_builddir)/common/libprotocol.la \
  $(top_builddir)/common/libcommand.la \
  $(TIRPC_LIBS) $(PTHREAD_LIBS)
