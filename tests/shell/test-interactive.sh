# minnow(1) at a terminal, driven through tmux as a person would type,
# checked from the captured screen: completion of a command name, of a
# device name and of paths inside the image; Ctrl-C during a long file
# transfer and during a long call; a progress bar; quit.  TAP; skipped
# when tmux is not installed.

set -u
if ! command -v tmux > /dev/null 2>&1; then
  echo "1..0 # SKIP tmux is not installed (scripts/install-deps installs it)"
  exit 0
fi
minnow="${MINNOW_SHELL:-$MINNOW_BUILDDIR/shell/minnow}"
tmp=$(mktemp -d)
sock="$tmp/tmux.sock"
tm () { tmux -S "$sock" "$@"; }
trap 'tm kill-server 2>/dev/null; rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
n=0
failed=0

screen () { tm capture-pane -p -t minnow; }

# wait_for TEXT [SECONDS]: until the screen shows TEXT (a fixed string).
wait_for () {
  i=0
  limit=$(( ${2:-10} * 20 ))
  while [ $i -lt $limit ]; do
    screen | grep -qF -- "$1" && return 0
    sleep 0.05
    i=$((i + 1))
  done
  return 1
}

t () {
  n=$((n + 1))
  if [ "$1" = 0 ]; then echo "ok $n - $2"
  else
    echo "not ok $n - $2"
    echo "# expected on the screen: $3"
    screen | sed 's/^/# screen: /'
    failed=1
  fi
}

# The last line of the screen that is not empty.
last_line () { screen | sed '/^ *$/d' | tail -n 1; }

printf '%s\n' 'sparse disk.img 32M' 'run' 'part-disk /dev/sda mbr' \
  'mkfs ext4 /dev/sda1' 'mount /dev/sda1 /' 'mkdir-p /etc/app' \
  'write /etc/app/config "answer = 42\n"' | "$minnow" > /dev/null 2> setup.err
if [ $? -ne 0 ]; then
  echo "1..1"; echo "not ok 1 - set up an image"; sed 's/^/# /' setup.err
  exit 1
fi

# A private tmux server; HOME keeps the history file out of the user's.
tm -f /dev/null new-session -d -s minnow -x 132 -y 40 \
  "env HOME=$tmp TERM=xterm $minnow -a disk.img -m /dev/sda1"
wait_for '><minnow>'
t $? "the prompt appears" "><minnow>"

tm send-keys -t minnow 'part-di' Tab
wait_for '><minnow> part-disk'
t $? "Tab completes a command name" "><minnow> part-disk"
tm send-keys -t minnow C-u

tm send-keys -t minnow 'blockdev-getsize64 /dev/sd' Tab
wait_for '><minnow> blockdev-getsize64 /dev/sda'
t $? "Tab completes a device name from the daemon" "blockdev-getsize64 /dev/sda"
tm send-keys -t minnow Enter
wait_for '33554432'
t $? "the completed command runs" "33554432"

tm send-keys -t minnow 'cat /etc/a' Tab
wait_for '><minnow> cat /etc/app/'
t $? "Tab completes a directory inside the image" "cat /etc/app/"
tm send-keys -t minnow 'co' Tab
wait_for '><minnow> cat /etc/app/config'
t $? "Tab completes a file inside the image" "cat /etc/app/config"
tm send-keys -t minnow Enter
wait_for 'answer = 42'
t $? "the completed path is read" "answer = 42"

tm send-keys -t minnow 'mkfs ext4 /dev/sda1 la' Tab
wait_for '><minnow> mkfs ext4 /dev/sda1 label:'
t $? "Tab completes an optional argument name" "mkfs ext4 /dev/sda1 label:"
tm send-keys -t minnow C-u

# A transfer of 100 GB to /dev/null takes minutes: Ctrl-C must end it.
# interrupt TEXT: press Ctrl-C every 0.3 s (a loaded machine may start the
# call late) until the screen shows TEXT; at most 10 s.
interrupt () {
  i=0
  while [ $i -lt 33 ]; do
    sleep 0.3
    screen | grep -qF -- "$1" && return 0
    tm send-keys -t minnow C-c
    i=$((i + 1))
  done
  wait_for "$1" 1
}
tm send-keys -t minnow 'internal-test-fileout 100G /dev/null' Enter
interrupt 'cancelled by the user'
t $? "Ctrl-C cancels a running transfer" "operation cancelled by the user"
wait_for_prompt () {
  i=0
  while [ $i -lt 200 ]; do
    [ "$(last_line)" = "><minnow>" ] && return 0
    sleep 0.05; i=$((i + 1))
  done
  return 1
}
wait_for_prompt
t $? "and the prompt comes back" "><minnow> on the last line"

# A Ctrl-C sent while the screen was catching up lands at the prompt:
# let it go by before typing.
sleep 0.5
tm send-keys -t minnow 'filesize /etc/app/config' Enter
wait_for_prompt
[ "$(screen | sed '/^ *$/d' | tail -n 2 | head -n 1)" = "12" ]
t $? "the daemon still answers after the cancel" "12 (filesize /etc/app/config)"

# A call that is not a transfer is cancelled too: a sleep of ten minutes
# in the daemon comes back to the prompt within a second of Ctrl-C.
now_ms () { echo $(( $(date +%s%N) / 1000000 )); }
tm send-keys -t minnow 'internal-test-sleep 600000' Enter
wait_for '><minnow> internal-test-sleep 600000'
sleep 0.5
start=$(now_ms)
tm send-keys -t minnow C-c
wait_for 'internal_test_sleep: operation cancelled by the user' 2
r=$?
wait_for_prompt
took=$(( $(now_ms) - start ))
[ $r = 0 ] || interrupt 'cancelled by the user'
t $r "Ctrl-C cancels a long call that is not a transfer" "internal_test_sleep: operation cancelled by the user"
[ $r = 0 ] && [ $took -lt 1000 ]
t $? "and the prompt is back within a second ($took ms)" "><minnow> within 1000 ms"
tm send-keys -t minnow 'filesize /etc/app/config' Enter
wait_for_prompt
[ "$(screen | sed '/^ *$/d' | tail -n 2 | head -n 1)" = "12" ]
t $? "the daemon still answers after the cancelled sleep" "12 (filesize /etc/app/config)"

tm send-keys -t minnow 'internal-test-progress 40' Enter
wait_for '] 100%' 10
t $? "a progress bar is drawn for a call that reports progress" "] 100%"

tm send-keys -t minnow 'echo abandoned'
wait_for '><minnow> echo abandoned'
tm send-keys -t minnow C-c
wait_for 'echo abandoned^C'
tm send-keys -t minnow 'echo kept' Enter
wait_for_prompt
screen | grep -qx 'kept' && ! screen | grep -qx 'abandoned'
t $? "Ctrl-C at the prompt abandons the line being typed" "kept, and no abandoned line"

tm send-keys -t minnow 'quit' Enter
i=0
while tm has-session -t minnow 2>/dev/null && [ $i -lt 100 ]; do
  sleep 0.05; i=$((i + 1))
done
! tm has-session -t minnow 2>/dev/null
t $? "quit ends the shell" "(the session gone)"
[ -s "$tmp/.minnow_history" ] && grep -q 'internal-test-progress 40' "$tmp/.minnow_history"
t $? "the history is saved" "internal-test-progress 40 in ~/.minnow_history"

# Another session's screen: sscreen SESSION; until SESSION shows TEXT
# (fixed string; -x: a whole line), at most 10 s.
sscreen () { tm capture-pane -p -t "$1"; }
swait () {
  i=0
  while [ $i -lt 200 ]; do
    sscreen "$1" | grep -q${3:-}F -- "$2" && return 0
    sleep 0.05; i=$((i + 1))
  done
  return 1
}

# A long write cancelled with Ctrl-C leaves a filesystem e2fsck finds
# clean, and the handle goes on working.
printf '%s\n' 'sparse big.img 1G' 'run' 'mkfs ext4 /dev/sda' | \
  "$minnow" > /dev/null 2> setup2.err || sed 's/^/# setup: /' setup2.err
# The first server may still be on its way out after quit.
tm kill-server 2> /dev/null
i=0; while [ -e "$sock" ] && [ $i -lt 40 ]; do sleep 0.05; i=$((i + 1)); done
tm -f /dev/null new-session -d -s fill -x 132 -y 40 \
  "env HOME=$tmp TERM=xterm $minnow --rw -a big.img -m /dev/sda"
swait fill '><minnow>'
tm send-keys -t fill 'fill 120 900M /big' Enter
swait fill '><minnow> fill 120 900M /big'
sleep 0.2
tm send-keys -t fill C-c
swait fill 'fill: operation cancelled by the user'
t $? "Ctrl-C cancels a long fill" "fill: operation cancelled by the user"
tm send-keys -t fill 'write /after "still here"' Enter 'cat /after' Enter
swait fill 'still here' x
t $? "the handle still writes after the cancel" "still here"

# Progress during transfers: one line per call, under the command; a bar
# for a known size (upload, download), a byte count for a stream of
# unknown size (copy-in, tar-out).
head -c 200M /dev/urandom > up.bin
tm send-keys -t fill 'rm-f /big' Enter
mkdir updir && cp up.bin updir/a && cp up.bin updir/b
after_cmd () { sscreen fill | grep -A1 -xF -- "><minnow> $1" | tail -n 1; }
for cmd in 'upload up.bin /up' 'download /up down.bin' 'copy-in updir /' \
    'tar-out / out.tar'; do
  tm send-keys -t fill "$cmd" Enter
  i=0
  while [ $i -lt 400 ] && ! sscreen fill | sed '/^ *$/d' | tail -n 1 | grep -qx '><minnow>'; do
    sleep 0.05; i=$((i + 1))
  done
  case $cmd in
    copy-in*) after_cmd "$cmd" | grep -qx '400\.0 MiB transferred' ;;
    tar-out*) after_cmd "$cmd" | grep -qx '[0-9]*\.[0-9] MiB transferred' ;;
    *) after_cmd "$cmd" | grep -qx '\[#*\] 100%' ;;
  esac
  t $? "progress during '$cmd': one line, complete at the end" "$(after_cmd "$cmd")"
done
rm -rf up.bin down.bin updir out.tar
tm send-keys -t fill 'quit' Enter
i=0
while tm has-session -t fill 2>/dev/null && [ $i -lt 200 ]; do
  sleep 0.05; i=$((i + 1))
done
e2fsck -fn big.img > e2fsck.out 2>&1
r=$?
[ $r = 0 ] || sed 's/^/# e2fsck: /' e2fsck.out
t $r "the image is e2fsck-clean after the cancelled fill" "e2fsck -fn exit 0"
rm -f big.img

# Not at the prompt: a script read with -f, in a terminal.  Ctrl-C sends
# SIGINT to the terminal's foreground process group; the daemon has a
# group of its own, so only the shell gets it and cancels the call, and
# the daemon serves the rest of the script.  (The wrapper ignores SIGINT
# so that minnow's reaction alone is seen: minnow installs its own
# handler, and the daemon starts with the default one, which would kill
# it in the shell's group.)
printf '%s\n' 'echo pid-before' 'get-pid' 'echo ready' \
  '-internal-test-sleep 600000' 'echo after-sleep' 'filesize /etc/app/config' \
  'echo pid-after' 'get-pid' > script.txt
{
  echo "trap '' INT"
  echo "'$minnow' -a disk.img -m /dev/sda1 -f script.txt"
  echo 'echo "exit=$?"'
  echo 'exec sleep 600'
} > wrap.sh
tm -f /dev/null new-session -d -s script -x 132 -y 20 "sh wrap.sh"
swait script 'ready' x
sleep 0.5
tm send-keys -t script C-c
swait script 'exit='
sscreen script | grep -qF 'operation cancelled by the user'
t $? "Ctrl-C during a script cancels the running call" "operation cancelled by the user"
before=$(sscreen script | grep -A1 -x pid-before | tail -n 1)
after=$(sscreen script | grep -A1 -x pid-after | tail -n 1)
sscreen script | grep -qx 'after-sleep' && sscreen script | grep -qx '12' &&
  sscreen script | grep -qx 'exit=0' && [ -n "$before" ] && [ "$before" = "$after" ]
r=$?
[ $r = 0 ] || sscreen script | sed 's/^/# screen: /'
t $r "the same daemon (pid $before) ran the rest of the script" "after-sleep, 12, the same pid, exit=0"

echo "1..$n"
exit $failed
