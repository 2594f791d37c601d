(* Emits c/include/minnow.h: the fixed handle API, event constants,
   struct types and their free functions, and one function per action
   (with the varargs, _va and _argv forms when it has optional arguments). *)

val generate : Types.api -> unit
