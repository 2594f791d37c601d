(* The setup of each test scenario, as a list of api.def calls. *)

val setup : Types.scenario -> Types.call list
(** The calls that bring a fresh handle into the scenario's state
    (Empty: add_drive_scratch 512 MiB, launch; BasicFS: ... mkfs, mount). *)
