# tests/transfer: files in and out of the image (issue 10).  All speak TAP.
transfer_tests = transfer/test-transfer transfer/test-checksum
check_PROGRAMS += $(transfer_tests)
TESTS += $(transfer_tests)
VALGRIND_TESTS += $(transfer_tests)

transfer_libs = \
  $(top_builddir)/c/libminnow.la \
  $(top_builddir)/common/libprotocol.la \
  $(top_builddir)/common/libcommand.la \
  $(TIRPC_LIBS) $(PTHREAD_LIBS)

transfer_test_transfer_SOURCES = transfer/test-transfer.c tap.h
transfer_test_transfer_LDADD = $(transfer_libs)

# The daemon's digests against the host's cksum and sha*sum.
transfer_test_checksum_SOURCES = transfer/test-checksum.c tap.h
transfer_test_checksum_LDADD = $(transfer_libs)

# tar_in/tar_out against GNU tar, bsdtar and loop mounts (root), and
# hostile archives; Python, through the binding.
if HAVE_PYTHON
TESTS += transfer/test-tar.py transfer/test-events.py transfer/test-offset.py
# Host files truncated or removed during a transfer.
TESTS += transfer/test-shrink.py
# lzop through the lzop program, against the host's lzop and tar.
TESTS += transfer/test-lzop.py
endif
EXTRA_DIST += transfer/test-tar.py transfer/test-events.py \
  transfer/test-offset.py transfer/test-shrink.py transfer/test-lzop.py
if HAVE_PERL
TESTS += transfer/test-events.pl
endif
if HAVE_RUBY
TESTS += transfer/test-events.rb
endif
EXTRA_DIST += transfer/test-events.pl transfer/test-events.rb
if HAVE_OCAML
transfer/test_events_ml.opt: transfer/test_events_ml.ml \
    $(top_builddir)/ocaml/mlminnow.cmxa
	$(AM_V_GEN)$(OCAMLFIND) ocamlopt -package unix -linkpkg \
	  -I $(top_builddir)/ocaml -ccopt -L$(top_builddir)/ocaml \
	  -ccopt -L$(abs_top_builddir)/c/.libs \
	  $(top_builddir)/ocaml/mlminnow.cmxa $< -o $@
check_SCRIPTS += transfer/test_events_ml.opt
TESTS += transfer/test_events_ml.opt
CLEANFILES += transfer/test_events_ml.opt transfer/test_events_ml.cm[iox] \
  transfer/test_events_ml.o
endif
EXTRA_DIST += transfer/test_events_ml.ml
