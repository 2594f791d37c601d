#!/bin/sh
# bench/transfer: files in and out of an image, side by side in one run.
#   - upload and download of a 1 GiB random file (MB/s) against dd of the
#     same bytes into a kernel loop mount of an equal image (root only)
#     and into a plain file;
#   - tar_in of a 10,000-file tarball against mke2fs -d of the same tree
#     and cp -a into a loop mount (root only);
#   - the daemon's peak RSS.
# Targets: upload and download >= 70 % of dd into the loop mount; tar_in
# within 1.5x of mke2fs -d; daemon RSS < 64 MiB.  Run through ./run
# (make bench does).  SIZE_MIB changes the file size.
b="${MINNOW_BUILDDIR:-..}/bench"
size_mib=${SIZE_MIB:-1024}
tmp=$(mktemp -d "${TMPDIR:-/var/tmp}/minnow-bench.XXXXXX") || exit 1
mnt="$tmp/mnt"
mkdir "$mnt"
cleanup () {
  mountpoint -q "$mnt" 2>/dev/null && umount "$mnt"
  rm -rf "$tmp"
}
trap cleanup EXIT

now () { date +%s.%N; }
mbps () { awk -v s="$1" -v e="$2" -v m="$size_mib" 'BEGIN { printf "%.0f", m * 1.048576 / (e - s) }'; }
ms () { awk -v s="$1" -v e="$2" 'BEGIN { printf "%.0f", (e - s) * 1000 }'; }
ratio () { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
root=no
[ "$(id -u)" = 0 ] && command -v mount >/dev/null && root=yes

head -c $((size_mib * 1048576)) /dev/urandom > "$tmp/file"
img_size=$(( (size_mib * 2 + 256) * 1048576 ))

# minnow
truncate -s $img_size "$tmp/m.img"
"$b/transfer-c" files "$tmp/m.img" "$tmp/file" "$tmp/down" > "$tmp/c" ||
  { echo "bench/transfer: the minnow run failed" >&2; exit 1; }
cmp -s "$tmp/file" "$tmp/down" ||
  { echo "bench/transfer: the downloaded file differs" >&2; exit 1; }
rm -f "$tmp/down" "$tmp/m.img"
up=$(awk '$1 == "upload_MBps" { print $2 }' "$tmp/c")
down=$(awk '$1 == "download_MBps" { print $2 }' "$tmp/c")
rss_files=$(awk '$1 == "daemon_peak_rss_kib" { print $2 }' "$tmp/c")

# dd to a plain file
t0=$(now)
dd if="$tmp/file" of="$tmp/plain" bs=4M conv=fsync status=none
t1=$(now)
dd_plain=$(mbps $t0 $t1)
rm -f "$tmp/plain"

dd_loop_w=-; dd_loop_r=-
if [ $root = yes ]; then
  truncate -s $img_size "$tmp/k.img"
  mkfs.ext4 -q -F "$tmp/k.img"
  mount -o loop "$tmp/k.img" "$mnt"
  t0=$(now)
  dd if="$tmp/file" of="$mnt/f" bs=4M conv=fsync status=none
  t1=$(now)
  dd_loop_w=$(mbps $t0 $t1)
  umount "$mnt"
  mount -o loop "$tmp/k.img" "$mnt"
  t0=$(now)
  dd if="$mnt/f" of="$tmp/down" bs=4M conv=fsync status=none
  t1=$(now)
  dd_loop_r=$(mbps $t0 $t1)
  umount "$mnt"
  rm -f "$tmp/k.img" "$tmp/down"
fi
rm -f "$tmp/file"

# A 10,000-file tree: 100 directories of 100 files of 1-8 KiB.
mkdir "$tmp/tree"
i=0
while [ $i -lt 100 ]; do
  mkdir "$tmp/tree/d$i"
  i=$((i + 1))
done
head -c 8192 /dev/urandom > "$tmp/blob"
for d in "$tmp"/tree/d*; do
  j=0
  while [ $j -lt 100 ]; do
    head -c $(( (j % 8 + 1) * 1024 )) "$tmp/blob" > "$d/f$j"
    j=$((j + 1))
  done
done
tar -C "$tmp/tree" -cf "$tmp/tree.tar" .
tree_img=$((512 * 1048576))

truncate -s $tree_img "$tmp/t.img"
"$b/transfer-c" tar "$tmp/t.img" "$tmp/tree.tar" > "$tmp/t" ||
  { echo "bench/transfer: tar_in failed" >&2; exit 1; }
tar_in=$(awk '$1 == "tar_in_ms" { print $2 }' "$tmp/t")
rss_tar=$(awk '$1 == "daemon_peak_rss_kib" { print $2 }' "$tmp/t")
rm -f "$tmp/t.img"

truncate -s $tree_img "$tmp/t.img"
t0=$(now)
mke2fs -q -F -t ext4 -d "$tmp/tree" "$tmp/t.img"
t1=$(now)
mkfs_d=$(ms $t0 $t1)
# mke2fs -d includes the mkfs: take it out, as tar_in's time does not
# include minnow's mkfs.
rm -f "$tmp/t.img"; truncate -s $tree_img "$tmp/t.img"
t0=$(now)
mke2fs -q -F -t ext4 "$tmp/t.img"
t1=$(now)
mkfs_only=$(ms $t0 $t1)
mkfs_d_net=$((mkfs_d - mkfs_only))

cp_a=-
if [ $root = yes ]; then
  mount -o loop "$tmp/t.img" "$mnt"
  t0=$(now)
  cp -a "$tmp/tree/." "$mnt/"
  sync -f "$mnt"
  t1=$(now)
  cp_a=$(ms $t0 $t1)
  umount "$mnt"
fi

printf '%-44s %10s\n' "measure" "value"
printf '%-44s %10s\n' "upload ${size_mib} MiB (MB/s)" "$up"
printf '%-44s %10s\n' "download ${size_mib} MiB (MB/s)" "$down"
printf '%-44s %10s\n' "dd into a loop mount (MB/s)" "$dd_loop_w"
printf '%-44s %10s\n' "dd out of a loop mount (MB/s)" "$dd_loop_r"
printf '%-44s %10s\n' "dd to a plain file (MB/s)" "$dd_plain"
printf '%-44s %10s\n' "tar_in 10,000 files (ms)" "$tar_in"
printf '%-44s %10s\n' "mke2fs -d same tree, mkfs excluded (ms)" "$mkfs_d_net"
printf '%-44s %10s\n' "mke2fs -d same tree, whole (ms)" "$mkfs_d"
printf '%-44s %10s\n' "cp -a into a loop mount + sync (ms)" "$cp_a"
printf '%-44s %10s\n' "daemon peak RSS, files / tar (KiB)" "$rss_files / $rss_tar"
echo "ratios:"
printf '  upload / dd into loop mount      %s (target >= 0.70)\n' "$(ratio "$up" "$dd_loop_w")"
printf '  download / dd out of loop mount  %s (target >= 0.70)\n' "$(ratio "$down" "$dd_loop_r")"
printf '  upload / dd to plain file        %s\n' "$(ratio "$up" "$dd_plain")"
printf '  tar_in / mke2fs -d (net)         %s (target <= 1.5)\n' "$(ratio "$tar_in" "$mkfs_d_net")"
printf '  tar_in / mke2fs -d (whole)       %s\n' "$(ratio "$tar_in" "$mkfs_d")"
printf '  tar_in / cp -a                   %s\n' "$(ratio "$tar_in" "$cp_a")"
