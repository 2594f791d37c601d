(* What the four binding emitters (Python, Perl, Ruby, OCaml) share: the
   per-action tests of api.def flattened into ready-to-print cases, and
   api.def's POD turned into plain text for docstrings and comments. *)

open Types

val find_action : api -> string -> action
(** The action a test calls; checks have made sure it exists. *)

type step = {
  st_call : call;        (* the call, its arguments and its expectation *)
  st_action : action;    (* the action it calls *)
}

val step : api -> call -> step

type case = {
  tc_action : action;    (* the action the test belongs to *)
  tc_descr : string;     (* "NAME", "NAME: title" or "NAME (test K)": the TAP line *)
  tc_setup : step list;  (* the scenario's calls (Scenarios.setup) *)
  tc_steps : step list;  (* the test's own calls *)
}

val cases : api -> case list
(** Every test of every action, in api.def order. *)

val step_descr : step -> string
(** A short description of one call, for failure messages: "NAME line N". *)

val pod_to_text : call:(string -> string) -> string -> string
(** Plain text from api.def's POD: [C<minnow_X>] becomes [call "X"],
    other formatting codes lose their markup, [=over]/[=item]/[=back]
    become indented items. *)

val errno_names : api -> string list
(** The errno names a binding must be able to turn into the host's
    numbers and back: common ones, and every one that api.def's tests and
    the bindtests matrix mention; sorted, so that aliases resolve the same
    way in every language. *)

val used_structs : api -> (struct_decl * bool) list
(** The structs some action returns, each with whether some action
    returns a list of them (the bindings convert only those). *)
