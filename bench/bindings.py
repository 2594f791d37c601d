# bench/bindings in Python: see bindings-c.c.
import time
import minnow

g = minnow.Minnow()
g.add_drive_scratch(1048576)
g.launch()
noop = g.internal_test_noop
for _ in range(1000):
    noop()
t = []
for _ in range(21):
    start = time.perf_counter()
    for _ in range(1000):
        noop()
    t.append((time.perf_counter() - start) / 1000 * 1e6)
t.sort()
print("%.2f" % t[10])
g.close()
