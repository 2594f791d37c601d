#!/bin/sh
# The gem: `gem build minnow.gemspec` packs the binding, `gem install`
# compiles its extension against the libminnow pkg-config finds (here
# c/minnow-uninstalled.pc), and the installed gem launches a handle.  TAP.
set -u
top_srcdir="${abs_top_srcdir:-$(cd .. && pwd)}"
top_builddir="${abs_top_builddir:-$top_srcdir}"
ruby="${RUBY:-ruby}"
gem="$(dirname "$(command -v "$ruby")")/gem"
[ -x "$gem" ] || gem=gem
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "1..3"

# gem build works in a copy holding the spec's files.
mkdir -p "$tmp/src/lib" "$tmp/src/ext/minnow"
cp "$top_builddir/ruby/minnow.gemspec" "$top_srcdir/ruby/README.md" "$tmp/src/"
cp "$top_srcdir/ruby/lib/minnow.rb" "$tmp/src/lib/"
for f in extconf.rb handle-rb.c minnow-rb.h; do
  cp "$top_srcdir/ruby/ext/minnow/$f" "$tmp/src/ext/minnow/"
done
cp "$top_builddir/ruby/ext/minnow/actions-rb.c" "$tmp/src/ext/minnow/"
if (cd "$tmp/src" && "$gem" build minnow.gemspec) > "$tmp/build.log" 2>&1 &&
   gemfile=$(ls "$tmp"/src/minnow-*.gem 2>/dev/null) && [ -n "$gemfile" ]; then
  echo "ok 1 - gem build"
else
  echo "not ok 1 - gem build"
  sed 's/^/# /' "$tmp/build.log" | tail -20
  gemfile=/nonexistent
fi

if PKG_CONFIG_PATH="$top_builddir/c" "$gem" install --local --no-document \
     --install-dir "$tmp/gems" "$gemfile" > "$tmp/install.log" 2>&1; then
  echo "ok 2 - gem install compiles the extension"
else
  echo "not ok 2 - gem install compiles the extension"
  sed 's/^/# /' "$tmp/install.log" | tail -20
fi

out=$(cd "$tmp" && RUBYLIB= GEM_HOME="$tmp/gems" GEM_PATH="$tmp/gems" "$ruby" -e '
gem "minnow"
require "minnow"
raise "not the gem: #{$LOADED_FEATURES.grep(/_minnow/)}" unless $LOADED_FEATURES.grep(/_minnow/).all? { |f| f.start_with?(ARGV[0]) }
g = Minnow::Minnow.new
g.add_drive_scratch(1 << 20)
g.launch
p g.list_devices
g.close' "$tmp/gems" 2>&1)
if [ "$out" = '["/dev/sda"]' ]; then
  echo "ok 3 - the installed gem launches a handle"
else
  echo "not ok 3 - the installed gem launches a handle"
  echo '# expected: ["/dev/sda"]'
  printf '%s\n' "$out" | sed 's/^/# got: /'
fi
