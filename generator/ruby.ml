open Types
open Printf
open Utils

(* ------------------------------------------------------------ C *)

let pr_struct_copy st =
  let n = st.s_name in
  pr "static VALUE\ncopy_%s (const struct minnow_%s *s)\n{\n" n n;
  pr "  VALUE h = rb_hash_new ();\n\n";
  List.iter (fun (t, f) ->
    let v = match t with
      | FString -> sprintf "rb_str_new2 (s->%s)" f
      | FBuffer -> sprintf "rb_str_new (s->%s, s->%s_len)" f f
      | FChar -> sprintf "INT2NUM ((unsigned char) s->%s)" f   (* an Integer, as libguestfs *)
      | FInt32 -> sprintf "INT2NUM (s->%s)" f
      | FUInt32 -> sprintf "UINT2NUM (s->%s)" f
      | FInt64 -> sprintf "LL2NUM (s->%s)" f
      | FUInt64 -> sprintf "ULL2NUM (s->%s)" f
      | FBool -> sprintf "(s->%s ? Qtrue : Qfalse)" f in
    pr "  rb_hash_aset (h, rb_str_new2 (\"%s\"), %s);\n" f v) st.s_fields;
  pr "  return h;\n}\n\n"

(* An rdoc comment (call-seq and the text of api.def). *)
let pr_doc a =
  let args = List.map snd a.args in
  let args = if a.optargs = [] then args
    else args @ ["{" ^ String.concat ", " (List.map (fun (_, n) -> n ^ ": ...") a.optargs) ^ "}"] in
  let ret = match a.ret with
    | RErr -> "nil" | RInt | RInt64 -> "Integer" | RBool -> "Integer (1 or 0)"
    | RConstString | RString | RBufferOut -> "String"
    | RConstOptString -> "String or nil" | RStringList -> "Array of String"
    | RHashtable -> "Hash" | RStruct _ -> "Hash" | RStructList _ -> "Array of Hash" in
  let text = Binding_utils.pod_to_text ~call:(fun n -> "Minnow#" ^ n) a.longdesc in
  let text = replace_str text "*/" "* /" in
  pr "/*\n * call-seq:\n *   g.%s(%s) -> %s\n *\n * %s.\n *\n" a.name
    (String.concat ", " args) ret (String.capitalize_ascii a.shortdesc);
  List.iter (fun l -> pr " *%s\n" (if l = "" then "" else " " ^ l))
    (String.split_on_char '\n' text);
  pr " */\n"

(* The arguments and result of one call, for rb_thread_call_without_gvl. *)
let pr_call_struct a =
  pr "struct %s_call {\n  minnow_h *g;\n" a.name;
  List.iter (fun p -> pr "  %s;\n" p) (List.concat_map Cnames.c_arg_params a.args);
  if a.optargs <> [] then pr "  const %s *optargs;\n" (Cnames.argv_struct a);
  let rt = Cnames.c_ret_type a.ret in
  pr "  %s%sr;\n" rt (if rt.[String.length rt - 1] = '*' then "" else " ");
  if a.ret = RBufferOut then pr "  size_t size;\n";
  pr "};\n\n";
  pr "static void *\n%s_without_gvl (void *p)\n{\n  struct %s_call *c = p;\n\n" a.name a.name;
  let args = List.concat_map (fun (t, n) ->
    match t with BufferIn -> ["c->" ^ n; "c->" ^ n ^ "_size"] | _ -> ["c->" ^ n]) a.args in
  let args = ("c->g" :: args) @ (if a.ret = RBufferOut then ["&c->size"] else [])
             @ (if a.optargs <> [] then ["c->optargs"] else []) in
  pr "  c->r = %s (%s);\n  return NULL;\n}\n\n"
    (if a.optargs <> [] then Cnames.argv_fn a else "minnow_" ^ a.name) (String.concat ", " args)

let pr_method a =
  let nargs = List.length a.args in
  pr_call_struct a;
  pr_doc a;
  pr "static VALUE\nruby_minnow_%s (int argc, VALUE *argv, VALUE self)\n{\n" a.name;
  pr "  minnow_h *g = minnow_rb_handle (self, \"%s\");\n" a.name;
  (match a.ret with
   | RErr | RInt | RBool -> pr "  int r;\n"
   | RInt64 -> pr "  int64_t r;\n"
   | RConstString | RConstOptString -> pr "  const char *r;\n"
   | RString -> pr "  char *r;\n"
   | RStringList | RHashtable -> pr "  char **r;\n"
   | RStruct s -> pr "  struct minnow_%s *r;\n" s
   | RStructList s -> pr "  struct minnow_%s_list *r;\n  uint32_t i;\n" s
   | RBufferOut -> pr "  char *r;\n  size_t size;\n");
  pr "  VALUE rv;\n";
  List.iter (fun (t, n) ->
    match t with
    | String | Device | Mountable | Pathname | Dev_or_Path | Key | FileIn | FileOut
    | OptString -> pr "  const char *%s;\n" n
    | StringList | DeviceList -> pr "  char **%s;\n" n
    | Bool | Int -> pr "  int %s;\n" n
    | Int64 -> pr "  int64_t %s;\n" n
    | BufferIn -> pr "  const char *%s;\n  size_t %s_size;\n" n n) a.args;
  if a.optargs <> [] then begin
    pr "  %s optargs = { .bitmask = 0 };\n" (Cnames.argv_struct a);
    pr "  VALUE opts = Qnil, v;\n  long found = 0;\n";
    List.iter (fun (t, n) ->
      match t with OStringList -> pr "  char **%s = NULL;\n" n | _ -> ()) a.optargs
  end;
  pr "\n";
  if a.optargs = [] then
    pr "  if (argc != %d)\n    rb_raise (rb_eArgError, \"%s: expected %d argument%s, got %%d\", argc);\n"
      nargs a.name nargs (if nargs = 1 then "" else "s")
  else begin
    pr "  if (argc == %d && RB_TYPE_P (argv[%d], T_HASH))\n    opts = argv[%d];\n" (nargs + 1) nargs nargs;
    pr "  else if (argc != %d)\n" nargs;
    pr "    rb_raise (rb_eArgError, \"%s: expected %d argument%s and an optional hash, got %%d\", argc);\n"
      a.name nargs (if nargs = 1 then "" else "s")
  end;
  List.iteri (fun i (t, n) ->
    let v = sprintf "argv[%d]" i in
    match t with
    | String | Device | Mountable | Pathname | Dev_or_Path | Key | FileIn | FileOut ->
      pr "  %s = StringValueCStr (%s);\n" n v
    | OptString -> pr "  %s = NIL_P (%s) ? NULL : StringValueCStr (%s);\n" n v v
    | StringList | DeviceList -> pr "  %s = minnow_rb_string_list (%s, \"%s\");\n" n v n
    | Bool -> pr "  %s = RTEST (%s);\n" n v
    | Int -> pr "  %s = NUM2INT (%s);\n" n v
    | Int64 -> pr "  %s = NUM2LL (%s);\n" n v
    | BufferIn ->
      pr "  StringValue (%s);\n  %s = RSTRING_PTR (%s);\n  %s_size = RSTRING_LEN (%s);\n" v n v n v) a.args;
  if a.optargs <> [] then begin
    pr "  if (!NIL_P (opts)) {\n";
    List.iter (fun (t, n) ->
      pr "    v = minnow_rb_option (opts, \"%s\");\n" n;
      pr "    if (v != Qundef) {\n      found++;\n";
      pr "      optargs.bitmask |= %s;\n" (Cnames.optarg_bitmask a n);
      (match t with
       | OBool -> pr "      optargs.%s = RTEST (v);\n" n
       | OInt -> pr "      optargs.%s = NUM2INT (v);\n" n
       | OInt64 -> pr "      optargs.%s = NUM2LL (v);\n" n
       | OString -> pr "      optargs.%s = StringValueCStr (v);\n" n
       | OStringList ->
         pr "      %s = minnow_rb_string_list (v, \"%s\");\n" n n;
         pr "      optargs.%s = (char *const *) %s;\n" n n);
      pr "    }\n") a.optargs;
    pr "    if ((long) RHASH_SIZE (opts) != found)\n";
    pr "      rb_raise (rb_eArgError, \"%s: unknown optional argument (known: %s)\");\n"
      a.name (String.concat ", " (List.map snd a.optargs));
    pr "  }\n"
  end;
  let args = List.concat_map (fun (t, n) ->
    match t with
    | BufferIn -> [n; n ^ "_size"]
    | StringList | DeviceList -> [sprintf "(char *const *) %s" n]
    | _ -> [n]) a.args in
  let call_args = String.concat ", "
      (("g" :: args) @ (match a.ret with RBufferOut -> ["&size"] | _ -> [])
       @ (if a.optargs <> [] then ["&optargs"] else [])) in
  ignore call_args;
  (* The call runs without the GVL, so that other Ruby threads run. *)
  let fields = List.concat_map (fun (t, n) ->
    match t with BufferIn -> [n; n ^ "_size"] | _ -> [n]) a.args
    @ (if a.optargs <> [] then ["optargs"] else []) in
  pr "\n  {\n    struct %s_call call_s = { g%s };\n" a.name
    (String.concat "" (List.map (fun f ->
       if f = "optargs" then ", &optargs"
       else if List.exists (fun (t, n) -> n = f && (t = StringList || t = DeviceList)) a.args
       then sprintf ", (char *const *) %s" f
       else ", " ^ f) fields));
  pr "    rb_thread_call_without_gvl (%s_without_gvl, &call_s, NULL, NULL);\n" a.name;
  pr "    r = call_s.r;\n";
  if a.ret = RBufferOut then pr "    size = call_s.size;\n";
  pr "  }\n";
  List.iter (fun (t, n) ->
    match t with
    | StringList | DeviceList -> pr "  minnow_rb_free_strings (%s);\n" n
    | _ -> ()) a.args;
  List.iter (fun (t, n) ->
    match t with OStringList -> pr "  minnow_rb_free_strings (%s);\n" n | _ -> ()) a.optargs;
  (match Cnames.c_err_value a.ret with
   | Some e -> pr "  if (r == %s)\n    minnow_rb_raise_error (g);\n" e
   | None -> ());
  (match a.ret with
   | RErr -> pr "  rv = Qnil;\n"
   | RInt -> pr "  rv = INT2NUM (r);\n"
   | RInt64 -> pr "  rv = LL2NUM (r);\n"
   | RBool -> pr "  rv = INT2NUM (r);   /* 1 or 0, as libguestfs */\n"
   | RConstString -> pr "  rv = rb_str_new2 (r);\n"
   | RConstOptString -> pr "  rv = r ? rb_str_new2 (r) : Qnil;\n"
   | RString -> pr "  rv = rb_str_new2 (r);\n  free (r);\n"
   | RStringList -> pr "  rv = minnow_rb_string_array (r);\n  minnow_rb_free_strings (r);\n"
   | RHashtable -> pr "  rv = minnow_rb_hash (r);\n  minnow_rb_free_strings (r);\n"
   | RStruct s -> pr "  rv = copy_%s (r);\n  minnow_free_%s (r);\n" s s
   | RStructList s ->
     pr "  rv = rb_ary_new2 (r->len);\n";
     pr "  for (i = 0; i < r->len; ++i)\n    rb_ary_push (rv, copy_%s (&r->val[i]));\n" s;
     pr "  minnow_free_%s_list (r);\n" s
   | RBufferOut -> pr "  rv = rb_str_new (r, size);\n  free (r);\n");
  pr "  return rv;\n}\n\n"

let generate_ext api =
  generated_by `C;
  pr "/* The Ruby binding: one method of Minnow::Minnow per action of\n";
  pr " * api.def.  The handle, errors and events are in handle-rb.c\n";
  pr " * (hand-written). */\n\n";
  pr "#include <stdint.h>\n#include <stdlib.h>\n\n#include <ruby.h>\n#include <ruby/thread.h>\n\n";
  pr "#include \"minnow.h\"\n#include \"minnow-rb.h\"\n\n";
  List.iter (fun (st, _) -> pr_struct_copy st) (Binding_utils.used_structs api);
  List.iter pr_method api.actions;
  pr "void Init__minnow (void);\n\n";
  pr "void\nInit__minnow (void)\n{\n";
  pr "  VALUE m = rb_define_module (\"Minnow\");\n";
  pr "  /* Defined here, where rdoc attaches the methods below to it. */\n";
  pr "  VALUE c = rb_define_class_under (m, \"Minnow\", rb_cObject);\n\n";
  pr "  minnow_rb_init_handle (m, c);\n";
  List.iter (fun e ->
    pr "  rb_define_const (m, \"EVENT_%s\", ULL2NUM (0x%x));\n" (String.uppercase_ascii e.e_name) e.e_bit)
    api.events;
  pr "  rb_define_const (m, \"EVENT_ALL\", ULL2NUM (0x%x));\n"
    (List.fold_left (fun m e -> m lor e.e_bit) 0 api.events);
  List.iter (fun a ->
    pr "  rb_define_method (c, \"%s\", ruby_minnow_%s, -1);\n" a.name a.name;
    if once_had_no_optargs a then
      pr "  rb_define_method (c, \"%s_opts\", ruby_minnow_%s, -1);\n" a.name a.name) api.actions;
  pr "}\n"

(* ------------------------------------------------------------ tests *)

let rb_string s = Utils.quoted_literal ~also:['#'] s

let rec rb_lit = function
  | LString s -> rb_string s
  | LInt n -> Render.int n
  | LBool b -> string_of_bool b
  | LNull -> "nil"
  | LList l -> "[" ^ String.concat ", " (List.map rb_lit l) ^ "]"

let rb_call (s : Binding_utils.step) =
  let a = s.st_action and c = s.st_call in
  let args = List.map rb_lit c.c_args in
  let opts = List.map (fun (o, l) -> sprintf "%s: %s" o (rb_lit l)) c.c_optargs in
  let args = if opts = [] then args else args @ ["{" ^ String.concat ", " opts ^ "}"] in
  sprintf "g.%s(%s)" a.name (String.concat ", " args)

let rb_render ret v =
  match ret with
  | RErr -> "\"ok\""
  | RInt | RInt64 -> sprintf "(%s).to_s" v
  | RBool -> sprintf "render_bool(%s)" v
  | RConstString | RString -> sprintf "render_string(%s)" v
  | RConstOptString -> sprintf "render_opt_string(%s)" v
  | RStringList -> sprintf "render_strings(%s)" v
  | RHashtable -> sprintf "render_hashtable(%s)" v
  | RStruct s -> sprintf "render_%s(%s)" s v
  | RStructList s -> sprintf "\"[\" + (%s).map { |x| render_%s(x) }.join(\", \") + \"]\"" v s
  | RBufferOut -> sprintf "render_buffer(%s)" v

let field_render t v =
  match t with
  | FString -> sprintf "render_string(%s)" v
  | FBuffer -> sprintf "render_buffer(%s)" v
  | FChar -> sprintf "render_char(%s)" v
  | FInt32 | FUInt32 | FInt64 | FUInt64 -> sprintf "(%s).to_s" v
  | FBool -> sprintf "render_bool(%s)" v

let pr_renderers api =
  pr "%s" {|def render_string(s)
  r = "\"".b
  s.each_byte do |c|
    case c
    when 0x5c then r << "\\\\"
    when 0x22 then r << "\\\""
    when 0x0a then r << "\\n"
    when 0x09 then r << "\\t"
    when 0x0d then r << "\\r"
    else
      if c < 0x20 || c == 0x7f
        r << ("\\x%02x" % c)
      else
        r << c.chr
      end
    end
  end
  r << "\""
  r
end

def render_opt_string(s)
  s.nil? ? "NULL" : render_string(s)
end

# Bools are Integers (1 or 0), chars Integer codes, as in libguestfs.
def render_bool(b)
  (b == true || b == 1) ? "true" : "false"
end

def render_char(c)
  c = c.chr if c.is_a?(Integer)
  q = render_string(c)
  "'" + q[1..-2] + "'"
end

def render_buffer(b)
  "#{b.bytesize} ".b + render_string(b)
end

def render_strings(l)
  "[" + l.map { |s| render_string(s) }.join(", ") + "]"
end

def render_hashtable(h)
  "{" + h.map { |k, v| render_string(k) + ": " + render_string(v) }.join(", ") + "}"
end

|};
  List.iter (fun st ->
    pr "def render_%s(h)\n  \"{\" +\n" st.s_name;
    List.iteri (fun i (t, f) ->
      pr "    %s\"%s = \" + %s +\n" (if i = 0 then "" else "\", \" + ") f
        (field_render t (sprintf "h[%S]" f))) st.s_fields;
    pr "    \"}\"\nend\n\n") api.structs

let pr_errno_names api =
  let names = Binding_utils.errno_names api in
  pr "ERRNO_NAMES = %%w(%s)\n\n" (String.concat " " names);
  pr "%s" {|def errno_value(name)
  Errno.const_defined?(name) ? Errno.const_get(name)::Errno : -1
end

def errno_name(e)
  ERRNO_NAMES.find { |n| errno_value(n) == e } || "unknown errno"
end

|}

let pr_step api (s : Binding_utils.step) =
  let what = rb_string (Binding_utils.step_descr s) in
  let call = rb_call s in
  let ret = s.st_action.ret in
  match s.st_call.c_expect with
  | Succeeds -> pr "  %s\n" call
  | Equals l ->
    let expected = match ret, l with
      | RHashtable, LList items ->
        let rec pairs = function
          | k :: v :: rest -> sprintf "%s => %s" (rb_lit k) (rb_lit v) :: pairs rest
          | _ -> [] in
        rb_render ret ("{" ^ String.concat ", " (pairs items) ^ "}")
      | _ -> rb_render ret (rb_lit l) in
    pr "  check_equals(%s, %s, %s)\n" what (rb_render ret call) expected
  | Matches m -> pr "  check_matches(%s, %s, %s)\n" what call (rb_string m)
  | Length n ->
    (match ret with
     | RString | RBufferOut -> pr "  check_length(%s, %s.bytesize, %d)\n" what call n
     | _ -> pr "  check_length(%s, %s.length, %d)\n" what call n)
  | Fields fs ->
    let sname = match ret with RStruct s -> s | _ -> assert false in
    let st = List.find (fun st -> st.s_name = sname) api.structs in
    pr "  h = %s\n" call;
    List.iter (fun (f, l) ->
      let t = fst (List.find (fun (_, n) -> n = f) st.s_fields) in
      pr "  check_equals(%s, %s, %s)\n"
        (rb_string (Binding_utils.step_descr s ^ ": field " ^ f))
        (field_render t (sprintf "h[%S]" f)) (field_render t (rb_lit l))) fs
  | Fails (errno, text) ->
    pr "  check_fails(%s, lambda { %s }, %s, %s)\n" what call
      (match errno with Some e -> rb_string e | None -> "nil")
      (match text with Some t -> rb_string t | None -> "nil")

let generate_tests api =
  let cases = Binding_utils.cases api in
  pr "# -*- coding: binary -*-\n";
  generated_by `Hash;
  pr "# The per-action tests of api.def, in Ruby: TAP, a fresh handle per test.\n\n";
  pr "require 'minnow'\n\n";
  pr_renderers api;
  pr_errno_names api;
  pr "%s" {|class Failed < StandardError
end

def failed(what, expected, got)
  raise Failed, "#{what}\n# expected: #{expected}\n# got: #{got}"
end

def check_equals(what, got, expected)
  failed(what, expected, got) if got != expected
end

def check_matches(what, got, sub)
  unless got && got.b.include?(sub.b)
    failed(what, "a string containing " + render_string(sub), got.nil? ? "nil" : render_string(got))
  end
end

def check_length(what, got, n)
  failed(what, "length #{n}", "length #{got}") if got != n
end

def check_fails(what, f, errno, sub)
  begin
    f.call
  rescue Minnow::Error => e
    if errno && errno_value(errno) != e.errno
      failed(what, "errno #{errno}", "errno #{e.errno} (#{errno_name(e.errno)}): #{e.message}")
    end
    if sub && !e.message.b.include?(sub.b)
      failed(what, "an error containing " + render_string(sub), render_string(e.message))
    end
    return
  end
  failed(what, "an error", "success")
end

|};
  List.iteri (fun i (tc : Binding_utils.case) ->
    pr "# %s\ndef test_%d(g)\n" tc.tc_descr (i + 1);
    List.iter (pr_step api) tc.tc_setup;
    List.iter (pr_step api) tc.tc_steps;
    pr "end\n\n") cases;
  pr "TESTS = [\n";
  List.iteri (fun i (tc : Binding_utils.case) ->
    pr "  [:test_%d, %s],\n" (i + 1) (rb_string tc.tc_descr)) cases;
  pr "]\n\n";
  pr "%s" {|$stdout.sync = true
puts "1..#{TESTS.length}"
TESTS.each_with_index do |(test, descr), i|
  n = i + 1
  g = Minnow::Minnow.new
  begin
    send(test, g)
    puts "ok #{n} - #{descr}"
  rescue Failed => e
    puts "not ok #{n} - #{descr}: #{e.message}"
  rescue StandardError => e
    puts "not ok #{n} - #{descr}\n# expected: no exception\n# got: #{e.class}: #{e.message}"
  ensure
    g.close
  end
end
|}

let generate_bindtests api =
  pr "# -*- coding: binary -*-\n";
  generated_by `Hash;
  pr "# The bindtests matrix (generator/bindtests_data.ml) in Ruby: prints\n";
  pr "# every result in the canonical rendering; the output must equal\n";
  pr "# tests/bindtests.golden byte for byte.\n\n";
  pr "require 'minnow'\n\n";
  pr_renderers api;
  pr_errno_names api;
  pr "def render_error(e)\n  e == 0 ? \"error\\n\" : \"error #{errno_name(e)}\\n\"\nend\n\n";
  pr "$stdout.binmode\ng = Minnow::Minnow.new\n";
  List.iter (fun c -> pr "%s\n" (rb_call (Binding_utils.step api c))) Bindtests_data.setup;
  List.iter (fun (e : Bindtests_data.entry) ->
    let s = Binding_utils.step api e.call in
    pr "\n$stdout.write(%s)\n" (rb_string ("== " ^ e.label ^ "\n"));
    pr "begin\n  r = %s\n" (rb_call s);
    if Bindtests_data.verbatim_result s.st_action.name then pr "  $stdout.write(r)\n"
    else pr "  $stdout.write(%s, \"\\n\")\n" (rb_render s.st_action.ret "r");
    pr "rescue Minnow::Error => e\n  $stdout.write(render_error(e.errno))\nend\n") Bindtests_data.matrix;
  pr "g.close\n"
