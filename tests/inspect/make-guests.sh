#!/usr/bin/env bash
# Builds the guest images that tests/inspect/test-inspect.py inspects,
# into the directory given (created), from the files in data/: the
# release files, package databases and layouts that inspection reads,
# with the host's own binaries for the architecture.  Each tree is put
# into ext4 with `mke2fs -d`, with fixed UUIDs and labels, and the
# filesystems are placed into partitioned disk images.
#
#   debian.img      one MBR partition: Debian 12, merged /usr, os-release
#                   a symlink into /usr/lib, dpkg status, fstab by UUID
#   fedora.img      GPT: /boot, / and /home by UUID; rpm database built
#                   by rpm itself (--justdb) when rpm and rpmbuild exist
#   tworoots.img    MBR: Alpine (apk db) and Arch Linux (pacman db)
#   noos.img        a filesystem on the whole disk, no operating system
#   badfstab.img    CentOS 7 from its release files; a corrupted fstab,
#                   a 1 MiB /etc/hostname (not read), sysconfig hostname
#   missingdev.img  Ubuntu 22.04; fstab naming a drive that is not
#                   there, an unknown UUID, and an MBR PARTUUID
#
# Usage: make-guests.sh OUTDIR
set -euo pipefail

out=${1:?usage: make-guests.sh OUTDIR}
data=$(cd "$(dirname "$0")" && pwd)/data
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "$out/work.XXXXXX")
trap 'rm -rf "$work"' EXIT

PATH=$PATH:/sbin:/usr/sbin

# An ELF binary of this host for the guests' /usr/bin/ls.
hostls=$(command -v ls)
hostls=$(readlink -f "$hostls")

# mkfs_tree DIR IMAGE SIZE_MIB UUID [LABEL]
mkfs_tree () {
  local label=()
  [ -n "${5:-}" ] && label=(-L "$5")
  rm -f "$2"
  mke2fs -q -F -t ext4 -d "$1" -U "$4" "${label[@]}" -E root_owner=0:0 \
    "$2" "${3}M" >/dev/null
}

# disk IMAGE LABEL-TYPE LABEL-ID PART-IMAGE [PART-UUID] ...
# Partitions start at 1 MiB and follow each other, each as big as its
# image; the partition UUIDs are for GPT (ignored for dos).
disk () {
  local img=$1 type=$2 id=$3
  shift 3
  local start=2048 script="label: $type"$'\n'"label-id: $id"$'\n'
  local parts=() starts=() total=2048
  while [ $# -gt 0 ]; do
    local p=$1 uuid=${2:-}
    shift 2
    local sectors=$(( $(stat -c %s "$p") / 512 ))
    local line="start=$start, size=$sectors"
    if [ "$type" = gpt ]; then
      line="$line, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=$uuid"
    else
      line="$line, type=83"
    fi
    script+="$line"$'\n'
    parts+=("$p")
    starts+=("$start")
    start=$(( start + sectors ))
  done
  total=$(( start + 2048 ))
  rm -f "$img"
  truncate -s $(( total * 512 )) "$img"
  printf '%s' "$script" | sfdisk -q "$img" >/dev/null
  local i
  for i in "${!parts[@]}"; do
    dd if="${parts[$i]}" of="$img" bs=512 seek="${starts[$i]}" \
      conv=notrunc,sparse status=none
  done
}

# ---------------------------------------------------------------- debian
t=$work/debian
mkdir -p "$t"/{etc,usr/bin,usr/lib,usr/sbin,var/lib/dpkg,home,root,tmp,boot}
ln -s usr/bin "$t/bin"
ln -s usr/sbin "$t/sbin"
ln -s usr/lib "$t/lib"
cp "$data/os-release-debian12" "$t/usr/lib/os-release"
ln -s ../usr/lib/os-release "$t/etc/os-release"
echo "12.5" > "$t/etc/debian_version"
echo "bookworm-vm" > "$t/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tbookworm-vm\n' > "$t/etc/hosts"
cat > "$t/etc/fstab" <<'EOF'
# /etc/fstab: static file system information.
#
# Use 'blkid' to print the universally unique identifier for a
# device; this may be used with UUID= as a more robust way to name devices
# that works even if disks are added and removed. See fstab(5).
#
# <file system> <mount point>   <type>  <options>       <dump>  <pass>
# / was on /dev/vda1 during installation
UUID=5d1c2b7e-0a4e-4c1e-9d55-6e6d9f0b1a01 /               ext4    errors=remount-ro 0       1
/dev/sr0        /media/cdrom0   udf,iso9660 user,noauto     0       0
EOF
cp "$hostls" "$t/usr/bin/ls"
cp "$data/dpkg-status" "$t/var/lib/dpkg/status"
# Debian's logo as debconf installs it (inspect_get_icon).
mkdir -p "$t/usr/share/pixmaps"
cp "$data/debian-logo.png" "$t/usr/share/pixmaps/debian-logo.png"
mkfs_tree "$t" "$work/debian-p1" 16 5d1c2b7e-0a4e-4c1e-9d55-6e6d9f0b1a01
disk "$out/debian.img" dos 0x5d1c2b7e "$work/debian-p1" ""

# ---------------------------------------------------------------- fedora
R=3f7a1c52-6b2d-4e8f-a1d0-2c9e4b7f6a01
B=3f7a1c52-6b2d-4e8f-a1d0-2c9e4b7f6a02
H=3f7a1c52-6b2d-4e8f-a1d0-2c9e4b7f6a03
t=$work/fedora
mkdir -p "$t"/{etc,usr/bin,usr/lib,var/lib/rpm,boot,home,root}
ln -s usr/bin "$t/bin"
ln -s usr/lib "$t/lib"
cp "$data/os-release-fedora39" "$t/usr/lib/os-release"
ln -s ../usr/lib/os-release "$t/etc/os-release"
echo "Fedora release 39 (Thirty Nine)" > "$t/etc/fedora-release"
ln -s fedora-release "$t/etc/redhat-release"
echo "fedora39.example.com" > "$t/etc/hostname"
cat > "$t/etc/fstab" <<EOF

#
# /etc/fstab
# Created by anaconda on Tue Oct 31 12:00:00 2023
#
UUID=$R /                       ext4    defaults        1 1
UUID=$B /boot                   ext4    defaults        1 2
UUID=$H /home                   ext4    defaults        1 2
EOF
cp "$hostls" "$t/usr/bin/ls"
printf '#!/usr/bin/python3\n' > "$t/usr/bin/dnf"
if command -v rpm >/dev/null && command -v rpmbuild >/dev/null; then
  # A real rpm database: two tiny packages built and registered by rpm.
  r=$work/rpm
  mkdir -p "$r/SPECS" "$r/db"
  cat > "$r/SPECS/a.spec" <<'EOF'
Name: minnow-hello
Version: 1.2
Release: 3.fc39
Epoch: 2
Summary: A tiny package for inspection tests
License: MIT
URL: https://example.org/hello
BuildArch: noarch
%description
Nothing but a name, a version and this description.
%files
EOF
  cat > "$r/SPECS/b.spec" <<'EOF'
Name: minnow-tools
Version: 0.9.1
Release: 1.fc39
Summary: Another tiny package
License: MIT
%description
Second package of the test database.
%files
EOF
  for s in a b; do
    rpmbuild --quiet --define "_topdir $r" --define "_build_id_links none" \
      -bb "$r/SPECS/$s.spec" >/dev/null 2>&1
  done
  rpm --dbpath "$r/db" --initdb
  rpm --dbpath "$r/db" -i --justdb --nodeps --noscripts --ignorearch \
    "$r"/RPMS/*/*.rpm >/dev/null 2>&1
  # Closing rpm checkpoints the WAL into rpmdb.sqlite.
  cp "$r/db/rpmdb.sqlite" "$t/var/lib/rpm/rpmdb.sqlite"
else
  # The test cannot compare fedora's applications without it.
  echo "rpm or rpmbuild is not installed" > "$out/fedora.no-rpmdb"
fi
tb=$work/fedora-boot
mkdir -p "$tb/grub2" "$tb/loader/entries"
: > "$tb/vmlinuz-6.5.6-300.fc39.x86_64"
echo "set default=0" > "$tb/grub2/grub.cfg"
th=$work/fedora-home
mkdir -p "$th/alice"
echo "hello" > "$th/alice/notes.txt"
mkfs_tree "$tb" "$work/fedora-p1" 16 "$B" boot
mkfs_tree "$t" "$work/fedora-p2" 24 "$R"
mkfs_tree "$th" "$work/fedora-p3" 16 "$H" home
disk "$out/fedora.img" gpt 8B2A7F10-5C3D-4E6F-9A1B-2C3D4E5F6A70 \
  "$work/fedora-p1" 8B2A7F10-5C3D-4E6F-9A1B-2C3D4E5F6A71 \
  "$work/fedora-p2" 8B2A7F10-5C3D-4E6F-9A1B-2C3D4E5F6A72 \
  "$work/fedora-p3" 8B2A7F10-5C3D-4E6F-9A1B-2C3D4E5F6A73

# ---------------------------------------------------------------- tworoots
A=a1b2c3d4-0000-4000-8000-000000000001
t=$work/alpine
mkdir -p "$t"/{etc,bin,lib/apk/db,usr/bin,root}
cp "$data/os-release-alpine319" "$t/etc/os-release"
echo "3.19.1" > "$t/etc/alpine-release"
echo "alpine-box" > "$t/etc/hostname"
printf '127.0.0.1\tlocalhost\n' > "$t/etc/hosts"
cat > "$t/etc/fstab" <<EOF
UUID=$A	/	ext4	rw,relatime 0 1
/dev/cdrom	/media/cdrom	iso9660	noauto,ro 0 0
/dev/usbdisk	/media/usb	vfat	noauto	0 0
tmpfs	/tmp	tmpfs	nosuid,nodev	0	0
EOF
cp "$hostls" "$t/bin/busybox"
ln -s /bin/busybox "$t/bin/ls"
ln -s /bin/busybox "$t/bin/sh"
cp "$data/apk-installed" "$t/lib/apk/db/installed"
mkfs_tree "$t" "$work/tworoots-p1" 16 "$A"
t=$work/arch
mkdir -p "$t"/{etc,usr/bin,var/lib/pacman/local,root}
ln -s usr/bin "$t/bin"
cp "$data/os-release-arch" "$t/etc/os-release"
: > "$t/etc/arch-release"
echo "archbox" > "$t/etc/hostname"
cat > "$t/etc/fstab" <<'EOF'
# Static information about the filesystems.
# See fstab(5) for details.

# <file system> <dir> <type> <options> <dump> <pass>
# /dev/sda2
LABEL=archroot	/         	ext4      	rw,relatime	0 1
EOF
cp "$hostls" "$t/usr/bin/ls"
cp -r "$data/pacman/." "$t/var/lib/pacman/local/"
mkfs_tree "$t" "$work/tworoots-p2" 16 a1b2c3d4-0000-4000-8000-000000000002 archroot
disk "$out/tworoots.img" dos 0x7a0b0c0d "$work/tworoots-p1" "" \
  "$work/tworoots-p2" ""

# ---------------------------------------------------------------- noos
t=$work/noos
mkdir -p "$t/photos/2023" "$t/etc"
echo "not an operating system" > "$t/README"
echo "just a directory called etc" > "$t/etc/notes"
head -c 65536 "$hostls" > "$t/photos/2023/img0001.raw"
mkfs_tree "$t" "$out/noos.img" 16 0e0e0e0e-0000-4000-8000-00000000000e data

# ---------------------------------------------------------------- badfstab
t=$work/centos
mkdir -p "$t"/{etc/sysconfig,usr/bin,bin,root}
echo "CentOS Linux release 7.9.2009 (Core)" > "$t/etc/centos-release"
ln -s centos-release "$t/etc/redhat-release"
printf 'NETWORKING=yes\nHOSTNAME=centos7.example.com\n' > "$t/etc/sysconfig/network"
# A hostname file far too big to be one: not read.
head -c 1048576 /dev/zero | tr '\0' 'x' > "$t/etc/hostname"
# An fstab overwritten with binary junk, one good line in the middle.
python3 - "$t/etc/fstab" <<'EOF'
import random, sys
rnd = random.Random(13)
junk = bytes(rnd.randrange(256) for _ in range(3000))
with open(sys.argv[1], "wb") as f:
    f.write(junk[:1500] + b"\n/dev/vda1 / ext4 defaults 1 1\n" + junk[1500:])
EOF
cp "$hostls" "$t/bin/ls"
mkfs_tree "$t" "$work/badfstab-p1" 16 c0c0c0c0-0000-4000-8000-000000000007
disk "$out/badfstab.img" dos 0x0c0c0c0c "$work/badfstab-p1" ""

# ---------------------------------------------------------------- missingdev
U=9a9a9a9a-1111-4222-8333-444455556666
t=$work/ubuntu
mkdir -p "$t"/{etc,usr/bin,var/lib/dpkg,boot,data,srv}
ln -s usr/bin "$t/bin"
cp "$data/os-release-ubuntu2204" "$t/etc/os-release"
cp "$data/lsb-release-ubuntu2204" "$t/etc/lsb-release"
echo "bookworm/sid" > "$t/etc/debian_version"
echo "jammy-server" > "$t/etc/hostname"
cat > "$t/etc/fstab" <<EOF
# <file system> <mount point> <type> <options> <dump> <pass>
UUID=$U / ext4 defaults 0 1
PARTUUID=0badc0de-02 /boot ext4 defaults 0 2
/dev/sdb1 /data ext4 defaults,nofail 0 2
UUID=deadbeef-dead-4eef-8eef-deadbeefdead /srv ext4 defaults,nofail 0 2
/swap.img none swap sw 0 0
EOF
cp "$hostls" "$t/usr/bin/ls"
cp "$data/dpkg-status" "$t/var/lib/dpkg/status"
tb=$work/ubuntu-boot
mkdir -p "$tb/grub"
mkfs_tree "$t" "$work/missingdev-p1" 16 "$U"
mkfs_tree "$tb" "$work/missingdev-p2" 8 9a9a9a9a-1111-4222-8333-444455557777
disk "$out/missingdev.img" dos 0x0badc0de "$work/missingdev-p1" "" \
  "$work/missingdev-p2" ""

echo "make-guests: built $(cd "$out" && ls *.img | tr '\n' ' ')"
