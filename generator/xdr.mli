(* Emits common/protocol.x for rpcgen: the fixed records of the protocol
   (constants, message header, error, chunk, progress), the struct types
   minnow_int_S, the procedure numbers, and minnow_NAME_args /
   minnow_NAME_ret of every daemon action. *)

val generate : Types.api -> unit
