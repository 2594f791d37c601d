(* Emits the Perl binding: perl/Minnow.xs (one XS function per action),
   perl/Minnow.pm (constants and POD from api.def), and the
   per-action tests and bindtests as perl/t/actions.t and
   perl/t/bindtests.pl. *)

val generate_xs : Types.api -> unit
val generate_pm : Types.api -> unit
val generate_tests : Types.api -> unit
val generate_bindtests : Types.api -> unit
