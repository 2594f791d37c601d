# common/protocol.mk: the protocol library (owned by the spine runtime work).
#
# protocol.x is written by the generator (from api.def).  rpcgen would name its header
# protocol.h, which is the hand-written framing header, so the XDR code is
# made from a copy named protocol_xdr.x: rpcgen then writes protocol_xdr.h
# and a protocol_xdr.c that includes it.
noinst_LTLIBRARIES += libprotocol.la libprotocol_xdr.la

libprotocol_la_SOURCES = protocol.c protocol.h errnostring.c errnostring.h \
  quote.c quote.h
libprotocol_la_CPPFLAGS = $(AM_CPPFLAGS) $(TIRPC_CFLAGS)
libprotocol_la_LIBADD = libprotocol_xdr.la $(TIRPC_LIBS)
# protocol.c includes protocol_xdr.h.
$(libprotocol_la_OBJECTS): protocol_xdr.h

# rpcgen's code is not -Wextra clean (unused locals): built on its own.
nodist_libprotocol_xdr_la_SOURCES = protocol_xdr.c protocol_xdr.h
libprotocol_xdr_la_CPPFLAGS = $(AM_CPPFLAGS) $(TIRPC_CFLAGS)
libprotocol_xdr_la_CFLAGS = -Wall -Wno-unused-variable -Wno-unused-parameter
BUILT_SOURCES = protocol_xdr.h
CLEANFILES = protocol_xdr.x protocol_xdr.h protocol_xdr.c

protocol_xdr.x: protocol.x
	$(AM_V_GEN)cp $< $@-t && mv $@-t $@

protocol_xdr.h: protocol_xdr.x
	$(AM_V_GEN)rm -f $@-t && $(RPCGEN) -h -o $@-t $< && mv $@-t $@

protocol_xdr.c: protocol_xdr.x protocol_xdr.h
	$(AM_V_GEN)rm -f $@-t && $(RPCGEN) -c -o $@-t $< && mv $@-t $@

# protocol.x is written by the generator.
protocol.x: $(top_builddir)/generator/stamp-generator
	@test -f $@ || { echo "$@ missing: run make in generator/"; exit 1; }
