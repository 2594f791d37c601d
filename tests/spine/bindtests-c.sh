#!/bin/sh
# The C bindtests: the output of spine/bindtests must equal
# tests/bindtests.golden byte for byte.  TAP; on a difference, the diff.
golden="${abs_top_srcdir:-../..}/tests/bindtests.golden"
out=spine/bindtests.out
err=spine/bindtests.err

echo "1..1"
if ./spine/bindtests > "$out" 2> "$err" &&
   diff -u "$golden" "$out" > "$out.diff"; then
  echo "ok 1 - C bindtests output equals tests/bindtests.golden"
  rm -f "$out.diff"
else
  echo "not ok 1 - C bindtests output equals tests/bindtests.golden"
  echo "# expected: $golden"
  echo "# got: tests/$out"
  sed 's/^/# /' "$err"
  if test -f "$out.diff"; then sed 's/^/# /' "$out.diff"; fi
fi
exit 0
