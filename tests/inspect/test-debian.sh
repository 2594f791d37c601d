#!/usr/bin/env bash
# Inspection of a real Debian root: debootstrap --variant=minbase of
# bookworm, put into ext4 with mke2fs -d, inspected by minnow and checked
# against what the tree itself says (debian_version, dpkg's status).
# Slow (downloads and unpacks a system): not part of `make check`; run
# with `make -C tests check-inspect-debian`.  Skips with a message when
# debootstrap is missing, we are not root, or the mirror is unreachable.
# TAP output.
set -u

mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
here=$(cd "$(dirname "$0")" && pwd)
PATH=$PATH:/sbin:/usr/sbin

skip () { echo "1..0 # SKIP $*"; exit 0; }
command -v debootstrap >/dev/null || skip "debootstrap is not installed"
[ "$(id -u)" = 0 ] || skip "debootstrap needs root"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
if ! timeout 1800 debootstrap --variant=minbase bookworm "$root" "$mirror" \
     > "$work/debootstrap.log" 2>&1; then
  skip "debootstrap failed (mirror $mirror unreachable?): $(tail -1 "$work/debootstrap.log")"
fi

uuid=d3b1a2c4-5e6f-4a7b-8c9d-0e1f2a3b4c5d
echo "UUID=$uuid / ext4 errors=remount-ro 0 1" > "$root/etc/fstab"
echo "minbase" > "$root/etc/hostname"
size=$(( $(du -sm "$root" | cut -f1) * 13 / 10 + 64 ))
mke2fs -q -F -t ext4 -d "$root" -U "$uuid" "$work/debian.img" "${size}M" >/dev/null \
  || { echo "1..1"; echo "not ok 1 - mke2fs -d of the Debian root"; exit 1; }

installed=$(grep -c '^Status: install ok installed' "$root/var/lib/dpkg/status")
version=$(head -1 "$root/etc/debian_version")
HERE=$here "${PYTHON:-python3}" - "$work/debian.img" "$installed" "$version" <<'EOF'
import os, sys
sys.path.insert(0, os.environ["HERE"])
import render
image, installed, version = sys.argv[1], int(sys.argv[2]), sys.argv[3]
g = render.open_handle(image, False)
lines = render.report(g)
g.close()
major, _, minor = version.partition(".")
machine = os.uname().machine
want = [
    "roots: /dev/sda",
    "  distro: debian",
    "  product_name: %s" % version,
    "  major_version: %s" % major,
    "  minor_version: %s" % (minor or "0"),
    "  arch: %s" % {"i686": "i386"}.get(machine, machine),
    "  hostname: minbase",
    "  package_management: apt",
    "  osinfo: debian%s" % major,
    "  mountpoint / /dev/sda",
    "  applications: %d" % installed,
]
print("1..%d" % len(want))
bad = 0
for i, w in enumerate(want, 1):
    if w in lines:
        print("ok %d - %s" % (i, w.strip()))
    else:
        bad += 1
        print("not ok %d - %s" % (i, w.strip()))
        print("# got:\n# " + "\n# ".join(l for l in lines if not l.startswith("  app ")))
sys.exit(1 if bad else 0)
EOF
