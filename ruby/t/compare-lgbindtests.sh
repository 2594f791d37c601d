#!/bin/sh
# libguestfs's bindtests call sequence in Ruby, renamed for minnow
# (tests/bindings/bindtests.rb): its output must equal
# tests/bindings/bindtests.golden.
exec "$abs_top_srcdir/tests/bindings/compare-bindtests" \
  --golden tests/bindings/bindtests.golden ruby \
  "${RUBY:-ruby}" "$abs_top_srcdir/tests/bindings/bindtests.rb"
