#!/bin/sh
# minnowd's sandbox, proved from outside: `minnowd --check-sandbox`
# must report every attempt refused (read and write a host file, TCP and
# UDP sockets, /bin/sh, ptrace, a capability, mount, a system call outside
# the allow-list), as root and as an
# ordinary user; and an ordinary user must be able to do the main job
# (the demo: launch, write to a disk and read it back).
set -u
daemon=${MINNOW_DAEMON:?MINNOW_DAEMON is not set: run through ./run}
top=${abs_top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
attempts=9

echo "1..6"
n=0
check () {                      # check WHO CMD...
  who=$1; shift
  out=$("$@" --check-sandbox 2>&1); rc=$?
  refused=$(printf '%s\n' "$out" | grep -c '^attempt .*: refused: ')
  n=$((n + 1))
  if [ "$rc" -eq 0 ] && [ "$refused" -eq "$attempts" ]; then
    echo "ok $n - as $who: minnowd --check-sandbox refuses all $attempts attempts"
  else
    echo "not ok $n - as $who: minnowd --check-sandbox refuses all $attempts attempts"
    echo "# expected: exit 0, $attempts refused; got: exit $rc, $refused refused"
    printf '%s\n' "$out" | sed 's/^/# /'
  fi
  n=$((n + 1))
  if printf '%s\n' "$out" | grep -q '^layer landlock: on' &&
     printf '%s\n' "$out" | grep -q '^layer seccomp: on' &&
     printf '%s\n' "$out" | grep -q '^layer no_new_privs: on'; then
    echo "ok $n - as $who: the landlock, seccomp and no_new_privs layers are on"
  else
    echo "not ok $n - as $who: the landlock, seccomp and no_new_privs layers are on"
    printf '%s\n' "$out" | grep '^layer' | sed 's/^/# /'
  fi
}

check "$(id -un)" "$daemon"

# A daemon the library launched, seen from outside.
status=$("${PYTHON:-python3}" -c '
import minnow
g = minnow.Minnow()
g.add_drive_scratch(1 << 20)
g.launch()
print(open("/proc/%d/status" % g.get_pid()).read())
g.close()' 2>&1)
field () { printf '%s\n' "$status" | awk -v f="$1:" '$1 == f { print $2 }'; }
if [ "$(field NoNewPrivs)" = 1 ] && [ "$(field Seccomp)" = 2 ] &&
   [ "$(field CapEff)" = 0000000000000000 ]; then
  echo "ok 3 - a launched daemon has NoNewPrivs 1, Seccomp 2, no capabilities"
else
  echo "not ok 3 - a launched daemon has NoNewPrivs 1, Seccomp 2, no capabilities"
  printf '%s\n' "$status" | grep -E '^(NoNewPrivs|Seccomp|Cap|Uid)' | sed 's/^/# /'
fi
n=3

if [ "$(id -u)" -ne 0 ]; then
  for i in 4 5 6; do
    echo "ok $i # SKIP not root: cannot run as another user"
  done
  exit 0
fi
user=nobody
check "$user (not root)" runuser -u "$user" -- "$daemon"

# The main job as an ordinary user: its own scratch disk in its own
# temporary directory.
tmp=$(mktemp -d); chmod 0777 "$tmp"
out=$(cd "$tmp" && TMPDIR="$tmp" runuser -u "$user" -- \
        "$top/run" "$top/examples/minnow-demo" 2>&1); rc=$?
if [ "$rc" -eq 0 ] && printf '%s\n' "$out" | grep -q 'read .* back: identical'; then
  echo "ok 6 - as $user: the demo launches, writes a disk and reads it back"
else
  echo "not ok 6 - as $user: the demo launches, writes a disk and reads it back"
  printf '%s\n' "$out" | sed 's/^/# /'
fi
rm -rf "$tmp"
