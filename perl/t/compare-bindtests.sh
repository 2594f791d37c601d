#!/bin/sh
# The Perl bindtests output must equal tests/bindtests.golden.
exec "$abs_top_srcdir/tests/bindings/compare-bindtests" perl \
  "${PERL:-perl}" "$abs_top_srcdir/perl/t/bindtests.pl"
