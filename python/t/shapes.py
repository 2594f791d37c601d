# libguestfs's Python shape, renamed (guestfs.GuestFS -> minnow.Minnow):
# the constructor flags, hashtables as lists of pairs unless
# python_return_dict, ClosedHandle, BufferIn taking str, the _opts names,
# every EVENT_* (WARNING fired), struct returns as dicts, and the type
# hints checked by mypy when it is installed.  TAP.

import os
import shutil
import subprocess
import sys
import tempfile

import minnow

tests = []


def test(f):
    tests.append(f)
    return f


class Failed(Exception):
    pass


class Skip(Exception):
    pass


def expect(what, expected, got):
    if expected != got:
        raise Failed("%s\n# expected: %r\n# got: %r" % (what, expected, got))


def launched(**flags):
    g = minnow.Minnow(**flags)
    g.add_drive_scratch(1024 * 1024)
    g.launch()
    return g


@test
def constructor_flags_are_libguestfs_keywords():
    g = minnow.Minnow(python_return_dict=False, environment=True,
                      close_on_exit=True)
    g.close()
    g = minnow.Minnow(False, False, False)
    g.close()


EXIT_SCRIPT = """
import sys, minnow
g = minnow.Minnow(close_on_exit=(sys.argv[1] == "True"))
g.set_event_callback(lambda *a: print("CLOSE"), minnow.EVENT_CLOSE)
KEEP = [g]
"""


@test
def close_on_exit():
    # True: closed by an atexit function, CLOSE callbacks run.  False: not
    # closed then (what Python's own teardown does later is not specified).
    r = subprocess.run([sys.executable, "-c", EXIT_SCRIPT, "True"],
                       stdout=subprocess.PIPE, universal_newlines=True)
    expect("close_on_exit=True", (0, "CLOSE\n"), (r.returncode, r.stdout))
    r = subprocess.run([sys.executable, "-c", EXIT_SCRIPT, "False"],
                       stdout=subprocess.PIPE, universal_newlines=True)
    expect("close_on_exit=False exits cleanly", 0, r.returncode)


@test
def environment_false_ignores_the_environment():
    os.environ["MINNOW_MEMSIZE"] = "1234"
    try:
        g = minnow.Minnow()
        expect("memsize read from MINNOW_MEMSIZE", 1234, g.get_memsize())
        g.close()
        g = minnow.Minnow(environment=False)
        expect("memsize with environment=False", 768, g.get_memsize())
        g.close()
    finally:
        del os.environ["MINNOW_MEMSIZE"]


@test
def program_name_is_the_script():
    g = minnow.Minnow()
    expect("get_program", os.path.basename(sys.argv[0]), g.get_program())
    g.close()


@test
def hashtable_is_a_list_of_pairs_by_default():
    g = launched()
    expect("hashtable", [("k0", "v0"), ("k1", "v1")],
           g.internal_test_daemon_rhashtable("2"))
    g.close()


@test
def hashtable_is_a_dict_with_python_return_dict():
    g = launched(python_return_dict=True)
    expect("hashtable", {"k0": "v0", "k1": "v1"},
           g.internal_test_daemon_rhashtable("2"))
    g.close()


@test
def structs_are_dicts():
    g = launched()
    s = g.internal_test_daemon_rstruct("1")
    expect("struct type", dict, type(s))
    expect("struct fields", ["s", "buf", "c", "i32", "u32", "i64", "u64"],
           list(s.keys()))
    l = g.internal_test_daemon_rstructlist("2")
    expect("struct list", (list, dict, 2), (type(l), type(l[0]), len(l)))
    expect("version", True, isinstance(g.version()["major"], int))
    g.close()


@test
def return_values_before_launch_as_libguestfs():
    # libguestfs's return-value tests, on a handle never launched.
    g = minnow.Minnow(python_return_dict=True)
    expect("rint", 10, g.internal_test_rint("10"))
    expect("rint64", 10, g.internal_test_rint64("10"))
    expect("rbool", (True, False),
           (g.internal_test_rbool("true"), g.internal_test_rbool("false")))
    expect("rconststring", "static string", g.internal_test_rconststring("x"))
    expect("rconstoptstring", "static string",
           g.internal_test_rconstoptstring("x"))
    expect("rconstoptstringerr", None, g.internal_test_rconstoptstringerr())
    expect("rstring", "test", g.internal_test_rstring("test"))
    expect("rstringlist", ["0", "1", "2", "3", "4"],
           g.internal_test_rstringlist("5"))
    expect("rstruct pv_name", "pv0", g.internal_test_rstruct("unused")["pv_name"])
    expect("rstructlist", ["pv0", "pv1", "pv2", "pv3", "pv4"],
           [pv["pv_name"] for pv in g.internal_test_rstructlist("5")])
    expect("rhashtable", {"0": "0", "1": "1", "2": "2"},
           g.internal_test_rhashtable("3"))
    expect("rbufferout", b"test", g.internal_test_rbufferout("test"))
    for name in ("rint", "rint64", "rbool", "rconststring", "rstring",
                 "rstringlist", "rstruct", "rstructlist", "rhashtable",
                 "rbufferout"):
        try:
            getattr(g, "internal_test_%serr" % name)()
        except RuntimeError:
            continue
        raise Failed("internal_test_%serr did not raise" % name)
    g.close()


@test
def closed_handle_raises_closedhandle():
    g = minnow.Minnow()
    g.close()
    try:
        g.get_trace()
    except minnow.ClosedHandle as e:
        expect("a ValueError", True, isinstance(e, ValueError))
        expect("also a minnow.Error", True, isinstance(e, minnow.Error))
        expect("message", "Minnow: method called on closed handle", str(e))
        return
    raise Failed("no exception\n# expected: ClosedHandle")


@test
def closed_handle_raises_for_events_too():
    g = minnow.Minnow()
    g.close()
    try:
        g.set_event_callback(lambda *a: None, minnow.EVENT_CLOSE)
    except minnow.ClosedHandle:
        return
    raise Failed("no exception\n# expected: ClosedHandle")


@test
def bufferin_takes_str_and_bytes():
    g = launched()
    g.pwrite_device("/dev/sda", "abc", 0)
    expect("str written", b"abc", g.pread_device("/dev/sda", 3, 0))
    g.pwrite_device("/dev/sda", b"\xff\x00", 0)
    expect("bytes written", b"\xff\x00c", g.pread_device("/dev/sda", 3, 0))
    g.pwrite_device("/dev/sda", "\u00e9", 0)
    expect("str is UTF-8", b"\xc3\xa9c", g.pread_device("/dev/sda", 3, 0))
    g.close()


@test
def opts_names():
    for n in ["add_drive", "mkfs", "umount", "is_file", "is_dir",
              "is_blockdev", "is_chardev", "is_fifo", "is_socket"]:
        expect(n + "_opts", getattr(minnow.Minnow, n),
               getattr(minnow.Minnow, n + "_opts", None))
    with tempfile.NamedTemporaryFile() as f:
        f.truncate(64 << 20)
        g = minnow.Minnow()
        g.add_drive_opts(f.name, format="raw", readonly=False)
        g.launch()
        g.part_disk("/dev/sda", "mbr")
        g.mkfs_opts("ext4", "/dev/sda1", label="shape")
        g.mount("/dev/sda1", "/")
        g.mkdir("/d")
        g.ln_s("d", "/l")
        expect("is_dir_opts followsymlinks", True,
               g.is_dir_opts("/l", followsymlinks=True))
        expect("is_dir", False, g.is_dir("/l"))
        g.umount_opts("/", force=False)
        expect("vfs_label", "shape", g.vfs_label("/dev/sda1"))
        g.close()


@test
def every_libguestfs_event():
    names = {"CLOSE": 0x1, "SUBPROCESS_QUIT": 0x2, "LAUNCH_DONE": 0x4,
             "PROGRESS": 0x8, "APPLIANCE": 0x10, "LIBRARY": 0x20,
             "TRACE": 0x40, "ENTER": 0x80, "LIBVIRT_AUTH": 0x100,
             "WARNING": 0x200, "ALL": 0x3ff}
    for n, v in names.items():
        expect("EVENT_" + n, v, getattr(minnow, "EVENT_" + n, None))
    expect("event_to_string", "libvirt_auth,warning",
           minnow.event_to_string(minnow.EVENT_LIBVIRT_AUTH | minnow.EVENT_WARNING))


@test
def warning_event():
    g = minnow.Minnow()
    seen = []
    g.set_event_callback(lambda ev, eh, buf, arr: seen.append((ev, buf)),
                         minnow.EVENT_WARNING)
    g.set_backend("unix:/nonexistent/minnow.sock")
    g.add_drive_scratch(1024 * 1024)
    try:
        g.launch()
    except minnow.Error:
        pass
    expect("one WARNING", 1, len(seen))
    expect("event", minnow.EVENT_WARNING, seen[0][0])
    expect("message", True, b"ignores the 1 drive" in seen[0][1])
    g.close()


MYPY_OK = """
import minnow
g = minnow.Minnow(python_return_dict=True)
g.add_drive_opts("disk.img", readonly=True, format="raw")
n: int = g.get_memsize()
devs: list = g.list_devices()
"""

MYPY_BAD = """
import minnow
g = minnow.Minnow()
g.add_drive(42)
"""


@test
def type_hints_pass_mypy():
    mypy = shutil.which("mypy")
    if mypy is None:
        raise Skip("mypy is not installed (Debian package mypy)")
    moddir = os.path.dirname(minnow.__file__)
    with tempfile.TemporaryDirectory() as d:
        ok, bad = os.path.join(d, "ok.py"), os.path.join(d, "bad.py")
        with open(ok, "w") as f:
            f.write(MYPY_OK)
        with open(bad, "w") as f:
            f.write(MYPY_BAD)
        env = dict(os.environ, MYPYPATH=moddir)
        args = [mypy, "--ignore-missing-imports", "--no-error-summary",
                "--cache-dir", os.path.join(d, "cache")]
        r = subprocess.run(args + [os.path.join(moddir, "minnow.py"), ok],
                           env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True)
        expect("mypy on minnow.py and a correct program", (0, ""),
               (r.returncode, r.stdout))
        r = subprocess.run(args + [bad], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True)
        expect("mypy flags add_drive(42)", (1, True),
               (r.returncode, "add_drive" in r.stdout))


def main():
    print("1..%d" % len(tests))
    failed = 0
    for n, t in enumerate(tests, 1):
        name = t.__name__.replace("_", " ")
        try:
            t()
            print("ok %d - %s" % (n, name))
        except Skip as e:
            print("ok %d - %s # SKIP %s" % (n, name, e))
        except Failed as e:
            failed += 1
            print("not ok %d - %s: %s" % (n, name, e))
        except Exception as e:
            failed += 1
            print("not ok %d - %s\n# expected: no exception\n# got: %r" % (n, name, e))
        sys.stdout.flush()
    return 1 if failed else 0


sys.exit(main())
