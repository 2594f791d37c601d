open Types
open Printf
open Utils

(* ------------------------------------------------------------ XS *)

(* A new SV holding field f of the struct pointed to by p. *)
let field_sv t f p =
  match t with
  | FString -> sprintf "newSVpv (%s->%s, 0)" p f
  | FBuffer -> sprintf "newSVpvn (%s->%s, %s->%s_len)" p f p f
  | FChar -> sprintf "newSVpvn (&%s->%s, 1)" p f
  | FInt32 | FInt64 -> sprintf "newSViv ((IV) %s->%s)" p f
  | FUInt32 | FUInt64 -> sprintf "newSVuv ((UV) %s->%s)" p f
  | FBool -> sprintf "newSViv (%s->%s ? 1 : 0)" p f

let pr_struct_copy st =
  let n = st.s_name in
  pr "static SV *\ncopy_%s (pTHX_ const struct minnow_%s *s)\n{\n" n n;
  pr "  HV *hv = newHV ();\n\n";
  List.iter (fun (t, f) ->
    pr "  (void) hv_stores (hv, \"%s\", %s);\n" f (field_sv t f "s")) st.s_fields;
  pr "  return newRV_noinc ((SV *) hv);\n}\n\n"

let pr_xs_action structs a =
  pr "void\n%s (self, ...)\n      SV *self;\n" a.name;
  pr "PREINIT:\n";
  pr "      minnow_h *g;\n";
  (match a.ret with
   | RErr | RInt | RBool -> pr "      int r;\n"
   | RInt64 -> pr "      int64_t r;\n"
   | RConstString | RConstOptString -> pr "      const char *r;\n"
   | RString -> pr "      char *r;\n"
   | RStringList | RHashtable -> pr "      char **r;\n      size_t i;\n"
   | RStruct s -> pr "      struct minnow_%s *r;\n" s
   | RStructList s -> pr "      struct minnow_%s_list *r;\n      uint32_t i;\n" s
   | RBufferOut -> pr "      char *r;\n      size_t size;\n");
  List.iter (fun (t, n) ->
    match t with
    | String | Device | Mountable | Pathname | Dev_or_Path | Key | FileIn | FileOut
    | OptString -> pr "      const char *%s;\n" n
    | StringList | DeviceList -> pr "      char **%s;\n" n
    | Bool | Int -> pr "      int %s;\n" n
    | Int64 -> pr "      int64_t %s;\n" n
    | BufferIn -> pr "      const char *%s;\n      STRLEN %s_size;\n" n n) a.args;
  if a.optargs <> [] then begin
    pr "      %s optargs = { .bitmask = 0 };\n" (Cnames.argv_struct a);
    pr "      I32 o;\n";
    List.iter (fun (t, n) ->
      match t with OStringList -> pr "      char **%s = NULL;\n" n | _ -> ()) a.optargs
  end;
  let nargs = List.length a.args in
  pr "PPCODE:\n";
  pr "      g = minnow_perl_handle (aTHX_ self, \"%s\");\n" a.name;
  if a.optargs = [] then
    pr "      if (items != %d)\n        croak (\"%s: expected %d argument%s\");\n"
      (nargs + 1) a.name nargs (if nargs = 1 then "" else "s")
  else
    pr "      if (items < %d || (items - %d) %% 2 != 0)\n        croak (\"%s: expected %d argument%s, then name => value pairs\");\n"
      (nargs + 1) (nargs + 1) a.name nargs (if nargs = 1 then "" else "s");
  List.iteri (fun i (t, n) ->
    let sv = sprintf "ST (%d)" (i + 1) in
    match t with
    | String | Device | Mountable | Pathname | Dev_or_Path | Key | FileIn | FileOut ->
      pr "      %s = SvPV_nolen (%s);\n" n sv
    | OptString -> pr "      %s = SvOK (%s) ? SvPV_nolen (%s) : NULL;\n" n sv sv
    | StringList | DeviceList ->
      pr "      %s = minnow_perl_string_list (aTHX_ %s, \"%s\");\n" n sv n
    | Bool -> pr "      %s = SvTRUE (%s) ? 1 : 0;\n" n sv
    | Int -> pr "      %s = (int) SvIV (%s);\n" n sv
    | Int64 -> pr "      %s = (int64_t) SvIV (%s);\n" n sv
    | BufferIn -> pr "      %s = SvPV (%s, %s_size);\n" n sv n) a.args;
  if a.optargs <> [] then begin
    pr "      for (o = %d; o < items; o += 2) {\n" (nargs + 1);
    pr "        const char *name = SvPV_nolen (ST (o));\n        SV *v = ST (o + 1);\n\n";
    List.iteri (fun i (t, n) ->
      pr "        %sif (strcmp (name, \"%s\") == 0) {\n" (if i = 0 then "" else "else ") n;
      (match t with
       | OBool -> pr "          optargs.%s = SvTRUE (v) ? 1 : 0;\n" n
       | OInt -> pr "          optargs.%s = (int) SvIV (v);\n" n
       | OInt64 -> pr "          optargs.%s = (int64_t) SvIV (v);\n" n
       | OString -> pr "          optargs.%s = SvPV_nolen (v);\n" n
       | OStringList ->
         pr "          minnow_perl_free_strings (%s);\n" n;
         pr "          %s = minnow_perl_string_list (aTHX_ v, \"%s\");\n" n n;
         pr "          optargs.%s = (char *const *) %s;\n" n n);
      pr "          optargs.bitmask |= %s;\n        }\n" (Cnames.optarg_bitmask a n)) a.optargs;
    pr "        else\n          croak (\"%s: unknown optional argument '%%s'\", name);\n" a.name;
    pr "      }\n"
  end;
  let args = List.concat_map (fun (t, n) ->
    match t with
    | BufferIn -> [n; sprintf "(size_t) %s_size" n]
    | StringList | DeviceList -> [sprintf "(char *const *) %s" n]
    | _ -> [n]) a.args in
  let call_args = String.concat ", "
      (("g" :: args) @ (match a.ret with RBufferOut -> ["&size"] | _ -> [])
       @ (if a.optargs <> [] then ["&optargs"] else [])) in
  pr "      r = %s (%s);\n" (if a.optargs <> [] then Cnames.argv_fn a else "minnow_" ^ a.name) call_args;
  List.iter (fun (t, n) ->
    match t with
    | StringList | DeviceList -> pr "      minnow_perl_free_strings (%s);\n" n
    | _ -> ()) a.args;
  List.iter (fun (t, n) ->
    match t with OStringList -> pr "      minnow_perl_free_strings (%s);\n" n | _ -> ()) a.optargs;
  (match Cnames.c_err_value a.ret with
   | Some e -> pr "      if (r == %s)\n        minnow_perl_croak (aTHX_ g);\n" e
   | None -> ());
  (match a.ret with
   | RErr -> ()
   | RInt | RBool -> pr "      XPUSHs (sv_2mortal (newSViv (r)));\n"
   | RInt64 -> pr "      XPUSHs (sv_2mortal (newSViv ((IV) r)));\n"
   | RConstString -> pr "      XPUSHs (sv_2mortal (newSVpv (r, 0)));\n"
   | RConstOptString ->
     pr "      XPUSHs (r ? sv_2mortal (newSVpv (r, 0)) : &PL_sv_undef);\n"
   | RString -> pr "      XPUSHs (sv_2mortal (newSVpv (r, 0)));\n      free (r);\n"
   | RStringList | RHashtable ->
     pr "      for (i = 0; r[i] != NULL; ++i)\n";
     pr "        XPUSHs (sv_2mortal (newSVpv (r[i], 0)));\n";
     pr "      minnow_perl_free_strings (r);\n"
   | RStruct s ->
     (* As libguestfs: the field names and values as a flat list in list
        context (my %%s = $g->X), in the struct's order; minnow adds a
        hash reference in scalar context. *)
     let st = List.find (fun st -> st.s_name = s) structs in
     pr "      if (GIMME_V == G_LIST) {\n";
     pr "        EXTEND (SP, %d);\n" (2 * List.length st.s_fields);
     List.iter (fun (t, f) ->
       pr "        PUSHs (sv_2mortal (newSVpvs (\"%s\")));\n" f;
       pr "        PUSHs (sv_2mortal (%s));\n" (field_sv t f "r")) st.s_fields;
     pr "      }\n      else\n        XPUSHs (sv_2mortal (copy_%s (aTHX_ r)));\n" s;
     pr "      minnow_free_%s (r);\n" s
   | RStructList s ->
     pr "      EXTEND (SP, r->len);\n";
     pr "      for (i = 0; i < r->len; ++i)\n";
     pr "        PUSHs (sv_2mortal (copy_%s (aTHX_ &r->val[i])));\n" s;
     pr "      minnow_free_%s_list (r);\n" s
   | RBufferOut -> pr "      XPUSHs (sv_2mortal (newSVpvn (r, size)));\n      free (r);\n");
  pr "\n"

let generate_xs api =
  generated_by `C;
  pr "/* Sys::Minnow: one XS function per action of api.def.  The handle,\n";
  pr " * errors and events are in handle.xs and minnow-perl.h (hand-written). */\n\n";
  pr "#define PERL_NO_GET_CONTEXT 1\n\n";
  pr "#include \"EXTERN.h\"\n#include \"perl.h\"\n#include \"XSUB.h\"\n\n";
  pr "#include <stdint.h>\n#include <stdlib.h>\n#include <string.h>\n\n";
  pr "#include \"minnow.h\"\n#include \"minnow-perl.h\"\n\n";
  List.iter (fun (st, _) -> pr_struct_copy st) (Binding_utils.used_structs api);
  pr "MODULE = Sys::Minnow  PACKAGE = Sys::Minnow\n\nPROTOTYPES: DISABLE\n\n";
  pr "INCLUDE: handle.xs\n\n";
  List.iter (pr_xs_action api.structs) api.actions

(* ------------------------------------------------------------ .pm *)

let generate_pm api =
  generated_by `Hash;
  pr "package Sys::Minnow;\n\nuse strict;\nuse warnings;\n\n";
  pr "our $VERSION = '0.1';\n\nrequire XSLoader;\nXSLoader::load ('Sys::Minnow', $VERSION);\n\n";
  pr "use Carp qw(croak);\n\n";
  pr "use constant {\n";
  pr "  CREATE_NO_ENVIRONMENT => 1,\n";
  pr "  CREATE_NO_CLOSE_ON_EXIT => 2,\n";
  List.iter (fun e -> pr "  EVENT_%s => 0x%02x,\n" (String.uppercase_ascii e.e_name) e.e_bit) api.events;
  pr "  EVENT_ALL => 0x%02x,\n};\n\n" (List.fold_left (fun m e -> m lor e.e_bit) 0 api.events);
  pr "# libguestfs's event variables ($Sys::Guestfs::EVENT_CLOSE ...).\n";
  List.iter (fun e ->
    pr "our $EVENT_%s = 0x%x;\n" (String.uppercase_ascii e.e_name) e.e_bit) api.events;
  pr "our $EVENT_ALL = 0x%x;\n\n" (List.fold_left (fun m e -> m lor e.e_bit) 0 api.events);
  pr "%s" {|my %known_flags = map { $_ => 1 } qw(environment close_on_exit no_environment);

# Sys::Minnow->new (environment => 0, close_on_exit => 0), as libguestfs.
sub new
{
  my $proto = shift;
  my $class = ref ($proto) || $proto;
  croak "Sys::Minnow->new: expected name => value pairs" if @_ % 2;
  my %flags = @_;
  for my $k (sort keys %flags) {
    croak "Sys::Minnow->new: unknown flag '$k' (known: environment, close_on_exit)"
      unless $known_flags{$k};
  }
  my $f = 0;
  $f |= CREATE_NO_ENVIRONMENT
    if (exists $flags{environment} && !$flags{environment}) || $flags{no_environment};
  $f |= CREATE_NO_CLOSE_ON_EXIT
    if exists $flags{close_on_exit} && !$flags{close_on_exit};
  my $self = { _g => _create ($f), _flags => $f };
  bless $self, $class;
  # As libguestfs: the program name is the script's, not perl's.
  (my $program = $0) =~ s{.*/}{};
  $self->set_program ($program) if $program ne "";
  return $self;
}

|};
  pr "sub DESTROY\n{\n  my $self = shift;\n  $self->close if ref ($self) && exists $self->{_g};\n}\n\n";
  pr "# libguestfs's names of the calls whose optional arguments came later.\n";
  List.iter (fun a ->
    if once_had_no_optargs a then
      pr "*%s_opts = \\&%s;\n" a.name a.name) api.actions;
  pr "\n";
  pr "1;\n\n__END__\n\n";
  pr "=encoding utf8\n\n=head1 NAME\n\nSys::Minnow - create, read and modify disk images\n\n";
  pr "=head1 SYNOPSIS\n\n";
  pr " use Sys::Minnow;\n my $g = Sys::Minnow->new ();\n";
  pr " $g->add_drive (\"disk.img\", readonly => 1);\n $g->launch ();\n";
  pr " print \"$_\\n\" for $g->list_devices ();\n\n";
  pr "=head1 DESCRIPTION\n\n";
  pr "Every action of L<minnow(3)> is a method of the handle.  Optional\n";
  pr "arguments follow the required ones as C<name =E<gt> value> pairs.  Errors\n";
  pr "C<croak> with the library's message; C<$g-E<gt>last_errno> (and C<$!>)\n";
  pr "hold the errno.  String lists are returned as lists, hashtables and\n";
  pr "structs as flat lists of keys and values (C<my %%h = $g-E<gt>statns\n";
  pr "(\"/\")>), as in libguestfs; a struct in scalar context is a hash\n";
  pr "reference.  Struct lists are lists of hash references.\n\n";
  pr "=head1 HANDLE\n\n=over 4\n\n";
  pr "=item $g = Sys::Minnow->new ([environment => 0] [, close_on_exit => 0])\n\n";
  pr "Create a handle.  C<environment =E<gt> 0> ignores the C<MINNOW_*>\n";
  pr "environment variables; C<close_on_exit =E<gt> 0> is accepted (Perl\n";
  pr "closes every handle when it is destroyed, at exit too).  Any other\n";
  pr "flag is an error.\n\n";
  pr "=item $g->close ()\n\nClose the handle (also done when it is destroyed).  Closing\n";
  pr "twice is harmless; any other call on a closed handle croaks.\n\n";
  pr "=item $eh = $g->set_event_callback (\\&cb, $events)\n\n";
  pr "Call C<cb ($event, $event_handle, $buf, \\@array)> for the events in the\n";
  pr "bitmask C<$events> (C<$Sys::Minnow::EVENT_*>, or the constants\n";
  pr "C<Sys::Minnow::EVENT_*>).\n\n";
  pr "=item $g->delete_event_callback ($eh)\n\n";
  pr "=item $g->user_cancel ()\n\nCancel the call in progress (safe from a signal handler or another thread).  The call fails with EINTR.\n\n";
  pr "=item $g->last_errno ()\n\nThe errno of the last error.\n\n";
  pr "=item Sys::Minnow::event_to_string ($events)\n\n=back\n\n";
  pr "=head1 ACTIONS\n\n=over 4\n\n";
  List.iter (fun a ->
    if not (List.mem Not_in_docs a.flags) then begin
      let ret = match a.ret with
        | RErr -> "" | RStringList | RHashtable | RStructList _ -> "@r = "
        | RStruct _ -> "$h = " | _ -> "$r = " in
      let args = List.map (fun (_, n) -> "$" ^ n) a.args in
      let opts = List.map (fun (_, n) -> sprintf "[%s => $%s]" n n) a.optargs in
      pr "=item %s$g->%s (%s)\n\n" ret a.name (String.concat ", " (args @ opts));
      pr "%s\n\n" (String.capitalize_ascii a.shortdesc);
      (* longdesc is POD already; minnow_X becomes $g->X *)
      let text = Str.global_replace (Str.regexp "C<minnow_\\([a-z0-9_]+\\)>") "C<$g-E<gt>\\1>"
          (unindent a.longdesc) in
      pr "%s\n\n" text
    end) api.actions;
  pr "=back\n\n=head1 SEE ALSO\n\nL<minnow(3)>\n\n=cut\n"

(* ------------------------------------------------------------ tests *)

let pl_string s = Utils.quoted_literal ~also:['$'; '@'] s

let rec pl_lit = function
  | LString s -> pl_string s
  | LInt n -> Render.int n
  | LBool b -> if b then "1" else "0"
  | LNull -> "undef"
  | LList l -> "[" ^ String.concat ", " (List.map pl_lit l) ^ "]"

let pl_call (s : Binding_utils.step) =
  let a = s.st_action and c = s.st_call in
  let args = List.map pl_lit c.c_args in
  let opts = List.map (fun (o, l) -> sprintf "%s => %s" o (pl_lit l)) c.c_optargs in
  let call = sprintf "$g->%s (%s)" a.name (String.concat ", " (args @ opts)) in
  match a.ret with
  | RStringList | RHashtable | RStructList _ -> sprintf "[%s]" call
  | RStruct _ -> sprintf "+{ %s }" call   (* the flat list, as a hash *)
  | _ -> call

(* Perl expression rendering [v] canonically (lists as array refs). *)
let pl_render ret v =
  match ret with
  | RErr -> "\"ok\""
  | RInt | RInt64 -> sprintf "render_int (%s)" v
  | RBool -> sprintf "render_bool (%s)" v
  | RConstString | RString -> sprintf "render_string (%s)" v
  | RConstOptString -> sprintf "(defined (%s) ? render_string (%s) : \"NULL\")" v v
  | RStringList -> sprintf "render_strings (%s)" v
  | RHashtable -> sprintf "render_hashtable (%s)" v
  | RStruct s -> sprintf "render_%s (%s)" s v
  | RStructList s -> sprintf "\"[\" . join (\", \", map { render_%s ($_) } @{%s}) . \"]\"" s v
  | RBufferOut -> sprintf "render_buffer (%s)" v

let field_render t v =
  match t with
  | FString -> sprintf "render_string (%s)" v
  | FBuffer -> sprintf "render_buffer (%s)" v
  | FChar -> sprintf "render_char (%s)" v
  | FInt32 | FUInt32 | FInt64 | FUInt64 -> sprintf "render_int (%s)" v
  | FBool -> sprintf "render_bool (%s)" v

let pr_renderers api =
  pr "%s" {|sub render_string
{
  my $s = shift;
  my $r = '"';
  for my $c (split //, $s) {
    my $o = ord $c;
    if ($c eq "\\") { $r .= "\\\\" }
    elsif ($c eq '"') { $r .= "\\\"" }
    elsif ($c eq "\n") { $r .= "\\n" }
    elsif ($c eq "\t") { $r .= "\\t" }
    elsif ($c eq "\r") { $r .= "\\r" }
    elsif ($o < 0x20 || $o == 0x7f) { $r .= sprintf ("\\x%02x", $o) }
    else { $r .= $c }
  }
  return $r . '"';
}

sub render_char
{
  my $q = render_string (shift);
  return "'" . substr ($q, 1, length ($q) - 2) . "'";
}

sub render_buffer { my $b = shift; return length ($b) . " " . render_string ($b) }
sub render_int { return "" . (0 + shift) }
sub render_bool { return shift ? "true" : "false" }
sub render_strings { return "[" . join (", ", map { render_string ($_) } @{$_[0]}) . "]" }

sub render_hashtable
{
  my @l = @{$_[0]};
  my @pairs;
  for (my $i = 0; $i + 1 < @l; $i += 2) {
    push @pairs, render_string ($l[$i]) . ": " . render_string ($l[$i+1]);
  }
  return "{" . join (", ", @pairs) . "}";
}

|};
  List.iter (fun st ->
    pr "sub render_%s\n{\n  my $h = shift;\n  return join (\"\",\n" st.s_name;
    List.iteri (fun i (t, f) ->
      pr "    \"%s%s = \", %s,\n" (if i = 0 then "{" else ", ") f
        (field_render t (sprintf "$h->{%s}" f))) st.s_fields;
    pr "    \"}\");\n}\n\n") api.structs

let pr_errno_names api =
  let names = Binding_utils.errno_names api in
  pr "my @errno_names = qw(%s);\n\n" (String.concat " " names);
  pr "%s" {|sub errno_value
{
  my $name = shift;
  my $f = Errno->can ($name);
  return $f ? $f->() : -1;
}

sub errno_name
{
  my $e = shift;
  for my $n (@errno_names) {
    return $n if errno_value ($n) == $e;
  }
  return "unknown errno";
}

|}

let pr_step api (s : Binding_utils.step) =
  let what = pl_string (Binding_utils.step_descr s) in
  let call = pl_call s in
  let ret = s.st_action.ret in
  match s.st_call.c_expect with
  | Succeeds -> pr "  %s;\n" call
  | Equals l ->
    let expected = match ret, l with
      | RInt64, LInt n | RInt, LInt n -> sprintf "render_int (%s)" (Render.int n)
      | RBool, LBool b -> if b then "\"true\"" else "\"false\""
      | RConstOptString, LNull -> "\"NULL\""
      | _ -> pl_render ret (pl_lit l) in
    pr "  check_equals (%s, %s, %s);\n" what (pl_render ret call) expected
  | Matches m -> pr "  check_matches (%s, %s, %s);\n" what call (pl_string m)
  | Length n ->
    (match ret with
     | RStringList | RStructList _ -> pr "  check_length (%s, scalar @{%s}, %d);\n" what call n
     | RHashtable -> pr "  check_length (%s, scalar (@{%s}) / 2, %d);\n" what call n
     | _ -> pr "  check_length (%s, length (%s), %d);\n" what call n)
  | Fields fs ->
    let sname = match ret with RStruct s -> s | _ -> assert false in
    let st = List.find (fun st -> st.s_name = sname) api.structs in
    pr "  {\n    my $h = %s;\n" call;
    List.iter (fun (f, l) ->
      let t = fst (List.find (fun (_, n) -> n = f) st.s_fields) in
      pr "    check_equals (%s, %s, %s);\n"
        (pl_string (Binding_utils.step_descr s ^ ": field " ^ f))
        (field_render t (sprintf "$h->{%s}" f)) (field_render t (pl_lit l))) fs;
    pr "  }\n"
  | Fails (errno, text) ->
    pr "  check_fails (%s, $g, sub { %s }, %s, %s);\n" what call
      (match errno with Some e -> pl_string e | None -> "undef")
      (match text with Some t -> pl_string t | None -> "undef")

let generate_tests api =
  let cases = Binding_utils.cases api in
  generated_by `Hash;
  pr "# The per-action tests of api.def, in Perl: TAP, a fresh handle per test.\n\n";
  pr "use strict;\nuse warnings;\nuse Errno;\n\nuse Sys::Minnow;\n\n";
  pr_renderers api;
  pr_errno_names api;
  pr "%s" {|sub failed
{
  my ($what, $expected, $got) = @_;
  die { msg => "$what\n# expected: $expected\n# got: $got" };
}

sub check_equals
{
  my ($what, $got, $expected) = @_;
  failed ($what, $expected, $got) if $got ne $expected;
}

sub check_matches
{
  my ($what, $got, $sub) = @_;
  failed ($what, "a string containing " . render_string ($sub),
          defined $got ? render_string ($got) : "undef")
    unless defined $got && index ($got, $sub) >= 0;
}

sub check_length
{
  my ($what, $got, $n) = @_;
  failed ($what, "length $n", "length $got") if $got != $n;
}

sub check_fails
{
  my ($what, $g, $f, $errno, $sub) = @_;
  if (eval { $f->(); 1 }) {
    failed ($what, "an error", "success");
  }
  my $msg = "$@";
  my $e = $g->last_errno ();
  if (defined $errno && errno_value ($errno) != $e) {
    failed ($what, "errno $errno", "errno $e (" . errno_name ($e) . "): $msg");
  }
  if (defined $sub && index ($msg, $sub) < 0) {
    failed ($what, "an error containing " . render_string ($sub), render_string ($msg));
  }
}

|};
  List.iteri (fun i (tc : Binding_utils.case) ->
    pr "# %s\nsub test_%d\n{\n  my $g = shift;\n" tc.tc_descr (i + 1);
    List.iter (pr_step api) tc.tc_setup;
    List.iter (pr_step api) tc.tc_steps;
    pr "}\n\n") cases;
  pr "my @tests = (\n";
  List.iteri (fun i (tc : Binding_utils.case) ->
    pr "  [\\&test_%d, %s],\n" (i + 1) (pl_string tc.tc_descr)) cases;
  pr ");\n\n";
  pr "%s" {|$| = 1;
print "1.." . scalar (@tests) . "\n";
my $n = 0;
for my $t (@tests) {
  my ($test, $descr) = @$t;
  $n++;
  my $g = Sys::Minnow->new ();
  if (eval { $test->($g); 1 }) {
    print "ok $n - $descr\n";
  }
  elsif (ref $@ eq "HASH") {
    print "not ok $n - $descr: $@->{msg}\n";
  }
  else {
    my $e = "$@";
    chomp $e;
    print "not ok $n - $descr\n# expected: no exception\n# got: $e\n";
  }
  $g->close ();
}
|}

let generate_bindtests api =
  generated_by `Hash;
  pr "# The bindtests matrix (generator/bindtests_data.ml) in Perl: prints\n";
  pr "# every result in the canonical rendering; the output must equal\n";
  pr "# tests/bindtests.golden byte for byte.\n\n";
  pr "use strict;\nuse warnings;\nuse Errno;\n\nuse Sys::Minnow;\n\n";
  pr_renderers api;
  pr_errno_names api;
  pr "sub render_error\n{\n  my $e = shift;\n";
  pr "  return $e == 0 ? \"error\\n\" : \"error \" . errno_name ($e) . \"\\n\";\n}\n\n";
  pr "binmode STDOUT;\nmy $g = Sys::Minnow->new ();\n";
  List.iter (fun c -> pr "%s;\n" (pl_call (Binding_utils.step api c))) Bindtests_data.setup;
  pr "my $r;\n";
  List.iter (fun (e : Bindtests_data.entry) ->
    let s = Binding_utils.step api e.call in
    pr "\nprint %s;\n" (pl_string ("== " ^ e.label ^ "\n"));
    pr "if (eval { $r = %s; 1 }) {\n" (pl_call s);
    if Bindtests_data.verbatim_result s.st_action.name then pr "  print $r;\n"
    else pr "  print +(%s), \"\\n\";\n" (pl_render s.st_action.ret "$r");
    pr "} else {\n  print render_error ($g->last_errno ());\n}\n") Bindtests_data.matrix;
  pr "$g->close ();\n"
