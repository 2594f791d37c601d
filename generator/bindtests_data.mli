(* The bindtests matrix as data: the calls every language makes, in
   order, and the label printed before each result.  Each binding's
   emitter walks this same list, so all outputs can be compared with
   tests/bindtests.golden. *)

type entry = {
  label : string;       (* printed as "== LABEL" before the result *)
  call : Types.call;    (* c_expect is unused: the golden file has the results *)
}

val setup : Types.call list
(** Calls made once on the handle before the matrix: a 1 MiB scratch
    drive (/dev/sda) and launch. *)

val matrix : entry list

val verbatim_result : string -> bool
(** Whether the String result of this action is printed as it is
    (internal_test_daemon: the daemon's multi-line rendering) instead of quoted. *)
