(* Emits c/optargs.c: for every action with optional arguments, the
   varargs form minnow_NAME (..., -1) and minnow_NAME_va, which collect
   the arguments into a struct minnow_NAME_argv and call minnow_NAME_argv. *)

val generate : Types.api -> unit
