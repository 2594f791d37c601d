#!/bin/sh
# bench/inspect: inspection of the Debian fixture of tests/inspect
# (launch, inspect_os, every inspect_get_*, mountpoints, applications,
# close), minnow (median of 20) against libguestfs (one run, only when
# BENCH_LIBGUESTFS=1: an appliance launch takes seconds to minutes).
# Run through ./run (make bench does).
s="${MINNOW_SRCDIR:-..}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

"$s/tests/inspect/make-guests.sh" "$tmp" > /dev/null || exit 1
MINNOW_SRCDIR="$s" "${PYTHON:-python3}" "$s/bench/inspect.py" \
  "$tmp/debian.img" || exit 1
if [ "${BENCH_LIBGUESTFS:-0}" = 1 ]; then
  LIBGUESTFS_BACKEND=${LIBGUESTFS_BACKEND:-direct} MINNOW_SRCDIR="$s" \
    /usr/bin/python3 "$s/bench/inspect.py" --guestfs "$tmp/debian.img" \
    || echo "libguestfs: not available"
else
  echo "libguestfs: skipped (set BENCH_LIBGUESTFS=1)"
fi
