# bench/bindings: internal_test_noop round trip from C and from each
# binding (owned by the bindings work).  `make bench` runs bindings.sh.
noinst_PROGRAMS += bindings-c
BENCHES += bindings.sh
EXTRA_DIST += bindings.sh bindings.py bindings.pl bindings.rb bindings.ml
bindings_c_SOURCES = bindings-c.c
bindings_c_LDADD = $(top_builddir)/c/libminnow.la

# The OCaml program is built only for `make bench`.
bindings-ml.opt: bindings.ml
	$(AM_V_GEN)$(OCAMLFIND) ocamlopt -package unix -linkpkg \
	  -I $(top_builddir)/ocaml -ccopt -L$(top_builddir)/ocaml \
	  -ccopt -L$(top_builddir)/c/.libs mlminnow.cmxa $< -o $@ || rm -f $@
bench: bindings-ml.opt
CLEANFILES = bindings-ml.opt bindings.cm[iox] bindings.o
