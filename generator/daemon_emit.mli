(* Emits daemon/actions.h (the prototype of every do_NAME) and
   daemon/stubs.c (one stub per procedure: decode, validate, call do_NAME,
   reply; and dispatch_incoming_message). *)

val generate_header : Types.api -> unit
val generate_stubs : Types.api -> unit
