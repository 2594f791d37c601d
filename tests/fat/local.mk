# tests/fat: the FAT engine against mkfs.fat, mtools, fsck.fat, blkid and,
# where the kernel has vfat and we are root, a loop mount (issue 15).
TESTS += fat/test-fat.sh
EXTRA_DIST += fat/test-fat.sh fat/fatimg.py

# The engine alone, with the storage harness (tests/storage); under
# valgrind as well.
check_PROGRAMS += fat/test-fat-engine
TESTS += fat/test-fat-engine
VALGRIND_TESTS += fat/test-fat-engine
fat_test_fat_engine_SOURCES = fat/test-fat-engine.c $(storage_engine_sources)
fat_test_fat_engine_CPPFLAGS = $(storage_cppflags)
fat_test_fat_engine_CFLAGS = $(storage_cflags)
fat_test_fat_engine_LDADD = $(storage_ldadd)
