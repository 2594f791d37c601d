open Types
open Utils
open C_testlib

let generate api =
  generated_by `C;
  pr "/* The bindtests matrix in C: prints \"== LABEL\" and the rendering of\n";
  pr " * each result (docs/internals.md, \"Bindtests\"). */\n\n";
  pr "#include <config.h>\n\n";
  pr "#include <errno.h>\n#include <inttypes.h>\n#include <stdint.h>\n#include <stdio.h>\n";
  pr "#include <stdlib.h>\n#include <string.h>\n\n#include \"minnow.h\"\n#include \"quote.h\"\n\n";
  let calls = List.map (fun (e : Bindtests_data.entry) -> e.call) Bindtests_data.matrix in
  pr_helpers api (errno_names calls);
  pr "%s" {|static void
print_error (minnow_h *g)
{
  int e = minnow_last_errno (g);

  if (e == 0)
    printf ("error\n");
  else
    printf ("error %s\n", errno_name (e));
}

int
main (void)
{
  minnow_h *g = minnow_create ();

  if (g == NULL) {
    fprintf (stderr, "bindtests: minnow_create failed\n");
    exit (EXIT_FAILURE);
  }
  minnow_set_error_handler (g, NULL, NULL);

|};
  List.iter (fun (c : call) ->
    let a = find_action api c.c_name in
    pr "  if (%s == -1) {\n" (call_expr a c);
    pr "    fprintf (stderr, \"bindtests: %s: %%s\\n\", minnow_last_error (g));\n" c.c_name;
    pr "    exit (EXIT_FAILURE);\n  }\n") Bindtests_data.setup;
  List.iter (fun (e : Bindtests_data.entry) ->
    let a = find_action api e.call.c_name in
    pr "\n  fputs (%s, stdout);\n" (c_string ("== " ^ e.label ^ "\n"));
    pr "  {\n    %s;\n" (result_decl a);
    if a.ret = RBufferOut then pr "    size_t size = 0;\n";
    pr "\n    r = %s;\n" (call_expr ~argv:true a e.call);
    let indent = match error_cond a with
      | Some cond -> pr "    if (%s)\n      print_error (g);\n    else {\n" cond; 6
      | None -> pr "    {\n"; 6 in
    if Bindtests_data.verbatim_result a.name then
      pr "      fputs (r, stdout);\n"
    else begin
      pr_render ~indent a "stdout";
      pr "      putchar ('\\n');\n"
    end;
    pr_free ~indent a;
    pr "    }\n  }\n") Bindtests_data.matrix;
  pr "\n  minnow_close (g);\n  return 0;\n}\n"
