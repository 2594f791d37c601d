# Builds the _minnow extension.  The library's flags come from pkg-config
# (minnow.pc when installed; ruby/Makefile.am points PKG_CONFIG_PATH at
# c/, where minnow-uninstalled.pc describes the build tree).  Without
# pkg-config, top_srcdir/top_builddir locate an uninstalled tree.
require 'mkmf'

unless pkg_config('minnow')
  top_srcdir = ENV['top_srcdir'] || File.expand_path('../../..', __dir__)
  top_builddir = ENV['top_builddir'] || top_srcdir
  $INCFLAGS << " -I#{top_srcdir}/c/include -I#{top_builddir}/c/include"
  $LDFLAGS << " -L#{top_builddir}/c/.libs"
end
$CFLAGS << " -Wall -Wno-unused-parameter"
have_library('minnow', 'minnow_create', 'minnow.h') or abort 'libminnow not found'
create_makefile('_minnow')
