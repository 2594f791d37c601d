open Types
open Printf
open Utils
open Cnames

let form a = if a.optargs = [] then Plain else Argv

let ret_decl a =
  let t = c_ret_type a.ret in
  if t.[String.length t - 1] = '*' then t ^ "ret_v" else t ^ " ret_v"

let err_value a = Option.value (c_err_value a.ret) ~default:"NULL"

(* The bits of the optargs an action knows (up to 63 of them: OCaml's int
   would overflow, so Int64). *)
let known_bits a = Int64.pred (Int64.shift_left 1L (List.length a.optargs))

(* Arguments a caller must not pass as NULL. *)
let non_null_args a =
  List.filter (fun (t, _) ->
    is_string_arg t || t = StringList || t = DeviceList || t = BufferIn) a.args

(* static void trace_call_NAME (...): the arguments as the shell shows them. *)
let pr_trace_call a =
  let params = List.concat_map c_arg_params a.args
               @ (if a.optargs = [] then []
                  else [sprintf "const %s *optargs" (argv_struct a)]) in
  pr "static void\ntrace_call_%s (%s)\n{\n" a.name
    (wrap_list ~indent:(String.length a.name + 13) ("minnow_h *g" :: params));
  if a.args = [] && a.optargs = [] then begin
    pr "  minnow_int_trace (g, \"%%s\", \"%s\");\n}\n\n" a.name
  end else begin
  let needs_q =
    List.exists (fun (t, _) -> (is_string_arg t && t <> Key) || t = OptString || t = StringList
                               || t = DeviceList) a.args
    || List.exists (fun (t, _) -> t = OString || t = OStringList) a.optargs in
  pr "  char *trace_buf = NULL%s;\n  size_t trace_len = 0;\n  FILE *trace_fp = open_memstream (&trace_buf, &trace_len);\n\n"
    (if needs_q then ", *trace_q" else "");
  pr "  if (trace_fp == NULL)\n    return;\n";
  let quoted expr = pr "  trace_q = minnow_int_trace_quote (g, %s);\n  fprintf (trace_fp, \" %%s\", trace_q);\n  free (trace_q);\n" expr in
  let quoted_list expr = pr "  trace_q = minnow_int_trace_quote_list (g, %s);\n  fprintf (trace_fp, \" %%s\", trace_q);\n  free (trace_q);\n" expr in
  List.iter (fun (t, n) ->
    match t with
    | String | Device | Mountable | Pathname | Dev_or_Path | FileIn | FileOut
    | OptString -> quoted n
    | Key -> pr "  fputs (\" ***\", trace_fp);\n"
    | StringList | DeviceList -> quoted_list n
    | Bool -> pr "  fputs (%s ? \" true\" : \" false\", trace_fp);\n" n
    | Int -> pr "  fprintf (trace_fp, \" %%d\", %s);\n" n
    | Int64 -> pr "  fprintf (trace_fp, \" %%\" PRIi64, %s);\n" n
    | BufferIn -> pr "  fprintf (trace_fp, \" <%%zu bytes>\", %s_size);\n" n) a.args;
  List.iter (fun (t, n) ->
    pr "  if (optargs->bitmask & %s) {\n" (optarg_bitmask a n);
    pr "    fputs (\" %s:\", trace_fp);\n" n;
    (match t with
     | OBool -> pr "    fputs (optargs->%s ? \"true\" : \"false\", trace_fp);\n" n
     | OInt -> pr "    fprintf (trace_fp, \"%%d\", optargs->%s);\n" n
     | OInt64 -> pr "    fprintf (trace_fp, \"%%\" PRIi64, optargs->%s);\n" n
     | OString ->
       pr "    trace_q = minnow_int_trace_quote (g, optargs->%s);\n    fputs (trace_q, trace_fp);\n    free (trace_q);\n" n
     | OStringList ->
       pr "    trace_q = minnow_int_trace_quote_list (g, optargs->%s);\n    fputs (trace_q, trace_fp);\n    free (trace_q);\n" n);
    pr "  }\n") a.optargs;
  pr "  fclose (trace_fp);\n";
  pr "  if (trace_len == 0)\n    minnow_int_trace (g, \"%%s\", \"%s\");\n" a.name;
  pr "  else\n    minnow_int_trace_call (g, \"%s\", \"%%s\", trace_buf + 1);\n" a.name;
  pr "  free (trace_buf);\n}\n\n"
  end

(* The trace line of the result held in ret_v. *)
let pr_trace_return a =
  let n = a.name in
  pr "  if (g->trace) {\n";
  (match a.ret with
   | RErr | RInt ->
     pr "    if (ret_v == -1)\n      minnow_int_trace_return (g, \"%s\", \"-1 (error)\");\n" n;
     pr "    else\n      minnow_int_trace_return (g, \"%s\", \"%%d\", ret_v);\n" n
   | RBool ->
     pr "    if (ret_v == -1)\n      minnow_int_trace_return (g, \"%s\", \"-1 (error)\");\n" n;
     pr "    else\n      minnow_int_trace_return (g, \"%s\", \"%%s\", ret_v ? \"true\" : \"false\");\n" n
   | RInt64 ->
     pr "    if (ret_v == -1)\n      minnow_int_trace_return (g, \"%s\", \"-1 (error)\");\n" n;
     pr "    else\n      minnow_int_trace_return (g, \"%s\", \"%%\" PRIi64, ret_v);\n" n
   | RConstString | RString | RConstOptString ->
     if a.ret <> RConstOptString then
       pr "    if (ret_v == NULL)\n      minnow_int_trace_return (g, \"%s\", \"NULL (error)\");\n    else " n
     else pr "    ";
     pr "{\n      char *q = minnow_int_trace_quote (g, ret_v);\n";
     pr "      minnow_int_trace_return (g, \"%s\", \"%%s\", q);\n      free (q);\n    }\n" n
   | RStringList | RHashtable ->
     pr "    if (ret_v == NULL)\n      minnow_int_trace_return (g, \"%s\", \"NULL (error)\");\n" n;
     pr "    else {\n      char *q = minnow_int_trace_quote_list (g, ret_v);\n";
     pr "      minnow_int_trace_return (g, \"%s\", \"%%s\", q);\n      free (q);\n    }\n" n
   | RStruct s | RStructList s ->
     let t = match a.ret with RStruct _ -> s | _ -> s ^ "_list" in
     pr "    if (ret_v == NULL)\n      minnow_int_trace_return (g, \"%s\", \"NULL (error)\");\n" n;
     pr "    else\n      minnow_int_trace_return (g, \"%s\", \"<struct minnow_%s *>\");\n" n t
   | RBufferOut ->
     pr "    if (ret_v == NULL)\n      minnow_int_trace_return (g, \"%s\", \"NULL (error)\");\n" n;
     pr "    else\n      minnow_int_trace_return (g, \"%s\", \"<%%zu bytes>\", *size_r);\n" n);
  pr "  }\n"

(* Entry checks shared by both kinds: ENTER, optargs, NULL arguments, trace. *)
let pr_entry a =
  let ev = err_value a in
  pr "  minnow_int_enter (g, \"%s\");\n" a.name;
  if a.optargs <> [] then begin
    pr "  if (optargs == NULL)\n    optargs = &no_optargs;\n";
    pr "  if ((optargs->bitmask & ~UINT64_C(0x%Lx)) != 0) {\n" (known_bits a);
    pr "    minnow_int_error_errno (g, EINVAL, \"%%s: unknown option in the optional arguments bitmask\", \"%s\");\n" a.name;
    pr "    return %s;\n  }\n" ev
  end;
  List.iter (fun (_, n) ->
    pr "  if (%s == NULL) {\n" n;
    pr "    minnow_int_error_errno (g, EINVAL, \"%%s: %%s: parameter cannot be NULL\", \"%s\", \"%s\");\n" a.name n;
    pr "    return %s;\n  }\n" ev) (non_null_args a);
  List.iter (fun (t, n) ->
    match t with
    | OString | OStringList ->
      pr "  if ((optargs->bitmask & %s) && optargs->%s == NULL) {\n" (optarg_bitmask a n) n;
      pr "    minnow_int_error_errno (g, EINVAL, \"%%s: %%s: parameter cannot be NULL\", \"%s\", \"%s\");\n" a.name n;
      pr "    return %s;\n  }\n" ev
    | OBool | OInt | OInt64 -> ()) a.optargs

let pr_library_action a =
  pr "%s\n{\n" (c_proto (form a) a);
  pr "  MINNOW_LOCK_FOR_SCOPE (g);\n";
  if a.optargs <> [] then
    pr "  const %s no_optargs = { .bitmask = 0 };\n" (argv_struct a);
  pr "  %s;\n\n" (ret_decl a);
  pr_entry a;
  pr "  if (g->trace)\n    trace_call_%s (%s);\n" a.name (c_call_args ~optargs:"optargs" { a with ret = RErr });
  pr "  ret_v = minnow_impl_%s (%s);\n" a.name (c_call_args ~optargs:"optargs" a);
  pr_trace_return a;
  pr "  return ret_v;\n}\n\n"

let pr_set_args a =
  pr "  memset (&args, 0, sizeof args);\n";
  List.iter (fun (t, n) ->
    match t with
    | String | Device | Mountable | Pathname | Dev_or_Path | Key ->
      pr "  args.%s = (char *) %s;\n" n n
    | OptString -> pr "  args.%s = %s ? (char **) &%s : NULL;\n" n n n
    | StringList | DeviceList ->
      pr "  for (args.%s.%s_len = 0; %s[args.%s.%s_len] != NULL; ++args.%s.%s_len)\n    ;\n"
        n n n n n n n;
      pr "  args.%s.%s_val = (char **) %s;\n" n n n
    | Bool | Int | Int64 -> pr "  args.%s = %s;\n" n n
    | BufferIn ->
      pr "  args.%s.%s_len = %s_size;\n  args.%s.%s_val = (char *) %s;\n" n n n n n n
    | FileIn | FileOut -> ()) a.args;
  List.iter (fun (t, n) ->
    let b = optarg_bitmask a n in
    match t with
    | OBool | OInt | OInt64 ->
      pr "  if (optargs->bitmask & %s)\n    args.%s = optargs->%s;\n" b n n
    | OString ->
      pr "  args.%s = (optargs->bitmask & %s) ? (char *) optargs->%s : (char *) \"\";\n" n b n
    | OStringList ->
      pr "  if (optargs->bitmask & %s) {\n" b;
      pr "    for (args.%s.%s_len = 0; optargs->%s[args.%s.%s_len] != NULL; ++args.%s.%s_len)\n      ;\n"
        n n n n n n n;
      pr "    args.%s.%s_val = (char **) optargs->%s;\n  }\n" n n n) a.optargs

let pr_take_ret a =
  match a.ret with
  | RErr -> pr "  ret_v = 0;\n"
  | RInt | RBool | RInt64 | RString -> pr "  ret_v = ret.value;\n"
  | RStringList | RHashtable ->
    pr "  ret_v = minnow_int_safe_realloc (g, ret.value.value_val,\n";
    pr "                                   (ret.value.value_len + 1) * sizeof (char *));\n";
    pr "  ret_v[ret.value.value_len] = NULL;\n"
  | RStruct s ->
    pr "  ret_v = minnow_int_copy_%s (g, &ret.value);\n" s;
    pr "  xdr_free ((xdrproc_t) xdr_minnow_%s_ret, (char *) &ret);\n" a.name
  | RStructList s ->
    pr "  ret_v = minnow_int_copy_%s_list (g, &ret.value);\n" s;
    pr "  xdr_free ((xdrproc_t) xdr_minnow_%s_ret, (char *) &ret);\n" a.name
  | RBufferOut ->
    pr "  *size_r = ret.value.value_len;\n";
    pr "  ret_v = ret.value.value_val != NULL ? ret.value.value_val\n";
    pr "                                    : minnow_int_safe_malloc (g, 1);\n"
  | RConstString | RConstOptString -> assert false   (* rejected by the checks *)

let pr_daemon_action a =
  let n = a.name in
  let has_args = has_xdr_args a and has_ret = has_xdr_ret a in
  let proc = "MINNOW_PROC_" ^ upper n in
  let file_in = List.find_opt (fun (t, _) -> t = FileIn) a.args in
  let file_out = List.find_opt (fun (t, _) -> t = FileOut) a.args in
  pr "%s\n{\n" (c_proto (form a) a);
  pr "  MINNOW_LOCK_FOR_SCOPE (g);\n";
  if a.optargs <> [] then
    pr "  const %s no_optargs = { .bitmask = 0 };\n" (argv_struct a);
  if has_args then pr "  struct minnow_%s_args args;\n" n;
  if has_ret then pr "  struct minnow_%s_ret ret;\n" n;
  pr "  minnow_message_header hdr;\n  minnow_message_error err;\n  int serial;\n";
  if file_in <> None then pr "  int xfer_fd = -1, xfer_pass = 0;\n";
  if file_out <> None then
    pr "  int xfer_fd = -1, xfer_pass = 0, xfer_created = 0, xfer_failed = 1;\n";
  pr "  %s = %s;\n\n" (ret_decl a) (err_value a);
  pr_entry a;
  pr "  if (minnow_int_check_ready (g, \"%s\") == -1)\n    return %s;\n" n (err_value a);
  pr "  if (g->trace)\n    trace_call_%s (%s);\n\n" n (c_call_args ~optargs:"optargs" { a with ret = RErr });
  if has_args then pr_set_args a;
  (* The host file is opened before the call: a regular file's
     descriptor travels with it (docs/internals.md, "Transfers"). *)
  (match file_in, file_out with
   | Some (_, fn), _ ->
     pr "  xfer_fd = minnow_int_file_in_open (g, %s, &xfer_pass);\n" fn;
     pr "  if (xfer_fd == -1)\n    goto out;\n"
   | None, Some (_, fn) ->
     pr "  xfer_fd = minnow_int_file_out_open (g, %s, &xfer_pass, &xfer_created);\n" fn;
     pr "  if (xfer_fd == -1)\n    goto out;\n"
   | None, None -> ());
  let fd_arg = if file_in <> None || file_out <> None then "xfer_pass ? xfer_fd : -1" else "-1" in
  pr "  serial = minnow_int_send_with_fd (g, %s, 0, %s, %s,\n" proc
    (if a.optargs = [] then "0" else "optargs->bitmask") fd_arg;
  if has_args then
    pr "                                   (xdrproc_t) xdr_minnow_%s_args, (char *) &args);\n" n
  else pr "                                   NULL, NULL);\n";
  pr "  if (serial == -1)\n    goto out;\n";
  (match file_in with
   | Some (_, fn) ->
     pr "  /* -2: the daemon cancelled the stream; its reply says why. */\n";
     pr "  {\n    int fd = xfer_fd;\n\n    xfer_fd = -1;\n";
     pr "    if (minnow_int_file_in_send (g, fd, xfer_pass, %s, serial, %s) == -1)\n      goto out;\n  }\n" proc fn
   | None -> ());
  pr "\n  memset (&hdr, 0, sizeof hdr);\n  memset (&err, 0, sizeof err);\n";
  if has_ret then pr "  memset (&ret, 0, sizeof ret);\n";
  pr "  if (minnow_int_recv (g, \"%s\", &hdr, &err, %s) == -1)\n    goto out;\n" n
    (if has_ret then sprintf "(xdrproc_t) xdr_minnow_%s_ret, (char *) &ret" n else "NULL, NULL");
  pr "  if (minnow_int_check_reply_header (g, &hdr, %s, serial) == -1) {\n" proc;
  pr "    if (hdr.status == MINNOW_STATUS_ERROR)\n";
  pr "      xdr_free ((xdrproc_t) xdr_minnow_message_error, (char *) &err);\n";
  if has_ret then
    pr "    else\n      xdr_free ((xdrproc_t) xdr_minnow_%s_ret, (char *) &ret);\n" n;
  pr "    goto out;\n  }\n";
  pr "  if (hdr.status == MINNOW_STATUS_ERROR) {\n";
  pr "    minnow_int_reply_error (g, \"%s\", &err);\n    goto out;\n  }\n" n;
  (match file_out with
   | Some (_, fn) ->
     pr "  if (minnow_int_file_out_finish (g, xfer_fd, xfer_pass, %s) == -1) {\n" fn;
     if has_ret then pr "    xdr_free ((xdrproc_t) xdr_minnow_%s_ret, (char *) &ret);\n" n;
     pr "    goto out;\n  }\n";
     pr "  xfer_failed = 0;\n"
   | None -> ());
  pr_take_ret a;
  pr "\n out:\n";
  (match file_in, file_out with
   | Some _, _ -> pr "  if (xfer_fd >= 0)\n    close (xfer_fd);\n"
   | None, Some (_, fn) ->
     pr "  if (xfer_fd >= 0 &&\n";
     pr "      minnow_int_file_out_close (g, xfer_fd, xfer_failed, xfer_created, %s) == -1)\n" fn;
     pr "    ret_v = %s;\n" (err_value a)
   | None, None -> ());
  pr "  minnow_int_end_busy (g);\n";
  pr_trace_return a;
  pr "  return ret_v;\n}\n\n"

let generate api =
  generated_by `C;
  pr "/* The client side of every action: stubs that call the daemon, and\n";
  pr " * wrappers around the hand-written minnow_impl_NAME.  The calling\n";
  pr " * sequence is described in docs/internals.md, \"The library\". */\n\n";
  pr "#include <config.h>\n\n";
  pr "#include <errno.h>\n#include <inttypes.h>\n#include <stdio.h>\n";
  pr "#include <stdlib.h>\n#include <string.h>\n#include <unistd.h>\n\n";
  pr "#include \"minnow-internal.h\"\n#include \"actions-internal.h\"\n\n";
  List.iter (fun a ->
    pr_trace_call a;
    if is_daemon a then pr_daemon_action a else pr_library_action a) api.actions;
  let groups = List.sort_uniq compare (List.filter_map (fun a -> a.availability) api.actions) in
  pr "/* The availability groups of api.def (available_all_groups). */\n";
  pr "const char *const minnow_int_availability_groups[] = {\n";
  List.iter (fun g -> pr "  %s,\n" (c_string g)) groups;
  pr "  NULL\n};\n"
