open Types
open Utils
open Cnames

let generate api =
  generated_by `C;
  pr "/* What the generated and the hand-written parts of libminnow share:\n";
  pr " * each library-side action is implemented by hand as minnow_impl_NAME. */\n\n";
  pr "#ifndef MINNOW_ACTIONS_INTERNAL_H\n#define MINNOW_ACTIONS_INTERNAL_H\n\n";
  pr "#include \"minnow.h\"\n#include \"protocol.h\"\n\n";
  List.iter (fun a ->
    if not (is_daemon a) then pr "extern %s;\n\n" (c_proto Impl a)) api.actions;
  List.iter (fun st ->
    let n = st.s_name in
    pr "extern struct minnow_%s *minnow_int_copy_%s (minnow_h *g, const minnow_int_%s *src);\n" n n n;
    pr "extern struct minnow_%s_list *minnow_int_copy_%s_list (minnow_h *g, const minnow_int_%s_list *src);\n" n n n)
    api.structs;
  pr "\n#endif /* MINNOW_ACTIONS_INTERNAL_H */\n"
