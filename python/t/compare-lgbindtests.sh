#!/bin/sh
# libguestfs's bindtests call sequence in Python, renamed for minnow
# (tests/bindings/bindtests.py): its output must equal
# tests/bindings/bindtests.golden.
exec "$abs_top_srcdir/tests/bindings/compare-bindtests" \
  --golden tests/bindings/bindtests.golden python \
  "$PYTHON" "$abs_top_srcdir/tests/bindings/bindtests.py"
