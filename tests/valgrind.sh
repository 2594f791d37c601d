#!/bin/sh
# Runs every C test program listed in $VALGRIND_TESTS under valgrind, as
# part of `make check`; one TAP result per program.  A program fails here
# when valgrind reports an error (memory error or definite leak) or when
# the program itself fails under valgrind.
set -u
progs=${VALGRIND_TESTS:-}
n=0
for p in $progs; do n=$((n + 1)); done
if [ -z "${VALGRIND:-}" ] || [ "$VALGRIND" = no ]; then
  echo "1..0 # SKIP valgrind not found by configure"
  exit 0
fi
echo "1..$n"
i=0
for p in $progs; do
  i=$((i + 1))
  log="$p.valgrind.log"
  if ${LIBTOOL:-libtool} --mode=execute "$VALGRIND" $VALGRIND_FLAGS "./$p" > "$log" 2>&1; then
    echo "ok $i - valgrind: $p"
  else
    echo "not ok $i - valgrind: $p (exit $?; log: tests/$log)"
    grep -E '^==[0-9]+==' "$log" | head -40 | sed 's/^/# /'
    tail -5 "$log" | sed 's/^/# /'
  fi
done
