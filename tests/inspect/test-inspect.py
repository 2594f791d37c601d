"""Inspection of real guest trees (built by make-guests.sh) compared with
what libguestfs said about the same images (expected/NAME.libguestfs,
recorded once with `render.py --guestfs`).  Where minnow answers
differently on purpose, the difference is listed in
expected/known-differences.txt, and each listed difference must occur.
TAP output."""

import difflib
import os
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)

import minnow  # noqa: E402
import render  # noqa: E402

GUESTS = ["debian", "fedora", "tworoots", "noos", "badfstab", "missingdev"]

n = 0
failed = 0


def ok(cond, what, detail=""):
    global n, failed
    n += 1
    if cond:
        print("ok %d - %s" % (n, what))
    else:
        failed += 1
        print("not ok %d - %s" % (n, what))
        for line in detail.splitlines():
            print("# " + line)
    sys.stdout.flush()


def known_differences():
    known = {}
    with open(os.path.join(here, "expected", "known-differences.txt")) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            name, diff = line.split(": ", 1)
            known.setdefault(name, set()).add(diff)
    return known


def main():
    global n
    work = tempfile.mkdtemp(prefix="minnow-inspect-")
    subprocess.run([os.path.join(here, "make-guests.sh"), work], check=True,
                   stdout=subprocess.DEVNULL)
    known = known_differences()
    print("1..%d" % (len(GUESTS) * 2 + 11))

    for name in GUESTS:
        image = os.path.join(work, name + ".img")
        if os.path.exists(os.path.join(work, name + ".no-rpmdb")):
            for what in ["answers as libguestfs's",
                         "every known difference still occurs"]:
                n += 1
                print("ok %d - %s: %s # SKIP rpm/rpmbuild not installed"
                      % (n, name, what))
            continue
        g = render.open_handle(image, False)
        got = render.report(g)
        g.close()
        with open(os.path.join(here, "expected", name + ".libguestfs")) as f:
            oracle = f.read().splitlines()
        diffs = set(d for d in difflib.ndiff(oracle, got)
                    if d[:2] in ("- ", "+ "))
        allowed = known.get(name, set())
        unexpected = sorted(diffs - allowed)
        ok(not unexpected, "%s: answers as libguestfs's" % name,
           "differences not in known-differences.txt:\n" + "\n".join(unexpected))
        stale = sorted(allowed - diffs)
        ok(not stale, "%s: every known difference still occurs" % name,
           "listed but not seen:\n" + "\n".join(stale))

    # The caller's mounts are left as they were, and a filesystem the
    # caller mounted is read through that mount.
    g = minnow.Minnow()
    g.add_drive(os.path.join(work, "tworoots.img"), format="raw")
    g.launch()
    g.mount("/dev/sda2", "/")
    g.write("/etc/hostname", b"renamed\n")
    roots = g.inspect_os()
    ok(g.mounts() == ["/dev/sda2"], "inspect_os leaves the mount table",
       "got %r" % g.mounts())
    ok(g.inspect_get_hostname("/dev/sda2") == "renamed"
       and roots == ["/dev/sda1", "/dev/sda2"],
       "a mounted root is read through its mount (unsynced write seen)",
       "got %r %r" % (roots, g.inspect_get_hostname("/dev/sda2")))
    g.close()

    # file_architecture on the guest's own binary, through a symlink.
    g = render.open_handle(os.path.join(work, "tworoots.img"), False)
    g.mount_ro("/dev/sda1", "/")
    host = render_host_arch()
    ok(g.file_architecture("/bin/ls") == host,
       "file_architecture follows /bin/ls -> /bin/busybox",
       "got %r, host %r" % (g.file_architecture("/bin/ls"), host))
    try:
        g.file_architecture("/etc/os-release")
        ok(False, "file_architecture of a text file fails")
    except RuntimeError as e:
        ok("not an ELF" in str(e),
           "file_architecture of a text file fails", str(e))
    g.close()

    hostile()
    unreadable()
    subprocess.run(["rm", "-rf", work])
    return 1 if failed else 0


def unreadable():
    """A filesystem minnow recognises but cannot read is named, not
    silently skipped."""
    g = minnow.Minnow()
    g.add_drive_scratch(16 * 1024 * 1024)
    g.launch()
    g.part_disk("/dev/sda", "mbr")
    g.pwrite_device("/dev/sda1", b"XFSB" + b"\0" * 508, 0)
    said = []
    g.set_event_callback(lambda ev, eh, buf, arr: said.append(buf),
                         minnow.EVENT_APPLIANCE)
    g.set_verbose(True)
    roots = g.inspect_os()
    g.set_verbose(False)
    text = b"".join(said).decode(errors="replace")
    ok(roots == [] and "/dev/sda1: found a xfs filesystem that minnow "
       "cannot read" in text,
       "an xfs filesystem is reported as found but unreadable",
       "roots %r, daemon said: %s" % (roots, text[-500:]))
    g.close()


def rpm_header(tags):
    """An rpm header blob (il, dl, index, data) of (tag, type, bytes)."""
    import struct
    index, data = b"", b""
    for tag, typ, value in tags:
        if typ == 4:
            data += b"\0" * (-len(data) % 4)
        index += struct.pack(">IIII", tag, typ, len(data), 1)
        data += value
    return struct.pack(">II", len(tags), len(data)) + index + data


def hostile():
    """Guest files that try to hurt: bounded, skipped, never trusted."""
    import sqlite3
    import struct
    g = minnow.Minnow()
    g.add_drive_scratch(64 * 1024 * 1024)
    g.launch()
    g.part_disk("/dev/sda", "mbr")
    g.mkfs("ext4", "/dev/sda1")
    g.mount("/dev/sda1", "/")
    for d in ["/etc", "/bin", "/var/lib/rpm"]:
        g.mkdir_p(d)
    g.write("/etc/os-release",
            b'ID=rocky\nVERSION_ID="9.3"\nPRETTY_NAME="Rocky Linux 9.3"\n')
    # 3000 fstab entries: only the first 1024 are kept.
    g.write("/etc/fstab", b"".join(b"/dev/sda1 /m%d ext4 defaults 0 0\n" % i
                                    for i in range(3000)))
    # A symlink loop where the hostname should be.
    g.ln_s("hostname", "/etc/hostname")
    roots = g.inspect_os()
    ok(roots == ["/dev/sda1"] and g.inspect_get_distro("/dev/sda1") == "rocky"
       and g.inspect_get_osinfo("/dev/sda1") == "rocky9",
       "a rocky guest with a hostile fstab and hostname is inspected",
       "got %r" % roots)
    ok(len(g.inspect_get_filesystems("/dev/sda1")) == 1024,
       "fstab entries past the 1024th are not kept",
       "got %d" % len(g.inspect_get_filesystems("/dev/sda1")))
    ok(g.inspect_get_hostname("/dev/sda1") == "unknown",
       "a symlink loop as /etc/hostname gives unknown")

    # An fstab of 2 MiB is not read at all: the root alone at /.
    g.fill(0x20, 2 * 1024 * 1024, "/etc/fstab")
    g.inspect_os()
    ok(dict(g.inspect_get_mountpoints("/dev/sda1")) == {"/": "/dev/sda1"},
       "an fstab above 1 MiB is not read",
       "got %r" % g.inspect_get_mountpoints("/dev/sda1"))

    # An rpm database whose headers lie about their sizes and offsets:
    # the one honest header is listed, the others are skipped.
    db = os.path.join(tempfile.mkdtemp(prefix="minnow-rpmdb-"), "rpmdb.sqlite")
    c = sqlite3.connect(db)
    c.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY "
              "AUTOINCREMENT, blob BLOB NOT NULL)")
    good = rpm_header([(1000, 6, b"good\0"), (1001, 6, b"1.0\0"),
                       (1002, 6, b"1\0"), (1003, 4, struct.pack(">i", 3)),
                       (1022, 6, b"x86_64\0")])
    bad = [
        struct.pack(">II", 0xffffffff, 0xffffffff) + b"\0" * 64,  # huge il
        struct.pack(">II", 1, 1 << 30) + b"\0" * 16,              # huge dl
        rpm_header([(1000, 6, b"noterm"), (1001, 6, b"1"),
                    (1002, 6, b"1")]),                             # no NULs
        struct.pack(">IIIIII", 1, 4, 1000, 6, 1 << 20, 1) + b"bad\0",
        b"",
        b"\0\0",
    ]
    for blob in [good] + bad:
        c.execute("INSERT INTO Packages (blob) VALUES (?)", (blob,))
    c.commit()
    c.close()
    with open(db, "rb") as f:
        g.write("/var/lib/rpm/rpmdb.sqlite", f.read())
    subprocess.run(["rm", "-rf", os.path.dirname(db)])
    g.inspect_os()
    apps = g.inspect_list_applications2("/dev/sda1")
    ok([(a["app2_name"], a["app2_epoch"], a["app2_version"],
         a["app2_release"], a["app2_arch"]) for a in apps]
       == [("good", 3, "1.0", "1", "x86_64")],
       "rpm headers with lying sizes are skipped", "got %r" % apps)
    g.write("/var/lib/rpm/rpmdb.sqlite", b"SQLite format 3\0" + b"\xff" * 4000)
    try:
        g.inspect_list_applications2("/dev/sda1")
        ok(False, "a corrupt sqlite file is an error")
    except RuntimeError as e:
        ok("rpmdb.sqlite" in str(e), "a corrupt sqlite file is an error",
           str(e))
    g.close()


def render_host_arch():
    m = os.uname().machine
    return {"i686": "i386", "i586": "i386", "armv7l": "arm"}.get(m, m)


if __name__ == "__main__":
    sys.exit(main())
