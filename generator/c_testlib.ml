open Types
open Printf
open Utils
open Cnames

let common_errnos = [
  "EPERM"; "ENOENT"; "EIO"; "EBADF"; "ENOMEM"; "EACCES"; "EBUSY"; "EEXIST";
  "ENOTDIR"; "EISDIR"; "EINVAL"; "ENOSPC"; "EROFS"; "ERANGE"; "ENOTEMPTY";
  "ENOTSUP"; "EPROTO"; "EMSGSIZE"; "ETIMEDOUT"; "ECANCELED"; "ESRCH";
  "ENAMETOOLONG"; "ELOOP"; "EFBIG"; "EXDEV"; "ENXIO"; "E2BIG"; "ECHILD";
  "EUCLEAN";
]

let errno_names calls =
  List.concat_map (fun c ->
    let from_args = List.filter_map (function
      | LString s when String.length s > 6 && String.sub s 0 6 = "error:" ->
        Some (String.sub s 6 (String.length s - 6))
      | _ -> None) c.c_args in
    let from_expect = match c.c_expect with Fails (Some e, _) -> [e] | _ -> [] in
    from_args @ from_expect) calls

let pr_helpers api names =
  pr "%s" {|/* Not every program uses every helper. */
#define UNUSED __attribute__((__unused__))

UNUSED static void
render_char (FILE *fp, char c)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *m = open_memstream (&buf, &len);

  if (m == NULL)
    abort ();
  minnow_fprint_quoted (m, &c, 1);
  fclose (m);
  buf[len - 1] = '\'';
  buf[0] = '\'';
  fputs (buf, fp);
  free (buf);
}

UNUSED static void
render_buffer (FILE *fp, const char *s, size_t len)
{
  fprintf (fp, "%zu ", len);
  minnow_fprint_quoted (fp, s, len);
}

UNUSED static void
render_strings (FILE *fp, char *const *l)
{
  size_t i;

  fputc ('[', fp);
  for (i = 0; l[i] != NULL; ++i) {
    if (i > 0)
      fputs (", ", fp);
    minnow_fprint_quoted (fp, l[i], strlen (l[i]));
  }
  fputc (']', fp);
}

UNUSED static void
render_hashtable (FILE *fp, char *const *l)
{
  size_t i;

  fputc ('{', fp);
  for (i = 0; l[i] != NULL && l[i+1] != NULL; i += 2) {
    if (i > 0)
      fputs (", ", fp);
    minnow_fprint_quoted (fp, l[i], strlen (l[i]));
    fputs (": ", fp);
    minnow_fprint_quoted (fp, l[i+1], strlen (l[i+1]));
  }
  fputc ('}', fp);
}

UNUSED static size_t
count_strings (char *const *l)
{
  size_t n = 0;

  while (l[n] != NULL)
    ++n;
  return n;
}

UNUSED static void
free_strings (char **l)
{
  size_t i;

  for (i = 0; l[i] != NULL; ++i)
    free (l[i]);
  free (l);
}

|};
  List.iter (fun st ->
    let n = st.s_name in
    pr "UNUSED static void\nrender_%s (FILE *fp, const struct minnow_%s *v)\n{\n" n n;
    List.iteri (fun i (t, f) ->
      pr "  fputs (\"%s%s = \", fp);\n" (if i = 0 then "{" else ", ") f;
      match t with
      | FString -> pr "  minnow_fprint_quoted (fp, v->%s, strlen (v->%s));\n" f f
      | FBuffer -> pr "  render_buffer (fp, v->%s, v->%s_len);\n" f f
      | FChar -> pr "  render_char (fp, v->%s);\n" f
      | FInt32 -> pr "  fprintf (fp, \"%%\" PRIi32, v->%s);\n" f
      | FUInt32 -> pr "  fprintf (fp, \"%%\" PRIu32, v->%s);\n" f
      | FInt64 -> pr "  fprintf (fp, \"%%\" PRIi64, v->%s);\n" f
      | FUInt64 -> pr "  fprintf (fp, \"%%\" PRIu64, v->%s);\n" f
      | FBool -> pr "  fputs (v->%s ? \"true\" : \"false\", fp);\n" f) st.s_fields;
    pr "  fputc ('}', fp);\n}\n\n";
    pr "UNUSED static void\nrender_%s_list (FILE *fp, const struct minnow_%s_list *v)\n{\n" n n;
    pr "  uint32_t i;\n\n  fputc ('[', fp);\n";
    pr "  for (i = 0; i < v->len; ++i) {\n    if (i > 0)\n      fputs (\", \", fp);\n";
    pr "    render_%s (fp, &v->val[i]);\n  }\n  fputc (']', fp);\n}\n\n" n)
    api.structs;
  let names = List.sort_uniq compare (common_errnos @ names) in
  pr "UNUSED static const char *\nerrno_name (int e)\n{\n";
  List.iter (fun e -> pr "#ifdef %s\n  if (e == %s) return \"%s\";\n#endif\n" e e e) names;
  pr "  return \"unknown errno\";\n}\n\n"

let find_action api name = List.find (fun a -> a.name = name) api.actions

let c_int32 s =
  let n = Int64.of_string s in
  if n = Int64.of_int32 Int32.min_int then "(-2147483647 - 1)" else Int64.to_string n

let c_int64 s =
  let n = Int64.of_string s in
  if n = Int64.min_int then "(-INT64_C(9223372036854775807) - 1)"
  else sprintf "INT64_C(%Ld)" n

let c_strings = function
  | LList [] -> "(char *[]) { NULL }"
  | LList l ->
    sprintf "(char *[]) { %s, NULL }"
      (String.concat ", " (List.map (function LString s -> c_string s | _ -> "NULL") l))
  | _ -> "NULL"

let c_lit_string = function LString s -> c_string s | _ -> "NULL"

let c_arg (t, _) l =
  match t, l with
  | BufferIn, LString s -> sprintf "%s, %d" (c_string s) (String.length s)
  | (StringList | DeviceList), l -> c_strings l
  | Bool, LBool b -> if b then "1" else "0"
  | Int, LInt n -> c_int32 n
  | Int64, LInt n -> c_int64 n
  | _, l -> c_lit_string l

let c_optarg t l =
  match t, l with
  | OBool, LBool b -> if b then "1" else "0"
  | OInt, LInt n -> c_int32 n
  | OInt64, LInt n -> c_int64 n
  | OStringList, l -> c_strings l
  | _, l -> c_lit_string l

let call_expr ?(argv = false) a c =
  let args = List.map2 c_arg a.args c.c_args in
  let size = match a.ret with RBufferOut -> ["&size"] | _ -> [] in
  let opt_type o = fst (List.find (fun (_, n) -> n = o) a.optargs) in
  if a.optargs = [] then
    sprintf "minnow_%s (%s)" a.name (String.concat ", " ("g" :: args @ size))
  else if argv then begin
    let bits = List.map (fun (o, _) -> optarg_bitmask a o) c.c_optargs in
    let fields = List.map (fun (o, l) -> sprintf ".%s = %s" o (c_optarg (opt_type o) l)) c.c_optargs in
    let s = sprintf "&(%s) { .bitmask = %s%s }" (argv_struct a)
        (if bits = [] then "0" else String.concat " | " bits)
        (String.concat "" (List.map (( ^ ) ", ") fields)) in
    sprintf "%s (%s)" (argv_fn a) (String.concat ", " ("g" :: args @ size @ [s]))
  end else begin
    let opts = List.concat_map (fun (o, l) ->
      let t = opt_type o in
      let v = c_optarg t l in
      [optarg_index a o; (match t with OInt64 -> "(int64_t) " ^ v | _ -> v)]) c.c_optargs in
    if opts = [] && once_had_no_optargs a then
      sprintf "minnow_%s (%s)" a.name (String.concat ", " ("g" :: args @ size))
    else
      sprintf "minnow_%s (%s)" (c_name a) (String.concat ", " ("g" :: args @ size @ opts @ ["-1"]))
  end

let result_decl a =
  let t = c_ret_type a.ret in
  if t.[String.length t - 1] = '*' then t ^ "r" else t ^ " r"

let error_cond a =
  match c_err_value a.ret with
  | Some "-1" -> Some "r == -1"
  | Some v -> Some ("r == " ^ v)
  | None -> None

let pr_render ~indent a fp =
  let sp = String.make indent ' ' in
  match a.ret with
  | RErr -> pr "%sfputs (\"ok\", %s);\n" sp fp
  | RBool -> pr "%sfputs (r ? \"true\" : \"false\", %s);\n" sp fp
  | RInt -> pr "%sfprintf (%s, \"%%d\", r);\n" sp fp
  | RInt64 -> pr "%sfprintf (%s, \"%%\" PRIi64, r);\n" sp fp
  | RString | RConstString -> pr "%sminnow_fprint_quoted (%s, r, strlen (r));\n" sp fp
  | RConstOptString ->
    pr "%sif (r == NULL)\n%s  fputs (\"NULL\", %s);\n%selse\n%s  minnow_fprint_quoted (%s, r, strlen (r));\n"
      sp sp fp sp sp fp
  | RStringList -> pr "%srender_strings (%s, r);\n" sp fp
  | RHashtable -> pr "%srender_hashtable (%s, r);\n" sp fp
  | RStruct s -> pr "%srender_%s (%s, r);\n" sp s fp
  | RStructList s -> pr "%srender_%s_list (%s, r);\n" sp s fp
  | RBufferOut -> pr "%srender_buffer (%s, r, size);\n" sp fp

let pr_free ~indent a =
  let sp = String.make indent ' ' in
  match a.ret with
  | RErr | RInt | RBool | RInt64 | RConstString | RConstOptString -> ()
  | RString | RBufferOut -> pr "%sfree (r);\n" sp
  | RStringList | RHashtable -> pr "%sfree_strings (r);\n" sp
  | RStruct s -> pr "%sminnow_free_%s (r);\n" sp s
  | RStructList s -> pr "%sminnow_free_%s_list (r);\n" sp s
