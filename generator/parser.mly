/* The grammar of api.def (described for humans at the top of api.def). */
%{
open Types

let line pos = pos.Lexing.pos_lnum

type item =
  | IProc of int
  | IArgs of (arg_type * string) list
  | IOptargs of (optarg_type * string) list
  | IRet of ret_type
  | ISince of string
  | IShortdesc of string
  | ILongdesc of string
  | IFlags of flag list
  | IAvailability of string
  | ITest of test

let item_key = function
  | IProc _ -> "proc" | IArgs _ -> "args" | IOptargs _ -> "optargs"
  | IRet _ -> "ret" | ISince _ -> "since" | IShortdesc _ -> "shortdesc"
  | ILongdesc _ -> "longdesc" | IFlags _ -> "flags"
  | IAvailability _ -> "availability" | ITest _ -> "test"

let arg_type ln = function
  | "String" -> String | "OptString" -> OptString | "StringList" -> StringList
  | "Device" -> Device | "DeviceList" -> DeviceList | "Mountable" -> Mountable
  | "Pathname" -> Pathname | "Dev_or_Path" -> Dev_or_Path | "Bool" -> Bool
  | "Int" -> Int | "Int64" -> Int64 | "BufferIn" -> BufferIn
  | "FileIn" -> FileIn | "FileOut" -> FileOut | "Key" -> Key
  | t -> Utils.error_at ln (Printf.sprintf "unknown argument type %s" t)

let optarg_type ln = function
  | "Bool" -> OBool | "Int" -> OInt | "Int64" -> OInt64
  | "String" -> OString | "StringList" -> OStringList
  | t -> Utils.error_at ln (Printf.sprintf "unknown optional argument type %s" t)

let ret_type ln t s =
  match t, s with
  | "Err", None -> RErr | "Int", None -> RInt | "Int64", None -> RInt64
  | "Bool", None -> RBool | "ConstString", None -> RConstString
  | "ConstOptString", None -> RConstOptString | "String", None -> RString
  | "StringList", None -> RStringList | "Hashtable", None -> RHashtable
  | "Struct", Some s -> RStruct s | "StructList", Some s -> RStructList s
  | "BufferOut", None -> RBufferOut
  | ("Struct" | "StructList"), None ->
    Utils.error_at ln (Printf.sprintf "ret %s needs a struct name" t)
  | _, Some s -> Utils.error_at ln (Printf.sprintf "ret %s %s: unexpected %s" t s s)
  | _, None -> Utils.error_at ln (Printf.sprintf "unknown return type %s" t)

let field_type ln = function
  | "String" -> FString | "Buffer" -> FBuffer | "Char" -> FChar
  | "Int32" -> FInt32 | "UInt32" -> FUInt32 | "Int64" -> FInt64
  | "UInt64" -> FUInt64 | "Bool" -> FBool
  | t -> Utils.error_at ln (Printf.sprintf "unknown struct field type %s" t)

let flag ln f arg =
  match f, arg with
  | "deprecated_by", Some a -> Deprecated_by a
  | "protocol_limit_warning", None -> Protocol_limit_warning
  | "not_in_docs", None -> Not_in_docs
  | "once_had_no_optargs", None -> Once_had_no_optargs
  | _ -> Utils.error_at ln (Printf.sprintf "unknown flag %s" f)

let scenario ln = function
  | "Empty" -> Empty | "Partition" -> Partition | "GPT" -> GPT
  | "BasicFS" -> BasicFS | "ScratchFS" -> ScratchFS
  | s -> Utils.error_at ln (Printf.sprintf "unknown test scenario %s" s)

let int_of ln s =
  match int_of_string_opt s with
  | Some n -> n
  | None -> Utils.error_at ln (Printf.sprintf "bad integer %s" s)

let make_call ln name items expect =
  let rec split pos = function
    | [] -> List.rev pos, []
    | `Pos l :: rest -> split (l :: pos) rest
    | `Opt _ :: _ as rest ->
      let opts = List.map (function
        | `Opt o -> o
        | `Pos _ ->
          Utils.error_at ln (Printf.sprintf "%s: positional argument after an optional one" name))
        rest in
      List.rev pos, opts in
  let args, optargs = split [] items in
  { c_line = ln; c_name = name; c_args = args; c_optargs = optargs;
    c_expect = expect }

let make_action ln name items =
  let fail msg = Utils.error_at ln (Printf.sprintf "action %s: %s" name msg) in
  let seen = Hashtbl.create 8 in
  List.iter (fun (_, it) ->
    let k = item_key it in
    if k <> "test" then begin
      if Hashtbl.mem seen k then fail (Printf.sprintf "%s given twice" k);
      Hashtbl.add seen k ()
    end) items;
  let find f = List.find_map (fun (_, it) -> f it) items in
  let ret = match find (function IRet r -> Some r | _ -> None) with
    | Some r -> r | None -> fail "no ret" in
  let default d = function Some x -> x | None -> d in
  { name; line = ln;
    proc = find (function IProc n -> Some n | _ -> None);
    args = default [] (find (function IArgs a -> Some a | _ -> None));
    optargs = default [] (find (function IOptargs a -> Some a | _ -> None));
    ret;
    since = default "" (find (function ISince s -> Some s | _ -> None));
    shortdesc = default "" (find (function IShortdesc s -> Some s | _ -> None));
    longdesc = default "" (find (function ILongdesc s -> Some s | _ -> None));
    flags = default [] (find (function IFlags f -> Some f | _ -> None));
    availability = find (function IAvailability s -> Some s | _ -> None);
    tests = List.filter_map (function (_, ITest t) -> Some t | _ -> None) items }

type decl =
  | DAction of action
  | DStruct of struct_decl
  | DEvent of event
  | DRetired of int list
%}

%token <string> IDENT STRING INT VERSION
%token ACTION STRUCT EVENT RETIRED PROC ARGS OPTARGS RET SINCE SHORTDESC
%token LONGDESC FLAGS AVAILABILITY TEST ERROR LEN TRUE FALSE NULL
%token LBRACE RBRACE LBRACKET RBRACKET COMMA SEMI COLON ARROW MATCH EQUALS EOF

%start <Types.api> api
%type <decl> decl
%type <string> name
%type <Types.field_type * string> field
%type <int * item> located_item
%type <item> item
%type <Types.arg_type * string> arg
%type <Types.optarg_type * string> optarg
%type <Types.flag> flag
%type <Types.call list> calls
%type <Types.call> call
%type <[ `Pos of Types.literal | `Opt of string * Types.literal ]> call_arg
%type <Types.literal> literal
%type <Types.expectation> expect
%type <string * Types.literal> field_value

%%

api:
  | ds = decl* EOF
    { let actions = List.filter_map (function DAction a -> Some a | _ -> None) ds in
      let structs = List.filter_map (function DStruct s -> Some s | _ -> None) ds in
      let events = List.filter_map (function DEvent e -> Some e | _ -> None) ds in
      let retired = List.concat_map (function DRetired l -> l | _ -> []) ds in
      { actions; structs; events; retired } }

decl:
  | ACTION n = name LBRACE items = located_item* RBRACE
    { DAction (make_action (line $startpos) n items) }
  | STRUCT n = name LBRACE fs = field* RBRACE
    { DStruct { s_name = n; s_line = line $startpos; s_fields = fs } }
  | EVENT n = name bit = INT doc = STRING
    { DEvent { e_name = n; e_line = line $startpos;
               e_bit = int_of (line $startpos) bit; e_doc = doc } }
  | RETIRED LBRACKET ns = separated_list(COMMA, INT) RBRACKET
    { DRetired (List.map (int_of (line $startpos)) ns) }

/* Names of actions, arguments and fields may be words that are keywords
   elsewhere (an argument called "len" or "test"). */
name:
  | s = IDENT { s }
  | ACTION { "action" } | STRUCT { "struct" } | EVENT { "event" }
  | RETIRED { "retired" } | PROC { "proc" } | ARGS { "args" }
  | OPTARGS { "optargs" } | RET { "ret" } | SINCE { "since" }
  | SHORTDESC { "shortdesc" } | LONGDESC { "longdesc" } | FLAGS { "flags" }
  | AVAILABILITY { "availability" } | TEST { "test" } | ERROR { "error" }
  | LEN { "len" }

field:
  | t = IDENT n = name ioption(SEMI) { (field_type (line $startpos) t, n) }

located_item:
  | it = item { (line $startpos, it) }

item:
  | PROC n = INT { IProc (int_of (line $startpos) n) }
  | ARGS l = separated_nonempty_list(COMMA, arg) { IArgs l }
  | OPTARGS l = separated_nonempty_list(COMMA, optarg) { IOptargs l }
  | RET t = IDENT s = ioption(IDENT) { IRet (ret_type (line $startpos) t s) }
  | SINCE v = VERSION { ISince v }
  | SHORTDESC s = STRING { IShortdesc s }
  | LONGDESC s = STRING { ILongdesc s }
  | FLAGS l = separated_nonempty_list(COMMA, flag) { IFlags l }
  | AVAILABILITY g = IDENT { IAvailability g }
  | TEST sc = IDENT title = ioption(STRING) LBRACE cs = calls RBRACE
    { ITest { t_line = line $startpos; t_scenario = scenario (line $startpos) sc;
              t_title = title; t_calls = cs } }

arg:
  | t = IDENT n = name { (arg_type (line $startpos) t, n) }

optarg:
  | t = IDENT n = name { (optarg_type (line $startpos) t, n) }

flag:
  | f = IDENT a = ioption(IDENT) { flag (line $startpos) f a }

calls:
  | c = call { [c] }
  | c = call SEMI { [c] }
  | c = call SEMI cs = calls { c :: cs }

call:
  | n = name items = call_arg* e = expect
    { make_call (line $startpos) n items e }

call_arg:
  | l = literal { `Pos l }
  | n = name COLON l = literal { `Opt (n, l) }

literal:
  | s = STRING { LString s }
  | n = INT { LInt n }
  | TRUE { LBool true }
  | FALSE { LBool false }
  | NULL { LNull }
  | LBRACKET l = separated_list(COMMA, literal) RBRACKET { LList l }

expect:
  | { Succeeds }
  | ARROW l = literal { Equals l }
  | ARROW ERROR e = ioption(IDENT) m = ioption(preceded(MATCH, STRING)) { Fails (e, m) }
  | ARROW LEN n = INT { Length (int_of (line $startpos) n) }
  | ARROW LBRACE fs = separated_list(COMMA, field_value) RBRACE { Fields fs }
  | MATCH s = STRING { Matches s }

field_value:
  | n = name EQUALS l = literal { (n, l) }
