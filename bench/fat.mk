# bench/fat: the FAT engine against mtools and the kernel (issue 15).
BENCHES += fat.sh
EXTRA_DIST += fat.sh
