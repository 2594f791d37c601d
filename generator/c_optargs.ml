open Types
open Utils
open Cnames

let last_param a =
  match a.ret with
  | RBufferOut -> "size_r"
  | _ ->
    match List.rev a.args with
    | (BufferIn, n) :: _ -> n ^ "_size"
    | (_, n) :: _ -> n
    | [] -> "g"

let pr_action a =
  let ev = Option.value (c_err_value a.ret) ~default:"NULL" in
  let ret_t = c_ret_type a.ret in
  let ret_var = if ret_t.[String.length ret_t - 1] = '*' then ret_t ^ "r" else ret_t ^ " r" in
  pr "%s\n{\n  va_list optargs;\n  %s;\n\n" (c_proto Plain a) ret_var;
  pr "  va_start (optargs, %s);\n" (last_param a);
  pr "  r = minnow_%s_va (%s, optargs);\n" (c_name a) (c_call_args a);
  pr "  va_end (optargs);\n  return r;\n}\n\n";
  pr "%s\n{\n" (c_proto Va a);
  pr "  %s optargs_s;\n" (argv_struct a);
  pr "  int i;\n  uint64_t i_mask;\n\n";
  pr "  optargs_s.bitmask = 0;\n";
  pr "  while ((i = va_arg (args, int)) >= 0) {\n";
  pr "    switch (i) {\n";
  List.iter (fun (t, n) ->
    pr "    case %s:\n" (optarg_index a n);
    let va = match t with
      | OBool | OInt -> "int"
      | OInt64 -> "int64_t"
      | OString -> "const char *"
      | OStringList -> "char *const *" in
    pr "      optargs_s.%s = va_arg (args, %s);\n      break;\n" n va) a.optargs;
  pr "    default:\n";
  pr "      minnow_int_error_errno (g, EINVAL, \"%%s: unknown optional argument %%d \"\n";
  pr "                              \"(is the list terminated by -1?)\", \"%s\", i);\n" a.name;
  pr "      return %s;\n    }\n" ev;
  pr "    i_mask = UINT64_C(1) << i;\n";
  pr "    if (optargs_s.bitmask & i_mask) {\n";
  pr "      minnow_int_error_errno (g, EINVAL, \"%%s: optional argument %%d given twice\",\n";
  pr "                              \"%s\", i);\n" a.name;
  pr "      return %s;\n    }\n" ev;
  pr "    optargs_s.bitmask |= i_mask;\n  }\n\n";
  pr "  return %s (%s);\n}\n\n" (argv_fn a) (c_call_args ~optargs:"&optargs_s" a);
  if once_had_no_optargs a then begin
    pr "/* The fixed-arity form libguestfs programs call by this name. */\n";
    pr "%s\n{\n" (c_proto Fixed a);
    pr "  return %s (%s);\n}\n\n" (argv_fn a) (c_call_args ~optargs:"NULL" a)
  end

let generate api =
  generated_by `C;
  pr "/* The varargs forms of the actions with optional arguments. */\n\n";
  pr "#include <config.h>\n\n#include <errno.h>\n#include <stdarg.h>\n#include <stdint.h>\n\n";
  pr "#include \"minnow-internal.h\"\n\n";
  List.iter (fun a -> if a.optargs <> [] then pr_action a) api.actions
