# An ISO 9660 image made by xorriso (Rock Ridge + Joliet), read through
# the Python binding: mount, ls, cat, stat, readlink, isoinfo_device
# against isoinfo(1), vfs_* against blkid, and EROFS on writes (TAP).
import errno
import os
import shutil
import subprocess
import sys
import tempfile

import minnow

n = 0
failed = 0


def ok(cond, what, expected=None, got=None):
    global n, failed
    n += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n, what))
    if not cond:
        failed += 1
        if expected is not None or got is not None:
            print("# expected: %r" % (expected,))
            print("# got: %r" % (got,))


def is_(got, expected, what):
    ok(got == expected, what, expected, got)


if shutil.which("xorriso") is None or shutil.which("isoinfo") is None:
    print("1..0 # SKIP xorriso or isoinfo missing (scripts/install-deps)")
    sys.exit(0)

tmp = tempfile.mkdtemp(prefix="minnow-iso-")
src = os.path.join(tmp, "src")
os.makedirs(os.path.join(src, "dir", "sub"))
with open(os.path.join(src, "hello.txt"), "w") as f:
    f.write("hello from an ISO\n")
with open(os.path.join(src, "dir", "sub", "caf\u00e9.txt"), "w") as f:
    f.write("caf\u00e9\n")
os.chmod(os.path.join(src, "hello.txt"), 0o640)
os.symlink("dir/sub", os.path.join(src, "link"))
os.utime(os.path.join(src, "hello.txt"), (1500000000, 1500000000))
iso = os.path.join(tmp, "test.iso")
subprocess.run(["xorriso", "-as", "mkisofs", "-R", "-J", "-V", "PYISO",
                "-publisher", "minnow tests", "-o", iso, src],
               check=True, stdout=subprocess.DEVNULL,
               stderr=subprocess.DEVNULL)

g = minnow.Minnow()
g.add_drive_opts(iso, readonly=1, format="raw")
g.launch()
is_(g.vfs_type("/dev/sda"), "iso9660", "vfs_type")
is_(dict(g.list_filesystems()), {"/dev/sda": "iso9660"}, "list_filesystems")
blkid = subprocess.run(["blkid", "-p", "-o", "export", iso],
                       capture_output=True, text=True).stdout
tags = dict(l.split("=", 1) for l in blkid.splitlines() if "=" in l)
is_(g.vfs_label("/dev/sda"), tags.get("LABEL"), "vfs_label is blkid's")
is_(g.vfs_uuid("/dev/sda"), tags.get("UUID"), "vfs_uuid is blkid's")

info = g.isoinfo_device("/dev/sda")
is_(info["iso_volume_id"], "PYISO", "isoinfo_device: volume id")
d = subprocess.run(["isoinfo", "-d", "-i", iso], capture_output=True,
                   text=True).stdout
fields = dict(l.split(":", 1) for l in d.splitlines() if ":" in l)
is_(info["iso_publisher_id"], fields["Publisher id"].strip(),
    "isoinfo_device: publisher id is isoinfo's")
is_(info["iso_volume_space_size"], int(fields["Volume size is"]),
    "isoinfo_device: volume size is isoinfo's")
is_(info["iso_logical_block_size"], int(fields["Logical block size is"]),
    "isoinfo_device: block size")

g.mount("/dev/sda", "/")
is_(sorted(g.ls("/")), ["dir", "hello.txt", "link"], "ls /")
is_(g.cat("/hello.txt"), "hello from an ISO\n", "cat")
is_(g.cat("/link/caf\u00e9.txt"), "caf\u00e9\n", "cat through a symlink, "
    "UTF-8 name")
st = g.lstatns("/hello.txt")
is_(st["st_mode"], 0o100640, "mode from Rock Ridge")
is_(st["st_mtime_sec"], 1500000000, "mtime from Rock Ridge")
is_(g.readlink("/link"), "dir/sub", "readlink")
is_(g.isoinfo_device("/dev/sda")["iso_volume_id"], "PYISO",
    "isoinfo_device while mounted")
try:
    g.write("/new", "x")
    ok(False, "write fails with EROFS")
except minnow.Error as e:
    is_(e.errno, errno.EROFS, "write fails with EROFS")
g.close()

# A read-write drive and mount: iso9660 is still read-only.
g = minnow.Minnow()
g.add_drive_opts(iso, format="raw")
g.launch()
g.mount("/dev/sda", "/")
is_(g.cat("/hello.txt"), "hello from an ISO\n", "read-write mount: cat")
try:
    g.mkdir("/x")
    ok(False, "read-write mount: mkdir fails with EROFS")
except minnow.Error as e:
    is_(e.errno, errno.EROFS, "read-write mount: mkdir fails with EROFS")
try:
    g.remount("/", rw=True)
    ok(False, "remount rw fails with EROFS")
except minnow.Error as e:
    is_(e.errno, errno.EROFS, "remount rw fails with EROFS")
is_(g.cat("/hello.txt"), "hello from an ISO\n", "still mounted after that")
g.close()
shutil.rmtree(tmp)
print("1..%d" % n)
sys.exit(1 if failed else 0)
