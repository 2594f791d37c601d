# bench/datapath: the ext engine's data path against mke2fs -d and a
# kernel loop mount (issue 16).  `make bench` runs datapath.sh.
BENCHES += datapath.sh
EXTRA_DIST += datapath.sh datapath.py
