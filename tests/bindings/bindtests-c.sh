#!/bin/sh
# libguestfs's bindtests call sequence in C (bindings/bindtests): its
# output must equal tests/bindings/bindtests.golden.
exec "$abs_top_srcdir/tests/bindings/compare-bindtests" \
  --golden tests/bindings/bindtests.golden c ./bindings/bindtests
