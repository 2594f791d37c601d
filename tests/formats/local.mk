# tests/formats: qemu's image formats and NBD drives through nbdfuse and
# qemu-nbd (issue 11).  TAP; skips without FUSE or the qemu tools.
TESTS += formats/test-formats.sh
EXTRA_DIST += formats/test-formats.sh
if HAVE_PYTHON
TESTS += formats/test-formats.py
endif
EXTRA_DIST += formats/test-formats.py
