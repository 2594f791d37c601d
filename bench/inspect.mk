# bench/inspect: inspection of a Debian guest, minnow against libguestfs
# (issue 13).  `make bench` runs inspect.sh.
BENCHES += inspect.sh
EXTRA_DIST += inspect.sh inspect.py
