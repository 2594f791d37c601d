(* The canonical rendering of values (docs/internals.md, "Rendering of
   results"), computed in OCaml from api.def literals: what a test program
   prints for a result must equal this text.  Emits nothing itself. *)

val ret : Types.api -> Types.ret_type -> Types.literal -> string
(** The rendering of a literal as a value of this return type. *)

val fields : Types.api -> string -> (string * Types.literal) list -> string
(** [fields api struct_name fs]: the rendering of only these fields,
    "{f = v, g = w}", in the order given. *)

val int : string -> string
(** An integer literal's text in decimal (0x10 -> 16). *)
