# bench/fs: the storage engine from C and Python (owned by the storage
# work).  `make bench` runs fs.sh, which runs fs-c and fs.py.
noinst_PROGRAMS += fs-c
BENCHES += fs.sh
EXTRA_DIST += fs.sh fs.py
fs_c_SOURCES = fs.c
fs_c_LDADD = $(top_builddir)/c/libminnow.la
