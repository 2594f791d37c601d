#!/bin/sh
# Calls that compiled silently into undefined behaviour before minnow.h had
# libguestfs's fixed-arity forms must now be compile-time errors: the
# optargs list of minnow_mkfs (g, "ext4", "/dev/sda1", -1), and a NULL
# handle (the nonnull attribute).  A correct call compiles.  TAP.
set -u
top_srcdir="${abs_top_srcdir:-$(cd ../.. && pwd)}"
top_builddir="${abs_top_builddir:-$top_srcdir}"
cc="${CC:-cc}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
echo "1..4"

# compiles EXPECT(0 ok / 1 error) TITLE BODY
compiles () {
  n=$((n + 1))
  printf '#include "minnow.h"\nint f (minnow_h *g);\nint f (minnow_h *g) { (void) g; %s }\n' "$3" > "$tmp/t.c"
  $cc -Wall -Wextra -Werror -I"$top_builddir/c/include" -I"$top_srcdir/c/include" \
    -c "$tmp/t.c" -o "$tmp/t.o" > "$tmp/log" 2>&1
  status=$?
  if { [ "$1" = 0 ] && [ $status -eq 0 ]; } || { [ "$1" = 1 ] && [ $status -ne 0 ]; }; then
    echo "ok $n - $2"
  else
    echo "not ok $n - $2"
    echo "# expected: $( [ "$1" = 0 ] && echo success || echo "a compile error")"
    echo "# got: status $status"
    sed 's/^/# /' "$tmp/log"
  fi
}

compiles 0 "minnow_mkfs (g, fstype, device) compiles" \
  'return minnow_mkfs (g, "ext4", "/dev/sda1");'
compiles 1 "minnow_mkfs with an optargs list is an error (use minnow_mkfs_opts)" \
  'return minnow_mkfs (g, "ext4", "/dev/sda1", -1);'
compiles 0 "minnow_mkfs_opts (g, fstype, device, MINNOW_MKFS_OPTS_LABEL, s, -1) compiles" \
  'return minnow_mkfs_opts (g, "ext4", "/dev/sda1", MINNOW_MKFS_OPTS_LABEL, "x", -1);'
compiles 1 "a NULL handle is a compile-time error (nonnull)" \
  'return minnow_is_dir ((minnow_h *) 0, "/");'
