(* Emits c/actions-internal.h: the prototypes of the hand-written
   minnow_impl_NAME of library-side actions, and of the struct copy
   helpers of structs.c. *)

val generate : Types.api -> unit
