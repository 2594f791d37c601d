# tests/fat: the FAT engine against the tools that know FAT (TAP).
#
# For FAT12, FAT16 and FAT32 (made by mkfs.fat -F N):
#   - a tree written by mtools (mcopy/mmd) is read back identical
#     through minnow, and minnow's label and serial are blkid's;
#   - a tree written by minnow (copy_in, then renames, removals, a
#     truncate, set times) is listed by mdir with the same names and
#     read back identical by mcopy; fsck.fat -n finds nothing;
#   - as root, where the kernel has vfat, a loop mount shows the same
#     tree, sizes, modification times and contents (else skipped).
# Then hostile images: a cluster loop, cross-linked chains, a directory
# loop and bad boot sectors give clear errors, never a hang.

set -u
minnow="${MINNOW_SHELL:-$MINNOW_BUILDDIR/shell/minnow}"
srcdir="${MINNOW_SRCDIR:-.}/tests/fat"
python="${PYTHON:-python3}"
tmp=$(mktemp -d)
trap 'umount "$tmp/mnt" 2>/dev/null; rm -rf "$tmp"' EXIT
export LC_ALL=C.UTF-8 MTOOLS_SKIP_CHECK=1 MTOOLS_NO_VFAT=0

n=0
failed=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () {
  n=$((n + 1)); echo "not ok $n - $1"; failed=1
  [ -f "$tmp/err" ] && sed 's/^/# /' "$tmp/err" | head -n 20
}
skip () { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
check () {                      # check DESCRIPTION COMMAND...
  d=$1; shift
  if "$@" > "$tmp/out" 2> "$tmp/err"; then ok "$d"; else not_ok "$d"; fi
}

for tool in mkfs.fat fsck.fat mcopy mdir blkid; do
  if ! command -v "$tool" > /dev/null 2>&1 \
     && ! [ -x "/sbin/$tool" ] && ! [ -x "/usr/sbin/$tool" ]; then
    echo "1..0 # SKIP $tool is not installed (scripts/install-deps)"
    exit 0
  fi
done
PATH="$PATH:/sbin:/usr/sbin"

kernel_vfat=
if [ "$(id -u)" = 0 ]; then
  grep -qw vfat /proc/filesystems || modprobe vfat > /dev/null 2>&1
  grep -qw vfat /proc/filesystems && kernel_vfat=1
fi
kernel_why="the kernel has no vfat (or not root)"

echo 1..34

# The source tree: long, mixed-case and non-ASCII names, an empty file,
# a multi-cluster file, a deep path, a directory of many entries.
src="$tmp/src"
mkdir -p "$src/Deep Dir/level two/3" "$src/many"
printf 'read me\n' > "$src/readme.TXT"
printf 'upper\n' > "$src/UPPER.TXT"
printf 'mixed\n' > "$src/Mixed Case Name With Spaces.txt"
printf 'unicode\n' > "$src/ünïcödé – naïve.txt"
: > "$src/empty"
printf 'hidden\n' > "$src/.hidden"
head -c 1500000 /dev/urandom > "$src/big.bin"
printf 'deep\n' > "$src/Deep Dir/level two/3/deep.txt"
long=$(printf 'x%.0s' $(seq 1 200)).dat
printf 'long\n' > "$src/$long"
for i in $(seq 1 150); do printf '%s\n' "$i" > "$src/many/file number $i.txt"; done

# minnow's view of a directory tree: "path size" lines, sorted.
tree_of_host () {
  (cd "$1" && find . -mindepth 1 \( -type f -printf '%P %s\n' \) -o \
     \( -type d -printf '%P/ 0\n' \)) | LC_ALL=C sort
}

mkimg () {                      # mkimg IMAGE BITS
  case $2 in
    12) size=8M; opts= ;;
    16) size=64M; opts= ;;
    32) size=48M; opts="-s 1" ;;
  esac
  rm -f "$1"
  truncate -s $size "$1"
  mkfs.fat -F "$2" $opts -n "FAT$2" "$1" > /dev/null
}

for bits in 12 16 32; do
  img="$tmp/fat$bits.img"

  # --- mtools writes, minnow reads.
  mkimg "$img" $bits
  if mcopy -s -i "$img" "$src" ::/ 2> "$tmp/err"; then :; else
    not_ok "FAT$bits: mcopy fills the image"; continue
  fi
  rm -rf "$tmp/out1"; mkdir "$tmp/out1"
  check "FAT$bits: minnow reads mtools' tree identical" \
    sh -c '"$1" -a "$2" : mount_ro /dev/sda / : copy_out /src "$3" &&
           diff -r "$4" "$3/src"' - "$minnow" "$img" "$tmp/out1" "$src"
  blkid -p -o export "$img" > "$tmp/blkid"
  want="$(sed -n 's/^UUID=//p' "$tmp/blkid") $(sed -n 's/^LABEL=//p' "$tmp/blkid") vfat"
  got=$("$minnow" -a "$img" : vfs_uuid /dev/sda : vfs_label /dev/sda : \
        vfs_type /dev/sda 2> "$tmp/err" | tr '\n' ' ' | sed 's/ $//')
  if [ "$got" = "$want" ]; then ok "FAT$bits: uuid, label, type as blkid"
  else echo "# blkid: $want, minnow: $got" > "$tmp/err"
       not_ok "FAT$bits: uuid, label, type as blkid"; fi

  # --- minnow writes, mtools and fsck.fat read.
  mkimg "$img" $bits
  check "FAT$bits: minnow writes a tree" \
    "$minnow" -a "$img" --rw : mount /dev/sda / : copy_in "$src" / : \
      mv /src/UPPER.TXT /src/renamed.txt : mv /src/renamed.txt /src/UPPER.TXT : \
      mkdir /src/gone : rmdir /src/gone : write /src/gone.txt x : \
      rm /src/gone.txt : write "/src/Deep Dir/t" 0123456789 : \
      truncate_size "/src/Deep Dir/t" 4 : \
      utimens "/src/Deep Dir/t" 1500000001 0 1500000001 0 : \
      rm "/src/Deep Dir/t" : write /dated.txt dated : \
      utimens /dated.txt 1500000001 0 1500000001 0
  check "FAT$bits: fsck.fat -n finds nothing after minnow" fsck.fat -n "$img"
  mdir -b -i "$img" -/ ::/src | sed 's|^::/src/||; s|/$||' | LC_ALL=C sort \
    > "$tmp/mdir" 2> "$tmp/err"
  (cd "$src" && find . -mindepth 1 -printf '%P\n') | LC_ALL=C sort > "$tmp/want"
  check "FAT$bits: mdir lists minnow's names" diff "$tmp/want" "$tmp/mdir"
  rm -rf "$tmp/out2"; mkdir "$tmp/out2"
  check "FAT$bits: mcopy reads minnow's tree identical" \
    sh -c 'mcopy -s -n -i "$1" ::/src "$2" && diff -r "$3" "$2/src"' - \
      "$img" "$tmp/out2" "$src"
  # 1500000001 is 2017-07-14 02:40:01 UTC: FAT keeps 02:40:00.
  check "FAT$bits: mdir shows minnow's mtime" \
    sh -c 'TZ=UTC mdir -i "$1" ::/dated.txt | grep -q "2017-07-14  *2:40"' - \
      "$img"

  # --- the kernel's view.
  if [ -z "$kernel_vfat" ]; then
    skip "FAT$bits: a kernel loop mount shows the same tree" "$kernel_why"
    continue
  fi
  mkdir -p "$tmp/mnt"
  if mount -o loop,ro,tz=UTC -t vfat "$img" "$tmp/mnt" 2> "$tmp/err"; then
    (cd "$tmp/mnt" && find . -mindepth 1 -type f -printf '%P %s %T@\n') |
      sed 's/\.[0-9]*$//' | LC_ALL=C sort > "$tmp/kernel"
    script="$tmp/script"
    : > "$script"
    (cd "$tmp/mnt" && find . -mindepth 1 -type f -printf '%P\n') |
      while IFS= read -r p; do printf 'statns "/%s"\n' "$p" >> "$script"; done
    "$minnow" -a "$img" : mount_ro /dev/sda / : -f "$script" 2>> "$tmp/err" |
      awk '/^st_size:/ {s=$2} /^st_mtime_sec:/ {print s, $2}' > "$tmp/msizes"
    (cd "$tmp/mnt" && find . -mindepth 1 -type f -printf '%P\n') |
      paste -d' ' - "$tmp/msizes" | LC_ALL=C sort > "$tmp/minnow"
    if diff "$tmp/kernel" "$tmp/minnow" > "$tmp/err" \
       && diff -r "$src" "$tmp/mnt/src" >> "$tmp/err"; then
      ok "FAT$bits: a kernel loop mount shows the same tree"
    else not_ok "FAT$bits: a kernel loop mount shows the same tree"; fi
    umount "$tmp/mnt"
  else
    not_ok "FAT$bits: a kernel loop mount shows the same tree"
  fi
done

# --- Hostile images: each must fail with a message, within 60 s.
hostile () {                    # hostile DESC PATTERN MINNOW-ARGS...
  d=$1 pat=$2; shift 2
  timeout 60 "$minnow" "$@" > "$tmp/out" 2> "$tmp/err"
  st=$?
  if [ $st -ne 0 ] && [ $st -ne 124 ] && [ $st -lt 128 ] \
     && grep -q "$pat" "$tmp/err"; then ok "$d"
  else echo "# exit status $st" >> "$tmp/err"; not_ok "$d"; fi
}

base="$tmp/base.img"
mkimg "$base" 16
head -c 20000 /dev/urandom > "$tmp/a.bin"
head -c 20000 /dev/urandom > "$tmp/b.bin"
mcopy -i "$base" "$tmp/a.bin" ::/A.BIN
mcopy -i "$base" "$tmp/b.bin" ::/B.BIN
mmd -i "$base" ::/D ::/D/SUB

cp "$base" "$tmp/h.img"
"$python" "$srcdir/fatimg.py" "$tmp/h.img" loop A.BIN
hostile "cluster loop: reading fails" "loops" \
  -a "$tmp/h.img" : mount_ro /dev/sda / : cat /A.BIN
hostile "cluster loop: writing fails" "loops" \
  -a "$tmp/h.img" --rw : mount /dev/sda / : write_append /A.BIN x

cp "$base" "$tmp/h.img"
"$python" "$srcdir/fatimg.py" "$tmp/h.img" crosslink A.BIN B.BIN
hostile "cross-linked chains: reading fails" "cross-linked" \
  -a "$tmp/h.img" : mount_ro /dev/sda / : cat /B.BIN

cp "$base" "$tmp/h.img"
"$python" "$srcdir/fatimg.py" "$tmp/h.img" dirloop D SUB
hostile "directory loop: rm_rf stops" "loop" \
  -a "$tmp/h.img" --rw : mount /dev/sda / : rm_rf /D

for bad in "13 0 sectors per cluster" "13 3 sectors per cluster" \
           "12 0 bytes per sector" "35 0x7f larger than the device" \
           "16 0 FATs"; do
  set -- $bad
  cp "$base" "$tmp/h.img"
  "$python" "$srcdir/fatimg.py" "$tmp/h.img" bpb "$1" "$2"
  shift 2
  hostile "bad boot sector ($*)" "bad boot sector" \
    -a "$tmp/h.img" : mount_ro /dev/sda /
done
check "the untouched image still passes fsck.fat" fsck.fat -n "$base"
exit $failed
