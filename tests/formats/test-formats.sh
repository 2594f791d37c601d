# tests/formats: drives in qemu's formats and on NBD servers (issue 11).
#
# Every image is made by qemu-img (or by minnow's disk-create through
# it), written through minnow, then judged by qemu's own tools
# (qemu-img check, qemu-img convert to raw) and by a second reader:
# a kernel loop mount when root, minnow on the raw copy otherwise.  The
# FUSE chain (nbdfuse + qemu-nbd) must leave nothing behind: no process
# naming the test's files, no directory in the library's TMPDIR, no
# mount.  TAP; skips as a whole without FUSE or the qemu tools.

set -u
minnow="${MINNOW_SHELL:-$MINNOW_BUILDDIR/shell/minnow}"
tmp=$(mktemp -d)
libtmp="$tmp/libtmp"
mkdir "$libtmp"
export TMPDIR="$libtmp"
export MINNOW_LAUNCH_TIMEOUT=60
server_pid=
cleanup () {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  mountpoint -q "$tmp/mnt" 2>/dev/null && umount "$tmp/mnt"
  rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp" || exit 1

for tool in qemu-img qemu-nbd nbdfuse; do
  if ! command -v $tool >/dev/null; then
    echo "1..0 # SKIP $tool is not installed (scripts/install-deps)"; exit 0
  fi
done
if ! [ -r /dev/fuse ] || ! [ -w /dev/fuse ]; then
  echo "1..0 # SKIP /dev/fuse is not usable here"; exit 0
fi
# FUSE can exist and still be refused (a container without the
# capability to mount): try one chain first.
qemu-img create -q -f qcow2 probe.qcow2 1M
if ! "$minnow" --format=qcow2 -a probe.qcow2 blockdev-getsize64 /dev/sda \
     > probe.out 2>&1; then
  echo "1..0 # SKIP FUSE is not usable here: $(head -1 probe.out)"; exit 0
fi

n=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () {
  n=$((n + 1)); echo "not ok $n - $1"
  [ -f "${2:-/dev/null}" ] && sed 's/^/# /' "$2"
  return 0
}
check () {                       # check TITLE LOG COMMAND...
  local title=$1 log=$2; shift 2
  if "$@" > "$log" 2>&1; then ok "$title"; else not_ok "$title" "$log"; fi
}
sha () { sha256sum "$1" | cut -d' ' -f1; }
allocated () { echo $(( $(stat -c %b "$1") * $(stat -c %B "$1") )); }

# Nothing of the test's chains may outlive the handle: processes whose
# command line names a file of $tmp (nbdfuse and qemu-nbd name the image
# and the private directory), the private directories, FUSE mounts, and
# libnbd's socket directories (/tmp/libnbdXXXXXX, made since the start).
touch "$tmp/start-stamp"
libnbd_dirs () {
  find /tmp -maxdepth 1 -name 'libnbd*' -newer "$tmp/start-stamp" 2>/dev/null
}
leftovers () {
  local i
  for i in $(seq 50); do
    if ! pgrep -f "$tmp" >/dev/null && [ -z "$(ls -A "$libtmp")" ] \
       && ! grep -q "$libtmp" /proc/mounts && [ -z "$(libnbd_dirs)" ]; then
      return 0
    fi
    sleep 0.1
  done
  echo "left behind:"; pgrep -a -f "$tmp"; ls -A "$libtmp"
  grep "$libtmp" /proc/mounts; libnbd_dirs
  return 1
}

head -c 3000000 /dev/urandom > random.bin
random_sum=$(sha random.bin)

# Writes a filesystem and files through minnow on image $1 of format $2.
populate () {
  "$minnow" -w --format="$2" -a "$1" \
    part-disk /dev/sda mbr : mkfs ext4 /dev/sda1 : mount /dev/sda1 / : \
    mkdir /d : write /d/hello "hello from $2" : upload random.bin /d/random : \
    umount-all
}

# The raw copy $1 holds what populate wrote for format $2: read by a
# kernel loop mount (root) or by minnow, and e2fsck-clean.
judge_raw () {
  local raw=$1 fmt=$2 start size
  "$minnow" -a "$raw" part-list /dev/sda > parts || return 1
  start=$(sed -n 's/^  part_start: //p' parts)
  size=$(sed -n 's/^  part_size: //p' parts)
  dd if="$raw" of=part.img bs=1M iflag=skip_bytes,count_bytes \
     skip="$start" count="$size" status=none
  e2fsck -fn part.img || return 1
  if [ "$(id -u)" -eq 0 ] && mkdir -p mnt \
     && mount -o ro,loop,offset="$start" "$raw" mnt 2>/dev/null; then
    echo "loop mount"
    local got_hello got_sum
    got_hello=$(cat mnt/d/hello); got_sum=$(sha mnt/d/random)
    umount mnt
  else
    echo "minnow on the raw copy"
    got_hello=$("$minnow" -a "$raw" -m /dev/sda1 cat /d/hello) || return 1
    "$minnow" -a "$raw" -m /dev/sda1 download /d/random got.bin || return 1
    got_sum=$(sha got.bin)
  fi
  [ "$got_hello" = "hello from $fmt" ] || { echo "hello: $got_hello"; return 1; }
  [ "$got_sum" = "$random_sum" ] || { echo "random: $got_sum"; return 1; }
}

# 1. Each format: made by qemu-img (qcow2 by minnow's disk-create),
# written through minnow, checked by qemu-img, converted, read back.
round_trip () {
  local fmt=$1 img=$2
  populate "$img" "$fmt" || return 1
  case $fmt in
    qcow2|vmdk|vhdx|vdi) qemu-img check -q -f "$fmt" "$img" || return 1 ;;
  esac
  qemu-img convert -f "$fmt" -O raw "$img" "$img.raw" || return 1
  judge_raw "$img.raw" "$fmt"
}
"$minnow" disk-create v2.qcow2 qcow2 67108864 compat:0.10 > dc.log 2>&1 &&
  qemu-img info v2.qcow2 | grep -q 'compat: 0.10' &&
  check "qcow2 v2 (compat 0.10): write, check, convert, read back" \
    v2.log round_trip qcow2 v2.qcow2 || not_ok "qcow2 v2 made by disk-create" dc.log
"$minnow" disk-create v3.qcow2 qcow2 67108864 compat:1.1 clustersize:65536 \
  preallocation:metadata > dc.log 2>&1 &&
  qemu-img info v3.qcow2 | grep -q 'compat: 1.1' &&
  check "qcow2 v3: write, check, convert, read back" v3.log \
    round_trip qcow2 v3.qcow2 || not_ok "qcow2 v3 made by disk-create" dc.log
for fmt in vmdk vhdx vdi; do
  qemu-img create -q -f $fmt disk.$fmt 64M
  check "$fmt: write, check, convert, read back" $fmt.log \
    round_trip $fmt disk.$fmt
done

# 2. A compressed qcow2 (qemu-img convert -c): read it, write to it.
compressed () {
  qemu-img convert -c -f raw -O qcow2 v2.qcow2.raw c.qcow2 || return 1
  qemu-img check c.qcow2 | grep -q 'compressed clusters' || return 1
  [ "$("$minnow" disk-format c.qcow2)" = qcow2 ] || return 1  # probed
  got=$("$minnow" --ro -a c.qcow2 -m /dev/sda1 checksum sha256 /d/random) \
    || return 1
  [ "$got" = "$random_sum" ] || { echo "checksum $got"; return 1; }
  "$minnow" -w --format=qcow2 -a c.qcow2 -m /dev/sda1 write /new new || return 1
  qemu-img check -q c.qcow2 || return 1
  [ "$("$minnow" --format=qcow2 -a c.qcow2 -m /dev/sda1 cat /new)" = new ]
}
check "compressed qcow2: read, written, still clean" compressed.log compressed

# 3. A backing chain: writes land in the overlay, the base is unchanged.
chain () {
  base_sum=$(sha v3.qcow2)
  "$minnow" disk-create overlay.qcow2 qcow2 -1 backingfile:v3.qcow2 \
    backingformat:qcow2 || return 1
  [ "$("$minnow" disk-has-backing-file overlay.qcow2)" = true ] || return 1
  [ "$("$minnow" disk-has-backing-file v3.qcow2)" = false ] || return 1
  [ "$("$minnow" disk-virtual-size overlay.qcow2)" = 67108864 ] || return 1
  "$minnow" -w --format=qcow2 -a overlay.qcow2 -m /dev/sda1 \
    write /d/hello "changed" : upload random.bin /d/second || return 1
  [ "$(sha v3.qcow2)" = "$base_sum" ] || { echo "base changed"; return 1; }
  qemu-img check -q overlay.qcow2 || return 1
  [ "$("$minnow" --format=qcow2 -a overlay.qcow2 -m /dev/sda1 cat /d/hello)" \
    = changed ] || return 1
  [ "$("$minnow" --format=qcow2 -a v3.qcow2 -m /dev/sda1 cat /d/hello)" \
    = "hello from qcow2" ]
}
check "backing chain: writes land in the overlay, base checksum kept" \
  chain.log chain

# 4. Read-only qcow2: never written (checksum), writes refused.
readonly_qcow2 () {
  before=$(sha v3.qcow2)
  "$minnow" --ro --format=qcow2 -a v3.qcow2 -m /dev/sda1 cat /d/hello \
    || return 1
  if "$minnow" --ro --format=qcow2 -a v3.qcow2 -m /dev/sda1 write /x y; then
    echo "a write to a read-only drive succeeded"; return 1
  fi
  [ "$(sha v3.qcow2)" = "$before" ]
}
check "read-only qcow2: unchanged, writes refused" ro.log readonly_qcow2

# 5. An NBD drive on a qemu-nbd server the test starts (export name).
nbd_drive () {
  qemu-img create -q -f qcow2 served.qcow2 64M
  qemu-nbd -t -k "$tmp/nbd.sock" -x myexport -f qcow2 served.qcow2 &
  server_pid=$!
  for i in $(seq 100); do [ -S nbd.sock ] && break; sleep 0.05; done
  "$minnow" -w add-drive "" protocol:nbd server:"unix:$tmp/nbd.sock" \
    exportname:myexport : launch : part-disk /dev/sda mbr : \
    mkfs ext4 /dev/sda1 : mount /dev/sda1 / : write /f "over nbd" || return 1
  got=$("$minnow" add-drive "" protocol:nbd server:"unix:$tmp/nbd.sock" \
    exportname:myexport readonly:true : launch : mount /dev/sda1 / : cat /f) \
    || return 1
  kill "$server_pid"; wait "$server_pid"; server_pid=
  [ "$got" = "over nbd" ] || { echo "got $got"; return 1; }
  qemu-img check -q served.qcow2
}
check "NBD drive (unix socket, export name) served by qemu-nbd" nbd.log \
  nbd_drive

# ... and over TCP (host:port), without an export name.
port=$((20000 + $$ % 20000))
qemu-img create -q -f raw tcp.img 32M
qemu-nbd -t -b 127.0.0.1 -p $port -f raw tcp.img > tcpserver.log 2>&1 &
server_pid=$!
for i in $(seq 100); do
  "$minnow" add-drive "" protocol:nbd server:"127.0.0.1:$port" : launch \
    > /dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || break; sleep 0.05
done
if ! kill -0 "$server_pid" 2>/dev/null; then
  n=$((n + 1)); echo "ok $n # SKIP cannot serve on TCP port $port"
  server_pid=
else
  check "NBD drive over TCP: written, read back" tcp.log \
    "$minnow" -w add-drive "" protocol:nbd server:"tcp:127.0.0.1:$port" : \
    launch : part-disk /dev/sda mbr : mkfs ext4 /dev/sda1 : \
    mount /dev/sda1 / : write /t tcp : cat /t
  kill "$server_pid"; wait "$server_pid" 2>/dev/null; server_pid=
fi

# 6. fstrim with discard=enable gives the clusters back to the qcow2 file.
trim () {
  qemu-img create -q -f qcow2 trim.qcow2 256M
  "$minnow" -w add-drive trim.qcow2 format:qcow2 discard:enable : launch : \
    part-disk /dev/sda mbr : mkfs ext4 /dev/sda1 : mount /dev/sda1 / : \
    fill 0x41 104857600 /big || return 1
  full=$(allocated trim.qcow2)
  "$minnow" -w add-drive trim.qcow2 format:qcow2 discard:enable : launch : \
    mount /dev/sda1 / : rm /big : fstrim / || return 1
  trimmed=$(allocated trim.qcow2)
  echo "allocated: $full bytes full, $trimmed after fstrim"
  [ "$full" -gt 100000000 ] && [ "$trimmed" -lt $((full / 4)) ] || return 1
  qemu-img check -q trim.qcow2
}
check "fstrim with discard=enable shrinks the qcow2 file" trim.log trim

# ... and discard=enable is refused where discards cannot work: an NBD
# server without trim (nbdkit's eval plugin without a trim method) at
# launch, and a raw image on a file system that cannot punch holes (a
# FUSE file over that server) at add_drive; besteffort takes both, and
# there a discard succeeds and changes nothing (blkdiscardzeroes false).
if command -v nbdkit > /dev/null; then
  notrim () {
    nbdkit -f -U "$tmp/notrim.sock" eval get_size='echo 16777216' \
      pread='dd if=/dev/zero count=$3 iflag=count_bytes status=none' \
      pwrite='cat > /dev/null' &
    server_pid=$!
    for i in $(seq 100); do [ -S notrim.sock ] && break; sleep 0.05; done
    if "$minnow" -w add-drive "" protocol:nbd server:"unix:$tmp/notrim.sock" \
         discard:enable : launch > notrim.out 2>&1; then
      echo "discard=enable launched without trim"; return 1
    fi
    cat notrim.out
    grep -q "does not support trim" notrim.out || return 1
    z=$("$minnow" -w add-drive "" protocol:nbd \
      server:"unix:$tmp/notrim.sock" discard:besteffort : launch : \
      blkdiscard /dev/sda : blkdiscardzeroes /dev/sda) || return 1
    echo "besteffort, NBD server without trim: blkdiscardzeroes $z"
    [ "$z" = false ] || return 1
    mkdir nohole && touch nohole/disk
    nbdfuse nohole/disk --unix "$tmp/notrim.sock" &
    for i in $(seq 100); do
      [ "$(stat -c %s nohole/disk)" = 16777216 ] && break; sleep 0.05
    done
    "$minnow" -w add-drive nohole/disk format:raw discard:enable \
      > nohole.out 2>&1
    r=$?
    zb=$("$minnow" -w add-drive nohole/disk format:raw discard:besteffort : \
      launch : blkdiscard /dev/sda : blkdiscardzeroes /dev/sda)
    rb=$?
    echo "besteffort, no holes: blkdiscardzeroes $zb"
    fusermount3 -u nohole/disk
    kill "$server_pid"; wait "$server_pid" 2>/dev/null; server_pid=
    cat nohole.out
    [ $r -ne 0 ] && grep -q "cannot punch holes" nohole.out && [ $rb -eq 0 ] \
      && [ "$zb" = false ]
  }
  check "discard=enable refused without trim or hole punching" notrim.log \
    notrim
else
  n=$((n + 1)); echo "ok $n # SKIP nbdkit is not installed (scripts/install-deps)"
fi

# ... and on a raw image the default, discard=disable, keeps every byte:
# fstrim and blkdiscard change nothing (blkdiscardzeroes says false);
# with besteffort, fstrim punches holes.
raw_discard () {
  truncate -s 128M rawd.img
  "$minnow" -w add-drive rawd.img format:raw : launch : \
    part-disk /dev/sda mbr : mkfs ext4 /dev/sda1 : mount /dev/sda1 / : \
    fill 0x41 67108864 /big || return 1
  full=$(allocated rawd.img)
  zeroes=$("$minnow" -w add-drive rawd.img format:raw : launch : \
    mount /dev/sda1 / : rm /big : fstrim / : umount-all : \
    blkdiscard /dev/sda1 : blkdiscardzeroes /dev/sda) || return 1
  kept=$(allocated rawd.img)
  fs=$("$minnow" -a rawd.img vfs-type /dev/sda1) || return 1
  echo "disable: allocated $full bytes, $kept after fstrim and" \
    "blkdiscard; blkdiscardzeroes $zeroes; the filesystem: $fs"
  [ "$full" -gt 60000000 ] && [ "$kept" -ge "$full" ] \
    && [ "$zeroes" = false ] && [ "$fs" = ext4 ] || return 1
  zeroes=$("$minnow" -w add-drive rawd.img format:raw discard:besteffort : \
    launch : mount /dev/sda1 / : fstrim / : blkdiscardzeroes /dev/sda) \
    || return 1
  trimmed=$(allocated rawd.img)
  echo "besteffort: $trimmed after fstrim; blkdiscardzeroes $zeroes"
  [ "$trimmed" -lt $((full / 4)) ] && [ "$zeroes" = true ]
}
check "raw: discard=disable keeps the bytes, besteffort punches holes" \
  rawdiscard.log raw_discard

# 7. Damaged images: clear errors, no hang.
qemu-img create -q -f qcow2 bad.qcow2 64M
printf '\x63' | dd of=bad.qcow2 bs=1 seek=23 conv=notrunc status=none
if timeout 60 "$minnow" --format=qcow2 -a bad.qcow2 launch > bad.log 2>&1; then
  not_ok "a corrupted qcow2 header is an error" bad.log
elif grep -q "bad.qcow2" bad.log && grep -qi "cluster" bad.log; then
  ok "a corrupted qcow2 header is an error naming the image and the fault"
else not_ok "a corrupted qcow2 header is a clear error" bad.log; fi

qemu-img create -q -f qcow2 gone-base.qcow2 64M
qemu-img create -q -f qcow2 -b gone-base.qcow2 -F qcow2 orphan.qcow2
rm gone-base.qcow2
if timeout 60 "$minnow" --format=qcow2 -a orphan.qcow2 launch > orphan.log 2>&1
then not_ok "a missing backing file is an error" orphan.log
elif grep -q "gone-base.qcow2" orphan.log; then
  ok "a missing backing file is an error naming it"
else not_ok "a missing backing file is a clear error" orphan.log; fi

# 8. qemu-nbd killed under a running handle: the next call fails with a
# clear error naming qemu-nbd, and nothing hangs.
# kill_qemu_nbd NAME BEFORE AFTER ERROR TITLE: a shell on NAME.qcow2 runs
# the commands BEFORE, then qemu-nbd is killed, then, once it has died,
# AFTER must fail with ERROR (an extended regex) in its message.
kill_qemu_nbd () {
  mkfifo "$1.cmds"
  timeout 60 "$minnow" -w --format=qcow2 -a "$tmp/$1.qcow2" < "$1.cmds" \
    >> "$1.log" 2>&1 &
  victim=$!
  exec 7> "$1.cmds"
  printf "$2" >&7
  qpid=
  for i in $(seq 100); do
    qpid=$(pgrep -f "^qemu-nbd.*$tmp/$1.qcow2") && break; sleep 0.05
  done
  sleep 0.5
  if [ -n "$qpid" ] && kill -9 "$qpid"; then
    # Once it has exited (a zombie until the library reaps it): a call
    # racing with its death may fail before anything says why.
    while [ -e "/proc/$qpid" ] \
          && ! grep -q '^State:.*Z' "/proc/$qpid/status" 2>/dev/null; do
      sleep 0.02
    done
    printf "$3" >&7
  fi
  exec 7>&-
  wait "$victim"; rc=$?
  if [ -z "$qpid" ]; then not_ok "$5: qemu-nbd was running" "$1.log"
  elif [ $rc -eq 124 ]; then not_ok "$5: no hang" "$1.log"
  elif [ $rc -ne 0 ] && grep -qE "$4" "$1.log" \
       && grep -q "qemu-nbd has died" "$1.log"; then ok "$5"
  else not_ok "$5: a clear error" "$1.log"; fi
}
qemu-img create -q -f qcow2 victim.qcow2 64M
kill_qemu_nbd victim 'launch\n' 'part-disk /dev/sda mbr\n' 'part_disk' \
  "qemu-nbd killed: the next call fails, naming qemu-nbd"

# ... and the same under a mounted filesystem, whose writes go over the
# daemon's own NBD connection (storage/nbd.c), not through the file: the
# write, or the sync after it, fails.
qemu-img create -q -f qcow2 victim2.qcow2 64M
"$minnow" -w -a victim2.qcow2 --format=qcow2 launch : part-disk /dev/sda mbr : \
  mkfs ext4 /dev/sda1 > victim2.log 2>&1
kill_qemu_nbd victim2 'launch\nmount /dev/sda1 /\nwrite /a before\nsync\n' \
  'write /b after\nsync\n' '(write: /b|sync): ' \
  "qemu-nbd killed under a mount: the engine's write fails, naming qemu-nbd"

# 9. Nothing left behind after close ...
check "nothing left behind after close" left.log leftovers

# ... nor after the client is killed (the daemon follows via its
# lifeline, the FUSE file is released, nbdfuse and qemu-nbd exit).
qemu-img create -q -f qcow2 killed.qcow2 64M
mkfifo cmds2
"$minnow" -w --format=qcow2 -a "$tmp/killed.qcow2" < cmds2 > killed.log 2>&1 &
client=$!
exec 7> cmds2
echo launch >&7; echo "part-disk /dev/sda mbr" >&7
for i in $(seq 100); do
  pgrep -f "^qemu-nbd.*$tmp/killed.qcow2" >/dev/null && break; sleep 0.05
done
sleep 0.5
kill -9 "$client"; wait "$client" 2>/dev/null
exec 7>&-
check "nothing left behind after the client is SIGKILLed" left2.log leftovers
check "the image is clean after its client was killed" killedcheck.log \
  qemu-img check -q killed.qcow2

# 10. Without nbdfuse: a clear error naming what is missing; raw drives
# still work.  (The shell program itself, not its libtool wrapper.)
real_minnow="$MINNOW_BUILDDIR/shell/.libs/minnow"
[ -x "$real_minnow" ] || real_minnow="$MINNOW_BUILDDIR/shell/minnow"
mkdir nobin
qemu-img create -q -f raw plain.img 16M
if PATH="$tmp/nobin" "$real_minnow" --format=qcow2 -a v3.qcow2 launch \
     > nofuse.log 2>&1; then
  not_ok "without nbdfuse, a qcow2 drive is an error" nofuse.log
elif grep -q "nbdfuse" nofuse.log && grep -q "libnbd-bin" nofuse.log \
     && PATH="$tmp/nobin" "$real_minnow" -a plain.img \
          blockdev-getsize64 /dev/sda >> nofuse.log 2>&1; then
  ok "without the qemu tools: an error naming nbdfuse and its package; a raw image (not probed: no qemu-img) still works"
else not_ok "without nbdfuse: a clear error" nofuse.log; fi

echo "1..$n"
