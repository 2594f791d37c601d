# Host files that change under a transfer (issue 10), from Python (TAP):
#  - a host file truncated during upload and tar_in (from the PROGRESS
#    callback, on the descriptor path and on the stream path): the call
#    fails with EIO and a message that says so, nothing is stored past
#    what was read, the handle stays usable;
#  - a host file unlinked during upload: the open descriptor still holds
#    every byte, so the upload is complete and correct;
#  - a FIFO as the host file (streamed): works;
#  - download to a directory that does not exist: ENOENT, nothing
#    made; a download whose target and directory are removed during
#    the transfer: nothing appears on the host anywhere else;
#  - the image is e2fsck-clean at the end.
# A transfer that ends before the first PROGRESS event (100 ms) leaves
# nothing to truncate: that case is a SKIP, as in test-events.py.

import errno
import hashlib
import os
import shutil
import sys
import tarfile
import tempfile
import threading

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


def skip(what, why):
    global n
    n += 1
    print("ok %d - %s # SKIP %s" % (n, what, why))
    sys.stdout.flush()


SIZE = 300 << 20
tmp = tempfile.mkdtemp(prefix="minnow-shrink-")
block = os.urandom(1 << 20)
BIG_MD5 = hashlib.md5(block * (SIZE >> 20)).hexdigest()


def make_big(path):
    with open(path, "wb") as f:
        for i in range(SIZE >> 20):
            f.write(block)


g = minnow.Minnow()
g.add_drive_scratch(1 << 30)
g.launch()
g.mkfs("ext4", "/dev/sda")
g.mount("/dev/sda", "/")
g.mkdir("/t")

for stream in (False, True):
    how = "stream" if stream else "descriptor"
    if stream:
        os.environ["MINNOW_NO_FD_TRANSFER"] = "1"
    else:
        os.environ.pop("MINNOW_NO_FD_TRANSFER", None)

    # upload of a file truncated to 1 MiB + 7 part-way.
    big = os.path.join(tmp, "big")
    make_big(big)
    done = [False]

    def shrink(event, eh, buf, array):
        if not done[0] and 0 < array[2] < array[3]:
            done[0] = True
            os.truncate(big, (1 << 20) + 7)

    eh = g.set_event_callback(shrink, minnow.EVENT_PROGRESS)
    err = None
    try:
        g.upload(big, "/shrunk")
    except minnow.Error as e:
        err = e
    g.delete_event_callback(eh)
    if not done[0]:
        skip("%s: upload of a shrinking file" % how,
             "the transfer ended before the first progress event")
        skip("%s: upload of a shrinking file (size)" % how, "as above")
    elif err is None:
        # The daemon had read the whole file before the truncate (a
        # loaded machine delays the callback): then it is stored whole.
        ok(g.checksum("md5", "/shrunk") == BIG_MD5,
           "%s: upload read whole before the file shrank: stored whole"
           % how)
        skip("%s: upload of a shrinking file (size)" % how,
             "the file was read whole before it shrank")
    else:
        ok(err.errno == errno.EIO and "shrank" in str(err),
           "%s: upload of a shrinking file fails with EIO, saying so" % how,
           err)
        ok(g.filesize("/shrunk") < SIZE,
           "%s: the stored file is not padded to the first size" % how)
    ok(g.is_dir("/t"), "%s: the handle is usable after it" % how)

    # tar_in of an archive truncated part-way.
    tarball = os.path.join(tmp, "t.tar")
    make_big(big)
    with tarfile.open(tarball, "w") as t:
        t.add(big, "big")
    done[0] = False

    def shrink_tar(event, eh, buf, array):
        if not done[0] and 0 < array[2] < array[3]:
            done[0] = True
            os.truncate(tarball, 5 << 20)

    eh = g.set_event_callback(shrink_tar, minnow.EVENT_PROGRESS)
    err = None
    try:
        g.tar_in(tarball, "/t")
    except minnow.Error as e:
        err = e
    g.delete_event_callback(eh)
    if not done[0]:
        skip("%s: tar_in of a shrinking archive" % how,
             "the transfer ended before the first progress event")
    else:
        ok(err is not None and err.errno == errno.EIO and
           "shrank" in str(err),
           "%s: tar_in of a shrinking archive fails with EIO, saying so"
           % how, err)
    os.unlink(tarball)

    # upload of a file unlinked part-way: the descriptor keeps it whole.
    make_big(big)
    done[0] = False

    def vanish(event, eh, buf, array):
        if not done[0] and 0 < array[2] < array[3]:
            done[0] = True
            os.unlink(big)

    eh = g.set_event_callback(vanish, minnow.EVENT_PROGRESS)
    err = None
    try:
        g.upload(big, "/vanished")
    except minnow.Error as e:
        err = e
    g.delete_event_callback(eh)
    if os.path.exists(big):
        os.unlink(big)
    ok(err is None and g.filesize("/vanished") == SIZE and
       g.checksum("md5", "/vanished") == BIG_MD5,
       "%s: an unlinked host file is still uploaded whole" % how, err)
    g.rm_f("/vanished")
    g.rm_f("/shrunk")

# A FIFO: streamed, whatever the descriptor setting.
os.environ.pop("MINNOW_NO_FD_TRANSFER", None)
fifo = os.path.join(tmp, "fifo")
os.mkfifo(fifo)
payload = os.urandom(3 << 20)


def writer():
    with open(fifo, "wb") as f:
        f.write(payload)


t = threading.Thread(target=writer)
t.start()
g.upload(fifo, "/fromfifo")
t.join()
ok(g.read_file("/fromfifo") == payload, "upload from a FIFO")
os.unlink(fifo)

# download into a directory that is not there.
before = sorted(os.listdir(tmp))
err = None
try:
    g.download("/fromfifo", os.path.join(tmp, "nodir", "out"))
except minnow.Error as e:
    err = e
ok(err is not None and err.errno == errno.ENOENT,
   "download into a missing directory: ENOENT", err)
ok(sorted(os.listdir(tmp)) == before, "nothing made on the host")

# download whose target and its directory vanish part-way.
big = os.path.join(tmp, "big")
make_big(big)
g.upload(big, "/big")
os.unlink(big)
d = os.path.join(tmp, "gone")
os.mkdir(d)
target = os.path.join(d, "out")
done = [False]


def remove_dir(event, eh, buf, array):
    if not done[0] and 0 < array[2] < array[3]:
        done[0] = True
        os.unlink(target)
        os.rmdir(d)


eh = g.set_event_callback(remove_dir, minnow.EVENT_PROGRESS)
err = None
try:
    g.download("/big", target)
except minnow.Error as e:
    err = e
g.delete_event_callback(eh)
if not done[0]:
    skip("download whose directory vanishes",
         "the transfer ended before the first progress event")
else:
    ok(not os.path.exists(d) and sorted(os.listdir(tmp)) == before,
       "download whose directory vanishes writes nothing elsewhere",
       (err, os.listdir(tmp)))
ok(g.is_dir("/t"), "the handle is usable at the end")

g.umount_all()
try:
    g.e2fsck("/dev/sda")
    ok(True, "e2fsck -fn is clean at the end")
except minnow.Error as e:
    ok(False, "e2fsck -fn is clean at the end", e)
g.close()
# The download's directory stays when the transfer outran the callback.
shutil.rmtree(tmp)
print("1..%d" % n)
sys.exit(1 if failed else 0)
