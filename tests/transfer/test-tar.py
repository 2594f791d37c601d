# tar_in and tar_out against GNU tar, bsdtar and the kernel (TAP).
#
# A source tree with hard links, symlinks, long and non-UTF-8 names,
# xattrs, ACLs, owners, a sparse file, a fifo and a device node is packed
# by GNU tar and by bsdtar; each archive is unpacked with tar_in into a
# fresh image, which must be e2fsck-clean and, loop-mounted by the kernel
# (as root), show the source tree exactly.  tar_out of that image,
# unpacked by GNU tar, must give the source tree again.  Then hostile
# archives: each fails with a clear error, writes nothing outside the
# target directory, and leaves the image e2fsck-clean.  Without root the
# loop-mount comparisons are skipped.

import errno
import hashlib
import io
import os
import shutil
import stat
import subprocess
import sys
import tarfile
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
        if diag:
            for line in str(diag).splitlines():
                print("# " + line)
    sys.stdout.flush()
    return cond


def skip(what, why):
    global n
    n += 1
    print("ok %d - %s # SKIP %s" % (n, what, why))


is_root = os.geteuid() == 0
tmp = tempfile.mkdtemp(prefix="minnow-tar-")
src = os.path.join(tmp, "src")
mnt = os.path.join(tmp, "mnt")
os.mkdir(mnt)

# POSIX ACL xattr value: version 2, {tag, perm, id} entries.
def acl_value(entries):
    import struct
    return struct.pack("<I", 2) + b"".join(
        struct.pack("<HHI", t, p, i) for t, p, i in entries)


ACL = acl_value([(0x01, 6, 0xffffffff), (0x02, 4, 54321),
                 (0x04, 4, 0xffffffff), (0x10, 4, 0xffffffff),
                 (0x20, 0, 0xffffffff)])


def make_source():
    os.makedirs(os.path.join(src, "a", "b"))
    with open(os.path.join(src, "a", "f"), "wb") as f:
        f.write(os.urandom(100000))
    os.link(os.path.join(src, "a", "f"), os.path.join(src, "a", "hardlink"))
    os.symlink("f", os.path.join(src, "a", "symlink"))
    os.symlink("/etc/passwd", os.path.join(src, "abs-symlink"))
    deep = os.path.join(src, "long", "d" * 200, "e" * 200)
    os.makedirs(deep)
    with open(os.path.join(deep, "n" * 255), "w") as f:
        f.write("long name\n")
    with open(os.path.join(src, "utf8-\u00e9\u65e5\u672c"), "w") as f:
        f.write("utf-8\n")
    with open(os.path.join(src.encode(), b"latin1-\xe9\xff"), "w") as f:
        f.write("not utf-8\n")
    os.setxattr(os.path.join(src, "a", "f"), "user.colour", b"blue")
    os.setxattr(os.path.join(src, "a", "b"), "user.empty", b"")
    with open(os.path.join(src, "sparse"), "wb") as f:
        f.truncate(20 << 20)
        f.seek(5 << 20)
        f.write(b"data in the middle")
        f.seek((20 << 20) - 4)
        f.write(b"end\n")
    with open(os.path.join(src, "empty"), "w"):
        pass
    os.mkfifo(os.path.join(src, "fifo"))
    if is_root:
        os.mknod(os.path.join(src, "null"), 0o600 | stat.S_IFCHR,
                 os.makedev(1, 3))
        os.chown(os.path.join(src, "a", "f"), 1234, 5678)
        os.lchown(os.path.join(src, "a", "symlink"), 42, 43)
        try:
            os.setxattr(os.path.join(src, "acl-file"), "x", b"")
        except OSError:
            pass
    with open(os.path.join(src, "acl-file"), "w") as f:
        f.write("acl\n")
    os.chmod(os.path.join(src, "acl-file"), 0o640)
    try:
        os.setxattr(os.path.join(src, "acl-file"), "system.posix_acl_access",
                    ACL)
    except OSError:
        pass
    os.chmod(os.path.join(src, "a", "b"), 0o2750)
    os.chmod(os.path.join(src, "a", "f"), 0o4755)
    # Fixed times, so that directories compare too.
    for root, dirs, files in os.walk(src.encode(), topdown=False):
        for name in files + dirs:
            os.utime(os.path.join(root, name), (1500000000, 1600000000),
                     follow_symlinks=False)
    os.utime(src, (1500000000, 1600000000))


def digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def xattrs(path):
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return {}
    out = {}
    for name in names:
        if name.startswith("user.") or name.startswith("system.posix_acl"):
            out[name] = os.getxattr(path, name, follow_symlinks=False)
    return out


def describe(path):
    st = os.lstat(path)
    d = {"type": stat.S_IFMT(st.st_mode), "mode": stat.S_IMODE(st.st_mode),
         "uid": st.st_uid, "gid": st.st_gid, "mtime": int(st.st_mtime),
         "xattrs": xattrs(path)}
    if stat.S_ISREG(st.st_mode):
        d["size"] = st.st_size
        d["digest"] = digest(path)
        d["nlink"] = st.st_nlink
    elif stat.S_ISLNK(st.st_mode):
        d["target"] = os.readlink(path)
    elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        d["rdev"] = st.st_rdev
    return d


def tree(top):
    """{relative path (bytes): description}, lost+found left out."""
    out = {}
    top = top.encode() if isinstance(top, str) else top
    for root, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if not (root == top and d == b"lost+found")]
        for name in dirs + files:
            p = os.path.join(root, name)
            out[os.path.relpath(p, top)] = describe(p)
    return out


def compare(a, b, what, with_xattrs=True):
    ta, tb = tree(a), tree(b)
    if not with_xattrs:
        for t in (ta, tb):
            for d in t.values():
                d["xattrs"] = {}
    diffs = []
    for k in sorted(set(ta) | set(tb)):
        if k not in ta:
            diffs.append("only in the copy: %r" % k)
        elif k not in tb:
            diffs.append("missing: %r" % k)
        elif ta[k] != tb[k]:
            diffs.append("%r differs:\n  source %r\n  copy   %r" % (k, ta[k],
                                                                   tb[k]))
    ok(not diffs, "%s: %d entries, the same tree" % (what, len(ta)),
       "\n".join(diffs[:10]))


def run(*argv, **kw):
    return subprocess.run(argv, check=True, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, **kw)


def new_image(path, size=256 << 20):
    with open(path, "wb") as f:
        f.truncate(size)
    g = minnow.Minnow()
    g.add_drive(path, format="raw")
    g.launch()
    g.mkfs("ext4", "/dev/sda")
    g.mount("/dev/sda", "/")
    return g


def fsck_clean(g, what):
    try:
        g.umount_all()
        g.e2fsck("/dev/sda")
        ok(True, "%s: e2fsck -fn is clean" % what)
    except RuntimeError as e:
        ok(False, "%s: e2fsck -fn is clean" % what, e)


def loop_compare(image, top, what, xattrs=True):
    if not is_root:
        skip("%s: kernel view" % what, "not root")
        return
    run("mount", "-o", "loop,ro", image, mnt)
    try:
        compare(src, os.path.join(mnt, top), "%s, loop-mounted" % what,
                xattrs)
    finally:
        run("umount", mnt)


make_source()
gnu = os.path.join(tmp, "gnu.tar.gz")
run("tar", "--xattrs", "--xattrs-include=*", "--acls", "--sparse",
    "--format=posix", "-czf", gnu, "-C", src, ".")
bsd = os.path.join(tmp, "bsd.tar.zst")
have_bsdtar = shutil.which("bsdtar") is not None
if have_bsdtar:
    run("bsdtar", "--zstd", "-cf", bsd, "-C", src, ".")
oldgnu = os.path.join(tmp, "gnu-old.tar")
run("tar", "--format=gnu", "--sparse", "-cf", oldgnu, "-C", src, ".")

for archive, compress, what in ((oldgnu, None, "GNU tar gnu format"),
                                (gnu, "gzip", "GNU tar posix+gzip"),
                                (bsd, "zstd", "bsdtar zstd")):
    if archive == bsd and not have_bsdtar:
        skip("bsdtar archives", "bsdtar is not installed (libarchive-tools)")
        continue
    # A new file each time: a loop device just detached may still serve
    # the pages of the previous image under the same name.
    image = os.path.join(tmp, "disk-%s.img" % what.replace(" ", "-"))
    g = new_image(image)
    opts = {"xattrs": True, "acls": True}
    if compress:
        opts["compress"] = compress
    try:
        g.tar_in(archive, "/", **opts)
        ok(True, "%s: tar_in" % what)
    except RuntimeError as e:
        ok(False, "%s: tar_in" % what, e)
    st = g.statns("/sparse")
    ok(st["st_size"] == 20 << 20 and st["st_blocks"] < 64,
       "%s: the sparse member keeps its holes (%d blocks)"
       % (what, st["st_blocks"]))
    fsck_clean(g, what)
    g.close()
    # The old GNU format has no xattrs or ACLs.
    loop_compare(image, "", what, xattrs=archive != oldgnu)

# tar_out of the last image, unpacked by GNU tar.
g = minnow.Minnow()
g.add_drive(image, format="raw")
g.launch()
g.mount("/dev/sda", "/")
out = os.path.join(tmp, "out.tar.xz")
g.tar_out("/", out, compress="xz", xattrs=True, acls=True,
          numericowner=True, excludes=["lost+found"])
listing = run("tar", "-tJf", out).stdout.decode("utf-8", "replace").split()
ok("./lost+found/" not in listing and "./a/f" in listing,
   "tar_out: excludes leave lost+found out")
unpacked = os.path.join(tmp, "unpacked")
os.mkdir(unpacked)
run("tar", "--xattrs", "--xattrs-include=*", "--acls", "--numeric-owner",
    "-xpJf", out, "-C", unpacked)
os.utime(unpacked, (1500000000, 1600000000))
compare(src, unpacked, "tar_out unpacked by GNU tar")
# The same with excludes of a pattern.
g.tar_out("/", out, excludes=["*.img", "a"])
listing = run("tar", "-tf", out).stdout.decode("utf-8", "replace").split()
ok("./a/" not in listing and "./a/f" not in listing and "./empty" in listing,
   "tar_out: an excluded directory takes its contents with it")
g.close()


# copy_in of the source tree, copy_out of it again.
image = os.path.join(tmp, "copy.img")
g = new_image(image)
g.mkdir("/in")
g.copy_in(src, "/in")
base = os.path.basename(src)
back = os.path.join(tmp, "back")
os.mkdir(back)
g.copy_out("/in/" + base, back)
fsck_clean(g, "copy_in")
g.close()
# As in libguestfs, copy_in/copy_out carry no xattrs or ACLs.
loop_compare(image, "in/" + base, "copy_in", xattrs=False)
compare(src, os.path.join(back, base), "copy_out", False)
try:
    g = new_image(image, 64 << 20)
    g.copy_in(os.path.join(src, "a", "f"), "/")
    ok(g.filesize("/f") == 100000, "copy_in of a single file")
    g.copy_out("/f", back)
    ok(digest(os.path.join(back, "f")) == digest(os.path.join(src, "a", "f")),
       "copy_out of a single file")
    g.close()
except minnow.Error as e:
    ok(False, "copy_in/copy_out of a single file", e)


# Every compression both ways: tar_out then tar_in, and compress_out
# read back by the host's decompressor.
image = os.path.join(tmp, "z.img")
g = new_image(image, 64 << 20)
g.mkdir("/d")
payload = os.urandom(3000) * 50
g.write("/d/f", payload)
zfile = os.path.join(tmp, "z")
for c, tool in (("gzip", "gzip"), ("bzip2", "bzip2"), ("xz", "xz"),
                ("lz4", "lz4"), ("zstd", "zstd"), ("compress", "compress")):
    try:
        g.tar_out("/d", zfile, compress=c)
        g.mkdir("/x" + c)
        g.tar_in(zfile, "/x" + c, compress=c)
        ok(g.read_file("/x%s/f" % c) == payload,
           "tar_out and tar_in with %s" % c)
    except minnow.Error as e:
        ok(False, "tar_out and tar_in with %s" % c, e)
    if c == "compress":
        g.compress_out(c, "/d/f", zfile)
    else:
        g.compress_out(c, "/d/f", zfile, level=1)
    if tool and shutil.which(tool):
        got = subprocess.run([tool, "-dc", zfile], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE).stdout
        ok(got == payload, "compress_out %s, read by %s -dc" % (c, tool))
    else:
        skip("compress_out %s, read back" % c, "no host tool")
try:
    g.tar_in(zfile, "/d", compress="lzop")
    ok(True, "lzop reading is built in")
except minnow.Error as e:
    ok(e.errno in (errno.ENOTSUP, errno.EINVAL),
       "lzop without a built-in reader: ENOTSUP (or a clear EINVAL)", e)
fsck_clean(g, "compressions")
g.close()


# ---------------------------------------------------------------- hostile

def tar_bytes(members, fmt=tarfile.PAX_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for info, data in members:
            if data is not None:
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
            else:
                t.addfile(info)
    return buf.getvalue()


def member(name, type=tarfile.REGTYPE, data=None, linkname="", mode=0o644):
    info = tarfile.TarInfo(name)
    info.type = type
    info.linkname = linkname
    info.mode = mode
    return (info, data)


hostile = [
    ("dot-dot", [member("../escape", data=b"x")], errno.EINVAL, "escape"),
    ("dot-dot in the middle", [member("a/../../escape", data=b"x")],
     errno.EINVAL, "escape"),
    ("symlink then write through it",
     [member("link", tarfile.SYMTYPE, linkname="/"),
      member("link/escape", data=b"x")], errno.EPERM, "escape"),
    ("relative symlink then write through it",
     [member("up", tarfile.SYMTYPE, linkname=".."),
      member("up/escape", data=b"x")], errno.EPERM, "escape"),
    ("hard link outside", [member("h", tarfile.LNKTYPE,
                                  linkname="../outside")],
     errno.EINVAL, None),
    ("hard link to an absolute path",
     [member("h", tarfile.LNKTYPE, linkname="/outside")], errno.ENOENT,
     None),
    ("name longer than 255 bytes", [member("x" * 256, data=b"x")],
     errno.ENAMETOOLONG, None),
]

image = os.path.join(tmp, "hostile.img")
for what, members, err, escape in hostile:
    data = tar_bytes(members)
    path = os.path.join(tmp, "hostile.tar")
    with open(path, "wb") as f:
        f.write(data)
    g = new_image(image, 64 << 20)
    g.mkdir("/target")
    g.write("/outside", b"must stay")
    try:
        g.tar_in(path, "/target")
        ok(False, "hostile archive (%s): fails" % what)
    except RuntimeError as e:
        ok(e.errno == err,
           "hostile archive (%s): fails with %s" % (what,
                                                    errno.errorcode[err]),
           "%s (errno %s)" % (e, getattr(e, "errno", "?")))
    names = sorted(g.ls("/"))
    ok(names == ["lost+found", "outside", "target"] and
       g.read_file("/outside") == b"must stay" and
       not g.exists("/escape"),
       "hostile archive (%s): nothing written outside the target" % what,
       names)
    fsck_clean(g, "hostile archive (%s)" % what)
    g.close()

# Absolute names are unpacked inside the target (GNU tar drops the '/').
g = new_image(image, 64 << 20)
g.mkdir("/target")
path = os.path.join(tmp, "abs.tar")
with open(path, "wb") as f:
    f.write(tar_bytes([member("/etc/abs", data=b"inside")]))
g.tar_in(path, "/target")
ok(g.read_file("/target/etc/abs") == b"inside" and not g.exists("/etc"),
   "absolute member names land inside the target")
# An existing symlink in the target is replaced, not written through.
g.ln_s("/outside", "/target/victim")
g.write("/outside", b"must stay")
with open(path, "wb") as f:
    f.write(tar_bytes([member("victim", data=b"new")]))
g.tar_in(path, "/target")
ok(g.read_file("/outside") == b"must stay" and
   g.read_file("/target/victim") == b"new" and
   not g.is_symlink("/target/victim"),
   "an existing symlink is replaced, not followed")
# A device node is created in the image (harmless there), as GNU tar.
with open(path, "wb") as f:
    info = tarfile.TarInfo("dev")
    info.type = tarfile.CHRTYPE
    info.devmajor, info.devminor = 8, 0
    f.write(tar_bytes([(info, None)]))
g.tar_in(path, "/target")
ok(g.is_chardev("/target/dev"), "a device node is created inside the image")
fsck_clean(g, "absolute names, symlink replaced, device node")
g.close()

# Truncated and corrupt archives.
good = tar_bytes([member("f%d" % i, data=os.urandom(5000)) for i in range(5)])
for what, data, compress in (
        ("truncated", good[:7000], None),
        ("corrupt header", good[:512] .replace(b"f0", b"\xff\xff", 1)
         [:148] + b"garbage!" + good[156:], None),
        ("not gzip", good, "gzip"),
        ("truncated gzip", subprocess.run(["gzip", "-c"], input=good,
                                          stdout=subprocess.PIPE)
         .stdout[:3000], "gzip")):
    with open(path, "wb") as f:
        f.write(data)
    g = new_image(image, 64 << 20)
    g.mkdir("/target")
    opts = {"compress": compress} if compress else {}
    try:
        g.tar_in(path, "/target", **opts)
        ok(False, "%s archive: fails" % what)
    except RuntimeError as e:
        ok(getattr(e, "errno", errno.EINVAL) == errno.EINVAL,
           "%s archive: fails with EINVAL" % what, e)
    ok(sorted(g.ls("/")) == ["lost+found", "target"],
       "%s archive: nothing outside the target" % what)
    fsck_clean(g, "%s archive" % what)
    g.close()

# A full filesystem: ENOSPC, and the image stays clean.
with open(path, "wb") as f:
    f.write(tar_bytes([member("big%d" % i, data=os.urandom(6 << 20))
                       for i in range(5)]))
g = new_image(image, 16 << 20)
try:
    g.tar_in(path, "/")
    ok(False, "tar_in into a full filesystem fails")
except minnow.Error as e:
    ok(e.errno == errno.ENOSPC, "tar_in into a full filesystem: ENOSPC", e)
fsck_clean(g, "full filesystem")
g.close()

shutil.rmtree(tmp, ignore_errors=True)
print("1..%d" % n)
sys.exit(1 if failed else 0)
