#!/bin/sh
# The Python bindtests output must equal tests/bindtests.golden.
exec "$abs_top_srcdir/tests/bindings/compare-bindtests" python \
  "$PYTHON" "$abs_top_srcdir/python/t/bindtests.py"
