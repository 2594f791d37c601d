(* The C fragments the test program emitters share: C expressions for
   api.def literals, calls, and C helpers that render results in the
   canonical form of docs/internals.md.  Emits into the current file only
   when called by an emitter. *)

val pr_helpers : Types.api -> string list -> unit
(** Static C functions: render_string/strings/hashtable/buffer, render_S
    and render_S_list for every struct, free_strings, and errno_name for
    the given errno names (and a few common ones). *)

val find_action : Types.api -> string -> Types.action

val call_expr : ?argv:bool -> Types.action -> Types.call -> string
(** "minnow_NAME (g, ARGS...)" for a test call; optional arguments with the
    varargs form, or with argv=true the _argv form through a compound
    literal. *)

val result_decl : Types.action -> string
(** "int r", "char **r", ... *)

val error_cond : Types.action -> string option
(** The C condition that r is the error value (None: cannot fail). *)

val pr_render : indent:int -> Types.action -> string -> unit
(** Code rendering r into the FILE * named by the string. *)

val pr_free : indent:int -> Types.action -> unit
(** Code freeing r (when the caller owns it). *)

val errno_names : Types.call list -> string list
(** Errno names a list of calls can produce: "error:ENAME" arguments and
    "=> error ENAME" expectations. *)
