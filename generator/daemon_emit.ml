open Types
open Printf
open Utils
open Cnames

let daemon_actions api = List.filter is_daemon api.actions

let generate_header api =
  generated_by `C;
  pr "/* The daemon's actions: each do_NAME is hand-written in one of the\n";
  pr " * daemon's topic files and called by its stub in stubs.c with decoded,\n";
  pr " * validated arguments. */\n\n";
  pr "#ifndef MINNOWD_ACTIONS_H\n#define MINNOWD_ACTIONS_H\n\n";
  pr "#include <stddef.h>\n#include <stdint.h>\n\n#include \"protocol.h\"\n\n";
  List.iter (fun a ->
    let ret = daemon_ret_type a.ret in
    let head = sprintf "do_%s (" a.name in
    pr "extern %s%s%s%s);\n" ret (if ret.[String.length ret - 1] = '*' then "" else " ")
      head (wrap_list ~indent:(7 + String.length ret + 1 + String.length head) (daemon_params a)))
    (daemon_actions api);
  pr "\n#endif /* MINNOWD_ACTIONS_H */\n"

let has_file_in a = List.exists (fun (t, _) -> t = FileIn) a.args

(* An error before do_NAME runs: a FileIn stream must still be drained. *)
let pr_fail a indent fmt_args =
  let sp = String.make indent ' ' in
  if has_file_in a then pr "%scancel_receive ();\n" sp;
  pr "%sreply_with_error_errno (%s);\n%sgoto done;\n" sp fmt_args sp

let pr_device a n src indent =
  let sp = String.make indent ' ' in
  pr "%st_%s = storage_device_canonical (%s);\n" sp n src;
  pr "%sif (t_%s == NULL) {\n" sp n;
  pr_fail a (indent + 2) (sprintf "ENOENT, \"%%s: no such device\", %s" src);
  pr "%s}\n" sp

let pr_pathname a n src indent =
  let sp = String.make indent ' ' in
  pr "%sif (%s[0] != '/') {\n" sp src;
  pr_fail a (indent + 2) (sprintf "EINVAL, \"%%s: path must start with a / character\", %s" src);
  pr "%s}\n" sp;
  ignore n

let pr_null_terminate a n indent =
  let sp = String.make indent ' ' in
  pr "%s{\n" sp;
  pr "%s  char **terminated = realloc (args.%s.%s_val, (args.%s.%s_len + 1) * sizeof (char *));\n" sp n n n n;
  pr "%s  if (terminated == NULL) {\n" sp;
  pr_fail a (indent + 4) "errno, \"realloc\"";
  pr "%s  }\n%s  terminated[args.%s.%s_len] = NULL;\n%s  args.%s.%s_val = terminated;\n%s}\n" sp sp n n sp n n sp

(* The expression passed to do_NAME for one argument. *)
let call_args a =
  let args = List.concat_map (fun (t, n) ->
    match t with
    | String | Pathname | Key | Bool | Int | Int64 -> ["args." ^ n]
    | OptString -> [sprintf "args.%s ? *args.%s : NULL" n n]
    | StringList -> [sprintf "args.%s.%s_val" n n]
    | Device | DeviceList -> ["t_" ^ n]
    | Mountable | Dev_or_Path -> [sprintf "t_%s ? t_%s : args.%s" n n n]
    | BufferIn -> [sprintf "args.%s.%s_val" n n; sprintf "args.%s.%s_len" n n]
    | FileIn | FileOut -> []) a.args in
  let opts = List.map (fun (t, n) ->
    match t with
    | OBool | OInt | OInt64 | OString -> "args." ^ n
    | OStringList -> sprintf "args.%s.%s_val" n n) a.optargs in
  let size = match a.ret with RBufferOut -> ["&r_size"] | _ -> [] in
  args @ opts @ size

let pr_reply a =
  let n = a.name in
  let send () = pr "  reply ((xdrproc_t) xdr_minnow_%s_ret, (char *) &ret);\n" n in
  let has_file_out = List.exists (fun (t, _) -> t = FileOut) a.args in
  match a.ret with
  | RErr ->
    if has_file_out then pr "  /* do_%s replied before sending the file. */\n" n
    else pr "  reply (NULL, NULL);\n"
  | RInt | RBool | RInt64 -> pr "  ret.value = r;\n"; send ()
  | RString -> pr "  ret.value = r;\n"; send (); pr "  free (r);\n"
  | RStringList | RHashtable ->
    pr "  for (ret.value.value_len = 0; r[ret.value.value_len] != NULL; ++ret.value.value_len)\n    ;\n";
    pr "  ret.value.value_val = r;\n"; send ();
    pr "  for (r_i = 0; r[r_i] != NULL; ++r_i)\n    free (r[r_i]);\n  free (r);\n"
  | RStruct s ->
    pr "  ret.value = *r;\n"; send ();
    pr "  xdr_free ((xdrproc_t) xdr_minnow_int_%s, (char *) r);\n  free (r);\n" s
  | RStructList s ->
    pr "  ret.value = *r;\n"; send ();
    pr "  xdr_free ((xdrproc_t) xdr_minnow_int_%s_list, (char *) r);\n  free (r);\n" s
  | RBufferOut ->
    pr "  ret.value.value_len = r_size;\n  ret.value.value_val = r;\n"; send ();
    pr "  free (r);\n"
  | RConstString | RConstOptString -> assert false   (* rejected by the checks *)

let pr_stub a =
  let n = a.name in
  let has_args = has_xdr_args a in
  let mask = (1 lsl List.length a.optargs) - 1 in
  pr "static void\n%s_stub (XDR *xdr_in)\n{\n" n;
  if has_args then pr "  struct minnow_%s_args args;\n" n;
  if has_xdr_ret a then pr "  struct minnow_%s_ret ret;\n" n;
  let rt = daemon_ret_type a.ret in
  pr "  %s%sr;\n" rt (if rt.[String.length rt - 1] = '*' then "" else " ");
  (match a.ret with
   | RStringList | RHashtable -> pr "  size_t r_i;\n"
   | RBufferOut -> pr "  size_t r_size = 0;\n"
   | _ -> ());
  List.iter (fun (t, an) ->
    match t with
    | Device | Mountable | Dev_or_Path -> pr "  char *t_%s = NULL;\n" an
    | DeviceList -> pr "  char **t_%s = NULL;\n" an
    | _ -> ()) a.args;
  pr "\n";
  if mask = 0 then pr "  if (optargs_bitmask != 0) {\n"
  else pr "  if ((optargs_bitmask & ~UINT64_C(0x%x)) != 0) {\n" mask;
  if has_file_in a then pr "    cancel_receive ();\n";
  pr "    reply_with_error_errno (EINVAL, \"unknown option in the optional arguments bitmask \"\n";
  pr "                            \"(the library is newer than this daemon?)\");\n";
  pr "    return;\n  }\n";
  if has_args then begin
    pr "  memset (&args, 0, sizeof args);\n";
    pr "  if (!xdr_minnow_%s_args (xdr_in, &args)) {\n" n;
    pr_fail a 4 "0, \"daemon failed to decode procedure arguments\"";
    pr "  }\n"
  end;
  List.iter (fun (t, an) ->
    let src = "args." ^ an in
    match t with
    | Pathname -> pr_pathname a an src 2
    | Device -> pr_device a an src 2
    | Mountable ->
      pr "  if (strncmp (%s, \"/dev/\", 5) == 0) {\n" src;
      pr_device a an src 4;
      pr "  }\n"
    | Dev_or_Path ->
      pr "  if (strncmp (%s, \"/dev/\", 5) == 0) {\n" src;
      pr_device a an src 4;
      pr "  }\n  else {\n";
      pr_pathname a an src 4;
      pr "  }\n"
    | StringList -> pr_null_terminate a an 2
    | DeviceList ->
      pr "  t_%s = calloc (args.%s.%s_len + 1, sizeof (char *));\n" an an an;
      pr "  if (t_%s == NULL) {\n" an;
      pr_fail a 4 "errno, \"calloc\"";
      pr "  }\n";
      pr "  for (u_int dev_i = 0; dev_i < args.%s.%s_len; ++dev_i) {\n" an an;
      pr "    t_%s[dev_i] = storage_device_canonical (args.%s.%s_val[dev_i]);\n" an an an;
      pr "    if (t_%s[dev_i] == NULL) {\n" an;
      pr_fail a 6 (sprintf "ENOENT, \"%%s: no such device\", args.%s.%s_val[dev_i]" an an);
      pr "    }\n  }\n"
    | String | OptString | Bool | Int | Int64 | BufferIn | FileIn | FileOut
    | Key -> ()) a.args;
  List.iter (fun (t, on) ->
    match t with
    | OStringList -> pr_null_terminate a on 2
    | OBool | OInt | OInt64 | OString -> ()) a.optargs;
  if List.exists (fun (t, _) -> t = FileOut) a.args then
    pr "  file_out_prepare ();   /* the fast path, when the host file came with the call */\n";
  let head = sprintf "  r = do_%s (" n in
  pr "\n%s%s);\n" head (wrap_list ~indent:(String.length head) (call_args a));
  (match daemon_ret_type a.ret, a.ret with
   | _, (RErr | RInt | RBool | RInt64) -> pr "  if (r == -1)\n"
   | _ -> pr "  if (r == NULL)\n");
  pr "    goto done;   /* do_%s has sent the error */\n" n;
  pr_reply a;
  pr "\n done:\n";
  List.iter (fun (t, an) ->
    match t with
    | Device | Mountable | Dev_or_Path -> pr "  free (t_%s);\n" an
    | DeviceList ->
      pr "  if (t_%s != NULL) {\n" an;
      pr "    for (u_int dev_i = 0; t_%s[dev_i] != NULL; ++dev_i)\n      free (t_%s[dev_i]);\n" an an;
      pr "    free (t_%s);\n  }\n" an
    | _ -> ()) a.args;
  if has_args then pr "  xdr_free ((xdrproc_t) xdr_minnow_%s_args, (char *) &args);\n" n;
  if not has_args then pr "  return;\n";
  pr "}\n\n"

let generate_stubs api =
  generated_by `C;
  pr "/* The daemon's side of every action: decode the arguments, check\n";
  pr " * them (absolute paths, existing devices, known optional arguments),\n";
  pr " * call do_NAME, send the reply.  See docs/internals.md, \"The daemon\". */\n\n";
  pr "#include <config.h>\n\n#include <errno.h>\n#include <stdlib.h>\n#include <string.h>\n\n";
  pr "#include \"daemon.h\"\n#include \"actions.h\"\n\n";
  List.iter pr_stub (daemon_actions api);
  pr "void\ndispatch_incoming_message (XDR *xdr_in)\n{\n  switch (proc_nr) {\n";
  List.iter (fun a ->
    pr "  case MINNOW_PROC_%s:\n    %s_stub (xdr_in);\n    break;\n" (upper a.name) a.name)
    (daemon_actions api);
  pr "  default:\n    reply_with_error_errno (EINVAL, \"unknown procedure number %%u\", proc_nr);\n";
  pr "  }\n}\n"
