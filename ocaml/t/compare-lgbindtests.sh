#!/bin/sh
# libguestfs's bindtests call sequence in OCaml, renamed for minnow
# (tests/bindings/bindtests.ml, built as t/lgbindtests.opt): its output
# must equal tests/bindings/bindtests.golden.
exec "$abs_top_srcdir/tests/bindings/compare-bindtests" \
  --golden tests/bindings/bindtests.golden ocaml \
  "$abs_top_builddir/ocaml/t/lgbindtests.opt"
