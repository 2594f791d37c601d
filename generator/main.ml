(* The generator: parse api.def, check it, then run every emitter. *)

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

let outputs = [
]

let () =
  try
    let api = parse !Utils.api_file in
    (match Checks.check api with
     | [] -> ()
     | errs -> List.iter prerr_endline errs; exit 1);
    List.iter (fun (path, emit) -> Utils.output_to path (fun () -> emit api)) outputs
  with Utils.Error msg -> prerr_endline msg; exit 1
