# tests/formats: every test of api.def again, on a qcow2 drive (issue 11).
#
# spine/tests with MINNOW_TEST_FORMAT=qcow2: each scenario's drive is a
# fresh qcow2 image made by disk_create instead of a scratch drive, so
# the library serves it with qemu-nbd and the daemon's engines read and
# write it over their own NBD connection (storage/nbd.c) while mkfs,
# fsck and partitioning go through the FUSE file: both ways to the
# bytes must agree in every test, and each test ends with every
# filesystem fsck-clean.  TAP (the program's own); skips as a whole
# without FUSE or the qemu tools.

set -u
tests="$MINNOW_BUILDDIR/tests/spine/tests"
minnow="$MINNOW_BUILDDIR/shell/minnow"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for tool in qemu-img qemu-nbd nbdfuse; do
  if ! command -v $tool >/dev/null; then
    echo "1..0 # SKIP $tool is not installed (scripts/install-deps)"; exit 0
  fi
done
qemu-img create -q -f qcow2 "$tmp/probe.qcow2" 1M
if ! "$minnow" --format=qcow2 -a "$tmp/probe.qcow2" blockdev-getsize64 \
     /dev/sda > "$tmp/probe.out" 2>&1; then
  echo "1..0 # SKIP FUSE is not usable here: $(head -1 "$tmp/probe.out")"
  exit 0
fi
rm -f "$tmp/probe.qcow2"
TMPDIR="$tmp" MINNOW_TEST_FORMAT=qcow2 "$tests"
r=$?
# Every image was removed, and no qemu-nbd is left for them.
left=$(ls "$tmp" | grep -c '^api-test-')
if [ "$left" -ne 0 ] || pgrep -f "qemu-nbd.*$tmp/" >/dev/null; then
  echo "Bail out! the qcow2 images or their qemu-nbd were left behind"
  exit 1
fi
exit $r
