#!/bin/sh
# The CPAN way: in the directory `make cpan-dist` packs (the files of
# MANIFEST), perl Makefile.PL writes a plain Makefile against the
# libminnow pkg-config finds (here c/minnow-uninstalled.pc), make builds,
# make test passes, make dist makes a tarball.  TAP.
set -u
top_srcdir="${abs_top_srcdir:-$(cd .. && pwd)}"
top_builddir="${abs_top_builddir:-$top_srcdir}"
perl="${PERL:-perl}"
make="${MAKE:-make}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "1..4"

step () {
  n=$1 title=$2; shift 2
  if (cd "$tmp/dist" && "$@") > "$tmp/log" 2>&1; then
    echo "ok $n - $title"
  else
    echo "not ok $n - $title"
    sed 's/^/# /' "$tmp/log" | tail -20
  fi
}

mkdir -p "$tmp/dist/t"
for f in $(cat "$top_srcdir/perl/MANIFEST"); do
  if [ -f "$top_builddir/perl/$f" ]; then cp "$top_builddir/perl/$f" "$tmp/dist/$f"
  else cp "$top_srcdir/perl/$f" "$tmp/dist/$f"; fi
done
# Only this directory's build: not the tree's blib on PERL5LIB.
unset PERL5LIB
export PKG_CONFIG_PATH="$top_builddir/c"
step 1 "perl Makefile.PL writes Makefile" sh -c "$perl Makefile.PL && test -f Makefile"
step 2 "make" $make
step 3 "make test" $make test
step 4 "make dist" sh -c "$make dist && ls Sys-Minnow-*.tar.gz"
