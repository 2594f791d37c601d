# Hand-written tests of the Python binding's own behaviour: the handle's
# life cycle, errors and errno, optional arguments, the types of results,
# events, the GIL.  TAP.

import errno
import gc
import threading
import time

import minnow

tests = []


def test(f):
    tests.append(f)
    return f


def launched():
    g = minnow.Minnow()
    g.add_drive_scratch(1024 * 1024)
    g.launch()
    return g


class Failed(Exception):
    pass


def expect(what, expected, got):
    if expected != got:
        raise Failed("%s\n# expected: %r\n# got: %r" % (what, expected, got))


@test
def close_twice_is_harmless():
    g = minnow.Minnow()
    g.close()
    g.close()


@test
def call_on_closed_handle_raises():
    g = minnow.Minnow()
    g.close()
    try:
        g.get_trace()
    except minnow.Error as e:
        expect("message", True, "closed" in str(e))
        return
    raise Failed("no exception\n# expected: minnow.Error\n# got: a result")


@test
def with_statement_closes():
    closed = []
    with minnow.Minnow() as g:
        g.set_event_callback(lambda *a: closed.append(a[0]), minnow.EVENT_CLOSE)
    expect("CLOSE events", [minnow.EVENT_CLOSE], closed)
    expect("handle after with", None, g._o)


@test
def collected_handle_is_closed():
    closed = []
    g = minnow.Minnow()
    g.set_event_callback(lambda *a: closed.append(a[0]), minnow.EVENT_CLOSE)
    del g
    gc.collect()
    expect("CLOSE events", [minnow.EVENT_CLOSE], closed)


@test
def error_carries_errno():
    g = launched()
    try:
        g.internal_test_daemon_rint("error:ENOENT")
    except minnow.Error as e:
        expect("is a RuntimeError", True, isinstance(e, RuntimeError))
        expect("errno", errno.ENOENT, e.errno)
        expect("message", True, "requested error ENOENT" in str(e))
        return
    finally:
        g.close()
    raise Failed("no exception\n# expected: minnow.Error\n# got: a result")


@test
def library_side_error_has_errno_zero_or_value():
    g = minnow.Minnow()
    try:
        g.get_pid()
    except minnow.Error as e:
        expect("errno is an int", True, isinstance(e.errno, int))
        return
    finally:
        g.close()
    raise Failed("get_pid before launch\n# expected: minnow.Error\n# got: a result")


@test
def optargs_are_keywords():
    g = launched()
    r = g.internal_test_daemon("a", None, [], False, 0, 0, b"", "/dev/sda", "/dev/sda",
                        "/", "/dev/sda", [], "k", oint=7, ostringlist=["x"])
    g.close()
    expect("oint", True, "oint: 7\n" in r)
    expect("obool unset", True, "obool: unset\n" in r)
    expect("ostringlist", True, 'ostringlist: ["x"]\n' in r)


@test
def result_types():
    g = launched()
    expect("struct", dict, type(g.internal_test_daemon_rstruct("1")))
    expect("struct buf", b"b1\0", g.internal_test_daemon_rstruct("1")["buf"])
    expect("struct list", 2, len(g.internal_test_daemon_rstructlist("2")))
    expect("hashtable", [("k0", "v0")], g.internal_test_daemon_rhashtable("1"))
    expect("buffer", b"ab\0", g.internal_test_daemon_rbufferout("ab"))
    expect("string list", ["0", "1"], g.internal_test_daemon_rstringlist("2"))
    expect("int64", -(2 ** 63), g.internal_test_daemon_rint64(str(-(2 ** 63))))
    expect("bool", True, g.internal_test_daemon_rbool("true"))
    expect("const opt string", None, g.internal_test_rconstoptstring("NULL"))
    expect("version", dict, type(g.version()))
    g.close()


@test
def events_enter_and_progress():
    g = launched()
    seen = []

    def cb(event, eh, buf, array):
        seen.append((event, buf, list(array)))

    eh = g.set_event_callback(cb, minnow.EVENT_ENTER | minnow.EVENT_PROGRESS)
    g.internal_test_progress(3)
    g.delete_event_callback(eh)
    g.internal_test_noop()
    g.close()
    expect("first event", (minnow.EVENT_ENTER, b"internal_test_progress", []), seen[0])
    progress = [a for (e, b, a) in seen if e == minnow.EVENT_PROGRESS]
    expect("progress events fired", True, len(progress) >= 1)
    expect("last progress: position == total", progress[-1][2], progress[-1][3])
    expect("no event after delete", False,
           any(b == b"internal_test_noop" for (e, b, a) in seen))


@test
def event_to_string():
    expect("names", "close,progress",
           minnow.event_to_string(minnow.EVENT_CLOSE | minnow.EVENT_PROGRESS))


@test
def gil_released_during_calls():
    g = launched()
    ticks = [0]
    done = threading.Event()

    def call():
        g.internal_test_sleep(300)
        done.set()

    t = threading.Thread(target=call)
    t.start()
    while not done.is_set():
        ticks[0] += 1
        time.sleep(0.001)
    t.join()
    g.close()
    expect("other thread ran during the call", True, ticks[0] > 50)


@test
def user_cancel_from_another_thread():
    g = launched()
    result = []

    def transfer():
        try:
            g.internal_test_fileout(1 << 40, "/dev/null")
            result.append("finished")
        except minnow.Error as e:
            result.append((e.errno, str(e)))

    t = threading.Thread(target=transfer, daemon=True)
    t.start()
    time.sleep(0.2)
    g.user_cancel()
    t.join(30)
    expect("transfer still running", False, t.is_alive())
    expect("errno", errno.EINTR, result[0][0])
    expect("message", True, "cancelled" in result[0][1])
    g.internal_test_noop()
    g.close()


@test
def user_cancel_when_idle():
    g = launched()
    g.user_cancel()
    g.internal_test_noop()
    g.close()


@test
def one_handle_shared_by_eight_threads():
    # Calls from several threads serialize on the handle's lock; each
    # caller gets its own answer and its own exception.
    g = launched()
    failures = []

    def work(n):
        try:
            for i in range(40):
                word = "thread %d call %d" % (n, i)
                got = g.internal_test_daemon_rstring(word)
                if got != word:
                    failures.append("%r answered %r" % (word, got))
                try:
                    g.internal_test_daemon_rstring("error:ENOENT")
                    failures.append("no exception")
                except RuntimeError as e:
                    if e.errno != errno.ENOENT:
                        failures.append("errno %r" % e.errno)
        except Exception as e:
            failures.append(repr(e))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
        expect("a thread is stuck", False, t.is_alive())
    expect("failures", [], failures)
    g.close()


@test
def set_event_callback_while_another_thread_calls():
    # A thread running a call whose progress callbacks need the GIL, and
    # a thread that registers and deletes callbacks meanwhile: neither may
    # wait for the other forever.
    g = launched()
    seen = []
    g.set_event_callback(lambda *a: seen.append(1), minnow.EVENT_PROGRESS)

    def progress():
        g.internal_test_progress(30)

    t = threading.Thread(target=progress, daemon=True)
    t.start()
    for _ in range(20):
        eh = g.set_event_callback(lambda *a: None, minnow.EVENT_PROGRESS)
        g.delete_event_callback(eh)
        time.sleep(0.005)
    t.join(30)
    expect("the progress call is stuck", False, t.is_alive())
    expect("progress events arrived", True, len(seen) > 0)
    g.close()


def main():
    print("1..%d" % len(tests))
    for n, t in enumerate(tests, 1):
        name = t.__name__.replace("_", " ")
        try:
            t()
            print("ok %d - %s" % (n, name))
        except Failed as e:
            print("not ok %d - %s: %s" % (n, name, e))
        except Exception as e:
            print("not ok %d - %s\n# expected: no exception\n# got: %r" % (n, name, e))


main()
