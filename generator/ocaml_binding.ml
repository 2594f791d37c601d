open Types
open Printf
open Utils

(* ------------------------------------------------------------ types *)

let ocaml_keywords = [
  "and"; "as"; "assert"; "begin"; "class"; "constraint"; "do"; "done";
  "downto"; "else"; "end"; "exception"; "external"; "false"; "for"; "fun";
  "function"; "functor"; "if"; "in"; "include"; "inherit"; "initializer";
  "lazy"; "let"; "match"; "method"; "module"; "mutable"; "new"; "nonrec";
  "object"; "of"; "open"; "or"; "private"; "rec"; "sig"; "struct"; "then";
  "to"; "true"; "try"; "type"; "val"; "virtual"; "when"; "while"; "with";
]
let ml_name n = if List.mem n ocaml_keywords then n ^ "_" else n

let arg_type = function
  | String | Device | Mountable | Pathname | Dev_or_Path | Key
  | FileIn | FileOut | BufferIn -> "string"
  | OptString -> "string option"
  | StringList | DeviceList -> "string array"
  | Bool -> "bool"
  | Int -> "int"
  | Int64 -> "int64"

let optarg_type = function
  | OBool -> "bool" | OInt -> "int" | OInt64 -> "int64"
  | OString -> "string" | OStringList -> "string array"

let ret_type = function
  | RErr -> "unit"
  | RInt -> "int"
  | RInt64 -> "int64"
  | RBool -> "bool"
  | RConstString | RString | RBufferOut -> "string"
  | RConstOptString -> "string option"
  | RStringList -> "string array"
  | RHashtable -> "(string * string) list"
  | RStruct s -> s
  | RStructList s -> s ^ " array"

let field_type = function
  | FString | FBuffer -> "string"
  | FChar -> "char"
  | FInt32 -> "int32"
  | FUInt32 | FInt64 | FUInt64 -> "int64"
  | FBool -> "bool"

(* An action with optional arguments and no others takes a final unit, as
   in libguestfs (an optional argument needs a later positional one). *)
let takes_unit a = a.args = [] && a.optargs <> []

let nr_params a =
  List.length a.optargs + 1 + List.length a.args + (if takes_unit a then 1 else 0)

(* libguestfs's order: the handle, the optional arguments, the others. *)
let external_sig a =
  let opts = List.map (fun (t, n) -> sprintf "?%s:%s" (ml_name n) (optarg_type t)) a.optargs in
  let args = List.map (fun (t, _) -> arg_type t) a.args in
  let args = if takes_unit a then ["unit"] else args in
  String.concat " -> " (["t"] @ opts @ args @ [ret_type a.ret])

(* The method of the object interface: without the handle; unit when
   there is no other argument. *)
let method_sig a =
  let opts = List.map (fun (t, n) -> sprintf "?%s:%s" (ml_name n) (optarg_type t)) a.optargs in
  let args = List.map (fun (t, _) -> arg_type t) a.args in
  let args = if args = [] then ["unit"] else args in
  String.concat " -> " (opts @ args @ [ret_type a.ret])

let external_names a =
  if nr_params a > 5 then sprintf "\"ocaml_minnow_%s_byte\" \"ocaml_minnow_%s\"" a.name a.name
  else sprintf "\"ocaml_minnow_%s\"" a.name

let doc_of a =
  let text = Binding_utils.pod_to_text ~call:(fun n -> "[Minnow." ^ n ^ "]") a.longdesc in
  (* ocamldoc: braces, brackets we did not add, and @ are special *)
  let text = replace_str text "{" "\\{" in
  let text = replace_str text "}" "\\}" in
  let text = replace_str text "@" "\\@" in
  sprintf "%s\n\n%s" (String.capitalize_ascii a.shortdesc) text

let pr_common_decls ~impl api =
  pr "type t\n(** A minnow handle. *)\n\n";
  pr "exception Error of string\n";
  pr "(** An error from the library, with its message (libguestfs's\n";
  pr "    [Guestfs.Error]).  The errno value is [last_errno g]. *)\n\n";
  pr "exception Handle_closed of string\n";
  pr "(** A function was called on a closed handle; the argument is its name. *)\n\n";
  if impl then begin
    pr "let () = Callback.register_exception \"Minnow.Error\" (Error \"\")\n";
    pr "let () = Callback.register_exception \"Minnow.Handle_closed\" (Handle_closed \"\")\n\n"
  end;
  pr "type event =\n";
  List.iter (fun e -> pr "  | EVENT_%s\n" (String.uppercase_ascii e.e_name)) api.events;
  pr "(** Event classes (see {!set_event_callback}). *)\n\n";
  if impl then pr "type event_handle = int\n\n"
  else pr "type event_handle\n(** What {!set_event_callback} returns, for {!delete_event_callback}. *)\n\n";
  pr "type event_callback = event -> event_handle -> string -> int64 array -> unit\n";
  pr "(** [f event event_handle buf array]. *)\n\n";
  List.iter (fun st ->
    pr "type %s = {\n" st.s_name;
    List.iter (fun (t, f) -> pr "  %s : %s;\n" (ml_name f) (field_type t)) st.s_fields;
    pr "}\n(** The struct [%s] of api.def. *)\n\n" st.s_name) api.structs

let fixed_sigs = [
  "create", "?environment:bool -> ?close_on_exit:bool -> ?flags:int -> unit -> t",
  "Create a handle, as libguestfs's [Guestfs.create].  [~environment:false]\n    ignores the MINNOW_* environment variables; [~close_on_exit:false] leaves\n    the handle open when the program exits; [flags] (minnow's addition): the\n    raw {!create_no_environment} bits.";
  "close", "t -> unit",
  "Close the handle: sync and stop the daemon.  Closing twice is harmless;\n    any other call on a closed handle raises [Handle_closed].  A handle\n    that is collected without being closed is closed then, and its CLOSE\n    callbacks run.";
  "set_event_callback", "t -> event_callback -> event list -> event_handle",
  "[set_event_callback g f events] calls [f event event_handle buf array]\n    for each of these events; returns the event handle.";
  "delete_event_callback", "t -> event_handle -> unit", "Remove an event callback.";
  "event_to_string", "event list -> string", "\"close,progress\"";
  "user_cancel", "t -> unit", "Cancel the call in progress; it fails with EINTR (safe from any thread).";
  "last_errno", "t -> int", "The errno of the last error on the handle.";
  "errno_of_string", "string -> int",
  "The host's value of an errno name ([\"ENOENT\"]); -1 if unknown.";
  "string_of_errno", "int -> string",
  "The name of an errno value ([\"ENOENT\"]), or [\"unknown errno\"].";
]

(* libguestfs's Errno module has these; the errnos api.def tests use come too. *)
let errno_module_names api =
  List.sort_uniq compare
    (["EINVAL"; "ENOTSUP"; "EPERM"; "ESRCH"; "ENOENT"] @ Binding_utils.errno_names api)

let pr_class_sig api =
  pr "  method close : unit -> unit\n";
  pr "  method set_event_callback : event_callback -> event list -> event_handle\n";
  pr "  method delete_event_callback : event_handle -> unit\n";
  pr "  method last_errno : unit -> int\n";
  pr "  method user_cancel : unit -> unit\n";
  pr "  method ocaml_handle : t\n";
  List.iter (fun a ->
    pr "  method %s : %s\n" a.name (method_sig a);
    if once_had_no_optargs a then pr "  method %s_opts : %s\n" a.name (method_sig a)) api.actions

let generate_mli api =
  pr "(* Generated from api.def by generator/: do not edit. *)\n\n";
  pr "(** minnow: create, read and modify disk images.\n\n";
  pr "    {[\n      let g = Minnow.create () in\n";
  pr "      Minnow.add_drive ~readonly:true g \"disk.img\";\n";
  pr "      Minnow.launch g;\n      Array.iter print_endline (Minnow.list_devices g);\n";
  pr "      Minnow.close g\n    ]} *)\n\n";
  pr_common_decls ~impl:false api;
  pr "val create_no_environment : int\n(** Ignore MINNOW_DEBUG, MINNOW_TRACE and MINNOW_BACKEND. *)\n\n";
  List.iter (fun (n, s, d) -> pr "val %s : %s\n(** %s *)\n\n" n s d) fixed_sigs;
  pr "module Errno : sig\n";
  List.iter (fun e -> pr "  val errno_%s : int\n" e) (errno_module_names api);
  pr "end\n(** The host's errno values, to compare with {!last_errno}. *)\n\n";
  List.iter (fun a ->
    pr "val %s : %s\n" a.name (external_sig a);
    pr "(** %s *)\n\n" (doc_of a);
    if once_had_no_optargs a then
      pr "val %s_opts : %s\n(** The same as {!%s} (libguestfs's name). *)\n\n"
        a.name (external_sig a) a.name) api.actions;
  pr "(** The object interface, as libguestfs's [Guestfs.guestfs]: the\n";
  pr "    functions above as methods of [new Minnow.minnow ()]. *)\n";
  pr "class minnow : ?environment:bool -> ?close_on_exit:bool -> unit -> object\n";
  pr_class_sig api;
  pr "end\n"

let generate_ml api =
  pr "(* Generated from api.def by generator/: do not edit. *)\n\n";
  pr_common_decls ~impl:true api;
  pr "let create_no_environment = 1\n\n";
  pr "let event_bit = function\n";
  List.iter (fun e -> pr "  | EVENT_%s -> 0x%xL\n" (String.uppercase_ascii e.e_name) e.e_bit) api.events;
  pr "\nlet event_of_bit = function\n";
  List.iter (fun e -> pr "  | 0x%xL -> EVENT_%s\n" e.e_bit (String.uppercase_ascii e.e_name)) api.events;
  pr "  | b -> failwith (Printf.sprintf \"Minnow: unknown event 0x%%Lx\" b)\n\n";
  pr "let bitmask events = List.fold_left (fun m e -> Int64.logor m (event_bit e)) 0L events\n\n";
  pr "external create_flags : int -> t = \"ocaml_minnow_create\"\n";
  pr "external close : t -> unit = \"ocaml_minnow_close\"\n";
  pr "%s" {|
(* As libguestfs, a collected handle is closed with its CLOSE callbacks
   run: an OCaml finaliser may run OCaml code, a custom block's may not
   (its C finaliser remains for handles still open when the program
   ends).  close_on_exit closes handles left open at exit, through a
   weak pointer so that it does not keep them alive. *)
let create ?(environment = true) ?(close_on_exit = true) ?(flags = 0) () =
  let flags = if environment then flags else flags lor 1 in
  let g = create_flags flags in
  Gc.finalise close g;
  if close_on_exit then begin
    let w = Weak.create 1 in
    Weak.set w 0 (Some g);
    at_exit (fun () -> match Weak.get w 0 with Some g -> close g | None -> ())
  end;
  g
|};
  pr "external set_event_callback_bits :\n";
  pr "  t -> (int64 -> int -> string -> int64 array -> unit) -> int64 -> int\n";
  pr "  = \"ocaml_minnow_set_event_callback\"\n";
  pr "let set_event_callback g f events =\n";
  pr "  set_event_callback_bits g (fun ev eh buf array -> f (event_of_bit ev) eh buf array)\n";
  pr "    (bitmask events)\n";
  pr "external delete_event_callback : t -> int -> unit = \"ocaml_minnow_delete_event_callback\"\n";
  pr "external event_to_string_bits : int64 -> string = \"ocaml_minnow_event_to_string\"\n";
  pr "let event_to_string events = event_to_string_bits (bitmask events)\n";
  pr "external user_cancel : t -> unit = \"ocaml_minnow_user_cancel\" [@@noalloc]\n";
  pr "external last_errno : t -> int = \"ocaml_minnow_last_errno\"\n";
  pr "external errno_of_string : string -> int = \"ocaml_minnow_errno_of_string\"\n";
  pr "external string_of_errno : int -> string = \"ocaml_minnow_string_of_errno\"\n\n";
  List.iter (fun a ->
    pr "external %s : %s\n  = %s\n" a.name (external_sig a) (external_names a);
    if once_had_no_optargs a then
      pr "let %s_opts = %s\n" a.name a.name) api.actions;
  pr "\nmodule Errno = struct\n";
  List.iter (fun e -> pr "  let errno_%s = errno_of_string %S\n" e e) (errno_module_names api);
  pr "end\n\n";
  pr "class minnow ?environment ?close_on_exit () =\n";
  pr "  let g = create ?environment ?close_on_exit () in\n";
  pr "  object\n";
  pr "    method close () = close g\n";
  pr "    method set_event_callback = set_event_callback g\n";
  pr "    method delete_event_callback = delete_event_callback g\n";
  pr "    method last_errno () = last_errno g\n";
  pr "    method user_cancel () = user_cancel g\n";
  pr "    method ocaml_handle = g\n";
  List.iter (fun a ->
    List.iter (fun name ->
      if a.args = [] && a.optargs = [] then
        pr "    method %s () = %s g\n" name a.name
      else if a.args = [] then
        pr "    method %s = %s g\n" name a.name
      else
        pr "    method %s = %s g\n" name a.name)
      (a.name :: (if once_had_no_optargs a then [a.name ^ "_opts"] else []))) api.actions;
  pr "  end\n"

(* ------------------------------------------------------------ C stubs *)

let pr_struct_copy ~list st =
  let n = st.s_name in
  pr "static value\ncopy_%s (const struct minnow_%s *s)\n{\n" n n;
  pr "  CAMLparam0 ();\n  CAMLlocal2 (rv, v);\n\n";
  pr "  rv = caml_alloc (%d, 0);\n" (List.length st.s_fields);
  List.iteri (fun i (t, f) ->
    (match t with
     | FString -> pr "  v = caml_copy_string (s->%s);\n" f
     | FBuffer -> pr "  v = caml_alloc_initialized_string (s->%s_len, s->%s);\n" f f
     | FChar -> pr "  v = Val_int ((unsigned char) s->%s);\n" f
     | FInt32 -> pr "  v = caml_copy_int32 (s->%s);\n" f
     | FUInt32 -> pr "  v = caml_copy_int64 ((int64_t) s->%s);\n" f
     | FInt64 -> pr "  v = caml_copy_int64 (s->%s);\n" f
     | FUInt64 -> pr "  v = caml_copy_int64 ((int64_t) s->%s);\n" f
     | FBool -> pr "  v = Val_bool (s->%s);\n" f);
    pr "  Store_field (rv, %d, v);\n" i) st.s_fields;
  pr "  CAMLreturn (rv);\n}\n\n";
  if list then begin
    pr "static value\ncopy_%s_list (const struct minnow_%s_list *l)\n{\n" n n;
    pr "  CAMLparam0 ();\n  CAMLlocal2 (rv, v);\n  uint32_t i;\n\n";
    pr "  if (l->len == 0)\n    CAMLreturn (Atom (0));\n";
    pr "  rv = caml_alloc (l->len, 0);\n";
    pr "  for (i = 0; i < l->len; ++i) {\n    v = copy_%s (&l->val[i]);\n" n;
    pr "    Store_field (rv, i, v);\n  }\n  CAMLreturn (rv);\n}\n\n"
  end

let pr_params names =
  let rec chunks = function
    | [] -> []
    | l ->
      let rec take n l = if n = 0 then [], l else match l with
          | [] -> [], [] | x :: r -> let a, b = take (n - 1) r in x :: a, b in
      let c, rest = take 5 l in c :: chunks rest in
  List.iteri (fun i c ->
    pr "  CAML%sparam%d (%s);\n" (if i = 0 then "" else "x") (List.length c)
      (String.concat ", " c)) (chunks names)

let pr_stub a =
  let params = ["gv"] @ List.map (fun (_, n) -> n ^ "v") a.optargs
               @ List.map (fun (_, n) -> n ^ "v") a.args
               @ (if takes_unit a then ["unitv"] else []) in
  pr "value ocaml_minnow_%s (%s);\n" a.name
    (String.concat ", " (List.map (fun p -> "value " ^ p) params));
  pr "value\nocaml_minnow_%s (%s)\n{\n" a.name
    (String.concat ", " (List.map (fun p -> "value " ^ p) params));
  pr_params params;
  pr "  CAMLlocal1 (rv);\n";
  pr "  minnow_h *g = ocaml_minnow_handle (gv, \"%s\");\n" a.name;
  (match a.ret with
   | RErr | RInt | RBool -> pr "  int r;\n"
   | RInt64 -> pr "  int64_t r;\n"
   | RConstString | RConstOptString -> pr "  const char *r;\n"
   | RString -> pr "  char *r;\n"
   | RStringList | RHashtable -> pr "  char **r;\n"
   | RStruct s -> pr "  struct minnow_%s *r;\n" s
   | RStructList s -> pr "  struct minnow_%s_list *r;\n" s
   | RBufferOut -> pr "  char *r;\n  size_t size;\n");
  (* Everything the call reads is copied out of the OCaml heap, because
     the GC may move values once the runtime lock is released. *)
  List.iter (fun (t, n) ->
    match t with
    | String | Device | Mountable | Pathname | Dev_or_Path | Key | FileIn | FileOut ->
      pr "  char *%s = ocaml_minnow_strdup (%sv);\n" n n
    | OptString ->
      pr "  char *%s = Is_block (%sv) ? ocaml_minnow_strdup (Field (%sv, 0)) : NULL;\n" n n n
    | StringList | DeviceList -> pr "  char **%s = ocaml_minnow_string_array (%sv);\n" n n
    | Bool -> pr "  int %s = Bool_val (%sv);\n" n n
    | Int -> pr "  int %s = Int_val (%sv);\n" n n
    | Int64 -> pr "  int64_t %s = Int64_val (%sv);\n" n n
    | BufferIn ->
      pr "  size_t %s_size = caml_string_length (%sv);\n" n n;
      pr "  char *%s = ocaml_minnow_memdup (%sv, %s_size);\n" n n n) a.args;
  if a.optargs <> [] then begin
    pr "  %s optargs = { .bitmask = 0 };\n" (Cnames.argv_struct a);
    List.iter (fun (t, n) ->
      match t with
      | OStringList -> pr "  char **%s = NULL;\n" n
      | OString -> pr "  char *%s = NULL;\n" n
      | OBool | OInt | OInt64 -> ()) a.optargs;
    pr "\n";
    List.iter (fun (t, n) ->
      pr "  if (Is_block (%sv)) {\n" n;
      pr "    optargs.bitmask |= %s;\n" (Cnames.optarg_bitmask a n);
      (match t with
       | OBool -> pr "    optargs.%s = Bool_val (Field (%sv, 0));\n" n n
       | OInt -> pr "    optargs.%s = Int_val (Field (%sv, 0));\n" n n
       | OInt64 -> pr "    optargs.%s = Int64_val (Field (%sv, 0));\n" n n
       | OString ->
         pr "    %s = ocaml_minnow_strdup (Field (%sv, 0));\n    optargs.%s = %s;\n" n n n n
       | OStringList ->
         pr "    %s = ocaml_minnow_string_array (Field (%sv, 0));\n" n n;
         pr "    optargs.%s = (char *const *) %s;\n" n n);
      pr "  }\n") a.optargs
  end;
  let args = List.concat_map (fun (t, n) ->
    match t with
    | BufferIn -> [n; n ^ "_size"]
    | StringList | DeviceList -> [sprintf "(char *const *) %s" n]
    | _ -> [n]) a.args in
  let call_args = String.concat ", "
      (("g" :: args) @ (match a.ret with RBufferOut -> ["&size"] | _ -> [])
       @ (if a.optargs <> [] then ["&optargs"] else [])) in
  pr "\n  caml_enter_blocking_section ();\n";
  pr "  r = %s (%s);\n" (if a.optargs <> [] then Cnames.argv_fn a else "minnow_" ^ a.name) call_args;
  pr "  caml_leave_blocking_section ();\n";
  List.iter (fun (t, n) ->
    match t with
    | String | Device | Mountable | Pathname | Dev_or_Path | Key | FileIn | FileOut
    | OptString | BufferIn -> pr "  free (%s);\n" n
    | StringList | DeviceList -> pr "  ocaml_minnow_free_strings (%s);\n" n
    | Bool | Int | Int64 -> ()) a.args;
  List.iter (fun (t, n) ->
    match t with
    | OString -> pr "  free (%s);\n" n
    | OStringList -> pr "  ocaml_minnow_free_strings (%s);\n" n
    | OBool | OInt | OInt64 -> ()) a.optargs;
  (match Cnames.c_err_value a.ret with
   | Some e -> pr "  if (r == %s)\n    ocaml_minnow_raise_error (g);\n" e
   | None -> ());
  (match a.ret with
   | RErr -> pr "  rv = Val_unit;\n"
   | RInt -> pr "  rv = Val_int (r);\n"
   | RInt64 -> pr "  rv = caml_copy_int64 (r);\n"
   | RBool -> pr "  rv = Val_bool (r);\n"
   | RConstString -> pr "  rv = caml_copy_string (r);\n"
   | RConstOptString -> pr "  rv = ocaml_minnow_string_option (r);\n"
   | RString -> pr "  rv = caml_copy_string (r);\n  free (r);\n"
   | RStringList ->
     pr "  rv = caml_copy_string_array ((const char **) r);\n  ocaml_minnow_free_strings (r);\n"
   | RHashtable -> pr "  rv = ocaml_minnow_hashtable (r);\n  ocaml_minnow_free_strings (r);\n"
   | RStruct s -> pr "  rv = copy_%s (r);\n  minnow_free_%s (r);\n" s s
   | RStructList s -> pr "  rv = copy_%s_list (r);\n  minnow_free_%s_list (r);\n" s s
   | RBufferOut -> pr "  rv = caml_alloc_initialized_string (size, r);\n  free (r);\n");
  pr "  CAMLreturn (rv);\n}\n\n";
  let n = List.length params in
  if n > 5 then begin
    pr "value ocaml_minnow_%s_byte (value *argv, int argn);\n" a.name;
    pr "value\nocaml_minnow_%s_byte (value *argv, int argn)\n{\n" a.name;
    pr "  return ocaml_minnow_%s (%s);\n}\n\n" a.name
      (String.concat ", " (List.init n (sprintf "argv[%d]")))
  end

let generate_stubs api =
  generated_by `C;
  pr "/* The OCaml binding's C stubs, one per action of api.def.  The\n";
  pr " * handle, errors and events are in handle-c.c (hand-written). */\n\n";
  pr "#include <errno.h>\n#include <stdint.h>\n#include <stdlib.h>\n#include <string.h>\n\n";
  pr "#include <caml/alloc.h>\n#include <caml/memory.h>\n#include <caml/mlvalues.h>\n";
  pr "#include <caml/signals.h>\n\n";
  pr "#include \"minnow.h\"\n#include \"minnow-c.h\"\n\n";
  List.iter (fun (st, list) -> pr_struct_copy ~list st) (Binding_utils.used_structs api);
  List.iter pr_stub api.actions;
  (* The errno names the bindings' tests compare with, in the order the C
     tests look them up (so aliases resolve alike). *)
  let names = Binding_utils.errno_names api in
  pr "const char *const ocaml_minnow_errno_names[] = {\n";
  List.iter (fun e -> pr "  \"%s\",\n" e) names;
  pr "  NULL\n};\n\n";
  pr "const int ocaml_minnow_errno_values[] = {\n";
  List.iter (fun e -> pr "#ifdef %s\n  %s,\n#else\n  -1,\n#endif\n" e e) names;
  pr "  0\n};\n"

(* ------------------------------------------------------------ tests *)

let ml_string s = Utils.quoted_literal s

let paren s = if s <> "" && s.[0] = '-' then "(" ^ s ^ ")" else s
(* Integers as the C tests read them (Render.int: decimal, 0x hex). *)
let ml_int n = paren (Render.int n)
let ml_int64 n = paren (Render.int n ^ "L")

let ml_strings = function
  | LList l -> "[|" ^ String.concat "; " (List.map (function
      | LString s -> ml_string s | _ -> "\"\"") l) ^ "|]"
  | _ -> "[||]"

let ml_arg (t, _) l =
  match t, l with
  | OptString, LNull -> "None"
  | OptString, LString s -> sprintf "(Some %s)" (ml_string s)
  | (StringList | DeviceList), l -> ml_strings l
  | Int64, LInt n -> ml_int64 n
  | _, LInt n -> ml_int n
  | _, LBool b -> string_of_bool b
  | _, LString s -> ml_string s
  | _, LNull -> "None"
  | _, (LList _ as l) -> ml_strings l

let ml_optarg (t, _) l =
  match t, l with
  | OInt64, LInt n -> ml_int64 n
  | _, LInt n -> ml_int n
  | _, LBool b -> string_of_bool b
  | _, LString s -> ml_string s
  | _, l -> ml_strings l

let ml_call (s : Binding_utils.step) =
  let a = s.st_action and c = s.st_call in
  let opts = List.map (fun (o, l) ->
    let t = List.find (fun (_, n) -> n = o) a.optargs in
    sprintf "~%s:%s" (ml_name o) (ml_optarg t l)) c.c_optargs in
  let args = List.map2 ml_arg a.args c.c_args in
  let args = if takes_unit a then ["()"] else args in
  (* libguestfs's way of writing it: the handle first. *)
  sprintf "Minnow.%s %s" a.name (String.concat " " (["g"] @ opts @ args))

let ml_expected ret l =
  match ret, l with
  | RInt64, LInt n -> ml_int64 n
  | _, LInt n -> ml_int n
  | _, LBool b -> string_of_bool b
  | RConstOptString, LNull -> "None"
  | RConstOptString, LString s -> sprintf "(Some %s)" (ml_string s)
  | RHashtable, LList items ->
    let rec pairs = function
      | LString k :: LString v :: rest -> sprintf "(%s, %s)" (ml_string k) (ml_string v) :: pairs rest
      | _ -> [] in
    "[" ^ String.concat "; " (pairs items) ^ "]"
  | _, LString s -> ml_string s
  | _, (LList _ as l) -> ml_strings l
  | _, LNull -> "None"

(* An OCaml expression rendering [v] (of the action's return type) in the
   canonical form. *)
let ml_render ret v =
  match ret with
  | RErr -> "\"ok\""
  | RInt -> sprintf "string_of_int %s" v
  | RInt64 -> sprintf "Int64.to_string %s" v
  | RBool -> sprintf "string_of_bool %s" v
  | RConstString | RString -> sprintf "render_string %s" v
  | RConstOptString ->
    sprintf "(match %s with None -> \"NULL\" | Some s -> render_string s)" v
  | RStringList -> sprintf "render_strings %s" v
  | RHashtable -> sprintf "render_hashtable %s" v
  | RStruct s -> sprintf "render_%s %s" s v
  | RStructList s ->
    sprintf "(\"[\" ^ String.concat \", \" (List.map render_%s (Array.to_list %s)) ^ \"]\")" s v
  | RBufferOut -> sprintf "render_buffer %s" v

let field_render t v =
  match t with
  | FString -> sprintf "render_string %s" v
  | FBuffer -> sprintf "render_buffer %s" v
  | FChar -> sprintf "render_char %s" v
  | FInt32 -> sprintf "Int32.to_string %s" v
  | FUInt32 | FInt64 -> sprintf "Int64.to_string %s" v
  | FUInt64 -> sprintf "Printf.sprintf \"%%Lu\" %s" v
  | FBool -> sprintf "string_of_bool %s" v

let field_literal t l =
  match t, l with
  | FChar, LString s when String.length s = 1 -> sprintf "'\\x%02x'" (Char.code s.[0])
  | FInt32, LInt n -> paren (Render.int n ^ "l")
  | (FUInt32 | FInt64 | FUInt64), LInt n -> ml_int64 n
  | _, LBool b -> string_of_bool b
  | _, LString s -> ml_string s
  | _, _ -> "(assert false)"

let pr_renderers api =
  pr "%s" {|let render_string s =
  let b = Buffer.create (String.length s + 2) in
  Buffer.add_char b '"';
  String.iter (fun c ->
    match c with
    | '\\' -> Buffer.add_string b "\\\\"
    | '"' -> Buffer.add_string b "\\\""
    | '\n' -> Buffer.add_string b "\\n"
    | '\t' -> Buffer.add_string b "\\t"
    | '\r' -> Buffer.add_string b "\\r"
    | c when Char.code c < 0x20 || Char.code c = 0x7f ->
      Printf.bprintf b "\\x%02x" (Char.code c)
    | c -> Buffer.add_char b c) s;
  Buffer.add_char b '"';
  Buffer.contents b

let render_char c =
  let q = render_string (String.make 1 c) in
  "'" ^ String.sub q 1 (String.length q - 2) ^ "'"

let render_buffer s = Printf.sprintf "%d %s" (String.length s) (render_string s)

let render_strings a =
  "[" ^ String.concat ", " (List.map render_string (Array.to_list a)) ^ "]"

let render_hashtable l =
  "{" ^ String.concat ", "
    (List.map (fun (k, v) -> render_string k ^ ": " ^ render_string v) l) ^ "}"

|};
  List.iter (fun st ->
    pr "let render_%s (r : Minnow.%s) =\n  String.concat \"\" [\n" st.s_name st.s_name;
    List.iteri (fun i (t, f) ->
      pr "    \"%s%s = \"; %s;\n" (if i = 0 then "{" else ", ") f
        (field_render t (sprintf "r.Minnow.%s" (ml_name f)))) st.s_fields;
    pr "    \"}\" ]\n\n") api.structs

let pr_step api (s : Binding_utils.step) =
  let what = ml_string (Binding_utils.step_descr s) in
  let call = ml_call s in
  let ret = s.st_action.ret in
  match s.st_call.c_expect with
  | Succeeds -> pr "  ignore (%s);\n" call
  | Equals l ->
    pr "  check_equals %s (fun v -> %s) (%s) %s;\n" what (ml_render ret "v") call (ml_expected ret l)
  | Matches m ->
    let got = match ret with
      | RConstOptString -> sprintf "(Option.value ~default:\"\" (%s))" call
      | _ -> sprintf "(%s)" call in
    pr "  check_matches %s %s %s;\n" what got (ml_string m)
  | Length n ->
    let len = match ret with
      | RStringList | RStructList _ -> "Array.length"
      | RHashtable -> "List.length"
      | _ -> "String.length" in
    pr "  check_length %s (%s (%s)) %d;\n" what len call n
  | Fields fs ->
    let sname = match ret with RStruct s -> s | _ -> assert false in
    let st = List.find (fun st -> st.s_name = sname) api.structs in
    pr "  (let r = %s in\n" call;
    List.iter (fun (f, l) ->
      let t = fst (List.find (fun (_, n) -> n = f) st.s_fields) in
      pr "   check_equals %s (fun v -> %s) r.Minnow.%s %s;\n"
        (ml_string (Binding_utils.step_descr s ^ ": field " ^ f))
        (field_render t "v") (ml_name f) (field_literal t l)) fs;
    pr "   ());\n"
  | Fails (errno, text) ->
    pr "  check_fails g %s (fun () -> ignore (%s)) %s %s;\n" what call
      (match errno with Some e -> sprintf "(Some %S)" e | None -> "None")
      (match text with Some t -> sprintf "(Some %s)" (ml_string t) | None -> "None")

let generate_tests api =
  let cases = Binding_utils.cases api in
  pr "(* Generated from api.def by generator/: do not edit. *)\n\n";
  pr "(* The per-action tests of api.def, in OCaml: TAP, a fresh handle per test. *)\n\n";
  pr_renderers api;
  pr "%s" {|exception Failed of string

let fail what expected got =
  raise (Failed (Printf.sprintf "%s\n# expected: %s\n# got: %s" what expected got))

let check_equals what render got expected =
  if got <> expected then fail what (render expected) (render got)

let contains s sub =
  let n = String.length s and m = String.length sub in
  let rec go i = i + m <= n && (String.sub s i m = sub || go (i + 1)) in
  go 0

let check_matches what got sub =
  if not (contains got sub) then
    fail what ("a string containing " ^ render_string sub) (render_string got)

let check_length what got n =
  if got <> n then fail what (Printf.sprintf "length %d" n) (Printf.sprintf "length %d" got)

let check_fails g what f errno sub =
  match f () with
  | () -> fail what "an error" "success"
  | exception Minnow.Error msg ->
    let e = Minnow.last_errno g in
    (match errno with
     | Some name when Minnow.errno_of_string name <> e ->
       fail what ("errno " ^ name) (Printf.sprintf "errno %d (%s): %s" e (Minnow.string_of_errno e) msg)
     | _ -> ());
    (match sub with
     | Some s when not (contains msg s) ->
       fail what ("an error containing " ^ render_string s) (render_string msg)
     | _ -> ())

|};
  List.iteri (fun i (tc : Binding_utils.case) ->
    pr "(* %s *)\nlet test_%d g =\n" (replace_str tc.tc_descr "*)" "* )") (i + 1);
    List.iter (pr_step api) tc.tc_setup;
    List.iter (pr_step api) tc.tc_steps;
    pr "  ()\n\n") cases;
  pr "let tests = [\n";
  List.iteri (fun i (tc : Binding_utils.case) ->
    pr "  test_%d, %s;\n" (i + 1) (ml_string tc.tc_descr)) cases;
  pr "]\n\n";
  pr "%s" {|let () =
  Printf.printf "1..%d\n%!" (List.length tests);
  List.iteri (fun i (test, descr) ->
    let n = i + 1 in
    let g = Minnow.create () in
    (try
       test g;
       Printf.printf "ok %d - %s\n%!" n descr
     with
     | Failed msg -> Printf.printf "not ok %d - %s: %s\n%!" n descr msg
     | e ->
       Printf.printf "not ok %d - %s\n# expected: no exception\n# got: %s\n%!"
         n descr (Printexc.to_string e));
    Minnow.close g) tests
|}

let generate_bindtests api =
  pr "(* Generated from api.def by generator/: do not edit. *)\n\n";
  pr "(* The bindtests matrix (generator/bindtests_data.ml) in OCaml: prints\n";
  pr "   every result in the canonical rendering; the output must equal\n";
  pr "   tests/bindtests.golden byte for byte. *)\n\n";
  pr_renderers api;
  pr "let render_error e =\n";
  pr "  if e = 0 then \"error\\n\" else \"error \" ^ Minnow.string_of_errno e ^ \"\\n\"\n\n";
  pr "let () =\n  set_binary_mode_out stdout true;\n  let g = Minnow.create () in\n";
  List.iter (fun c ->
    pr "  ignore (%s);\n" (ml_call (Binding_utils.step api c))) Bindtests_data.setup;
  List.iter (fun (e : Bindtests_data.entry) ->
    let s = Binding_utils.step api e.call in
    pr "  print_string %s;\n" (ml_string ("== " ^ e.label ^ "\n"));
    pr "  (match %s with\n" (ml_call s);
    if Bindtests_data.verbatim_result s.st_action.name then
      pr "   | r -> print_string r\n"
    else
      pr "   | r -> print_string (%s); print_char '\\n'\n" (ml_render s.st_action.ret "r");
    pr "   | exception Minnow.Error _ -> print_string (render_error (Minnow.last_errno g)));\n") Bindtests_data.matrix;
  pr "  Minnow.close g\n"
