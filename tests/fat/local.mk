# tests/fat: the FAT engine against mkfs.fat, mtools, fsck.fat, blkid and,
# where the kernel has vfat and we are root, a loop mount (issue 15).
TESTS += fat/test-fat.sh
EXTRA_DIST += fat/test-fat.sh fat/fatimg.py
