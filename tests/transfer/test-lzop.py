# lzop archives (issue 10), from Python (TAP).  This libarchive has no
# liblzo2: the daemon runs the lzop program through the command core,
# between the FileIn/FileOut and libarchive.  Checked against the host's
# lzop and GNU tar, on the descriptor path and the stream path:
# tar_in of an archive made by `tar | lzop`, tar_out read back by
# `lzop -dc | tar`, compress_out with a level, a corrupt archive
# (EINVAL, lzop's message), a bad level, e2fsck at the end.

import errno
import hashlib
import os
import shutil
import subprocess
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
            print("# " + str(diag).replace("\n", "\n# "))
    sys.stdout.flush()


if shutil.which("lzop") is None or shutil.which("tar") is None:
    print("1..0 # SKIP lzop or tar is not installed")
    sys.exit(0)

tmp = tempfile.mkdtemp(prefix="minnow-lzop-")
src = os.path.join(tmp, "src")
os.makedirs(os.path.join(src, "d"))
data = os.urandom((3 << 20) + 11)
with open(os.path.join(src, "d", "rand"), "wb") as f:
    f.write(data)
with open(os.path.join(src, "f"), "w") as f:
    f.write("hello\n")
md5 = hashlib.md5(data).hexdigest()
arch = os.path.join(tmp, "in.tar.lzo")
subprocess.run("tar cf - -C %s . | lzop -c > %s" % (src, arch), shell=True,
               check=True)
bad = os.path.join(tmp, "bad.lzo")
with open(bad, "wb") as f:
    f.write(b"not lzop at all" * 100)

g = minnow.Minnow()
g.add_drive_scratch(256 << 20)
g.launch()
g.mkfs("ext4", "/dev/sda")
g.mount("/dev/sda", "/")

for stream in (False, True):
    how = "stream" if stream else "descriptor"
    if stream:
        os.environ["MINNOW_NO_FD_TRANSFER"] = "1"
    else:
        os.environ.pop("MINNOW_NO_FD_TRANSFER", None)
    d = "/" + how
    g.mkdir(d)
    g.tar_in(arch, d, compress="lzop")
    ok(g.cat(d + "/f") == "hello\n" and
       g.checksum("md5", d + "/d/rand") == md5,
       "%s: tar_in of an archive made by tar | lzop" % how)

    out = os.path.join(tmp, "out.tar.lzo")
    g.tar_out(d, out, compress="lzop")
    r = subprocess.run("lzop -t %s && lzop -dc < %s | tar tf - | sort"
                       % (out, out), shell=True, capture_output=True,
                       text=True)
    ok(r.returncode == 0 and "./d/rand" in r.stdout.split("\n"),
       "%s: tar_out is an lzop file that lzop and tar read" % how, r)
    r = subprocess.run("lzop -dc < %s | tar xOf - ./d/rand | md5sum" % out,
                       shell=True, capture_output=True, text=True)
    ok(r.stdout.split(" ")[0] == md5, "%s: with the same bytes" % how, r)

    zf = os.path.join(tmp, "rand.lzo")
    g.compress_out("lzop", d + "/d/rand", zf, level=9)
    r = subprocess.run("lzop -dc < %s | md5sum" % zf, shell=True,
                       capture_output=True, text=True)
    ok(r.stdout.split(" ")[0] == md5, "%s: compress_out lzop, level 9" % how,
       r)

    err = None
    try:
        g.tar_in(bad, d, compress="lzop")
    except minnow.Error as e:
        err = e
    ok(err is not None and err.errno == errno.EINVAL and "lzop" in str(err),
       "%s: a corrupt lzop archive fails with EINVAL, saying why" % how, err)
    ok(g.is_dir(d), "%s: the handle is usable after it" % how)

err = None
try:
    g.compress_out("lzop", "/stream/f", os.path.join(tmp, "x.lzo"), level=10)
except minnow.Error as e:
    err = e
ok(err is not None and err.errno == errno.EINVAL, "lzop level 10: EINVAL",
   err)

g.umount_all()
try:
    g.e2fsck("/dev/sda")
    ok(True, "e2fsck -fn is clean at the end")
except minnow.Error as e:
    ok(False, "e2fsck -fn is clean at the end", e)
g.close()
shutil.rmtree(tmp)
print("1..%d" % n)
sys.exit(1 if failed else 0)
