# The README's quick start ends with a shell session
# (examples/quickstart.minnow): it must succeed, print what the README
# shows, and leave an image that e2fsck finds clean.  TAP.

set -u
minnow="${MINNOW_SHELL:-$MINNOW_BUILDDIR/shell/minnow}"
src="$MINNOW_SRCDIR"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
echo 1..3

"$minnow" -x -f "$src/examples/quickstart.minnow" > out 2>&1
rc=$?
if [ $rc -eq 0 ]; then echo "ok 1 - the session succeeds"
else echo "not ok 1 - the session succeeds"; sed 's/^/# /' out; fi

# The README block: the indented lines after "prints each command before
# its output:" up to the next paragraph of text.
awk '/prints each command before its output:/ { on = 1; next }
     on && /^[^ ]/ { exit }
     on { print }' "$src/README.md" | sed -e '1{/^$/d}' -e 's/^    //' |
  sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' > want
if cmp -s out want; then echo "ok 2 - the output is the README's"
else
  echo "not ok 2 - the output is the README's"
  diff want out | sed 's/^/# /'
fi

E2FSCK=$(command -v e2fsck || echo /sbin/e2fsck)
if "$minnow" -a quickstart.img part-list /dev/sda > parts 2>&1; then
  start=$(sed -n 's/^  part_start: //p' parts)
  size=$(sed -n 's/^  part_size: //p' parts)
  dd if=quickstart.img of=part.img bs=1M iflag=skip_bytes,count_bytes \
     skip="$start" count="$size" status=none
  if "$E2FSCK" -fn part.img > fsck 2>&1; then echo "ok 3 - e2fsck -fn is clean"
  else echo "not ok 3 - e2fsck -fn is clean"; sed 's/^/# /' fsck; fi
else
  echo "not ok 3 - e2fsck -fn is clean"; sed 's/^/# /' parts
fi
