open Types
open Utils
open Cnames

let constants = {|const MINNOW_PROGRAM = 0x4D4E4F57;        /* "MNOW" */
const MINNOW_PROTOCOL_VERSION = 1;
const MINNOW_MESSAGE_MAX = 4194304;
const MINNOW_ERROR_LEN = 65536;
const MINNOW_CHUNK_MAX = 1048576;
const MINNOW_LAUNCH_FLAG = 0x4D4E4C46;    /* sent alone (4 bytes, no length) by the daemon when ready */
const MINNOW_PROGRESS_FLAG = 0x4D4E5047;  /* in place of a length: a progress record follows */
const MINNOW_CANCEL_FLAG = 0x4D4E4358;    /* in place of a length: the receiver cancels a file transfer */

/* Bounds on what a length on the wire may claim (see cnames.ml): a
 * string or opaque at most one message, a list of strings at most one
 * string per 4 bytes of a message. */
const MINNOW_STRINGS_MAX = 1048576;
typedef string minnow_str<MINNOW_MESSAGE_MAX>;
|}

let records = {|enum minnow_message_direction {
  MINNOW_DIRECTION_CALL = 0,
  MINNOW_DIRECTION_REPLY = 1
};

enum minnow_message_status {
  MINNOW_STATUS_OK = 0,
  MINNOW_STATUS_ERROR = 1
};

struct minnow_message_header {
  unsigned prog;
  unsigned vers;
  minnow_procedure proc;
  minnow_message_direction direction;
  unsigned serial;
  minnow_message_status status;
  unsigned progress_hint;          /* 0: none */
  unsigned hyper optargs_bitmask;
  unsigned fd_count;               /* descriptors sent with this message (SCM_RIGHTS), 0 or 1 */
};

struct minnow_message_error {
  string errno_name<32>;
  string error_message<MINNOW_ERROR_LEN>;
};

/* Each chunk of a FileIn/FileOut stream is its own framed message; a
 * zero-length chunk ends the stream. */
struct minnow_chunk {
  int cancel;
  opaque data<MINNOW_CHUNK_MAX>;
};

struct minnow_progress {
  minnow_procedure proc;
  unsigned serial;
  unsigned hyper position;
  unsigned hyper total;
};
|}

let xdr_field (t, n) =
  match t with
  | FString -> Printf.sprintf "string %s<MINNOW_MESSAGE_MAX>;" n
  | FBuffer -> Printf.sprintf "opaque %s<MINNOW_MESSAGE_MAX>;" n
  | FChar -> Printf.sprintf "char %s;" n
  | FInt32 -> Printf.sprintf "int %s;" n
  | FUInt32 -> Printf.sprintf "unsigned int %s;" n
  | FInt64 -> Printf.sprintf "hyper %s;" n
  | FUInt64 -> Printf.sprintf "unsigned hyper %s;" n
  | FBool -> Printf.sprintf "bool %s;" n

let xdr_ret = function
  | RErr -> None
  | RInt -> Some "int value;"
  | RInt64 -> Some "hyper value;"
  | RBool -> Some "bool value;"
  | RString -> Some "string value<MINNOW_MESSAGE_MAX>;"
  | RStringList | RHashtable -> Some "minnow_str value<MINNOW_STRINGS_MAX>;"
  | RStruct s -> Some (Printf.sprintf "minnow_int_%s value;" s)
  | RStructList s -> Some (Printf.sprintf "minnow_int_%s_list value;" s)
  | RBufferOut -> Some "opaque value<MINNOW_MESSAGE_MAX>;"
  | RConstString | RConstOptString -> None   (* library-side only *)

let generate api =
  generated_by `Xdr;
  pr "/* minnow's wire protocol, for rpcgen.  Framing and the meaning of\n";
  pr " * each record: docs/internals.md, \"The protocol\". */\n\n";
  pr "%s\n" constants;
  List.iter (fun st ->
    pr "struct minnow_int_%s {\n" st.s_name;
    List.iter (fun f -> pr "  %s\n" (xdr_field f)) st.s_fields;
    (* A list holds at most as many elements as fit in one message,
       each taking at least its fields' minimum encoded size. *)
    let min_size = List.fold_left (fun acc (t, _) ->
      acc + (match t with FInt64 | FUInt64 -> 8 | _ -> 4)) 0 st.s_fields in
    pr "};\n\ntypedef minnow_int_%s minnow_int_%s_list<%d>;\n\n"
      st.s_name st.s_name (4194304 / max 4 min_size))
    api.structs;
  let daemon = List.filter is_daemon api.actions in
  List.iter (fun a ->
    if has_xdr_args a then begin
      pr "struct minnow_%s_args {\n" a.name;
      List.iter (fun arg -> Option.iter (pr "  %s\n") (xdr_arg arg)) (xdr_args a);
      List.iter (fun o -> pr "  %s\n" (xdr_optarg o)) a.optargs;
      pr "};\n\n"
    end;
    Option.iter (pr "struct minnow_%s_ret {\n  %s\n};\n\n" a.name) (xdr_ret a.ret))
    daemon;
  pr "enum minnow_procedure {\n";
  let n = List.length daemon in
  List.iteri (fun i a ->
    pr "  MINNOW_PROC_%s = %d%s\n" (upper a.name) (Option.get a.proc)
      (if i < n - 1 then "," else "")) daemon;
  pr "};\n\n";
  pr "%s" records
