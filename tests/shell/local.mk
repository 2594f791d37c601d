# tests/shell: minnow(1).  test-commands.sh comes from the generator
# (every action is a command with a help entry); the others are
# hand-written.  All TAP.
shell_generated = shell/test-commands.sh
$(shell_generated): $(top_builddir)/generator/stamp-generator
	@test -f $@ || { echo "$@ missing: run make in generator/"; exit 1; }

TESTS += shell/test-commands.sh shell/test-scripts.sh shell/test-remote.sh \
  shell/test-quickstart.sh shell/test-man.sh \
  shell/test-interactive.sh shell/test-inspector.sh
EXTRA_DIST += shell/test-inspector.sh shell/test-scripts.sh shell/test-remote.sh shell/test-quickstart.sh shell/test-man.sh \
  shell/test-interactive.sh
