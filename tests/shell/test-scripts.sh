# minnow(1) used from scripts: commands through stdin, -f and the command
# line; the common paths (make a disk, partition, mkfs, write, read back,
# options, lists, booleans, sizes, JSON, pipelines) and every error path
# (unknown command, wrong argument count, bad number, bad unit, bad
# boolean, write on a read-only drive, missing files), each with its exit
# status, output and message.  TAP.

set -u
minnow="${MINNOW_SHELL:-$MINNOW_BUILDDIR/shell/minnow}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

n=0
failed=0

# case NAME WANT_STATUS WANT_STDOUT STDERR_SUBSTRING [ARGS...]
# Runs minnow ARGS with the file `in` as stdin; WANT_STDOUT is compared
# exactly ('*' skips it), STDERR_SUBSTRING must appear in stderr ('' means
# stderr must be empty).
case_ () {
  name=$1 want_rc=$2 want_out=$3 want_err=$4
  shift 4
  "$minnow" "$@" < in > out 2> err
  rc=$?
  n=$((n + 1))
  problems=
  [ "$rc" = "$want_rc" ] || problems="exit status $rc, expected $want_rc"
  if [ "$want_out" != '*' ] && [ "$(cat out)" != "$(printf '%s\n' "$want_out")" ]; then
    problems="$problems; stdout differs"
  fi
  if [ -z "$want_err" ]; then
    [ -s err ] && problems="$problems; stderr not empty"
  elif ! grep -qF -- "$want_err" err; then
    problems="$problems; stderr lacks: $want_err"
  fi
  if [ -z "$problems" ]; then
    echo "ok $n - $name"
  else
    echo "not ok $n - $name"
    echo "# $problems"
    echo "# expected stdout:"; printf '%s\n' "$want_out" | sed 's/^/#   /'
    echo "# got stdout:"; sed 's/^/#   /' out
    echo "# got stderr:"; sed 's/^/#   /' err
    failed=1
  fi
}

script () { printf '%s\n' "$@" > in; }


# ---------------------------------------------------------------- common paths

script 'sparse disk.img 64M' 'run' 'part-disk /dev/sda mbr' \
  'mkfs ext4 /dev/sda1 label:data' 'mount /dev/sda1 /' \
  'mkdir-p /etc/app' 'write /etc/app/config "answer = 42\n"' \
  'ls /etc/app' 'cat /etc/app/config' 'list-partitions' 'vfs-label /dev/sda1'
case_ "stdin: create, partition, mkfs, write, list, read" 0 \
'config
answer = 42

/dev/sda1
data' ''

script 'cat /etc/app/config' 'is-dir /etc' 'is_file /etc' 'exists /nope' \
  'filesize /etc/app/config'
cp in read.minnow
: > in
case_ "-f script on a read-only drive: reads work" 0 \
'answer = 42

true
false
false
12' '' -a disk.img -m /dev/sda1 -f read.minnow

script 'touch /new-file'
case_ "write on a read-only drive fails naming --rw" 1 '' \
  'run minnow with --rw (or -w) to change them' -a disk.img -m /dev/sda1

script 'write /etc/app/config "answer = 43\n"' 'truncate-size /etc/app/config 4K' \
  'filesize /etc/app/config'
case_ "--rw: writes, sizes with units" 0 '4096' '' --rw -a disk.img -m /dev/sda1

: > in
case_ "commands on the command line, separated by ':'" 0 \
'4096
etc
lost+found' '' -a disk.img -m /dev/sda1:/:noatime:ext4 filesize /etc/app/config : ls /

script 'part-list /dev/sda' 'mountpoints' 'is-dir /etc' 'filesize /etc/app/config' \
  'umount-all' 'ls /etc'
case_ "--format=json: one JSON value per command, null for none" 1 \
'[{"part_num": 1, "part_start": 65536, "part_end": 67043327, "part_size": 66977792}]
{"/dev/sda1": "/"}
true
4096
null' 'no filesystem is mounted' --format=json -a disk.img -m /dev/sda1

script 'part-get-parttype /dev/sda' 'blockdev-getsize64 /dev/sda' 'statvfs /' 
case_ "structs print as name: value" 0 '*' '' -a disk.img -m /dev/sda1
if grep -qx 'msdos' out && grep -qx '67108864' out && grep -qx 'namemax: 255' out; then
  n=$((n + 1)); echo "ok $n - struct fields and scalars printed as guestfish does"
else
  n=$((n + 1)); echo "not ok $n - struct fields and scalars printed as guestfish does"
  sed 's/^/# got: /' out; failed=1
fi

printf '%s\n' 'internal-test-daemon "a b" NULL "x '"'"'y z'"'"'" yes 0x10 -7 "buf\n" /dev/sda /dev/sda1 /p /dev/sda "/dev/sda /dev/sdb" obool:off oint:-3 oint64:0644 ostringlist:"q r"' > args.minnow
echo secret > in
case_ "argument types: lists, booleans, numbers, optional arguments, key" 0 \
'str: "a b"
optstr: NULL
strlist: ["x", "y z"]
b: true
integer: 16
integer64: -7
bufferin: 4 "buf\n"
device: "/dev/sda"
mountable: "/dev/sda1"
pathname: "/p"
devorpath: "/dev/sda"
devicelist: ["/dev/sda", "/dev/sdb"]
key: "secret"
obool: false
oint: -3
oint64: 420
ostring: unset
ostringlist: ["q", "r"]
' '' -N part -N disk --keys-from-stdin -f args.minnow

printf 'hello' > in
case_ "FileIn '-' reads stdin" 0 '5 a430d84680aabd0b' '' internal-test-filein -

: > in
case_ "FileOut '-' writes stdout" 0 '*' '' internal-test-fileout 1000 -
n=$((n + 1))
if [ "$(wc -c < out)" -eq 1000 ]; then echo "ok $n - 1000 bytes on stdout"
else echo "not ok $n - 1000 bytes on stdout"; echo "# got $(wc -c < out)"; failed=1; fi

script 'cat /etc/app/config | tr a-z A-Z' '!echo local command' 'echo a "b c"' \
  'time echo timed' 'glob ls /e*' '-nosuch' 'exit' 'echo not reached'
case_ "pipeline, !cmd, echo, time, glob, -CMD, exit" 0 '*' \
  'nosuch: unknown command' -a disk.img -m /dev/sda1
# (the elapsed time varies: compare the other lines)
n=$((n + 1))
printf 'ANSWER = 43\n\nlocal command\na b c\ntimed\n' > want
if sed -n 1,5p out | cmp -s - want &&
   sed -n 6p out | grep -q '^elapsed time: [0-9.]* seconds$' &&
   sed -n 7p out | grep -qx app && ! grep -q 'not reached' out; then
  echo "ok $n - outputs of the shell commands"
else
  echo "not ok $n - outputs of the shell commands"; sed 's/^/# got: /' out; failed=1
fi

script 'help' ; case_ "help lists commands" 0 '*' ''
n=$((n + 1))
if grep -q '^  part-disk  *partition a whole disk' out || grep -q '^  part-disk ' out; then
  echo "ok $n - help lists part-disk"
else echo "not ok $n - help lists part-disk"; failed=1; fi

script 'help mkfs'
case_ "help COMMAND shows the synopsis" 0 '*' ''
n=$((n + 1))
if grep -q '^ mkfs fstype device \[blocksize:SIZE\]' out; then echo "ok $n - mkfs synopsis"
else echo "not ok $n - mkfs synopsis"; sed 's/^/# got: /' out; failed=1; fi

script 'echo one' 'echo two'
case_ "-x echoes each command on stderr" 0 'one
two' 'echo two' -x

export EDITOR="sed -i s/43/44/"
script 'edit /etc/app/config' 'cat /etc/app/config'
case_ "edit: \$EDITOR changes the file" 0 'answer = 44
' '' --rw -a disk.img -m /dev/sda1
unset EDITOR

# edit, less and display stream the file (download, upload): any size
# (beyond the 4 MiB of one message), any bytes.
head -c 6291456 /dev/urandom > big.bin
printf '%s\n' '#!/bin/sh' 'printf "tail\n" >> "$1"' > append.sh
chmod +x append.sh
{ cat big.bin; printf 'tail\n'; } > want.bin
script 'upload big.bin /big.bin' 'edit /big.bin' 'download /big.bin back.bin'
EDITOR="$tmp/append.sh" case_ "edit a 6 MiB binary file with \$EDITOR" 0 '' '' \
  --rw -a disk.img -m /dev/sda1
n=$((n + 1))
if cmp -s back.bin want.bin; then echo "ok $n - the edited file is the old one plus the editor's change, byte for byte"
else echo "not ok $n - the edited file is the old one plus the editor's change"; cmp back.bin want.bin | sed 's/^/# /'; failed=1; fi
script 'less /big.bin'
PAGER=cat "$minnow" -a disk.img -m /dev/sda1 < in > paged.bin 2> err
n=$((n + 1))
if cmp -s paged.bin want.bin; then echo "ok $n - less with \$PAGER shows the whole 6 MiB file, binary-safe"
else echo "not ok $n - less with \$PAGER shows the whole file"; sed 's/^/# /' err; failed=1; fi
script 'display /big.bin'
MINNOW_DISPLAY_IMAGE=cat "$minnow" -a disk.img -m /dev/sda1 < in > shown.bin 2> err
n=$((n + 1))
if cmp -s shown.bin want.bin; then echo "ok $n - display hands the whole file to \$MINNOW_DISPLAY_IMAGE"
else echo "not ok $n - display hands the whole file to the viewer"; sed 's/^/# /' err; failed=1; fi
script 'edit /no/such/file'
EDITOR="$tmp/append.sh" case_ "edit of a missing file fails and names it" 1 '' \
  '/no/such/file' --rw -a disk.img -m /dev/sda1
script 'edit /big.bin'
EDITOR="$tmp/append.sh" case_ "edit on a read-only drive fails and names --rw" 1 '' \
  '--rw' -a disk.img -m /dev/sda1
rm -f big.bin want.bin back.bin paged.bin shown.bin

# "-" as a FileOut with stdout redirected to a file (case_ does that):
# the data lands after what was printed before, nothing is overwritten.
script 'write /dl "abc"' 'echo first' 'download /dl -' 'echo last'
case_ "download to - appends to a redirected stdout" 0 'first
abclast' '' --rw -a disk.img -m /dev/sda1

: > in
case_ "-N fs:ext4:32M prepares a disk with a filesystem" 0 'ext4' '' \
  -N fs.img=fs:ext4:32M -m /dev/sda1 vfs-type /dev/sda1

script 'add-drive disk.img' 'run' 'mount /dev/sda1 /' 'touch /x'
case_ "the add-drive command is read-only too without --rw" 1 '' \
  'run minnow with --rw (or -w) to change them'

script 'add-drive disk.img readonly:false' 'run' 'mount /dev/sda1 /' 'touch /x' 'rm /x'
case_ "add-drive readonly:false writes" 0 '' ''

: > in
case_ "--format=FORMAT applies to the following -a" 1 '' \
  'format "nosuchformat" is not supported' --format=nosuchformat -a disk.img run

mkdir -p sub
script 'glob echo /dev/sd*' 'lcd sub' '!basename "$PWD"' 'reopen' 'is-config'
case_ "glob of device names, lcd, reopen" 0 '/dev/sda
/dev/sda1
sub
true' '' -a disk.img

# ---------------------------------------------------------------- errors

script 'echo first' 'frobnicate /x' 'echo not reached'
case_ "unknown command stops the script at its line" 1 'first' \
  'stdin:2: stopping: this command failed: frobnicate /x'
grep -q 'frobnicate: unknown command' err || { echo "# no unknown command message"; failed=1; }

script 'mkfs ext4'
case_ "wrong argument count" 1 '' \
  "mkfs: wrong number of arguments: it takes 2, then up to 5 name:value options"

script 'internal-test-sleep soon'
case_ "bad number" 1 '' "internal-test-sleep: milliseconds: 'soon' is not a number"

script 'internal-test-sleep 99999999999'
case_ "number out of range" 1 '' "internal-test-sleep: milliseconds: 99999999999 is out of range"

script 'truncate-size /etc/app/config 10Q'
case_ "bad unit" 1 '' "truncate-size: size: '10Q': unknown unit" --rw -a disk.img -m /dev/sda1

script 'set-trace perhaps'
case_ "bad boolean" 1 '' "set-trace: trace: 'perhaps' is not a boolean"

script 'mkfs ext4 /dev/sda1 colour:blue'
case_ "unknown optional argument" 1 '' "mkfs: 'colour:blue' is not an optional argument"

script 'sparse x.img 100'
case_ "a disk size without a unit is refused" 1 '' "sparse: size '100' has no unit"

: > in
case_ "-N with a size without a unit" 1 '' "size '100' has no unit" -N fs:ext4:100

case_ "missing image" 1 '' "no-such.img: No such file or directory" -a no-such.img

case_ "missing script" 1 '' "-f no-such.minnow: No such file or directory" -f no-such.minnow

case_ "missing host file for FileIn" 1 '' "no-such-file: No such file or directory" \
  internal-test-filein no-such-file

script 'echo "unclosed'
case_ "unterminated quote" 1 '' 'unterminated "..." quote'

: > in
case_ "-i with no operating system says so" 1 '' "no operating system" -i mountpoints

echo 1..$n
exit $failed
