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
    work = tempfile.mkdtemp(prefix="minnow-inspect-")
    subprocess.run([os.path.join(here, "make-guests.sh"), work], check=True,
                   stdout=subprocess.DEVNULL)
    known = known_differences()
    print("1..%d" % (len(GUESTS) * 2 + 4))

    for name in GUESTS:
        image = os.path.join(work, name + ".img")
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
        ok("unknown architecture" in str(e),
           "file_architecture of a text file fails", str(e))
    g.close()

    subprocess.run(["rm", "-rf", work])
    return 1 if failed else 0


def render_host_arch():
    m = os.uname().machine
    return {"i686": "i386", "i586": "i386", "armv7l": "arm"}.get(m, m)


if __name__ == "__main__":
    sys.exit(main())
