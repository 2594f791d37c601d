#!/bin/sh
# Seed corpora for the fuzz targets: small real images (ext2 with 1 KiB
# blocks, ext3, ext4 with and without metadata checksums, with files,
# directories, symlinks and an xattr), ISO 9660 images of the same tree,
# and a few framed protocol messages.
set -eu
img=$1; proto=$2
mkdir -p "$img" "$proto"
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/a/b/c"
printf 'hello\n' > "$tree/a/file"
ln -s ../file "$tree/a/b/link"
seq 1 2000 > "$tree/a/b/c/numbers"
for i in $(seq 1 30); do : > "$tree/a/b/n$i"; done
n=0
for spec in "ext2 1024 512K" "ext3 1024 1M" "ext4 1024 1M" "ext4 4096 1M" \
            "ext4 1024 512K ^metadata_csum"; do
  set -- $spec
  n=$((n + 1))
  f="$img/seed-$n-$1-$2"
  rm -f "$f"
  mke2fs -q -F -t "$1" -b "$2" -N 64 ${4:+-O "$4"} -d "$tree" "$f" "$3" >/dev/null
done
# ISO 9660 (when xorriso/genisoimage are there): Rock Ridge + Joliet,
# Joliet alone, plain names.
if command -v xorriso >/dev/null; then
  xorriso -as mkisofs -quiet -no-pad -R -J -V SEED -o "$img/seed-iso-rr" \
    "$tree" >/dev/null 2>&1 || :
fi
if command -v genisoimage >/dev/null; then
  genisoimage -quiet -J -o "$img/seed-iso-joliet" "$tree" >/dev/null 2>&1 || :
  genisoimage -quiet -o "$img/seed-iso-plain" "$tree" >/dev/null 2>&1 || :
fi
# Protocol: a length-framed header with zeroed fields, and the flags.
printf '\000\000\000\044MNOW\000\000\000\001\000\000\000\001\000\000\000\000\000\000\000\001\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000' > "$proto/seed-header"
printf 'MNLF' > "$proto/seed-launch"
printf 'MNCX' > "$proto/seed-cancel"
