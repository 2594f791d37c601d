#!/bin/sh
# bench/bindings: the round trip of internal_test_noop from C, Python,
# Perl, Ruby and OCaml in one run: each median (µs per call) and its
# overhead over C.  The languages run in turn, ROUNDS times (default 5),
# and each keeps its best median, so that load from elsewhere on the
# machine does not land on one language only.  Run through ./run (make
# bench does).
b="${MINNOW_BUILDDIR:-..}/bench"
s="${MINNOW_SRCDIR:-..}/bench"
rounds=${ROUNDS:-5}
langs="C Python Perl Ruby OCaml"

run_one() {
  case $1 in
    C) "$b/bindings-c" ;;
    Python) "${PYTHON:-python3}" "$s/bindings.py" ;;
    Perl) perl "$s/bindings.pl" ;;
    Ruby) ruby "$s/bindings.rb" ;;
    OCaml) "$b/bindings-ml.opt" ;;
  esac 2>/dev/null
}

results=$(
  r=0
  while [ $r -lt "$rounds" ]; do
    for l in $langs; do
      v=$(run_one $l) && [ -n "$v" ] && echo "$l $v"
    done
    r=$((r + 1))
  done)

best() { echo "$results" | awk -v l="$1" '$1 == l { if (m == "" || $2 < m) m = $2 } END { print m }'; }
c=$(best C)
[ -n "$c" ] || { echo "bindings: the C baseline failed"; exit 1; }
printf "%-8s %10s %14s   (best median of %d runs)\n" language "µs/call" "over C (µs)" "$rounds"
for l in $langs; do
  v=$(best $l)
  if [ -z "$v" ]; then
    printf "%-8s %10s %14s\n" $l n/a "(not built)"
  elif [ $l = C ]; then
    printf "%-8s %10s %14s\n" $l "$v" -
  else
    printf "%-8s %10s %14s\n" $l "$v" "$(echo "$v $c" | awk '{ printf "%+.2f", $1 - $2 }')"
  fi
done
