open Types
open Printf
open Utils
open Cnames

(* Verbatim POD paragraphs: every line indented by one space. *)
let verbatim s =
  String.concat "\n" (List.map (fun l -> if l = "" then "" else " " ^ l)
                        (String.split_on_char '\n' s))

(* "int n" but "const char *n". *)
let decl ty n =
  if ty.[String.length ty - 1] = '*' then ty ^ n else ty ^ " " ^ n

let returns a =
  match a.ret with
  | RErr -> "This function returns 0 on success or -1 on error."
  | RInt -> "On error this function returns -1."
  | RInt64 -> "On error this function returns -1."
  | RBool -> "This function returns a C truth value on success or -1 on error."
  | RConstString ->
    "This function returns a string, or NULL on error.  The string belongs \
     to the handle and must not be freed."
  | RConstOptString ->
    "This function returns a string, which may be NULL.  It belongs to the \
     handle and must not be freed; this function cannot fail."
  | RString ->
    "This function returns a string, or NULL on error.  \
     I<The caller must free the returned string after use>."
  | RStringList ->
    "This function returns a NULL-terminated array of strings, or NULL on \
     error.  I<The caller must free the strings and the array after use>."
  | RHashtable ->
    "This function returns a NULL-terminated array of strings, keys and \
     values alternating, or NULL on error.  I<The caller must free the \
     strings and the array after use>."
  | RStruct s ->
    sprintf "This function returns a C<struct minnow_%s *>, or NULL on error.  \
             I<The caller must call C<minnow_free_%s> after use>." s s
  | RStructList s ->
    sprintf "This function returns a C<struct minnow_%s_list *>, or NULL on \
             error.  I<The caller must call C<minnow_free_%s_list> after use>." s s
  | RBufferOut ->
    "This function returns a buffer, or NULL on error.  Its size is stored \
     in C<*size_r>.  I<The caller must free the returned buffer after use>."

(* The fixed-arity entry of an action flagged once_had_no_optargs. *)
let pr_back_compat a =
  pr "=head2 minnow_%s\n\n" a.name;
  pr "%s\n\n" (verbatim (c_proto Fixed a ^ ";"));
  pr "This function is provided for source compatibility with libguestfs, \
      where it had no optional arguments: it is L</minnow_%s> with none \
      given.\n\n" (c_name a);
  pr "(Added in %s)\n\n" a.since

let pr_action a =
  if once_had_no_optargs a then pr_back_compat a;
  pr "=head2 minnow_%s\n\n" (c_name a);
  pr "%s\n\n" (verbatim (c_proto Plain a ^ ";"));
  if a.optargs <> [] then begin
    pr "You may supply a list of optional arguments to this call.\n";
    pr "Use zero or more of the following pairs of parameters,\n";
    pr "and terminate the list with C<-1>.\n\n";
    List.iter (fun (t, n) ->
      pr " %s, %s,\n" (optarg_index a n) (decl (c_optarg_type t) n))
      a.optargs;
    pr "\n";
  end;
  pr "%s\n\n" (unindent a.longdesc);
  pr "%s\n\n" (returns a);
  if a.optargs <> [] then
    pr "This function takes a variable number of arguments: see \
        L</minnow_%s_va> and L</minnow_%s_argv>.\n\n" (c_name a) (c_name a);
  if List.mem Protocol_limit_warning a.flags then
    pr "Because of the protocol's message size limit (4 MiB), do not use \
        this call for transfers of more than a few megabytes.\n\n";
  List.iter (function
    | Deprecated_by o ->
      pr "I<This function is deprecated.>  Use L</minnow_%s> instead.\n\n" o
    | Protocol_limit_warning | Not_in_docs | Once_had_no_optargs -> ()) a.flags;
  Option.iter (fun g ->
    pr "This function depends on the feature C<%s>.\n\n" g) a.availability;
  pr "(Added in %s)\n\n" a.since;
  if a.optargs <> [] then begin
    let cn = c_name a in
    pr "=head2 minnow_%s_va\n\n%s\n\n" cn (verbatim (c_proto Va a ^ ";"));
    pr "This is the \"va_list variant\" of L</minnow_%s>.\n\n" cn;
    pr "=head2 minnow_%s_argv\n\n%s\n\n" cn (verbatim (c_proto Argv a ^ ";"));
    pr "This is the \"argv variant\" of L</minnow_%s>: set the bits of \
        C<optargs-E<gt>bitmask> for the fields that are given.\n\n" cn;
    pr "%s\n\n" (verbatim (sprintf "%s {\n  uint64_t bitmask;\n%s\n};"
                             (argv_struct a) (String.concat "\n" (List.map (fun (t, n) ->
                               sprintf "  %s;  /* %s */" (decl (c_optarg_type t) n) (optarg_bitmask a n))
                               a.optargs))))
  end

let generate_actions api =
  generated_by `Pod;
  List.iter (fun a -> if not (List.mem Not_in_docs a.flags) then pr_action a)
    (List.sort (fun a b -> compare a.name b.name) api.actions)

let generate_structs api =
  generated_by `Pod;
  List.iter (fun st ->
    pr "=head2 struct minnow_%s\n\n" st.s_name;
    let fields = List.concat_map struct_field_c st.s_fields in
    pr "%s\n\n" (verbatim (sprintf "struct minnow_%s {\n%s\n};\n\nstruct minnow_%s_list {\n  uint32_t len;  /* number of elements */\n  struct minnow_%s *val;\n};\n\nvoid minnow_free_%s (struct minnow_%s *);\nvoid minnow_free_%s_list (struct minnow_%s_list *);"
      st.s_name (String.concat "\n" (List.map (( ^ ) "  ") fields)) st.s_name st.s_name
      st.s_name st.s_name st.s_name st.s_name))) api.structs

let generate_events api =
  generated_by `Pod;
  pr "=over 4\n\n";
  List.iter (fun e ->
    pr "=item %s (0x%02x)\n\n%s\n\n" (event_const e) e.e_bit (unindent e.e_doc)) api.events;
  pr "=back\n\n"
