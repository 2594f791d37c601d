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

tm send-keys -t minnow 'filesize /etc/app/config' Enter
wait_for_prompt
[ "$(screen | sed '/^ *$/d' | tail -n 2 | head -n 1)" = "12" ]
t $? "the daemon still answers after the cancel" "12 (filesize /etc/app/config)"

# A call that is not a transfer runs to its end; the shell says it was
# interrupted and drops its result.
tm send-keys -t minnow 'internal-test-sleep 1500' Enter
interrupt 'internal-test-sleep: interrupted'
t $? "Ctrl-C during a long call: reported as interrupted" "internal-test-sleep: interrupted"
wait_for_prompt
t $? "and the prompt comes back" "><minnow> on the last line"

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

echo "1..$n"
exit $failed
