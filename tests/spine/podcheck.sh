#!/bin/sh
# The source of minnow(3) (the hand-written minnow.pod with the generated
# sections spliced in) is valid POD, without warnings.  TAP.
pod="${abs_top_builddir:-../..}/docs/minnow-full.pod"

echo "1..1"
if ! command -v podchecker > /dev/null 2>&1; then
  echo "ok 1 # SKIP podchecker is not installed"
  exit 0
fi
out=$(podchecker -warnings "$pod" 2>&1)
status=$?
if test $status -eq 0 && ! echo "$out" | grep -q WARNING; then
  echo "ok 1 - docs/minnow-full.pod passes podchecker"
else
  echo "not ok 1 - docs/minnow-full.pod passes podchecker"
  echo "$out" | sed 's/^/# /'
fi
exit 0
