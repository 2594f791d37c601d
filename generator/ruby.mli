(* Emits the Ruby binding: ruby/ext/minnow/actions-rb.c (one method of
   Minnow::Minnow per action, optional arguments as a trailing hash, and
   the extension's Init function), and the per-action tests and bindtests
   as ruby/t/actions.rb and ruby/t/bindtests.rb. *)

val generate_ext : Types.api -> unit
val generate_tests : Types.api -> unit
val generate_bindtests : Types.api -> unit
