# tests/spine: the tests the generator writes from api.def, the bindtests, and the
# forms of optional arguments (owned by the generator work).  All TAP.

spine_generated = spine/tests.c spine/bindtests.c
$(spine_generated): $(top_builddir)/generator/stamp-generator
	@test -f $@ || { echo "$@ missing: run make in generator/"; exit 1; }

spine_programs = spine/tests spine/optargs spine/trace
check_PROGRAMS += $(spine_programs) spine/bindtests
TESTS += $(spine_programs) spine/bindtests-c.sh spine/podcheck.sh \
  spine/generator.sh
VALGRIND_TESTS += $(spine_programs) spine/bindtests
EXTRA_DIST += bindtests.golden spine/bindtests-c.sh spine/podcheck.sh \
  spine/generator.sh
CLEANFILES += spine/bindtests.out spine/bindtests.err spine/bindtests.out.diff

# The tests render results with common/quote.c (libprotocol).
spine_libs = $(top_builddir)/c/libminnow.la \
  $(top_builddir)/common/libprotocol.la $(TIRPC_LIBS)

# Generated from api.def.
nodist_spine_tests_SOURCES = spine/tests.c
spine_tests_LDADD = $(spine_libs)

nodist_spine_bindtests_SOURCES = spine/bindtests.c
spine_bindtests_LDADD = $(spine_libs)

# Hand-written: the three forms of optional arguments agree.
spine_optargs_SOURCES = spine/optargs.c spine/launched.h
spine_optargs_LDADD = $(spine_libs)

# Hand-written: trace lines and ENTER events of the generated wrappers.
spine_trace_SOURCES = spine/trace.c spine/launched.h
spine_trace_LDADD = $(spine_libs)

# bindtests-c.sh runs spine/bindtests.
spine/bindtests-c.log: spine/bindtests$(EXEEXT)

# Hand-written: a libguestfs-shaped program (fixed-arity and _opts forms),
# built with -Werror so that a missing or changed form fails the build.
spine_programs += spine/compat
spine_compat_SOURCES = spine/compat.c
spine_compat_CFLAGS = $(WARN_CFLAGS) -Wall -Wextra -Werror
spine_compat_LDADD = $(spine_libs)
CLEANFILES += spine/compat-*.img
TESTS += spine/compat-errors.sh
EXTRA_DIST += spine/compat-errors.sh
