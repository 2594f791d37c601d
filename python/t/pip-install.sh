#!/bin/sh
# `pip install --no-build-isolation ./python` needs the `wheel` package
# (pip builds a wheel, then installs it).  The configured interpreter may
# lack it (a pyenv Python has pip and setuptools only) and PyPI may be out
# of reach; Debian's python3-wheel is pure Python and serves any Python 3
# when its package directory and metadata, alone, are put on PYTHONPATH
# (the whole dist-packages would bring Debian's setuptools along).  This test does
# that, installs with pip from a copy of the sources (pip builds in the
# tree it is given) into a target directory, and launches a handle with
# the installed module.  TAP.
set -u
top_srcdir="${abs_top_srcdir:-$(cd .. && pwd)}"
top_builddir="${abs_top_builddir:-$top_srcdir}"
py="${PYTHON:-python3}"
debian_wheel=/usr/lib/python3/dist-packages/wheel
echo "1..2"

if ! "$py" -m pip --version > /dev/null 2>&1; then
  echo "ok 1 # SKIP $py has no pip"
  echo "ok 2 # SKIP $py has no pip"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
wheel_path=
if ! "$py" -c 'import wheel' > /dev/null 2>&1; then
  if [ ! -f "$debian_wheel/__init__.py" ]; then
    echo "ok 1 # SKIP no wheel package for $py (Debian: python3-wheel)"
    echo "ok 2 # SKIP no wheel package for $py (Debian: python3-wheel)"
    exit 0
  fi
  mkdir "$tmp/wheel-only"
  ln -s "$debian_wheel" "$tmp/wheel-only/wheel"
  # Its metadata too: setuptools finds bdist_wheel through its entry points.
  for m in "$debian_wheel"-*.egg-info "$debian_wheel"-*.dist-info; do
    if [ -e "$m" ]; then ln -s "$m" "$tmp/wheel-only/"; fi
  done
  wheel_path="$tmp/wheel-only"
fi

mkdir "$tmp/src"
for f in setup.py handle.c minnow-py.h; do
  cp "$top_srcdir/python/$f" "$tmp/src/"
done
for f in actions.c minnow.py; do
  cp "$top_builddir/python/$f" "$tmp/src/"
done
if PYTHONPATH="$wheel_path" PKG_CONFIG_PATH="$top_builddir/c" \
     PIP_DISABLE_PIP_VERSION_CHECK=1 \
     "$py" -m pip install --no-build-isolation --no-index --no-deps \
     --target "$tmp/target" "$tmp/src" > "$tmp/log" 2>&1; then
  echo "ok 1 - pip install --no-build-isolation --no-index${wheel_path:+ (wheel from $debian_wheel)}"
else
  echo "not ok 1 - pip install --no-build-isolation --no-index"
  sed 's/^/# /' "$tmp/log" | tail -20
fi

out=$(cd "$tmp" && PYTHONPATH="$tmp/target" "$py" -c '
import minnow, sys
assert minnow.__file__.startswith(sys.argv[1]), minnow.__file__
g = minnow.Minnow()
g.add_drive_scratch(1 << 20)
g.launch()
print(g.list_devices())
g.close()' "$tmp/target" 2>&1)
if [ "$out" = "['/dev/sda']" ]; then
  echo "ok 2 - the module pip installed launches a handle"
else
  echo "not ok 2 - the module pip installed launches a handle"
  echo "# expected: ['/dev/sda']"
  printf '%s\n' "$out" | sed 's/^/# got: /'
fi
