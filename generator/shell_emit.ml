open Types
open Printf
open Utils

(* The command spelling users see first: part-disk for part_disk. *)
let dashed n = String.map (fun c -> if c = '_' then '-' else c) n

(* Integer arguments that count bytes: they accept unit suffixes (4K,
   10M, 1GiB).  api.def names byte counts consistently, so the name says
   it. *)
let size_names = [
  "size"; "length"; "offset"; "srcoffset"; "destoffset";
  "blocksize"; "clustersize"; "sectorsize"; "count";
]
let is_size n = List.mem n size_names

(* Key arguments are not typed on the command line: the shell prompts. *)
let cmdline_args a = List.filter (fun (t, _) -> t <> Key) a.args

(* What the argument is, for the synopsis. *)
let arg_word (t, n) =
  match t with
  | StringList | DeviceList -> sprintf "'%s ...'" n
  | Bool -> n ^ ":bool"
  | Int | Int64 when is_size n -> n ^ ":size"
  | FileIn | FileOut -> n ^ "|-"
  | OptString -> n ^ "|NULL"
  | String | Device | Mountable | Pathname | Dev_or_Path | Int | Int64
  | BufferIn | Key -> n

let optarg_word (t, n) =
  match t with
  | OBool -> sprintf "[%s:true|false]" n
  | OInt | OInt64 when is_size n -> sprintf "[%s:SIZE]" n
  | OInt | OInt64 -> sprintf "[%s:N]" n
  | OString -> sprintf "[%s:..]" n
  | OStringList -> sprintf "[%s:'A B ...']" n

let synopsis a =
  String.concat " "
    ((dashed a.name :: List.map arg_word (cmdline_args a))
     @ List.map optarg_word a.optargs)

(* One completion class per command-line argument: d device, p path in
   the image, b either, f host file, o nothing. *)
let completion_class (t, n) =
  match t with
  | Device | DeviceList | Mountable -> 'd'
  | Pathname -> 'p'
  | Dev_or_Path -> 'b'
  | FileIn | FileOut -> 'f'
  | String when n = "filename" -> 'f'
  | String | OptString | StringList | Bool | Int | Int64 | BufferIn | Key -> 'o'

let help_text a =
  let text =
    Binding_utils.pod_to_text ~call:(fun n -> "'" ^ dashed n ^ "'") a.longdesc in
  let key_note =
    if List.exists (fun (t, _) -> t = Key) a.args then
      "\n\nThe key is not typed on the command line: the shell asks for it \
       (from standard input with --keys-from-stdin)."
    else "" in
  let sizes =
    List.filter_map (fun (t, n) ->
      match t with Int | Int64 when is_size n -> Some n | _ -> None) a.args
    @ List.filter_map (fun (t, n) ->
      match t with OInt | OInt64 when is_size n -> Some n | _ -> None) a.optargs in
  let size_note =
    if sizes = [] then ""
    else sprintf "\n\n%s: a number of bytes, or with a unit: 4K, 10M, 1G, 1GiB \
                  (powers of 1024) or 1KB, 1MB, 1GB (powers of 1000)."
        (String.concat ", " sizes) in
  let depr = List.filter_map (function
    | Deprecated_by o -> Some (sprintf "\n\nDeprecated: use '%s' instead." (dashed o))
    | Protocol_limit_warning | Not_in_docs | Once_had_no_optargs -> None) a.flags in
  sprintf "%s - %s\n\n %s\n\n%s%s%s%s\n" (dashed a.name) a.shortdesc (synopsis a)
    text key_note size_note (String.concat "" depr)

(* C string literal of long text, one source line per text line. *)
let pr_c_text indent s =
  let lines = String.split_on_char '\n' s in
  let n = List.length lines in
  List.iteri (fun i l ->
    let l = if i < n - 1 then l ^ "\n" else l in
    if l <> "" || i = 0 then pr "%s%s\n" indent (c_string l)) lines

let pr_parse_arg k (t, n) =
  let v = "a_" ^ n and w = sprintf "argv[%d]" k in
  match t with
  | String | Device | Mountable | Pathname | Dev_or_Path ->
    pr "  %s = %s;\n" v w
  | OptString -> pr "  %s = shell_optstring (%s);\n" v w
  | StringList | DeviceList ->
    pr "  %s = shell_parse_list (cmd, \"%s\", %s);\n" v n w;
    pr "  if (%s == NULL) goto out;\n" v
  | Bool ->
    pr "  if (shell_parse_bool (cmd, \"%s\", %s, &%s) == -1) goto out;\n" n w v
  | Int ->
    pr "  if (shell_parse_%s (cmd, \"%s\", %s, &%s) == -1) goto out;\n"
      (if is_size n then "size_int" else "int") n w v
  | Int64 ->
    pr "  if (shell_parse_%s (cmd, \"%s\", %s, &%s) == -1) goto out;\n"
      (if is_size n then "size" else "int64") n w v
  | BufferIn -> pr "  %s = %s;\n  %s_size = strlen (%s);\n" v w v w
  | FileIn -> pr "  %s = shell_file_in (%s);\n" v w
  | FileOut -> pr "  %s = shell_file_out (%s);\n" v w
  | Key -> assert false

let pr_decl (t, n) =
  let v = "a_" ^ n in
  match t with
  | String | Device | Mountable | Pathname | Dev_or_Path | OptString
  | FileIn | FileOut -> pr "  const char *%s = NULL;\n" v
  | StringList | DeviceList -> pr "  char **%s = NULL;\n" v
  | Bool | Int -> pr "  int %s = 0;\n" v
  | Int64 -> pr "  int64_t %s = 0;\n" v
  | BufferIn -> pr "  const char *%s = NULL;\n  size_t %s_size = 0;\n" v v
  | Key -> pr "  char *%s = NULL;\n" v

let call_args a =
  let args = List.concat_map (fun (t, n) ->
    match t with
    | BufferIn -> ["a_" ^ n; "a_" ^ n ^ "_size"]
    | StringList | DeviceList -> [sprintf "(char *const *) a_%s" n]
    | _ -> ["a_" ^ n]) a.args in
  let size = match a.ret with RBufferOut -> ["&r_size"] | _ -> [] in
  let opt = if a.optargs = [] then [] else ["&optargs"] in
  String.concat ", " (("g" :: args) @ size @ opt)

let pr_struct_printer api (st : struct_decl) =
  ignore api;
  pr "static void\nprint_%s (const struct minnow_%s *s, int index)\n{\n"
    st.s_name st.s_name;
  pr "  shell_struct_begin (index);\n";
  List.iter (fun (t, n) ->
    match t with
    | FString -> pr "  shell_field_string (\"%s\", s->%s);\n" n n
    | FBuffer -> pr "  shell_field_buffer (\"%s\", s->%s, s->%s_len);\n" n n n
    | FChar -> pr "  shell_field_char (\"%s\", s->%s);\n" n n
    | FInt32 | FInt64 -> pr "  shell_field_int (\"%s\", s->%s);\n" n n
    | FUInt32 | FUInt64 -> pr "  shell_field_uint (\"%s\", s->%s);\n" n n
    | FBool -> pr "  shell_field_bool (\"%s\", s->%s);\n" n n) st.s_fields;
  pr "  shell_struct_end ();\n}\n\n"

let pr_run a =
  let args = cmdline_args a in
  let nreq = List.length args and nopt = List.length a.optargs in
  if a.optargs <> [] then begin
    pr "static const char *const optargs_%s[] = {" a.name;
    List.iter (fun (_, n) -> pr " \"%s\"," n) a.optargs;
    pr " NULL };\n\n"
  end;
  pr "/* api.def:%d */\nstatic int\nrun_%s (const char *cmd, int argc, char *argv[])\n{\n"
    a.line a.name;
  pr "  int ret = -1;\n";
  List.iter pr_decl a.args;
  List.iter (fun (t, n) ->
    if t = OStringList then pr "  char **o_%s = NULL;\n" n) a.optargs;
  if a.optargs <> [] then
    pr "  struct minnow_%s_argv optargs = { .bitmask = 0 };\n  int i;\n"
      (Cnames.c_name a);
  (match a.ret with
   | RErr | RInt | RBool -> pr "  int r;\n"
   | RInt64 -> pr "  int64_t r;\n"
   | RConstString | RConstOptString -> pr "  const char *r;\n"
   | RString -> pr "  char *r;\n"
   | RStringList | RHashtable -> pr "  char **r;\n"
   | RStruct s -> pr "  struct minnow_%s *r;\n" s
   | RStructList s -> pr "  struct minnow_%s_list *r;\n" s
   | RBufferOut -> pr "  char *r;\n  size_t r_size;\n");
  pr "\n  if (argc < %d || argc > %d)\n" nreq (nreq + nopt);
  pr "    return shell_wrong_args (cmd, %d, %d, argc);\n" nreq nopt;
  List.iteri pr_parse_arg args;
  List.iter (fun (t, n) ->
    if t = Key then begin
      pr "  a_%s = shell_read_key (cmd, \"%s\");\n" n n;
      pr "  if (a_%s == NULL) goto out;\n" n
    end) a.args;
  if a.optargs <> [] then begin
    pr "  for (i = %d; i < argc; ++i) {\n" nreq;
    pr "    const char *value;\n\n";
    pr "    switch (shell_optarg (cmd, argv[i], optargs_%s, &value)) {\n" a.name;
    List.iteri (fun i (t, n) ->
      pr "    case %d:\n" i;
      (match t with
       | OBool ->
         pr "      if (shell_parse_bool (cmd, \"%s\", value, &optargs.%s) == -1) goto out;\n" n n
       | OInt ->
         pr "      if (shell_parse_%s (cmd, \"%s\", value, &optargs.%s) == -1) goto out;\n"
           (if is_size n then "size_int" else "int") n n
       | OInt64 ->
         pr "      if (shell_parse_%s (cmd, \"%s\", value, &optargs.%s) == -1) goto out;\n"
           (if is_size n then "size" else "int64") n n
       | OString -> pr "      optargs.%s = value;\n" n
       | OStringList ->
         pr "      shell_free_list (o_%s);\n" n;
         pr "      o_%s = shell_parse_list (cmd, \"%s\", value);\n" n n;
         pr "      if (o_%s == NULL) goto out;\n" n;
         pr "      optargs.%s = (char *const *) o_%s;\n" n n);
      pr "      optargs.bitmask |= %s;\n      break;\n" (Cnames.optarg_bitmask a n))
      a.optargs;
    pr "    default:\n      goto out;\n    }\n  }\n";
    (* Read-only by default: an action that can open something read-only
       does so unless the user gave --rw or said readonly:false. *)
    if List.mem (OBool, "readonly") a.optargs then begin
      pr "  if (!(optargs.bitmask & %s) && !shell_read_write) {\n"
        (Cnames.optarg_bitmask a "readonly");
      pr "    optargs.readonly = 1;\n";
      pr "    optargs.bitmask |= %s;\n  }\n" (Cnames.optarg_bitmask a "readonly")
    end
  end;
  let fn = if a.optargs = [] then "minnow_" ^ a.name
    else "minnow_" ^ Cnames.c_name a ^ "_argv" in
  pr "\n  r = %s (%s);\n" fn (call_args a);
  (match Cnames.c_err_value a.ret with
   | Some e -> pr "  if (r == %s) {\n    shell_failed (cmd);\n    goto out;\n  }\n" e
   | None -> ());
  (match a.ret with
   | RErr -> pr "  shell_print_none ();\n"
   | RInt | RInt64 -> pr "  shell_print_int (r);\n"
   | RBool -> pr "  shell_print_bool (r);\n"
   | RConstString | RConstOptString -> pr "  shell_print_string (r);\n"
   | RString -> pr "  shell_print_string (r);\n  free (r);\n"
   | RStringList -> pr "  shell_print_string_list (r);\n  shell_free_list (r);\n"
   | RHashtable -> pr "  shell_print_hashtable (r);\n  shell_free_list (r);\n"
   | RStruct s -> pr "  print_%s (r, -1);\n  minnow_free_%s (r);\n" s s
   | RStructList s ->
     pr "  shell_list_begin ();\n";
     pr "  for (size_t j = 0; j < r->len; ++j)\n    print_%s (&r->val[j], (int) j);\n" s;
     pr "  shell_list_end ();\n  minnow_free_%s_list (r);\n" s
   | RBufferOut -> pr "  shell_print_buffer (r, r_size);\n  free (r);\n");
  pr "  ret = 0;\n";
  pr " out: __attribute__ ((unused));\n";
  List.iter (fun (t, n) ->
    match t with
    | StringList | DeviceList -> pr "  shell_free_list (a_%s);\n" n
    | Key -> pr "  shell_free_key (a_%s);\n" n
    | _ -> ()) a.args;
  List.iter (fun (t, n) ->
    if t = OStringList then pr "  shell_free_list (o_%s);\n" n) a.optargs;
  pr "  return ret;\n}\n\n"

let generate_commands api =
  generated_by `C;
  pr "/* The shell's command table: one command per action of api.def. */\n\n";
  pr "#include <config.h>\n\n#include <stdint.h>\n#include <stdlib.h>\n";
  pr "#include <string.h>\n\n#include \"minnow.h\"\n#include \"shell.h\"\n\n";
  List.iter (fun (st, _) -> pr_struct_printer api st) (Binding_utils.used_structs api);
  List.iter pr_run api.actions;
  pr "const struct shell_command shell_actions[] = {\n";
  List.iter (fun a ->
    let args = cmdline_args a in
    pr "  { .name = \"%s\", .run = run_%s,\n" a.name a.name;
    pr "    .nr_args = %d, .nr_optargs = %d,\n" (List.length args) (List.length a.optargs);
    pr "    .complete = \"%s\",\n"
      (String.init (List.length args) (fun i -> completion_class (List.nth args i)));
    pr "    .optargs = %s,\n"
      (if a.optargs = [] then "NULL" else "optargs_" ^ a.name);
    pr "    .daemon = %d, .in_docs = %d,\n" (if is_daemon a then 1 else 0)
      (if List.mem Not_in_docs a.flags then 0 else 1);
    pr "    .shortdesc = %s,\n" (c_string a.shortdesc);
    pr "    .help =\n";
    pr_c_text "      " (help_text a);
    pr "  },\n") api.actions;
  pr "};\n\nconst size_t shell_nr_actions = %d;\n" (List.length api.actions)

(* POD links between calls name the shell's commands. *)
let pod_for_shell s =
  let re = Str.regexp "C<minnow_\\([a-z0-9_]+\\)>" in
  Str.global_substitute re (fun s -> "C<" ^ dashed (Str.matched_group 1 s) ^ ">") s

let generate_pod api =
  generated_by `Pod;
  List.iter (fun a ->
    if not (List.mem Not_in_docs a.flags) then begin
      pr "=head2 %s\n\n" (dashed a.name);
      pr " %s\n\n" (synopsis a);
      pr "%s\n\n" (pod_for_shell (unindent a.longdesc));
      if List.exists (fun (t, _) -> t = Key) a.args then
        pr "The key is not typed on the command line: the shell asks for it.\n\n";
      List.iter (function
        | Deprecated_by o -> pr "I<Deprecated:> use L</%s> instead.\n\n" (dashed o)
        | Protocol_limit_warning | Not_in_docs | Once_had_no_optargs -> ()) a.flags
    end) api.actions

let generate_bash_completion api =
  generated_by `Hash;
  pr "# bash completion for minnow(1): options, then command names (both\n";
  pr "# spellings), then host files.  Paths inside the image are completed by\n";
  pr "# the shell itself in interactive mode.\n\n";
  let names = List.concat_map (fun a ->
    if String.contains a.name '_' then [dashed a.name; a.name] else [a.name])
      api.actions in
  let shell_cmds = [
    "help"; "quit"; "exit"; "lcd"; "echo"; "time"; "glob"; "alloc";
    "allocate"; "sparse"; "reopen"; "supported"; "display"; "less"; "more";
    "edit"; "vi"; "emacs"; "run" ] in
  pr "_minnow_commands=\"%s\"\n\n" (String.concat " " (shell_cmds @ names));
  pr "_minnow ()\n{\n";
  pr "  local cur prev\n";
  pr "  cur=\"${COMP_WORDS[COMP_CWORD]}\"\n";
  pr "  prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n";
  pr "  case \"$prev\" in\n";
  pr "    -a|--add|-f|--file)\n";
  pr "      COMPREPLY=( $(compgen -f -- \"$cur\") ); return 0 ;;\n";
  pr "    --format)\n";
  pr "      COMPREPLY=( $(compgen -W \"raw json text\" -- \"$cur\") ); return 0 ;;\n";
  pr "  esac\n";
  pr "  case \"$cur\" in\n";
  pr "    -*)\n";
  pr "      COMPREPLY=( $(compgen -W \"-a --add -f --file -m --mount -N --new -w --rw -x -v --verbose --format= --listen --remote --keys-from-stdin --progress-bars --no-progress-bars --help --version\" -- \"$cur\") )\n";
  pr "      return 0 ;;\n";
  pr "  esac\n";
  pr "  COMPREPLY=( $(compgen -W \"$_minnow_commands\" -- \"$cur\") $(compgen -f -- \"$cur\") )\n";
  pr "}\n";
  pr "complete -F _minnow minnow\n"

let sh_quote s = "'" ^ replace_str s "'" "'\\''" ^ "'"

let generate_test api =
  generated_by `Hash;
  pr "# Every action of api.def is a command of minnow(1) under both spellings,\n";
  pr "# reached through the command table (a wrong argument count is reported\n";
  pr "# by the command, not as an unknown command), and has a help entry that\n";
  pr "# starts with its name and short description.\n";
  pr "minnow=\"${MINNOW_SHELL:-$MINNOW_BUILDDIR/shell/minnow}\"\n";
  pr "tmp=$(mktemp -d)\ntrap 'rm -rf \"$tmp\"' EXIT\n";
  pr "echo 1..%d\n" (2 * List.length api.actions);
  pr "n=0\nfailed=0\n";
  pr "check () {\n";
  pr "  n=$((n + 1))\n";
  pr "  spelling=$1 dashed=$2 short=$3 toomany=$4\n";
  pr "  printf 'help %%s\\n-%%s %%s\\n' \"$spelling\" \"$spelling\" \"$toomany\" |\n";
  pr "    \"$minnow\" > \"$tmp/out\" 2> \"$tmp/err\"\n";
  pr "  if [ \"$(head -n 1 \"$tmp/out\")\" = \"$dashed - $short\" ] &&\n";
  pr "     grep -q \"^minnow: $spelling: wrong number of arguments\" \"$tmp/err\"; then\n";
  pr "    echo \"ok $n - $spelling\"\n";
  pr "  else\n";
  pr "    echo \"not ok $n - $spelling\"\n";
  pr "    echo \"# expected: $dashed - $short, then $spelling: wrong number of arguments\"\n";
  pr "    head -n 3 \"$tmp/out\" \"$tmp/err\" | sed 's/^/# got: /'\n";
  pr "    failed=1\n";
  pr "  fi\n";
  pr "}\n";
  List.iter (fun a ->
    let too_many =
      String.concat " " (List.init (List.length (cmdline_args a) + List.length a.optargs + 1)
                           (fun _ -> "x")) in
    pr "check %s %s %s %s\n" a.name (dashed a.name) (sh_quote a.shortdesc) (sh_quote too_many);
    pr "check %s %s %s %s\n" (dashed a.name) (dashed a.name) (sh_quote a.shortdesc)
      (sh_quote too_many)) api.actions;
  pr "exit $failed\n"
