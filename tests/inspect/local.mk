# tests/inspect: inspection of guest images built at test time from real
# release files and package databases (make-guests.sh), compared with
# libguestfs's recorded answers (expected/).  Needs the Python binding.

EXTRA_DIST += inspect/make-guests.sh inspect/render.py \
  inspect/test-inspect.py inspect/expected inspect/data

if HAVE_PYTHON
TESTS += inspect/test-inspect.py
endif

# Records libguestfs's answers again (slow: one appliance launch per
# image; needs libguestfs-tools and python3-guestfs).  Review the diff.
inspect-oracle:
	@d=$$(mktemp -d) && $(srcdir)/inspect/make-guests.sh $$d && \
	for i in debian fedora tworoots noos badfstab missingdev; do \
	  LIBGUESTFS_BACKEND=direct /usr/bin/python3 $(srcdir)/inspect/render.py \
	    --guestfs $$d/$$i.img > $(srcdir)/inspect/expected/$$i.libguestfs \
	    || exit 1; \
	done; rm -rf $$d
.PHONY: inspect-oracle

# A real Debian root by debootstrap (slow: downloads a system; skips
# when the mirror is unreachable).  Not part of check.
EXTRA_DIST += inspect/test-debian.sh
check-inspect-debian:
	$(top_builddir)/run $(SHELL) $(srcdir)/inspect/test-debian.sh
.PHONY: check-inspect-debian
