#!/bin/sh
# bench/fs: the storage engine from C and from Python in one run — small
# calls in microseconds per call (1,000 files of 11 bytes: write, cat,
# is_file), mkfs ext4 on 512 MiB and cp_a of a 10,000-file tree in
# milliseconds.  Target: every small call under 50 µs from Python.  Run
# through ./run (make bench does).
b="${MINNOW_BUILDDIR:-..}/bench"
s="${MINNOW_SRCDIR:-..}/bench"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

"$b/fs-c" > "$tmp/c" || { echo "bench/fs: the C run failed" >&2; exit 1; }
if "${PYTHON:-python3}" "$s/fs.py" > "$tmp/py" 2> "$tmp/py.err"; then :; else
  echo "bench/fs: the Python run failed (binding not built?):" >&2
  tail -3 "$tmp/py.err" >&2
  : > "$tmp/py"
fi

printf '%-28s %12s %12s\n' "measure" "C" "Python"
for m in write_us cat_us is_file_us mkfs_ext4_512MiB_ms cp_a_10000_files_ms; do
  c=$(awk -v m=$m '$1 == m { print $2 }' "$tmp/c")
  p=$(awk -v m=$m '$1 == m { print $2 }' "$tmp/py")
  printf '%-28s %12s %12s\n' "$m" "${c:--}" "${p:--}"
done
awk '$1 ~ /_us$/ && $2 >= 50 { bad = 1 } END { if (NR && !bad) print "every small call from Python under 50 us"; else if (NR) print "SLOWER than the 50 us target from Python" }' "$tmp/py"
