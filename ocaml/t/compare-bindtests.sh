#!/bin/sh
# The OCaml bindtests output must equal tests/bindtests.golden.
exec "$abs_top_srcdir/tests/bindings/compare-bindtests" ocaml \
  "$abs_top_builddir/ocaml/t/bindtests.opt"
