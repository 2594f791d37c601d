(* Emits tests/spine/bindtests.c: the bindtests matrix of
   Bindtests_data in C, printing the canonical rendering of every result;
   its output must equal tests/bindtests.golden byte for byte. *)

val generate : Types.api -> unit
