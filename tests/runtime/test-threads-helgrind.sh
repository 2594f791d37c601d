#!/bin/sh
# The shared-handle test (test-threads) under helgrind: any data race or
# lock-order problem in the library's locking fails the test.  Fewer
# iterations than the plain run: helgrind is slow, and a race shows in a
# few rounds as well as in many.
set -u
if [ -z "${VALGRIND:-}" ] || [ "$VALGRIND" = no ]; then
  echo "1..0 # SKIP valgrind not found by configure"
  exit 0
fi
echo "1..1"
log=runtime/test-threads.helgrind.log
if MINNOW_TEST_THREADS_ITERATIONS=8 ${LIBTOOL:-libtool} --mode=execute \
     "$VALGRIND" --tool=helgrind --quiet --error-exitcode=119 \
     ./runtime/test-threads > "$log" 2>&1 &&
   ! grep -q '^not ok' "$log"; then
  echo "ok 1 - helgrind: test-threads has no race and no lock-order problem"
else
  echo "not ok 1 - helgrind: test-threads (log: tests/$log)"
  grep -E '^==[0-9]+==' "$log" | head -60 | sed 's/^/# /'
fi
