(* Emits c/structs.c: minnow_free_S and minnow_free_S_list for every
   struct, and minnow_int_copy_S / minnow_int_copy_S_list, which turn the
   XDR structs of a reply into the public ones. *)

val generate : Types.api -> unit
