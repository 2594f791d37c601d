(* C names and C types of api.def things, shared by the C emitters
   (library, daemon, tests): one place maps each constructor to C. *)

open Types

val upper : string -> string

val c_arg_params : arg_type * string -> string list
(** Library C parameters of one argument ("const char *path";
    BufferIn gives two). *)

val c_optarg_type : optarg_type -> string
(** C type of an optional argument in the _argv struct ("int", ...). *)

val c_ret_type : ret_type -> string
(** Library C return type ("int", "char *", "struct minnow_S *"). *)

val c_err_value : ret_type -> string option
(** The value returned on error; None for ConstOptString. *)

type form = Plain | Fixed | Va | Argv | Impl

val c_name : action -> string
(** The C name of the optargs forms: NAME, or NAME_opts for an action
    flagged once_had_no_optargs (as libguestfs: minnow_add_drive_opts). *)

val argv_struct : action -> string
(** "struct minnow_CNAME_argv" *)

val argv_fn : action -> string
(** "minnow_CNAME_argv" *)

val c_proto : ?prefix:string -> form -> action -> string
(** "RET\nminnow_NAME (minnow_h *g, ...)" for one of the forms: Plain is
    minnow_CNAME, the varargs form when the action has optargs; Fixed is
    minnow_NAME without optional arguments (once_had_no_optargs actions);
    Va and Argv are minnow_CNAME_va/_argv; Impl is minnow_impl_NAME
    (optargs as an _argv pointer). The prefix replaces "minnow_". *)

val c_call_args : ?optargs:string -> action -> string
(** The argument list to forward a call: "g, path, buf, buf_size, optargs". *)

val daemon_params : action -> string list
(** Parameters of do_NAME. *)

val daemon_ret_type : ret_type -> string

val xdr_arg : arg_type * string -> string option
(** XDR declaration of an argument in minnow_NAME_args ("minnow_str
    NAME<>;"); None for FileIn/FileOut, which are streamed. *)

val xdr_optarg : optarg_type * string -> string

val xdr_args : action -> (arg_type * string) list
(** The arguments that travel in minnow_NAME_args (not FileIn/FileOut). *)

val has_xdr_args : action -> bool
(** Whether the action has a minnow_NAME_args struct. *)

val has_xdr_ret : action -> bool
(** Whether the action has a minnow_NAME_ret struct. *)

val struct_field_c : field_type * string -> string list
(** Public struct fields of one field ("uint32_t buf_len;", "char *buf;"). *)

val optarg_bitmask : action -> string -> string
(** MINNOW_CNAME_OPT_BITMASK *)

val optarg_index : action -> string -> string
(** MINNOW_CNAME_OPT *)

val event_const : event -> string
(** MINNOW_EVENT_NAME *)

val is_string_arg : arg_type -> bool
(** String, Device, Mountable, Pathname, Dev_or_Path, Key, FileIn, FileOut:
    passed as const char * and never NULL. *)
