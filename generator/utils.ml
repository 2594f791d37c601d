exception Error of string

let api_file = ref "api.def"

let error_at line msg =
  raise (Error (Printf.sprintf "%s:%d: %s" !api_file line msg))

let buf = Buffer.create 65536

let pr fmt = Printf.ksprintf (Buffer.add_string buf) fmt

let generated_by = function
  | `C -> pr "/* Generated from api.def by generator/: do not edit. */\n"
  | `Hash -> pr "# Generated from api.def by generator/: do not edit.\n"
  | `Pod -> pr "=begin comment\n\nGenerated from api.def by generator/: do not edit.\n\n=end comment\n\n"
  | `Xdr -> pr "/* Generated from api.def by generator/: do not edit. */\n"

let changed = ref []

let read_file path =
  match open_in_bin path with
  | exception Sys_error _ -> None
  | ic ->
    let s = really_input_string ic (in_channel_length ic) in
    close_in ic;
    Some s

let rec mkdir_p dir =
  if dir <> "." && dir <> "/" && not (Sys.file_exists dir) then begin
    mkdir_p (Filename.dirname dir);
    Sys.mkdir dir 0o755
  end

let output_to path f =
  mkdir_p (Filename.dirname path);
  Buffer.clear buf;
  f ();
  let content = Buffer.contents buf in
  Buffer.clear buf;
  if read_file path <> Some content then begin
    let tmp = path ^ ".new" in
    let oc = open_out_bin tmp in
    output_string oc content;
    close_out oc;
    Sys.rename tmp path;
    changed := path :: !changed;
    Printf.printf "generated %s\n%!" path
  end

let changed_files () = List.rev !changed

(* The escapes of the canonical rendering; for a C literal (c = true) also
   '?' (no trigraphs) and bytes from 0x80, and a literal split after \xNN
   when a hex digit follows (else "\x01" "a" would read as "\x01a"). *)
let escape ~c s =
  let b = Buffer.create (String.length s + 8) in
  let after_hex = ref false in
  String.iter (fun ch ->
    let code = Char.code ch in
    let hexdigit = match ch with
      | '0'..'9' | 'a'..'f' | 'A'..'F' -> true | _ -> false in
    if c && !after_hex && hexdigit then Buffer.add_string b "\" \"";
    after_hex := false;
    match ch with
    | '"' -> Buffer.add_string b "\\\""
    | '\\' -> Buffer.add_string b "\\\\"
    | '\n' -> Buffer.add_string b "\\n"
    | '\t' -> Buffer.add_string b "\\t"
    | '\r' -> Buffer.add_string b "\\r"
    | '?' when c -> Buffer.add_string b "\\?"
    | _ when code < 0x20 || code = 0x7f || (c && code >= 0x80) ->
      Buffer.add_string b (Printf.sprintf "\\x%02x" code);
      after_hex := true
    | _ -> Buffer.add_char b ch) s;
  Buffer.contents b

let c_quote = escape ~c:true

let c_string s = "\"" ^ c_quote s ^ "\""

let quoted_literal ?(prefix = "") ?(also = []) s =
  let b = Buffer.create (String.length s + 3) in
  Buffer.add_string b prefix;
  Buffer.add_char b '"';
  String.iter (fun c ->
    match c with
    | '"' | '\\' -> Buffer.add_char b '\\'; Buffer.add_char b c
    | '\n' -> Buffer.add_string b "\\n"
    | '\t' -> Buffer.add_string b "\\t"
    | '\r' -> Buffer.add_string b "\\r"
    | c when List.mem c also -> Buffer.add_char b '\\'; Buffer.add_char b c
    | c when Char.code c < 0x20 || Char.code c >= 0x7f ->
      Buffer.add_string b (Printf.sprintf "\\x%02x" (Char.code c))
    | c -> Buffer.add_char b c) s;
  Buffer.add_char b '"';
  Buffer.contents b

let render_string s = "\"" ^ escape ~c:false s ^ "\""

let pod_escape s =
  let b = Buffer.create (String.length s) in
  String.iter (function
    | '<' -> Buffer.add_string b "E<lt>"
    | '>' -> Buffer.add_string b "E<gt>"
    | c -> Buffer.add_char b c) s;
  Buffer.contents b

let unindent s =
  let rstrip l =
    let n = ref (String.length l) in
    while !n > 0 && (l.[!n - 1] = ' ' || l.[!n - 1] = '\t') do decr n done;
    String.sub l 0 !n in
  let lines = List.map rstrip (String.split_on_char '\n' s) in
  let blank l = String.trim l = "" in
  let rec drop = function l :: rest when blank l -> drop rest | ls -> ls in
  let indent l =
    let n = String.length l in
    let rec go i = if i < n && (l.[i] = ' ' || l.[i] = '\t') then go (i + 1) else i in
    go 0 in
  (* Text may start on the line of the opening brace-bar: that line's indentation
     says nothing about the others'. *)
  let first, rest = match lines with
    | l :: rest when not (blank l) -> [String.trim l], rest
    | ls -> [], ls in
  let rest = List.rev (drop (List.rev rest)) in
  let rest = if first = [] then drop rest else rest in
  let common = List.fold_left (fun m l ->
    if blank l then m else min m (indent l)) max_int rest in
  let common = if common = max_int then 0 else common in
  let strip l =
    if blank l then "" else String.sub l common (String.length l - common) in
  String.concat "\n" (first @ List.map strip rest)

let wrap_list ~indent items =
  let b = Buffer.create 256 in
  let col = ref indent in
  List.iteri (fun i item ->
    let piece = if i = 0 then item else ", " ^ item in
    if i > 0 && !col + String.length piece + 1 > 76 then begin
      Buffer.add_string b ",\n";
      Buffer.add_string b (String.make indent ' ');
      Buffer.add_string b item;
      col := indent + String.length item
    end else begin
      Buffer.add_string b piece;
      col := !col + String.length piece
    end) items;
  Buffer.contents b

let replace_str s from to_ =
  let lf = String.length from in
  let b = Buffer.create (String.length s) in
  let rec go i =
    if i > String.length s - lf then
      Buffer.add_string b (String.sub s i (String.length s - i))
    else if String.sub s i lf = from then (Buffer.add_string b to_; go (i + lf))
    else (Buffer.add_char b s.[i]; go (i + 1)) in
  if lf = 0 then s else (go 0; Buffer.contents b)

let mapi_sep sep f l = String.concat sep (List.mapi f l)
