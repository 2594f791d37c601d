(* The shell minnow(1): its command table (one command per action, with
   argument parsing, the call and the printing of the result), its help
   text and man page section, its bash completion, and the test that every
   action has a command and a help entry. *)

val generate_commands : Types.api -> unit
(** shell/actions.c: one run_NAME function per action and the table
    shell_actions[] that the hand-written shell dispatches through. *)

val generate_pod : Types.api -> unit
(** shell/minnow-commands.pod: the COMMANDS section of minnow(1). *)

val generate_bash_completion : Types.api -> unit
(** shell/minnow.bash: bash completion of the options and command names. *)

val generate_test : Types.api -> unit
(** tests/shell/test-commands.sh: every action is a command (under both
    spellings) and has a help entry. *)
