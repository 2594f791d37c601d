# PROGRESS and user_cancel of upload, download and tar_in from Python
# (TAP): from a callback and from another thread, on the descriptor
# path and on the stream (MINNOW_NO_FD_TRANSFER), the handle usable
# after each cancel, the image e2fsck-clean at the end.

import errno
import os
import sys
import tarfile
import tempfile
import threading
import time

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


tmp = tempfile.mkdtemp(prefix="minnow-events-")
big = os.path.join(tmp, "big")
with open(big, "wb") as f:
    block = os.urandom(1 << 20)
    for i in range(300):
        f.write(block)
size = 300 << 20
out = os.path.join(tmp, "out")
tarball = os.path.join(tmp, "t.tar")
with tarfile.open(tarball, "w") as t:
    t.add(big, "big")

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
    events = []
    cancel_at = [None]

    cancelled = [False]

    # The daemon sends no progress in a call's first 100 ms: a transfer
    # faster than that sees only its final event, when nothing is left
    # to cancel.  Cancel on an event before the end only.
    def cb(event, eh, buf, array):
        events.append(tuple(array))
        if (cancel_at[0] is not None and array[2] >= cancel_at[0]
                and array[2] < array[3]):
            cancelled[0] = True
            g.user_cancel()

    eh = g.set_event_callback(cb, minnow.EVENT_PROGRESS)
    g.upload(big, "/big")
    ok(events and events[-1][2] == events[-1][3] == size and
       all(events[i][2] <= events[i + 1][2] for i in range(len(events) - 1)),
       "upload (%s): PROGRESS up to %d" % (how, size), events[-3:])
    events.clear()
    g.download("/big", out)
    ok(events and events[-1][2] == events[-1][3] == size and
       os.path.getsize(out) == size,
       "download (%s): PROGRESS up to %d" % (how, size), events[-3:])
    for name, call in (("upload", lambda: g.upload(big, "/c")),
                       ("download", lambda: g.download("/big", out)),
                       ("tar_in", lambda: g.tar_in(tarball, "/t"))):
        events.clear()
        cancel_at[0] = 1
        cancelled[0] = False
        try:
            call()
            if cancelled[0]:
                ok(False, "%s (%s): user_cancel from a callback" % (name, how))
            else:
                skip("%s (%s): user_cancel from a callback" % (name, how),
                     "the transfer ended before its first progress event")
        except minnow.Error as e:
            ok(e.errno == errno.EINTR,
               "%s (%s): user_cancel from a callback: EINTR" % (name, how), e)
        cancel_at[0] = None
        ok(g.filesize("/big") == size,
           "%s (%s): the handle works after the cancel" % (name, how))
    g.delete_event_callback(eh)

    # From another thread, with no callback at all.
    for name, call in (("upload", lambda: g.upload(big, "/c")),
                       ("download", lambda: g.download("/big", out))):
        result = []

        def run():
            try:
                call()
                result.append(None)
            except minnow.Error as e:
                result.append(e.errno)

        th = threading.Thread(target=run)
        th.start()
        time.sleep(0.02)
        g.user_cancel()
        th.join(60)
        ok(not th.is_alive() and result and result[0] in (errno.EINTR, None),
           "%s (%s): user_cancel from another thread: %s" %
           (name, how, "EINTR" if result and result[0] == errno.EINTR
            else "finished first"), result)
        ok(g.filesize("/big") == size,
           "%s (%s): the handle works after it" % (name, how))

g.umount_all()
try:
    g.e2fsck("/dev/sda")
    ok(True, "e2fsck -fn is clean at the end")
except minnow.Error as e:
    ok(False, "e2fsck -fn is clean at the end", e)
g.close()
for f in (big, out, tarball):
    if os.path.exists(f):
        os.unlink(f)
os.rmdir(tmp)
print("1..%d" % n)
sys.exit(1 if failed else 0)
