(* Emits the Python binding: python/actions.c (the _minnow extension's
   per-action wrappers and method table), python/minnow.py (the Minnow
   class with docstrings), and python/t/actions.py (api.def's per-action
   tests as a TAP script). *)

val generate_actions_c : Types.api -> unit
val generate_module : Types.api -> unit
val generate_tests : Types.api -> unit
val generate_bindtests : Types.api -> unit
