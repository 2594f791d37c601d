(* Emits c/actions.c: the client stub of every daemon action (marshal,
   send, wait for the reply, unmarshal, map errors, trace) and the wrapper
   of every library-side action around the hand-written minnow_impl_NAME. *)

val generate : Types.api -> unit
