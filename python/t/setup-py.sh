#!/bin/sh
# python/setup.py (what `pip install ./python` runs) builds the extension
# against the libminnow pkg-config finds (here c/minnow-uninstalled.pc)
# and installs a module that works: the installed copy, not the build
# tree's, launches a handle.  TAP.
set -u
top_srcdir="${abs_top_srcdir:-$(cd .. && pwd)}"
top_builddir="${abs_top_builddir:-$top_srcdir}"
py="${PYTHON:-python3}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "1..2"

if PKG_CONFIG_PATH="$top_builddir/c" "$py" "$top_srcdir/python/setup.py" -q \
     egg_info --egg-base "$tmp" build --build-base "$tmp/build" \
     install --root "$tmp/root" --prefix /usr > "$tmp/log" 2>&1; then
  echo "ok 1 - setup.py build and install"
else
  echo "not ok 1 - setup.py build and install"
  sed 's/^/# /' "$tmp/log" | tail -20
fi

site=$(find "$tmp/root" -name minnow.py -printf '%h\n' | head -1)
out=$(cd "$tmp" && PYTHONPATH="$site" "$py" -c '
import minnow, sys
assert minnow.__file__.startswith(sys.argv[1]), minnow.__file__
g = minnow.Minnow()
g.add_drive_scratch(1 << 20)
g.launch()
print(g.list_devices())
g.close()' "$site" 2>&1)
if [ "$out" = "['/dev/sda']" ]; then
  echo "ok 2 - the installed module launches a handle"
else
  echo "not ok 2 - the installed module launches a handle"
  echo "# expected: ['/dev/sda']"
  printf '%s\n' "$out" | sed 's/^/# got: /'
fi
