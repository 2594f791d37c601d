(* Emits the OCaml binding: ocaml/minnow.mli and ocaml/minnow.ml (types,
   externals with labelled optional arguments, ocamldoc from api.def),
   ocaml/actions-c.c (the C stubs, releasing the runtime lock around every
   call), and the per-action tests and bindtests as ocaml/t/actions.ml and
   ocaml/t/bindtests.ml. *)

val generate_mli : Types.api -> unit
val generate_ml : Types.api -> unit
val generate_stubs : Types.api -> unit
val generate_tests : Types.api -> unit
val generate_bindtests : Types.api -> unit
