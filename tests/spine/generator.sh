#!/bin/sh
# The generator's checks and its output discipline, on copies of api.def in
# a scratch directory: each broken copy must stop the generator with the
# expected message and write nothing; a good copy writes every file, a
# second run writes none, and a one-line documentation change rewrites
# only documentation.  TAP.
set -u
top_srcdir="${abs_top_srcdir:-$(cd ../.. && pwd)}"
generator="${abs_top_builddir:-$top_srcdir}/generator/generator"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0

ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () {
  n=$((n + 1)); echo "not ok $n - $1"
  echo "# expected: $2"
  printf '%s\n' "$3" | sed 's/^/# got: /'
}

# A scratch tree: api.def (edited) and the real daemon sources (do_NAME).
setup () {
  rm -rf "$tmp/tree" && mkdir "$tmp/tree" &&
  cp "$top_srcdir/api.def" "$tmp/tree/api.def" &&
  ln -s "$top_srcdir/daemon" "$tmp/tree/daemon"
}

# broken TITLE EXPECTED-MESSAGE PERL-EDIT
broken () {
  setup
  perl -0pi -e "$3" "$tmp/tree/api.def"
  out=$(cd "$tmp/tree" && "$generator" 2>&1)
  status=$?
  written=$(cd "$tmp/tree" && find . -type f ! -name api.def | head -1)
  if [ $status -ne 0 ] && printf '%s\n' "$out" | grep -qF -- "$2" && [ -z "$written" ]; then
    ok "$1"
  else
    not_ok "$1" "failure with \"$2\", nothing written" "status $status, wrote '${written}': $out"
  fi
}

echo "1..15"

broken "syntax error: message with line" "parse error at" \
  's/args Device device, Int count/args Device device Int count/'
broken "unknown type" "unknown argument type Text" \
  's/args Device device, Int count/args Text device, Int count/'
broken "duplicate action name" "action sync: name used by an earlier action" \
  's/action internal_test_noop \{/action sync {/'
broken "duplicate procedure number" "proc 2 used by an earlier action" \
  's/  proc 3\n/  proc 2\n/'
broken "retired procedure number" "proc 6 is retired" \
  's/^retired \[[^\]]*\]/retired [6]/m'
broken "missing shortdesc" "action blockdev_getss: no shortdesc" \
  's/  shortdesc "sector size of a device"\n//'
broken "missing do_NAME" "no do_frobnicate defined in daemon/*.c" \
  's/\z/\naction frobnicate {\n  proc 899\n  ret Err\n  since 0.1\n  shortdesc "x"\n  longdesc "x"\n}\n/'
broken "ConstString from the daemon" "ConstString and ConstOptString are for library-side actions" \
  's/(action internal_test_daemon_rstring \{\n  proc 904\n  args String val\n  ret) String/$1 ConstString/'
broken "test arity" "blockdev_getss takes 1 argument, the test gives 2" \
  's/blockdev_getss \/dev\/sda => 512/blockdev_getss \/dev\/sda 7 => 512/'
broken "test literal type" "argument count: wrong literal" \
  's/pread_device \/dev\/sda 4 0/pread_device \/dev\/sda "four" 0/'
broken "test expectation type" "this value cannot be compared with ret Int" \
  's/blockdev_getss \/dev\/sda => 512/blockdev_getss \/dev\/sda => "512"/'
broken "once_had_no_optargs without optargs" "action sync: once_had_no_optargs needs optargs" \
  's/(action sync \{\n  proc \d+\n)/$1  flags once_had_no_optargs\n/'
broken "test calls an unknown action" "test calls nosuch, which is not an action" \
  's/test Empty \{ sync \}/test Empty { sync; nosuch }/'

# A good tree: everything is written, then nothing.
setup
out1= out2=
out1=$(cd "$tmp/tree" && "$generator" 2>&1) &&
out2=$(cd "$tmp/tree" && "$generator" 2>&1)
if [ $? -eq 0 ] && [ -f "$tmp/tree/c/include/minnow.h" ] &&
   [ "$out2" = "generator: nothing changed" ]; then
  ok "a second run rewrites nothing"
else
  not_ok "a second run rewrites nothing" "generator: nothing changed" "$out1 / $out2"
fi

# A one-line change of a longdesc rewrites no file of the C library, the
# daemon, the protocol or the C tests (the bindings may carry docs).
perl -pi -e 's/Return the size of C<device> in bytes\./Return the size of C<device>, in bytes./' "$tmp/tree/api.def"
out3=$(cd "$tmp/tree" && "$generator" 2>&1)
code=$(printf '%s\n' "$out3" | grep -E '^generated (c|common|daemon|tests)/')
if printf '%s\n' "$out3" | grep -q '^generated docs/minnow-actions.pod$' && [ -z "$code" ]; then
  ok "a documentation change rewrites no C, protocol or daemon file"
else
  not_ok "a documentation change rewrites no C, protocol or daemon file" \
    "generated docs/minnow-actions.pod (and binding docs) only" "$out3"
fi
