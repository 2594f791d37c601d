# bench/formats: a qcow2 drive (qemu-nbd; libnbd and nbdfuse) next to a raw one:
# launch time, small-call latency, upload throughput (issue 11).
noinst_PROGRAMS += formats
BENCHES += formats
formats_SOURCES = formats.c
formats_LDADD = $(top_builddir)/c/libminnow.la
