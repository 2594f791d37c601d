open Types
open Printf

let errors = ref []
let err line what name msg =
  errors := sprintf "%s:%d: %s %s: %s" !Utils.api_file line what name msg :: !errors
let aerr a msg = err a.line "action" a.name msg

(* Words that would break the generated C, XDR or the bindings. *)
let reserved = [
  "auto"; "break"; "case"; "char"; "const"; "continue"; "default"; "do";
  "double"; "else"; "enum"; "extern"; "float"; "for"; "goto"; "if"; "int";
  "long"; "register"; "return"; "short"; "signed"; "sizeof"; "static";
  "struct"; "switch"; "typedef"; "union"; "unsigned"; "void"; "volatile";
  "while"; "bool"; "string"; "opaque"; "hyper"; "program"; "version";
  "g"; "r"; "ret"; "args"; "optargs"; "size_r"; "serial"; "hdr"; "err";
  "i"; "errno"; "NULL"; "true"; "false"; "in"; "out"; "ret_v";
  "no_optargs"; "optargs_s"; "i_mask"; "terminated"; "r_i"; "r_size";
  "dev_i"; "trace_buf"; "trace_len"; "trace_fp"; "trace_q"; "xdr_in";
]

(* Optional arguments become keyword or labelled arguments in the bindings. *)
let reserved_optarg = [
  "def"; "class"; "type"; "val"; "end"; "begin"; "let"; "fun"; "function";
  "module"; "lambda"; "pass"; "self"; "my"; "sub"; "nil"; "not"; "and";
  "or"; "method"; "object"; "open"; "then"; "with"; "match"; "try";
]

(* Names of the fixed handle API: an action may not take them. *)
let fixed_api = [
  "create"; "create_flags"; "close"; "last_error"; "last_errno";
  "set_error_handler"; "get_error_handler"; "push_error_handler";
  "pop_error_handler"; "set_out_of_memory_handler";
  "get_out_of_memory_handler"; "set_event_callback"; "delete_event_callback";
  "event_to_string"; "set_private"; "get_private"; "first_private";
  "next_private"; "user_cancel";
]

let valid_ident s =
  s <> "" &&
  (match s.[0] with 'a'..'z' | '_' -> true | _ -> false) &&
  String.for_all (function 'a'..'z' | '0'..'9' | '_' -> true | _ -> false) s

(* Action names may hold capitals after the first letter, as libguestfs's
   resize2fs_M and mkswap_L do. *)
let valid_action_name s =
  s <> "" &&
  (match s.[0] with 'a'..'z' | '_' -> true | _ -> false) &&
  String.for_all (function 'a'..'z' | 'A'..'Z' | '0'..'9' | '_' -> true | _ -> false) s

let dups key l =
  let h = Hashtbl.create 16 in
  List.filter (fun x ->
    let k = key x in
    if Hashtbl.mem h k then true else (Hashtbl.add h k (); false)) l

(* --- do_NAME in daemon/*.c and daemon/handlers/*.c -------------------- *)

let daemon_definitions dirs =
  let found = Hashtbl.create 64 in
  List.iter (fun dir ->
  let files = try Sys.readdir dir with Sys_error _ -> [||] in
  let re = Str.regexp "^do_\\([a-zA-Z0-9_]+\\) (" in
  Array.iter (fun f ->
    if Filename.check_suffix f ".c" then begin
      let ic = open_in (Filename.concat dir f) in
      let first = try input_line ic with End_of_file -> "" in
      (* Generated files call do_NAME; they do not define it. *)
      if not (String.length first > 20 &&
              Str.string_match (Str.regexp ".*Generated from api.def") first 0) then
        (try
           while true do
             let l = input_line ic in
             if Str.string_match re l 0 then
               Hashtbl.replace found (Str.matched_group 1 l) ()
           done
         with End_of_file -> ());
      close_in ic
    end) files) dirs;
  found

(* --- type-checking test calls ---------------------------------------- *)

let int_fits bits s =
  match Int64.of_string_opt s with
  | None -> false
  | Some n ->
    if bits = 64 then true
    else Int64.compare n (Int64.of_int32 Int32.min_int) >= 0
         && Int64.compare n (Int64.of_int32 Int32.max_int) <= 0

let uint_fits bits s =
  String.length s > 0 && s.[0] <> '-' &&
  (match Int64.of_string_opt ("0u" ^ s) with
   | None -> false
   | Some n -> bits = 64 || (Int64.compare n 0L >= 0 && Int64.compare n 0xffffffffL <= 0))

let is_string_list = function
  | LList l -> List.for_all (function LString s -> not (String.contains s '\000') | _ -> false) l
  | _ -> false

let literal_fits_arg t l =
  match t, l with
  | BufferIn, LString _ -> true
  | (String | Device | Mountable | Pathname | Dev_or_Path | Key
    | FileIn | FileOut | OptString), LString s -> not (String.contains s '\000')
  | OptString, LNull -> true
  | (StringList | DeviceList), l -> is_string_list l
  | Bool, LBool _ -> true
  | Int, LInt n -> int_fits 32 n
  | Int64, LInt n -> int_fits 64 n
  | _ -> false

let literal_fits_optarg t l =
  match t, l with
  | OBool, LBool _ -> true
  | OInt, LInt n -> int_fits 32 n
  | OInt64, LInt n -> int_fits 64 n
  | OString, LString s -> not (String.contains s '\000')
  | OStringList, l -> is_string_list l
  | _ -> false

let literal_fits_field t l =
  match t, l with
  | (FString | FBuffer), LString _ -> true
  | FChar, LString s -> String.length s = 1
  | FInt32, LInt n -> int_fits 32 n
  | FInt64, LInt n -> int_fits 64 n
  | FUInt32, LInt n -> uint_fits 32 n
  | FUInt64, LInt n -> uint_fits 64 n
  | FBool, LBool _ -> true
  | _ -> false

let check_expect api (c : call) (a : action) fail =
  let ret_name = match a.ret with
    | RErr -> "Err" | RInt -> "Int" | RInt64 -> "Int64" | RBool -> "Bool"
    | RConstString -> "ConstString" | RConstOptString -> "ConstOptString"
    | RString -> "String" | RStringList -> "StringList"
    | RHashtable -> "Hashtable" | RStruct s -> "Struct " ^ s
    | RStructList s -> "StructList " ^ s | RBufferOut -> "BufferOut" in
  let bad what = fail (sprintf "%s: %s cannot be compared with ret %s" c.c_name what ret_name) in
  match c.c_expect with
  | Succeeds -> ()
  | Fails _ -> if a.ret = RConstOptString then bad "error"
  | Equals l ->
    let ok = match a.ret, l with
      | RErr, _ -> false
      | RInt, LInt n -> int_fits 32 n
      | RInt64, LInt n -> int_fits 64 n
      | RBool, LBool _ -> true
      | (RConstString | RString | RBufferOut), LString _ -> true
      | RConstOptString, (LString _ | LNull) -> true
      | RStringList, l -> is_string_list l
      | RHashtable, (LList items as l) -> is_string_list l && List.length items mod 2 = 0
      | _ -> false in
    if not ok then bad "this value"
  | Matches _ ->
    (match a.ret with
     | RString | RConstString | RConstOptString | RBufferOut -> ()
     | _ -> bad "=~")
  | Length _ ->
    (match a.ret with
     | RString | RStringList | RHashtable | RStructList _ | RBufferOut -> ()
     | _ -> bad "len")
  | Fields fs ->
    (match a.ret with
     | RStruct s ->
       (match List.find_opt (fun st -> st.s_name = s) api.structs with
        | None -> ()
        | Some st ->
          List.iter (fun (f, l) ->
            match List.find_opt (fun (_, n) -> n = f) st.s_fields with
            | None -> fail (sprintf "%s: struct %s has no field %s" c.c_name s f)
            | Some (t, _) ->
              if not (literal_fits_field t l) then
                fail (sprintf "%s: wrong literal for field %s" c.c_name f)) fs)
     | _ -> bad "{ fields }")

let check_call api line fail (c : call) =
  let line = if c.c_line > 0 then c.c_line else line in
  let fail msg = fail line msg in
  match List.find_opt (fun a -> a.name = c.c_name) api.actions with
  | None -> fail (sprintf "test calls %s, which is not an action" c.c_name)
  | Some a ->
    let na = List.length a.args and nl = List.length c.c_args in
    if na <> nl then
      fail (sprintf "%s takes %d argument%s, the test gives %d" a.name na
              (if na = 1 then "" else "s") nl)
    else
      List.iter2 (fun (t, n) l ->
        if not (literal_fits_arg t l) then
          fail (sprintf "%s: argument %s: wrong literal" a.name n)) a.args c.c_args;
    List.iter (fun (o, l) ->
      match List.find_opt (fun (_, n) -> n = o) a.optargs with
      | None -> fail (sprintf "%s has no optional argument %s" a.name o)
      | Some (t, _) ->
        if not (literal_fits_optarg t l) then
          fail (sprintf "%s: optional argument %s: wrong literal" a.name o)) c.c_optargs;
    (match dups fst c.c_optargs with
     | (o, _) :: _ -> fail (sprintf "%s: optional argument %s given twice" a.name o)
     | [] -> ());
    check_expect api c a fail

(* --- the checks ------------------------------------------------------- *)

let check_action api defs a =
  if not (valid_action_name a.name) then
    aerr a "name must be letters, digits and _, starting with a lower case letter";
  if List.mem a.name fixed_api then aerr a "name clashes with the fixed handle API";
  if a.shortdesc = "" then aerr a "no shortdesc";
  if a.longdesc = "" then aerr a "no longdesc";
  if a.since = "" then aerr a "no since";
  let names = List.map snd a.args @ List.map snd a.optargs in
  List.iter (fun n ->
    if not (valid_ident n) then aerr a (sprintf "argument name %s is not a valid identifier" n);
    if List.mem n reserved then aerr a (sprintf "argument name %s is reserved" n)) names;
  List.iter (fun (_, n) ->
    if List.mem n reserved_optarg then
      aerr a (sprintf "optional argument name %s is a keyword in a binding language" n))
    a.optargs;
  List.iter (fun n -> aerr a (sprintf "argument %s given twice" n)) (dups Fun.id names);
  let streams = List.filter (fun (t, _) -> t = FileIn || t = FileOut) a.args in
  if List.length streams > 1 then aerr a "at most one FileIn or FileOut argument";
  if List.exists (fun (t, _) -> t = FileOut) a.args && a.ret <> RErr then
    aerr a "an action with a FileOut argument must return Err";
  (match a.proc with
   | None ->
     if streams <> [] then aerr a "FileIn/FileOut need a daemon action (proc)"
   | Some n ->
     if n <= 0 then aerr a "proc must be positive";
     if List.mem n api.retired then aerr a (sprintf "proc %d is retired" n);
     (match a.ret with
      | RConstString | RConstOptString ->
        aerr a "ConstString and ConstOptString are for library-side actions"
      | _ -> ());
     (match defs with
      | Some d when not (Hashtbl.mem d a.name) ->
        aerr a (sprintf "no do_%s defined in daemon/*.c or daemon/handlers/*.c" a.name)
      | _ -> ()));
  (match a.ret with
   | RStruct s | RStructList s ->
     if not (List.exists (fun st -> st.s_name = s) api.structs) then
       aerr a (sprintf "ret refers to unknown struct %s" s)
   | _ -> ());
  List.iter (function
    | Deprecated_by o ->
      if not (List.exists (fun b -> b.name = o) api.actions) then
        aerr a (sprintf "deprecated_by %s: no such action" o)
    | Once_had_no_optargs ->
      if a.optargs = [] then aerr a "once_had_no_optargs needs optargs";
      if List.exists (fun b -> b.name = a.name ^ "_opts") api.actions then
        aerr a (sprintf "once_had_no_optargs: the C name %s_opts is taken by an action" a.name)
    | Protocol_limit_warning | Not_in_docs -> ()) a.flags;
  List.iter (fun t ->
    let fail line msg = err line "action" a.name msg in
    let setup = Scenarios.setup t.t_scenario in
    List.iter (fun (c : call) ->
      if not (List.exists (fun b -> b.name = c.c_name) api.actions) then
        fail t.t_line (sprintf "scenario %s needs action %s, which api.def does not have yet"
                         (string_of_scenario t.t_scenario) c.c_name)
      else check_call api t.t_line (fun _ msg ->
          fail t.t_line (sprintf "scenario %s: %s" (string_of_scenario t.t_scenario) msg)) c)
      setup;
    if t.t_calls = [] then fail t.t_line "test has no calls";
    List.iter (check_call api t.t_line fail) t.t_calls) a.tests

let check api =
  errors := [];
  let defs =
    if Sys.getenv_opt "MINNOW_GENERATOR_SKIP_DO_CHECK" = Some "1" then None
    else Some (daemon_definitions ["daemon"; "daemon/handlers"]) in
  List.iter (fun a -> aerr a "name used by an earlier action") (dups (fun a -> a.name) api.actions);
  List.iter (fun a ->
    aerr a (sprintf "proc %d used by an earlier action" (Option.get a.proc)))
    (dups (fun a -> a.proc) (List.filter is_daemon api.actions));
  List.iter (check_action api defs) api.actions;
  (* The bindtests matrix (generator/bindtests_data.ml) is checked too. *)
  List.iter (fun (e : Bindtests_data.entry) ->
    check_call api 0 (fun _ msg ->
      errors := sprintf "generator/bindtests_data.ml: %s: %s" e.label msg :: !errors) e.call)
    Bindtests_data.matrix;
  List.iter (fun st ->
    let e = err st.s_line "struct" st.s_name in
    if not (valid_ident st.s_name) then e "name must be lower case letters, digits and _";
    if st.s_fields = [] then e "no fields";
    List.iter (fun (_, f) -> e (sprintf "field %s given twice" f)) (dups snd st.s_fields);
    List.iter (fun (_, f) ->
      if List.mem f reserved || not (valid_ident f) then e (sprintf "bad field name %s" f))
      st.s_fields) api.structs;
  List.iter (fun st -> err st.s_line "struct" st.s_name "declared twice")
    (dups (fun st -> st.s_name) api.structs);
  List.iter (fun ev ->
    let e = err ev.e_line "event" ev.e_name in
    if not (valid_ident ev.e_name) then e "name must be lower case letters, digits and _";
    if ev.e_bit <= 0 || ev.e_bit land (ev.e_bit - 1) <> 0 then
      e "bit must be a single bit"; ) api.events;
  List.iter (fun ev -> err ev.e_line "event" ev.e_name "name or bit used twice")
    (dups (fun ev -> ev.e_name) api.events @ dups (fun ev -> string_of_int ev.e_bit) api.events);
  List.rev !errors
