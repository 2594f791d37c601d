# minnow --listen / --remote: one daemon, three shell invocations that
# each run one command on it (mounts kept between them), then exit stops
# it.  The same read-only (the default without --rw): reads work, a
# write fails naming --rw, the image is unchanged.  Also: --remote
# without a daemon says how to start one.  TAP.

set -u
minnow="${MINNOW_SHELL:-$MINNOW_BUILDDIR/shell/minnow}"
tmp=$(mktemp -d)
export TMPDIR="$tmp"
pid=
cleanup () {
  [ -n "$pid" ] && "$minnow" --remote="$pid" exit 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp" || exit 1
n=0
failed=0
t () {
  n=$((n + 1))
  if [ "$1" = 0 ]; then echo "ok $n - $2"
  else echo "not ok $n - $2"; shift 2; for l in "$@"; do echo "# $l"; done; failed=1; fi
}

"$minnow" -N disk.img=fs:ext4:32M exit > out 2>&1
t $? "prepare an image" "$(cat out)"

env -u MINNOW_PID "$minnow" --remote ls / > out 2> err
rc=$?
grep -q 'no daemon' err
t $(( rc == 1 && $? == 0 ? 0 : 1 )) "--remote without MINNOW_PID says how" "$(cat err)"

"$minnow" --listen --rw -a disk.img -m /dev/sda1 > env.sh 2> err
t $? "--listen starts a daemon" "$(cat err)"
grep -q '^MINNOW_PID=[0-9]*; export MINNOW_PID$' env.sh
t $? "--listen prints MINNOW_PID=N; export MINNOW_PID" "$(cat env.sh)"
. ./env.sh
pid=$MINNOW_PID

"$minnow" --remote write /hello "from invocation 1" > out 2> err
t $? "invocation 1: write (mounted by --listen -m)" "$(cat err)"
"$minnow" --remote mkdir /dir > out 2> err
t $? "invocation 2: mkdir" "$(cat err)"
printf 'cat /hello\nls /\n' | "$minnow" --remote > out 2> err
printf 'from invocation 1\ndir\nhello\nlost+found\n' > want
cmp -s out want
t $? "invocation 3: the file and directory of 1 and 2 are there" "$(cat out err)"

"$minnow" --remote frobnicate > out 2> err
t $(( $? == 1 ? 0 : 1 )) "--remote: a failing command fails" "$(cat err)"

"$minnow" --remote exit > out 2> err
t $? "--remote exit stops the daemon" "$(cat err)"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
! kill -0 "$pid" 2>/dev/null
t $? "the daemon is gone"
pid=

"$minnow" -a disk.img -m /dev/sda1 cat /hello > out 2> err
printf 'from invocation 1\n' > want
cmp -s out want
t $? "the image holds what the remote sessions wrote" "$(cat out err)"

# Read-only (the default without --rw): three invocations read, a write
# fails with EROFS and names --listen --rw, and the image is unchanged.
cp disk.img ro.img
chmod a-w ro.img
sum_before=$(md5sum < ro.img)
"$minnow" --listen -a ro.img -m /dev/sda1 > env.sh 2> err
t $? "--listen without --rw starts a read-only daemon" "$(cat err)"
. ./env.sh
pid=$MINNOW_PID
"$minnow" --remote cat /hello > out 2> err
printf 'from invocation 1\n' > want
cmp -s out want
t $? "read-only invocation 1: cat (mounted by --listen -m)" "$(cat out err)"
"$minnow" --remote touch /new > out 2> err
rc=$?
grep -q 'Read-only file system' err && grep -q 'minnow --listen --rw' err
t $(( rc == 1 && $? == 0 ? 0 : 1 )) "read-only invocation 2: a write fails and names --listen --rw" "$(cat err)"
printf 'is-file /new\nls /\n' | "$minnow" --remote > out 2> err
printf 'false\ndir\nhello\nlost+found\n' > want
cmp -s out want
t $? "read-only invocation 3: nothing was written, the mounts are kept" "$(cat out err)"
# Ctrl-C (SIGINT to the shell) cancels a long call of a --remote session
# too: the library signals the listening minnowd (the peer of its socket).
"$minnow" --remote internal-test-sleep 600000 > out 2> err &
spid=$!
sleep 1
start=$(date +%s%N)
kill -INT $spid
wait $spid
rc=$?
took=$(( ($(date +%s%N) - start) / 1000000 ))
grep -q 'operation cancelled by the user' err
t $(( rc == 1 && $? == 0 ? 0 : 1 )) "--remote: SIGINT cancels a long call ($took ms)" "exit $rc" "$(cat err)"
[ $took -lt 2000 ]
t $? "--remote: the cancelled call came back within a second or two ($took ms)"
"$minnow" --remote cat /hello > out 2> err
printf 'from invocation 1\n' > want
cmp -s out want
t $? "--remote: the daemon serves the next invocation after the cancel" "$(cat out err)"

"$minnow" --remote exit > out 2> err
t $? "--remote exit stops the read-only daemon" "$(cat err)"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
pid=
[ "$(md5sum < ro.img)" = "$sum_before" ]
t $? "the read-only image is byte for byte unchanged"

echo "1..$n"
exit $failed
