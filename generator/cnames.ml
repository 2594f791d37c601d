open Types
open Printf

let upper = String.uppercase_ascii

let is_string_arg = function
  | String | Device | Mountable | Pathname | Dev_or_Path | Key
  | FileIn | FileOut -> true
  | OptString | StringList | DeviceList | Bool | Int | Int64 | BufferIn -> false

let c_arg_params (t, n) =
  match t with
  | String | Device | Mountable | Pathname | Dev_or_Path | Key
  | FileIn | FileOut | OptString -> [sprintf "const char *%s" n]
  | StringList | DeviceList -> [sprintf "char *const *%s" n]
  | Bool | Int -> [sprintf "int %s" n]
  | Int64 -> [sprintf "int64_t %s" n]
  | BufferIn -> [sprintf "const char *%s" n; sprintf "size_t %s_size" n]

let c_optarg_type = function
  | OBool | OInt -> "int"
  | OInt64 -> "int64_t"
  | OString -> "const char *"
  | OStringList -> "char *const *"

let c_ret_type = function
  | RErr | RInt | RBool -> "int"
  | RInt64 -> "int64_t"
  | RConstString | RConstOptString -> "const char *"
  | RString | RBufferOut -> "char *"
  | RStringList | RHashtable -> "char **"
  | RStruct s -> sprintf "struct minnow_%s *" s
  | RStructList s -> sprintf "struct minnow_%s_list *" s

let c_err_value = function
  | RErr | RInt | RBool | RInt64 -> Some "-1"
  | RConstString | RString | RBufferOut | RStringList | RHashtable
  | RStruct _ | RStructList _ -> Some "NULL"
  | RConstOptString -> None

type form = Plain | Fixed | Va | Argv | Impl

let c_name a = if once_had_no_optargs a then a.name ^ "_opts" else a.name

let argv_struct a = sprintf "struct minnow_%s_argv" (c_name a)

let argv_fn a = sprintf "minnow_%s_argv" (c_name a)

let ret_with_space r =
  let t = c_ret_type r in
  if t.[String.length t - 1] = '*' then t else t ^ " "

let c_proto ?(prefix = "minnow_") form a =
  let params =
    ("minnow_h *g" :: List.concat_map c_arg_params a.args)
    @ (match a.ret with RBufferOut -> ["size_t *size_r"] | _ -> [])
    @ (if a.optargs = [] then []
       else match form with
         | Fixed -> []
         | Plain -> ["..."]
         | Va -> ["va_list args"]
         | Argv | Impl -> [sprintf "const %s *optargs" (argv_struct a)]) in
  let fname = match form with
    | Fixed -> prefix ^ a.name
    | Plain -> prefix ^ c_name a
    | Va -> prefix ^ c_name a ^ "_va"
    | Argv -> prefix ^ c_name a ^ "_argv"
    | Impl -> prefix ^ "impl_" ^ a.name in
  let head = sprintf "%s (" fname in
  sprintf "%s\n%s%s)" (String.trim (ret_with_space a.ret)) head
    (Utils.wrap_list ~indent:(String.length head) params)

let c_call_args ?optargs a =
  let args = List.concat_map (fun (t, n) ->
    match t with BufferIn -> [n; n ^ "_size"] | _ -> [n]) a.args in
  let size = match a.ret with RBufferOut -> ["size_r"] | _ -> [] in
  let opt = match optargs with Some o when a.optargs <> [] -> [o] | _ -> [] in
  String.concat ", " (("g" :: args) @ size @ opt)

let daemon_params a =
  let args = List.concat_map (fun (t, n) ->
    match t with
    | FileIn | FileOut -> []
    | _ -> c_arg_params (t, n)) a.args in
  let opts = List.map (fun (t, n) ->
    let ty = c_optarg_type t in
    if ty.[String.length ty - 1] = '*' then ty ^ n else ty ^ " " ^ n) a.optargs in
  let size = match a.ret with RBufferOut -> ["size_t *size_r"] | _ -> [] in
  match args @ opts @ size with [] -> ["void"] | l -> l

let daemon_ret_type = function
  | RErr | RInt | RBool -> "int"
  | RInt64 -> "int64_t"
  | RConstString | RConstOptString -> "const char *"   (* rejected by checks *)
  | RString | RBufferOut -> "char *"
  | RStringList | RHashtable -> "char **"
  | RStruct s -> sprintf "minnow_int_%s *" s
  | RStructList s -> sprintf "minnow_int_%s_list *" s

(* Every variable-length XDR item is bounded by what one message can
   hold: rpcgen's decoders allocate what a length on the wire claims
   before they check that the bytes are there, so an unbounded <> lets
   a 44-byte message ask for gigabytes (found by fuzz/fuzz-protocol). *)
let xdr_arg (t, n) =
  match t with
  | String | Device | Mountable | Pathname | Dev_or_Path | Key ->
    Some (sprintf "string %s<MINNOW_MESSAGE_MAX>;" n)
  | OptString -> Some (sprintf "minnow_str *%s;" n)
  | StringList | DeviceList -> Some (sprintf "minnow_str %s<MINNOW_STRINGS_MAX>;" n)
  | Bool -> Some (sprintf "bool %s;" n)
  | Int -> Some (sprintf "int %s;" n)
  | Int64 -> Some (sprintf "hyper %s;" n)
  | BufferIn -> Some (sprintf "opaque %s<MINNOW_MESSAGE_MAX>;" n)
  | FileIn | FileOut -> None

let xdr_optarg (t, n) =
  match t with
  | OBool -> sprintf "bool %s;" n
  | OInt -> sprintf "int %s;" n
  | OInt64 -> sprintf "hyper %s;" n
  | OString -> sprintf "string %s<MINNOW_MESSAGE_MAX>;" n
  | OStringList -> sprintf "minnow_str %s<MINNOW_STRINGS_MAX>;" n

let xdr_args a = List.filter (fun (t, _) -> xdr_arg (t, "") <> None) a.args

let has_xdr_args a = xdr_args a <> [] || a.optargs <> []

let has_xdr_ret a = a.ret <> RErr

let struct_field_c (t, n) =
  match t with
  | FString -> [sprintf "char *%s;" n]
  | FBuffer -> [sprintf "uint32_t %s_len;" n; sprintf "char *%s;" n]
  | FChar -> [sprintf "char %s;" n]
  | FInt32 | FBool -> [sprintf "int32_t %s;" n]
  | FUInt32 -> [sprintf "uint32_t %s;" n]
  | FInt64 -> [sprintf "int64_t %s;" n]
  | FUInt64 -> [sprintf "uint64_t %s;" n]

let optarg_index a o = sprintf "MINNOW_%s_%s" (upper (c_name a)) (upper o)
let optarg_bitmask a o = optarg_index a o ^ "_BITMASK"

let event_const e = "MINNOW_EVENT_" ^ upper e.e_name
