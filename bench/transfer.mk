# bench/transfer: files in and out of an image (issue 10).  `make bench`
# runs transfer.sh, which runs transfer-c and the kernel comparisons.
noinst_PROGRAMS += transfer-c
BENCHES += transfer.sh
EXTRA_DIST += transfer.sh
transfer_c_SOURCES = transfer.c
transfer_c_LDADD = $(top_builddir)/c/libminnow.la
