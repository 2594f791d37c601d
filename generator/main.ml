(* The generator: parse api.def, check it, then run every emitter.  Run
   from the top source directory. *)

let parse path =
  let ic = open_in_bin path in
  let lexbuf = Lexing.from_channel ic in
  Lexing.set_filename lexbuf path;
  let api =
    try Parser.api Lexer.token lexbuf
    with Parser.Error ->
      let p = lexbuf.Lexing.lex_start_p in
      Utils.error_at p.Lexing.pos_lnum
        (Printf.sprintf "parse error at %S" (Lexing.lexeme lexbuf)) in
  close_in ic;
  api

(* Every generated file, and what writes it. *)
let outputs = [
  "c/include/minnow.h", C_header.generate;
  "c/actions.c", C_actions.generate;
  "c/structs.c", C_structs.generate;
  "c/optargs.c", C_optargs.generate;
  "c/actions-internal.h", C_internal.generate;
  "common/protocol.x", Xdr.generate;
  "daemon/actions.h", Daemon_emit.generate_header;
  "daemon/stubs.c", Daemon_emit.generate_stubs;
  "docs/minnow-actions.pod", Docs_emit.generate_actions;
  "docs/minnow-structs.pod", Docs_emit.generate_structs;
  "docs/minnow-events.pod", Docs_emit.generate_events;
  "tests/spine/tests.c", C_tests.generate;
  "tests/spine/bindtests.c", C_bindtests.generate;
  "python/actions.c", Python.generate_actions_c;
  "python/minnow.py", Python.generate_module;
  "python/t/actions.py", Python.generate_tests;
  "python/t/bindtests.py", Python.generate_bindtests;
  "ocaml/minnow.mli", Ocaml_binding.generate_mli;
  "ocaml/minnow.ml", Ocaml_binding.generate_ml;
  "ocaml/actions-c.c", Ocaml_binding.generate_stubs;
  "ocaml/t/actions.ml", Ocaml_binding.generate_tests;
  "ocaml/t/bindtests.ml", Ocaml_binding.generate_bindtests;
  "perl/Minnow.xs", Perl.generate_xs;
  "perl/Minnow.pm", Perl.generate_pm;
  "perl/t/actions.t", Perl.generate_tests;
  "perl/t/bindtests.pl", Perl.generate_bindtests;
  "ruby/ext/minnow/actions-rb.c", Ruby.generate_ext;
  "ruby/t/actions.rb", Ruby.generate_tests;
  "ruby/t/bindtests.rb", Ruby.generate_bindtests;
  "shell/actions.c", Shell_emit.generate_commands;
  "shell/minnow-commands.pod", Shell_emit.generate_pod;
  "shell/minnow.bash", Shell_emit.generate_bash_completion;
  "tests/shell/test-commands.sh", Shell_emit.generate_test;
]

let () =
  try
    let api = parse !Utils.api_file in
    (match Checks.check api with
     | [] -> ()
     | errs -> List.iter prerr_endline errs; exit 1);
    List.iter (fun (path, emit) -> Utils.output_to path (fun () -> emit api)) outputs;
    if Utils.changed_files () = [] then print_endline "generator: nothing changed"
  with Utils.Error msg -> prerr_endline msg; exit 1
