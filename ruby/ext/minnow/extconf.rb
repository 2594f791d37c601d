# Builds the _minnow extension (ruby/Makefile.am runs this with the paths
# of the uninstalled library in top_srcdir and top_builddir).
require 'mkmf'

top_srcdir = ENV['top_srcdir'] || File.expand_path('../../..', __dir__)
top_builddir = ENV['top_builddir'] || top_srcdir
$CFLAGS << " -Wall -Wno-unused-parameter"
$INCFLAGS << " -I#{top_srcdir}/c/include -I#{top_builddir}/c/include"
$LDFLAGS << " -L#{top_builddir}/c/.libs"
have_library('minnow', 'minnow_create', 'minnow.h') or abort 'libminnow not found'
create_makefile('_minnow')
