# minnow -i: inspection finds the one operating system of the disks and
# mounts its filesystems where its fstab says (read-only unless --rw);
# no operating system, or several, is an error that points to -m.  The
# guests are tests/inspect's, built by make-guests.sh.  TAP.

set -u
minnow="${MINNOW_SHELL:-$MINNOW_BUILDDIR/shell/minnow}"
srcdir=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
t () {
  n=$((n + 1))
  if [ "$1" = 0 ]; then echo "ok $n - $2"
  else echo "not ok $n - $2"; shift 2; for l in "$@"; do echo "# $l"; done; fi
}

echo "1..6"
if ! bash "$srcdir/inspect/make-guests.sh" "$tmp" > "$tmp/log" 2>&1; then
  for i in 1 2 3 4 5 6; do echo "not ok $i - build the guests: $(tail -1 "$tmp/log")"; done
  exit 1
fi

out=$("$minnow" -a "$tmp/fedora.img" -i mountpoints 2>&1)
expected='/dev/sda2: /
/dev/sda1: /boot
/dev/sda3: /home'
[ "$out" = "$expected" ]; t $? "fedora: /, /boot and /home mounted from its fstab" "got: $out"

out=$("$minnow" -a "$tmp/fedora.img" -i cat /etc/os-release 2>&1)
printf '%s\n' "$out" | grep -q '^ID=fedora$'; t $? "fedora: its /etc/os-release is read" "got: $out"

out=$("$minnow" -a "$tmp/fedora.img" -i touch /home/new 2>&1); rc=$?
[ "$rc" -ne 0 ] && printf '%s\n' "$out" | grep -q -- '--rw'
t $? "without --rw a write fails and names --rw" "exit $rc: $out"

out=$("$minnow" --rw -a "$tmp/fedora.img" -i touch /home/new : is-file /home/new 2>&1)
[ "$out" = true ]; t $? "with --rw it writes" "got: $out"

out=$("$minnow" -a "$tmp/noos.img" -i mountpoints 2>&1); rc=$?
[ "$rc" -ne 0 ] && printf '%s\n' "$out" | grep -q 'no operating system.*-m'
t $? "no operating system: an error that points to -m" "exit $rc: $out"

out=$("$minnow" -a "$tmp/tworoots.img" -i mountpoints 2>&1); rc=$?
[ "$rc" -ne 0 ] && printf '%s\n' "$out" | grep -q 'several operating systems'
t $? "two operating systems: an error" "exit $rc: $out"
