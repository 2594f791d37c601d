(* The API description as typed data.  Every argument, optional argument,
   return and struct field kind is a constructor, so an emitter that
   forgets a case fails to compile (the build makes warning 8 an error). *)

type arg_type =
  | String        (* const char *; never NULL *)
  | OptString     (* const char *; may be NULL *)
  | StringList    (* char *const *, NULL-terminated *)
  | Device        (* const char *; the daemon translates and checks it *)
  | DeviceList    (* char *const *; each element a Device *)
  | Mountable     (* const char *; a device if it starts with /dev/, else a path *)
  | Pathname      (* const char *; absolute path inside the mounted images *)
  | Dev_or_Path   (* const char *; a device if it starts with /dev/, else a Pathname *)
  | Bool          (* int, 0 or 1 *)
  | Int           (* int *)
  | Int64         (* int64_t *)
  | BufferIn      (* const char *NAME, size_t NAME_size *)
  | FileIn        (* const char *: host file the library streams to the daemon *)
  | FileOut       (* const char *: host file the library writes from the daemon's stream *)
  | Key           (* const char *; a secret, never traced in clear *)

type optarg_type =
  | OBool         (* int *)
  | OInt          (* int *)
  | OInt64        (* int64_t *)
  | OString       (* const char * *)
  | OStringList   (* char *const * *)

type ret_type =
  | RErr                     (* int: 0 or -1 *)
  | RInt                     (* int, -1 on error *)
  | RInt64                   (* int64_t, -1 on error *)
  | RBool                    (* int, 0/1, -1 on error *)
  | RConstString             (* const char *, library-side only, NULL on error *)
  | RConstOptString          (* const char *, library-side only, NULL is a value *)
  | RString                  (* char *, caller frees *)
  | RStringList              (* char **, caller frees *)
  | RHashtable               (* char ** key, value, ..., NULL *)
  | RStruct of string        (* struct minnow_S * *)
  | RStructList of string    (* struct minnow_S_list * *)
  | RBufferOut               (* char * plus trailing size_t *size_r *)

type field_type =
  | FString       (* char * *)
  | FBuffer       (* uint32_t NAME_len; char *NAME *)
  | FChar         (* char *)
  | FInt32        (* int32_t *)
  | FUInt32       (* uint32_t *)
  | FInt64        (* int64_t *)
  | FUInt64       (* uint64_t *)
  | FBool         (* int32_t *)

type flag =
  | Deprecated_by of string      (* this action is replaced by another *)
  | Protocol_limit_warning       (* the result is bounded by the message size *)
  | Not_in_docs                  (* internal: left out of the man page *)
  | Once_had_no_optargs          (* libguestfs added the optargs later: C keeps a
                                    fixed-arity minnow_NAME and puts the optargs
                                    forms under minnow_NAME_opts *)

(* Literals in tests.  Integers keep their text so that 64-bit extremes
   survive; [Int64.of_string] validates them. *)
type literal =
  | LString of string            (* "..." or a bare /path *)
  | LInt of string
  | LBool of bool
  | LNull
  | LList of literal list

type expectation =
  | Succeeds                                  (* no expectation: must not fail *)
  | Equals of literal                         (* => value *)
  | Fails of string option * string option    (* => error [ENAME] [=~ "text"] *)
  | Matches of string                         (* =~ "substring" *)
  | Length of int                             (* => len N *)
  | Fields of (string * literal) list         (* => { field = value, ... } *)

type call = {
  c_line : int;
  c_name : string;
  c_args : literal list;
  c_optargs : (string * literal) list;
  c_expect : expectation;
}

type scenario = Empty | Partition | GPT | BasicFS | ScratchFS

type test = {
  t_line : int;
  t_scenario : scenario;
  t_title : string option;
  t_calls : call list;
}

type action = {
  name : string;
  line : int;
  proc : int option;             (* None: library-side, minnow_impl_NAME *)
  args : (arg_type * string) list;
  optargs : (optarg_type * string) list;
  ret : ret_type;
  since : string;
  shortdesc : string;
  longdesc : string;
  flags : flag list;
  availability : string option;
  tests : test list;
}

type struct_decl = {
  s_name : string;
  s_line : int;
  s_fields : (field_type * string) list;
}

type event = {
  e_name : string;               (* lower case in api.def; MINNOW_EVENT_UPPER in C *)
  e_line : int;
  e_bit : int;
  e_doc : string;
}

type api = {
  actions : action list;         (* in api.def order *)
  structs : struct_decl list;
  events : event list;
  retired : int list;
}

let string_of_scenario = function
  | Empty -> "Empty" | Partition -> "Partition" | GPT -> "GPT"
  | BasicFS -> "BasicFS" | ScratchFS -> "ScratchFS"

let is_daemon a = a.proc <> None

let once_had_no_optargs a = List.mem Once_had_no_optargs a.flags
