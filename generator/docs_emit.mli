(* Emits the POD that docs/Makefile.am splices into minnow(3):
   docs/minnow-actions.pod (every documented action: synopsis, optional
   arguments, description, return value), docs/minnow-structs.pod and
   docs/minnow-events.pod. *)

val generate_actions : Types.api -> unit
val generate_structs : Types.api -> unit
val generate_events : Types.api -> unit
