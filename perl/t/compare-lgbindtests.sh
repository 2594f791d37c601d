#!/bin/sh
# libguestfs's bindtests call sequence in Perl, renamed for minnow
# (tests/bindings/bindtests.pl): its output must equal
# tests/bindings/bindtests.golden.
exec "$abs_top_srcdir/tests/bindings/compare-bindtests" \
  --golden tests/bindings/bindtests.golden perl \
  "${PERL:-perl}" "$abs_top_srcdir/tests/bindings/bindtests.pl"
