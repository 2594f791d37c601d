"""bench/inspect: launch + inspect_os + every inspect_get_* + list of
applications (the guest mounted read-only) + close, on the Debian fixture
of tests/inspect, in milliseconds.  With --guestfs, the same with
libguestfs (one run: a launch takes seconds)."""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("MINNOW_SRCDIR", ".."),
                                "tests", "inspect"))
import render  # noqa: E402


def once(image, use_guestfs):
    t0 = time.perf_counter()
    g = render.open_handle(image, use_guestfs)
    t1 = time.perf_counter()
    lines = render.report(g)
    t2 = time.perf_counter()
    g.close()
    t3 = time.perf_counter()
    assert any(l.startswith("  distro: debian") for l in lines), lines
    return (t1 - t0) * 1000, (t2 - t1) * 1000, (t3 - t0) * 1000


def main(argv):
    use_guestfs = argv[:1] == ["--guestfs"]
    image = argv[-1]
    runs = 1 if use_guestfs else 20
    results = sorted((once(image, use_guestfs) for _ in range(runs)),
                     key=lambda r: r[2])
    launch, inspect, total = results[len(results) // 2]
    who = "libguestfs" if use_guestfs else "minnow"
    print("%s launch_ms %.1f" % (who, launch))
    print("%s inspect_ms %.1f" % (who, inspect))
    print("%s total_ms %.1f" % (who, total))


if __name__ == "__main__":
    main(sys.argv[1:])
