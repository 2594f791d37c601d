#!/bin/sh
# The Ruby bindtests output must equal tests/bindtests.golden.
exec "$abs_top_srcdir/tests/bindings/compare-bindtests" ruby \
  "${RUBY:-ruby}" "$abs_top_srcdir/ruby/t/bindtests.rb"
