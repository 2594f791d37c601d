#!/bin/sh
# bench/fat: the FAT engine (issue 15) against mtools and, as root where
# the kernel has vfat, a kernel loop mount; one run each, on FAT32
# images of 1 GiB made by mkfs.fat:
#   - 1,000 small files (1-8 KiB) written (minnow copy_in, mcopy -s,
#     cp -r into the mount) and read back (copy_out, mcopy -s, cp -r out);
#   - one 256 MiB file written (upload, mcopy, dd) and read back
#     (download, mcopy, dd).
# Prints seconds per step.  Run through ./run (make bench does); not part
# of make check.  SIZE_MIB changes the big file's size.
minnow="${MINNOW_SHELL:-${MINNOW_BUILDDIR:-..}/shell/minnow}"
size_mib=${SIZE_MIB:-256}
tmp=$(mktemp -d "${TMPDIR:-/var/tmp}/minnow-fat-bench.XXXXXX") || exit 1
mnt="$tmp/mnt"
mkdir "$mnt"
cleanup () {
  mountpoint -q "$mnt" 2>/dev/null && umount "$mnt"
  rm -rf "$tmp"
}
trap cleanup EXIT
PATH="$PATH:/sbin:/usr/sbin"
export MTOOLS_SKIP_CHECK=1

for tool in mkfs.fat mcopy; do
  command -v $tool > /dev/null || { echo "bench/fat: $tool is missing" >&2; exit 1; }
done
now () { date +%s.%N; }
secs () { awk -v s="$1" -v e="$2" 'BEGIN { printf "%.2f", e - s }'; }
mkimg () { rm -f "$1"; truncate -s 1G "$1"; mkfs.fat -F 32 "$1" > /dev/null; }

mkdir -p "$tmp/small/tree"
i=0
while [ $i -lt 1000 ]; do
  head -c $(( (i % 8 + 1) * 1024 )) /dev/urandom > "$tmp/small/tree/file $i.dat"
  i=$((i + 1))
done
head -c $((size_mib * 1048576)) /dev/urandom > "$tmp/big"

row () { printf '%-28s %10s %10s %10s\n' "$@"; }
kernel=no
if [ "$(id -u)" = 0 ]; then
  grep -qw vfat /proc/filesystems || modprobe vfat > /dev/null 2>&1
  grep -qw vfat /proc/filesystems && kernel=yes
fi

# minnow
mkimg "$tmp/m.img"
t0=$(now); "$minnow" -a "$tmp/m.img" --rw : mount /dev/sda / : copy_in "$tmp/small/tree" / || exit 1; t1=$(now)
mkdir "$tmp/m.out"
"$minnow" -a "$tmp/m.img" : mount_ro /dev/sda / : copy_out /tree "$tmp/m.out" || exit 1; t2=$(now)
"$minnow" -a "$tmp/m.img" --rw : mount /dev/sda / : upload "$tmp/big" /big || exit 1; t3=$(now)
"$minnow" -a "$tmp/m.img" : mount_ro /dev/sda / : download /big "$tmp/m.big" || exit 1; t4=$(now)
diff -r "$tmp/small/tree" "$tmp/m.out/tree" > /dev/null && cmp -s "$tmp/big" "$tmp/m.big" ||
  { echo "bench/fat: minnow's copies differ" >&2; exit 1; }
fsck.fat -n "$tmp/m.img" > /dev/null || { echo "bench/fat: fsck.fat fails on minnow's image" >&2; exit 1; }
m1=$(secs $t0 $t1) m2=$(secs $t1 $t2) m3=$(secs $t2 $t3) m4=$(secs $t3 $t4)
rm -rf "$tmp/m.img" "$tmp/m.out" "$tmp/m.big"

# mtools
mkimg "$tmp/t.img"
t0=$(now); mcopy -s -i "$tmp/t.img" "$tmp/small/tree" ::/ || exit 1; t1=$(now)
mkdir "$tmp/t.out"
mcopy -s -n -i "$tmp/t.img" ::/tree "$tmp/t.out" || exit 1; t2=$(now)
mcopy -i "$tmp/t.img" "$tmp/big" ::/big || exit 1; t3=$(now)
mcopy -n -i "$tmp/t.img" ::/big "$tmp/t.big" || exit 1; t4=$(now)
t1s=$(secs $t0 $t1) t2s=$(secs $t1 $t2) t3s=$(secs $t2 $t3) t4s=$(secs $t3 $t4)
rm -rf "$tmp/t.img" "$tmp/t.out" "$tmp/t.big"

# the kernel
k1=- k2=- k3=- k4=-
if [ $kernel = yes ]; then
  mkimg "$tmp/k.img"
  mount -o loop "$tmp/k.img" "$mnt" || exit 1
  t0=$(now); cp -r "$tmp/small/tree" "$mnt/" && umount "$mnt"; t1=$(now)
  mount -o loop,ro "$tmp/k.img" "$mnt"; mkdir "$tmp/k.out"
  cp -r "$mnt/tree" "$tmp/k.out/" && umount "$mnt"; t2=$(now)
  mount -o loop "$tmp/k.img" "$mnt"
  dd if="$tmp/big" of="$mnt/big" bs=4M status=none && umount "$mnt"; t3=$(now)
  echo 3 > /proc/sys/vm/drop_caches 2>/dev/null
  mount -o loop,ro "$tmp/k.img" "$mnt"
  dd if="$mnt/big" of="$tmp/k.big" bs=4M status=none && umount "$mnt"; t4=$(now)
  k1=$(secs $t0 $t1) k2=$(secs $t1 $t2) k3=$(secs $t2 $t3) k4=$(secs $t3 $t4)
fi

echo "FAT32, 1 GiB image; seconds (kernel: - when it has no vfat or not root)"
row "" minnow mcopy kernel
row "write 1,000 small files" $m1 $t1s $k1
row "read 1,000 small files" $m2 $t2s $k2
row "write one ${size_mib} MiB file" $m3 $t3s $k3
row "read one ${size_mib} MiB file" $m4 $t4s $k4
