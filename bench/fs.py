# bench/fs in Python: the same measurements as fs.c, same output format.
import time
import minnow

NFILES = 1000

g = minnow.Minnow()
g.add_drive_scratch(1024 << 20)
g.launch()
g.part_init("/dev/sda", "gpt")
g.part_add("/dev/sda", "p", 2048, 2048 + (512 << 11) - 1)
g.part_add("/dev/sda", "p", 2048 + (512 << 11), -34)

t = time.perf_counter()
g.mkfs("ext4", "/dev/sda1")
print("mkfs_ext4_512MiB_ms %.1f" % ((time.perf_counter() - t) * 1e3))
g.mount("/dev/sda1", "/")
g.mkdir("/small")
paths = ["/small/f%04d" % i for i in range(NFILES)]

write = g.write
t = time.perf_counter()
for p in paths:
    write(p, b"small file\n")
print("write_us %.1f" % ((time.perf_counter() - t) * 1e6 / NFILES))

cat = g.cat
t = time.perf_counter()
for p in paths:
    cat(p)
print("cat_us %.1f" % ((time.perf_counter() - t) * 1e6 / NFILES))

is_file = g.is_file
t = time.perf_counter()
for p in paths:
    is_file(p)
print("is_file_us %.1f" % ((time.perf_counter() - t) * 1e6 / NFILES))

g.mkdir("/tree")
for i in range(100):
    d = "/tree/d%03d" % i
    g.mkdir(d)
    for j in range(100):
        write("%s/f%03d" % (d, j), b"x")
t = time.perf_counter()
g.cp_a("/tree", "/copy")
print("cp_a_10000_files_ms %.1f" % ((time.perf_counter() - t) * 1e3))

g.umount_all()
g.close()
