#!/bin/sh
# bench/datapath: the ext engine's data path against mke2fs -d and the
# kernel (issue 16); see datapath.py for what is measured and the knobs.
# Run through ./run (make bench does).  Needs the Python binding; the
# kernel side needs root and loop devices (skipped otherwise).
s="${MINNOW_SRCDIR:-..}/bench"
exec "${PYTHON:-python3}" "$s/datapath.py"
