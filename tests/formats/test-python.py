# The Python binding with qemu's formats (issue 11; test-formats.sh has
# the rest): add_drive with format="qcow2" and the other new optional
# arguments, disk_create and the disk_* queries, copyonread, a round trip
# through qemu-img (TAP).
import os
import shutil
import subprocess
import sys
import tempfile

import minnow

if not (shutil.which("qemu-img") and shutil.which("qemu-nbd")
        and shutil.which("nbdfuse") and os.access("/dev/fuse", os.R_OK | os.W_OK)):
    print("1..0 # SKIP needs qemu-img, qemu-nbd, nbdfuse and /dev/fuse")
    sys.exit(0)

n = 0


def ok(cond, what, diag=None):
    global n
    n += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n, what))
    if not cond and diag is not None:
        print("# %s" % diag)


tmp = tempfile.mkdtemp(prefix="minnow-formats-py-")
try:
    img = os.path.join(tmp, "disk.qcow2")
    g = minnow.Minnow()
    g.disk_create(img, "qcow2", 64 << 20, compat="1.1")
    ok(g.disk_format(img) == "qcow2", "disk_format says qcow2")
    ok(g.disk_virtual_size(img) == 64 << 20, "disk_virtual_size")
    ok(g.disk_has_backing_file(img) is False, "disk_has_backing_file false")
    g.add_drive(img, format="qcow2", cachemode="writeback",
                discard="besteffort")
    g.launch()
    g.part_disk("/dev/sda", "mbr")
    g.mkfs("ext4", "/dev/sda1")
    g.mount("/dev/sda1", "/")
    data = os.urandom(1 << 20)
    g.write("/data", data)
    g.shutdown()
    g.close()
    r = subprocess.run(["qemu-img", "check", "-q", img], capture_output=True)
    ok(r.returncode == 0, "qemu-img check is clean", r.stderr)
    raw = os.path.join(tmp, "disk.raw")
    subprocess.run(["qemu-img", "convert", "-O", "raw", img, raw], check=True)
    g = minnow.Minnow()
    g.add_drive_ro(raw)
    g.launch()
    g.mount_ro("/dev/sda1", "/")
    ok(g.read_file("/data") == data, "the raw copy holds what was written")
    g.close()

    # The probed format (no format=) reads the same image.
    g = minnow.Minnow()
    g.add_drive(img, readonly=True)
    g.launch()
    g.mount_ro("/dev/sda1", "/")
    ok(g.read_file("/data") == data, "probed qcow2 read back")
    g.close()

    # copyonread: reading through an overlay copies the data into it.
    top = os.path.join(tmp, "top.qcow2")
    g = minnow.Minnow()
    g.disk_create(top, "qcow2", -1, backingfile=img, backingformat="qcow2")
    ok(g.disk_has_backing_file(top) is True, "disk_has_backing_file true")

    def top_extents():
        r = subprocess.run(["qemu-img", "map", "--output=json", top],
                           capture_output=True, text=True, check=True)
        return r.stdout.count('"depth": 0')
    before = top_extents()
    g.add_drive(top, format="qcow2", copyonread=True)
    g.launch()
    g.mount_ro("/dev/sda1", "/")
    ok(g.read_file("/data") == data, "read through the overlay")
    g.close()
    after = top_extents()
    ok(before == 0 and after > 0,
       "copyonread copied what was read into the overlay",
       "extents in the overlay: %d before, %d after" % (before, after))

    try:
        g = minnow.Minnow()
        g.add_drive(img, format="qcow7")
        ok(False, "an unknown format is refused")
    except RuntimeError as e:
        ok("qcow7" in str(e), "an unknown format is refused", e)
    g.close()
    # Every format qemu-img makes is recognised without format=: the
    # library skips qemu-img only when no format's signature is there,
    # so a missed signature would show the container's bytes as a
    # raw disk of the host file's size.
    for fmt, opts in [("qcow2", []), ("qcow2", ["-o", "compat=0.10"]),
                      ("vmdk", []), ("vhdx", []), ("vdi", []),
                      ("vpc", []), ("vpc", ["-o", "subformat=fixed"]),
                      ("qed", [])]:
        path = os.path.join(tmp, "probe-%s-%d.img" % (fmt, len(opts)))
        subprocess.run(["qemu-img", "create", "-q", "-f", fmt] + opts +
                       [path, "32M"], check=True)
        want = subprocess.run(["qemu-img", "info", "--output=json", path],
                              capture_output=True, check=True).stdout
        import json
        want = json.loads(want)["virtual-size"]
        g = minnow.Minnow()
        g.add_drive(path, readonly=True)
        g.launch()
        got = g.blockdev_getsize64("/dev/sda")
        g.close()
        ok(got == want, "%s %s: probed without format=" % (fmt, " ".join(opts)),
           "size %d, qemu-img says %d" % (got, want))
    # A raw image is taken as raw without running qemu-img.
    path = os.path.join(tmp, "plain.img")
    with open(path, "wb") as f:
        f.truncate(8 << 20)
    g = minnow.Minnow()
    g.add_drive(path, readonly=True)
    g.launch()
    ok(g.blockdev_getsize64("/dev/sda") == 8 << 20, "a raw image is raw")
    g.close()

    # The daemon gets a writable drive's FUSE file opened O_DIRECT (its
    # writes then leave as parallel FUSE requests), a read-only one
    # cached.  The drive is the daemon's descriptor 3.
    def drive_flags(g):
        with open("/proc/%d/fdinfo/3" % g.get_pid()) as f:
            for line in f:
                if line.startswith("flags:"):
                    return int(line.split()[1], 8)
        return None
    for ro in (False, True):
        g = minnow.Minnow()
        g.add_drive(img, format="qcow2", readonly=ro)
        g.launch()
        try:
            flags = drive_flags(g)
        except OSError as e:
            flags = e
        g.close()
        if isinstance(flags, OSError):
            n += 1
            print("ok %d # SKIP cannot read the daemon's fdinfo: %s" % (n, flags))
            continue
        want = not ro
        ok(bool(flags & os.O_DIRECT) == want,
           "%s drive's file is opened %s" %
           ("a read-only" if ro else "a writable",
            "cached" if ro else "O_DIRECT"), "flags %o" % flags)

    # discard="enable" must work or be refused.
    for kw, what in [({"readonly": True}, "read-only"),
                     ({"format": "vdi"}, "vdi")]:
        path = os.path.join(tmp, "discard.img")
        subprocess.run(["qemu-img", "create", "-q", "-f",
                        kw.get("format", "qcow2"), path, "8M"], check=True)
        kw.setdefault("format", "qcow2")
        g = minnow.Minnow()
        try:
            g.add_drive(path, discard="enable", **kw)
            ok(False, "discard=enable refused: %s" % what)
        except RuntimeError as e:
            ok(what in str(e) and "discard" in str(e),
               "discard=enable refused: %s" % what, e)
        g.add_drive(path, discard="besteffort", **kw)
        g.launch()
        ok(g.blockdev_getsize64("/dev/sda") == 8 << 20,
           "discard=besteffort accepted: %s" % what)
        g.close()

finally:
    shutil.rmtree(tmp)
print("1..%d" % n)
