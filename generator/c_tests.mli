(* Emits tests/spine/tests.c: every test of api.def as a C program that
   speaks TAP, one fresh handle per test, printing what it expected and
   what it got when a test fails. *)

val generate : Types.api -> unit
