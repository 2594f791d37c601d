# tests/bindings: libguestfs's cross-language bindtests call sequence,
# written for minnow in C, Python, Perl, Ruby and OCaml; every one must
# print bindings/bindtests.golden.  The C program runs here (and under
# valgrind); the others run from their binding's directory
# (LANG/t/compare-lgbindtests.sh).  compare-bindtests also serves
# minnow's own matrix (tests/bindtests.golden).
check_PROGRAMS += bindings/bindtests
bindings_bindtests_SOURCES = bindings/bindtests.c
bindings_bindtests_LDADD = $(top_builddir)/c/libminnow.la
TESTS += bindings/bindtests-c.sh
VALGRIND_TESTS += bindings/bindtests
bindings/bindtests-c.log: bindings/bindtests$(EXEEXT)
EXTRA_DIST += bindings/compare-bindtests bindings/bindtests-c.sh \
  bindings/bindtests.golden bindings/bindtests.py bindings/bindtests.pl \
  bindings/bindtests.rb bindings/bindtests.ml
