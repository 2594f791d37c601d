(* The checks that run before anything is written: unique names and
   procedure numbers, no retired numbers, do_NAME present in daemon/*.c,
   documentation present, and test calls type-checked against the actions
   they call.  No output. *)

val check : Types.api -> string list
(** Every problem found, as "api.def:LINE: action NAME: what is wrong";
    empty if api.def is fine.  MINNOW_GENERATOR_SKIP_DO_CHECK=1 skips the
    do_NAME scan (for experiments only). *)
