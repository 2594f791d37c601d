# daemon/transfer.mk: files in and out of the image (issue 10): upload,
# download, tar (libarchive) and the FileOut helpers.  Included by
# daemon/Makefile.am after storage.mk; it appends.
minnowd_SOURCES += transfer.h do-transfer.c do-tar.c do-fileout.c \
  posix-acl.h posix-acl.c
minnowd_CFLAGS += $(ARCHIVE_CFLAGS)
minnowd_LDADD += $(ARCHIVE_LIBS)
