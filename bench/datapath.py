# bench/datapath: the ext engine's data path against the kernel, side by
# side in one run (issue 16).  Every figure is a median of REPS runs and
# every comparison a ratio of medians:
#   build     the same tree (FILES small files of 1-8 KiB + BIG x 4 MiB)
#             made by minnow (mkdir_p + write per file), by mke2fs -d and
#             (root) by cp -a into a kernel loop mount; each from mkfs to a
#             clean unmount;
#   readback  every file of that tree read back: minnow read_file (+ a
#             sha256 in this process) and minnow checksum, against the
#             kernel (open/read + sha256 here, and sha256sum over the tree);
#   bulk      one BULK_MIB MiB file written with 1 MiB pwrite calls and
#             read back with 1 MiB preads, against dd on a loop mount;
#             every read (readback and bulk, both sides) starts with the
#             host's page cache emptied (root; see cold());
#   mkdir     MKDIR entries made one by one in one directory: microseconds
#             per mkdir for each count (linear growth = flat figures);
#   dirops    in a directory of MKDIR entries (made by minnow, and the
#             same indexed by e2fsck -D: "htree"), DIROPS entries removed
#             (unlink) or renamed in place, in a fresh mount after one
#             lookup read the directory (timed apart, dirload):
#             microseconds per call for each count;
#   ext3      the bulk write on ext3 (block-mapped, no extents) beside the
#             same write on ext4.
# Knobs (environment): DATAPATH_FILES, DATAPATH_BIG, DATAPATH_REPS,
# DATAPATH_BULK_MIB, DATAPATH_MKDIR ("1000,10000,100000"), DATAPATH_DIROPS
# (1000), DATAPATH_BLOCKSIZE (4096; 1024 is what mke2fs picks for images
# under 512 MiB), DATAPATH_ONLY (a comma list of the parts above to run:
# build and readback go together, bulk includes ext3).
# Goals: build <= 1.2x mke2fs -d; readback <= 1.5x kernel; bulk write >=
# 0.8 and bulk read >= 0.6 of dd; mkdir, unlink and rename per entry flat
# across the counts.
import hashlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import minnow

FILES = int(os.environ.get("DATAPATH_FILES", "10000"))
BIG = int(os.environ.get("DATAPATH_BIG", "20"))
REPS = int(os.environ.get("DATAPATH_REPS", "3"))
BULK_MIB = int(os.environ.get("DATAPATH_BULK_MIB", "256"))
MKDIR = [int(x) for x in
         os.environ.get("DATAPATH_MKDIR", "1000,10000,100000").split(",") if x]
DIROPS = int(os.environ.get("DATAPATH_DIROPS", "1000"))
ONLY = set(x for x in os.environ.get(
    "DATAPATH_ONLY", "build,readback,bulk,mkdir,dirops").split(",") if x)
IMAGE_MIB = 1024
BLOCKSIZE = os.environ.get("DATAPATH_BLOCKSIZE", "4096")
HALF = 2 << 20

tmp = tempfile.mkdtemp(prefix="minnow-datapath.", dir=os.environ.get("TMPDIR", "/var/tmp"))
mnt = os.path.join(tmp, "mnt")
os.mkdir(mnt)
root = os.geteuid() == 0 and shutil.which("mount") is not None


def run(*argv):
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)


def fsck(image):
    r = subprocess.run(["e2fsck", "-fn", image], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    if r.returncode != 0:
        sys.exit("bench/datapath: e2fsck -fn %s failed:\n%s"
                 % (image, r.stdout.decode()))


def mkfs(img, extra=(), fstype="ext4"):
    with open(img, "wb") as f:
        f.truncate(IMAGE_MIB << 20)
    run("mke2fs", "-q", "-F", "-t", fstype, "-b", BLOCKSIZE, *extra, img)


def loop_ok():
    if not root:
        return False
    img = os.path.join(tmp, "probe.img")
    try:
        mkfs(img)
        run("mount", "-o", "loop", img, mnt)
        run("umount", mnt)
        return True
    except Exception:
        return False
    finally:
        os.unlink(img)


def interleaved(*fns):
    """Medians of REPS runs of each function, the runs interleaved (one
    of each per round) so that load from elsewhere on the machine
    weighs on every side of a ratio alike."""
    got = [[] for _ in fns]
    for _ in range(REPS):
        for i, f in enumerate(fns):
            got[i].append(f())
    return [statistics.median(g) for g in got]


def median(f):
    return interleaved(f)[0]


def cold():
    """Empties the host's page cache (root only) so that every read
    side starts from the image on disk: otherwise the kernel's loop
    mount can be served from two layers of cache (the loop device's and
    the image file's) and its figure swings by 10x between runs."""
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3")
    except OSError:
        pass


def cold_timed(f):
    cold()
    return timed(f)


def timed(f):
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


# The tree: directories of 100 files each, then the big files.
rnd = random.Random(16)
tree = os.path.join(tmp, "tree")
files = []
for i in range(FILES):
    d = "d%03d" % (i // 100)
    files.append(("/%s/f%05d" % (d, i), rnd.randbytes(rnd.randint(1024, 8192))))
for i in range(BIG):
    files.append(("/big/b%02d" % i, rnd.randbytes(4 << 20)))
for p, data in (files if "build" in ONLY or "readback" in ONLY else ()):
    full = tree + p
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "wb") as f:
        f.write(data)
img = os.path.join(tmp, "tree.img")
loop = loop_ok()


def minnow_handle(image, readonly=False):
    g = minnow.Minnow()
    g.add_drive(image, readonly=readonly)
    g.launch()
    g.mount("/dev/sda", "/")
    return g


def minnow_close(g):
    g.umount_all()
    g.shutdown()
    g.close()


def build_minnow():
    mkfs(img)
    g = minnow_handle(img)
    made = set()
    for p, data in files:
        d = os.path.dirname(p)
        if d not in made:
            g.mkdir_p(d)
            made.add(d)
        if len(data) <= HALF:
            g.write(p, data)
        else:                   # one message carries at most 4 MiB
            g.write(p, data[:HALF])
            for off in range(HALF, len(data), HALF):
                g.pwrite(p, data[off:off + HALF], off)
    minnow_close(g)


def build_mke2fs():
    with open(img, "wb") as f:
        f.truncate(IMAGE_MIB << 20)
    run("mke2fs", "-q", "-F", "-t", "ext4", "-b", BLOCKSIZE, "-d", tree, img)


def build_kernel():
    mkfs(img)
    run("mount", "-o", "loop", img, mnt)
    run("cp", "-a", tree + "/.", mnt)
    run("umount", mnt)


def read_minnow():
    g = minnow_handle(img, readonly=True)
    for p, data in files:
        if len(data) <= HALF:
            hashlib.sha256(g.read_file(p)).hexdigest()
        else:
            h = hashlib.sha256()
            for off in range(0, len(data), HALF):
                h.update(g.pread(p, HALF, off))
            h.hexdigest()
    minnow_close(g)


def checksum_minnow():
    g = minnow_handle(img, readonly=True)
    for p, data in files:
        g.checksum("sha256", p)
    minnow_close(g)


def read_kernel():
    run("mount", "-o", "loop,ro", img, mnt)
    try:
        for p, data in files:
            with open(mnt + p, "rb") as f:
                hashlib.sha256(f.read()).hexdigest()
    finally:
        run("umount", mnt)


def checksum_kernel():
    run("mount", "-o", "loop,ro", img, mnt)
    try:
        subprocess.run("find . -type f -print0 | xargs -0 sha256sum",
                       shell=True, cwd=mnt, check=True,
                       stdout=subprocess.DEVNULL)
    finally:
        run("umount", mnt)


bulk_src = os.path.join(tmp, "bulk")
with open(bulk_src, "wb") as f:
    for i in range(BULK_MIB if "bulk" in ONLY else 0):
        f.write(rnd.randbytes(1 << 20))
bulk_img = os.path.join(tmp, "bulk.img")


def bulk_write_minnow(fstype="ext4"):
    mkfs(bulk_img, fstype=fstype)
    g = minnow_handle(bulk_img)
    g.touch("/big")
    t = time.perf_counter()
    with open(bulk_src, "rb") as f:
        for i in range(BULK_MIB):
            g.pwrite("/big", f.read(1 << 20), i << 20)
    g.sync()
    el = time.perf_counter() - t
    minnow_close(g)
    return el


def bulk_read_minnow():
    cold()
    g = minnow_handle(bulk_img, readonly=True)
    t = time.perf_counter()
    for i in range(BULK_MIB):
        g.pread("/big", 1 << 20, i << 20)
    el = time.perf_counter() - t
    minnow_close(g)
    return el


def bulk_write_kernel():
    mkfs(bulk_img)
    run("mount", "-o", "loop", bulk_img, mnt)
    t = time.perf_counter()
    run("dd", "if=" + bulk_src, "of=" + mnt + "/big", "bs=1M",
        "conv=fsync", "status=none")
    el = time.perf_counter() - t
    run("umount", mnt)
    return el


def bulk_read_kernel():
    cold()
    run("mount", "-o", "loop,ro", bulk_img, mnt)
    t = time.perf_counter()
    run("dd", "if=" + mnt + "/big", "of=/dev/null", "bs=1M", "status=none")
    el = time.perf_counter() - t
    run("umount", mnt)
    return el


def mkdir_minnow(n):
    mimg = os.path.join(tmp, "mkdir.img")
    mkfs(mimg, ("-N", str(max(n + 1000, 65536))))
    g = minnow_handle(mimg)
    g.mkdir("/d")
    mk = g.mkdir
    t = time.perf_counter()
    for i in range(n):
        mk("/d/e%06d" % i)
    el = time.perf_counter() - t
    minnow_close(g)
    os.unlink(mimg)
    return el * 1e6 / n


def dir_image(n, indexed):
    """An image whose /d holds n empty files f000000..., made by minnow
    (a linear directory: mke2fs -d links each name with a scan of the
    directory, quadratic), or indexed (htree) by e2fsck -D; built once."""
    dimg = os.path.join(tmp, "dir-%d-%s.img" % (n, "htree" if indexed else "linear"))
    if not os.path.exists(dimg) and indexed:
        run("cp", "--sparse=always", dir_image(n, False), dimg)
        r = subprocess.run(["e2fsck", "-fyD", dimg], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        if r.returncode not in (0, 1):
            sys.exit("bench/datapath: e2fsck -fyD %s failed" % dimg)
        fsck(dimg)
    elif not os.path.exists(dimg):
        with open(dimg, "wb") as f:
            f.truncate(512 << 20)
        run("mke2fs", "-q", "-F", "-t", "ext4", "-b", BLOCKSIZE,
            "-N", str(n + 4096), dimg)
        g = minnow_handle(dimg)
        g.mkdir("/d")
        touch = g.touch
        for i in range(n):
            touch("/d/f%06d" % i)
        minnow_close(g)
        fsck(dimg)
    return dimg


dirload = {}


def dirop_minnow(n, op, indexed):
    """Microseconds per unlink or rename of DIROPS entries, spread over a
    directory of n entries, in a fresh mount once the directory was read
    (by one lookup, timed apart: dirload)."""
    work = os.path.join(tmp, "dirop.img")
    run("cp", "--sparse=always", dir_image(n, indexed), work)
    names = random.Random(n).sample(range(n), min(DIROPS, n))
    g = minnow_handle(work)
    t = time.perf_counter()
    g.exists("/d/absent")
    dirload.setdefault((n, indexed), []).append(time.perf_counter() - t)
    t = time.perf_counter()
    if op == "unlink":
        for i in names:
            g.rm("/d/f%06d" % i)
    else:
        for i in names:
            g.rename("/d/f%06d" % i, "/d/r%06d" % i)
    el = time.perf_counter() - t
    minnow_close(g)
    fsck(work)
    os.unlink(work)
    return el * 1e6 / len(names)


def ratio(a, b):
    return "%.2f" % (a / b) if a and b else "-"


def line(name, value, unit):
    print("%-34s %10s %s" % (name, "%.3f" % value if value is not None else "-", unit))
    sys.stdout.flush()


try:
    print("datapath: %d files + %d x 4 MiB, bulk %d MiB, %d reps, loop %s"
          % (FILES, BIG, BULK_MIB, REPS, "yes" if loop else "no"))
    none = lambda: None
    b_mke2fs = b_kernel = b_minnow = None
    r_minnow = c_minnow = r_kernel = c_kernel = None
    w_minnow = rd_minnow = w_kernel = rd_kernel = w3_minnow = None
    if "build" in ONLY or "readback" in ONLY:
        # minnow's build runs last in each round: the read-back reads its image.
        b_mke2fs, b_kernel, b_minnow = interleaved(
            lambda: timed(build_mke2fs),
            (lambda: timed(build_kernel)) if loop else none,
            lambda: timed(build_minnow))
        line("build_mke2fs_d_s", b_mke2fs, "s")
        line("build_kernel_cp_s", b_kernel, "s")
        line("build_minnow_s", b_minnow, "s")
        fsck(img)
        r_minnow, c_minnow, r_kernel, c_kernel = interleaved(
            lambda: cold_timed(read_minnow),
            lambda: cold_timed(checksum_minnow),
            (lambda: cold_timed(read_kernel)) if loop else none,
            (lambda: cold_timed(checksum_kernel)) if loop else none)
        line("readback_minnow_read_file_s", r_minnow, "s")
        line("readback_minnow_checksum_s", c_minnow, "s")
        line("readback_kernel_read_s", r_kernel, "s")
        line("readback_kernel_sha256sum_s", c_kernel, "s")

    def bulk_write_minnow_checked(fstype="ext4"):
        t = bulk_write_minnow(fstype)
        fsck(bulk_img)
        return t
    if "bulk" in ONLY:
        # Each read reads the image the write before it made.
        w_minnow, rd_minnow, w_kernel, rd_kernel, w3_minnow = interleaved(
            bulk_write_minnow_checked, bulk_read_minnow,
            bulk_write_kernel if loop else none,
            bulk_read_kernel if loop else none,
            lambda: bulk_write_minnow_checked("ext3"))
        line("bulk_write_minnow_MiB_s", BULK_MIB / w_minnow, "MiB/s")
        line("bulk_read_minnow_MiB_s", BULK_MIB / rd_minnow, "MiB/s")
        line("bulk_write_dd_MiB_s", BULK_MIB / w_kernel if w_kernel else None, "MiB/s")
        line("bulk_read_dd_MiB_s", BULK_MIB / rd_kernel if rd_kernel else None, "MiB/s")
        line("bulk_write_ext3_minnow_MiB_s", BULK_MIB / w3_minnow, "MiB/s")
    mk = {}
    for n in (MKDIR if "mkdir" in ONLY else ()):
        mk[n] = median(lambda: mkdir_minnow(n))
        line("mkdir_%d_us_each" % n, mk[n], "us")
    dops = {}
    for indexed in ((False, True) if "dirops" in ONLY else ()):
        kind = "htree" if indexed else "linear"
        for n in MKDIR:
            u, rn = interleaved(lambda: dirop_minnow(n, "unlink", indexed),
                                lambda: dirop_minnow(n, "rename", indexed))
            dops[("unlink", kind, n)] = u
            dops[("rename", kind, n)] = rn
            line("unlink_%s_%d_us_each" % (kind, n), u, "us")
            line("rename_%s_%d_us_each" % (kind, n), rn, "us")
            line("dirload_%s_%d_ms" % (kind, n),
                 statistics.median(dirload[(n, indexed)]) * 1e3, "ms")

    print("-- ratios (goal in brackets)")
    if b_minnow:
        print("build minnow / mke2fs -d          %s  [<= 1.2]" % ratio(b_minnow, b_mke2fs))
        print("build minnow / kernel cp          %s" % ratio(b_minnow, b_kernel))
        print("readback read_file / kernel read  %s  [<= 1.5]" % ratio(r_minnow, r_kernel))
        print("readback checksum / sha256sum     %s  [<= 1.5]" % ratio(c_minnow, c_kernel))
    if w_minnow:
        print("bulk write minnow / dd            %s  [>= 0.8]" % ratio(w_kernel, w_minnow))
        print("bulk read minnow / dd             %s  [>= 0.6]" % ratio(rd_kernel, rd_minnow))
        print("bulk write ext3 / ext4 (minnow)   %s  [~1]" % ratio(w_minnow, w3_minnow))
    if mk:
        print("mkdir per entry, largest / smallest count  %s  [~1: linear]"
              % ratio(mk[MKDIR[-1]], mk[MKDIR[0]]))
    for (op, kind) in sorted(set((k[0], k[1]) for k in dops)):
        print("%s %s per entry, largest / smallest count  %s  [~1]"
              % (op, kind, ratio(dops[(op, kind, MKDIR[-1])],
                                 dops[(op, kind, MKDIR[0])])))
finally:
    if os.path.ismount(mnt):
        subprocess.run(["umount", mnt])
    shutil.rmtree(tmp)
