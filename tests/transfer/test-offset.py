# upload and upload_offset over existing data, on ext2, ext3 and ext4
# (block-mapped and extent-mapped files, preallocated ones), compared
# byte for byte after download, e2fsck clean (TAP).
import os
import sys
import tempfile

import minnow

n = 0
failed = 0


def ok(cond, what, diag=None):
    global n, failed
    n += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n, what))
    if not cond:
        failed += 1
        if diag is not None:
            print("# %s" % diag)


tmp = tempfile.mkdtemp(prefix="minnow-offset-")
a = os.urandom(8 << 20)
b = os.urandom((3 << 20) + 5)
pa, pb, pc = (os.path.join(tmp, x) for x in "abc")
open(pa, "wb").write(a)
open(pb, "wb").write(b)
for fs in ("ext2", "ext3", "ext4"):
    g = minnow.Minnow()
    g.add_drive_scratch(64 << 20)
    g.launch()
    g.mkfs(fs, "/dev/sda")
    g.mount("/dev/sda", "/")
    g.upload(pa, "/f")
    g.upload_offset(pb, "/f", 4103)
    g.download("/f", pc)
    ok(open(pc, "rb").read() == a[:4103] + b + a[4103 + len(b):],
       "%s: upload_offset overwrites the middle of a file" % fs)
    g.fallocate64("/g", 8 << 20)
    g.upload_offset(pb, "/g", 8192)
    g.download("/g", pc)
    ok(open(pc, "rb").read() ==
       bytes(8192) + b + bytes((8 << 20) - 8192 - len(b)),
       "%s: upload_offset into a preallocated file" % fs)
    g.upload(pb, "/f")
    ok(g.filesize("/f") == len(b), "%s: upload replaces a longer file" % fs)
    g.umount_all()
    try:
        g.e2fsck("/dev/sda")
        ok(True, "%s: e2fsck -fn is clean" % fs)
    except minnow.Error as e:
        ok(False, "%s: e2fsck -fn is clean" % fs, e)
    g.close()
for p in (pa, pb, pc):
    os.unlink(p)
os.rmdir(tmp)
print("1..%d" % n)
sys.exit(1 if failed else 0)
