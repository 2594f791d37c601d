open Types
open Utils

let pr_free st =
  let n = st.s_name in
  pr "static void\nfree_%s_fields (struct minnow_%s *x)\n{\n" n n;
  List.iter (fun (t, f) ->
    match t with
    | FString | FBuffer -> pr "  free (x->%s);\n" f
    | FChar | FInt32 | FUInt32 | FInt64 | FUInt64 | FBool -> ()) st.s_fields;
  pr "}\n\n";
  pr "void\nminnow_free_%s (struct minnow_%s *x)\n{\n" n n;
  pr "  if (x == NULL)\n    return;\n";
  pr "  free_%s_fields (x);\n  free (x);\n}\n\n" n;
  pr "void\nminnow_free_%s_list (struct minnow_%s_list *x)\n{\n" n n;
  pr "  uint32_t i;\n\n";
  pr "  if (x == NULL)\n    return;\n";
  pr "  for (i = 0; i < x->len; ++i)\n    free_%s_fields (&x->val[i]);\n" n;
  pr "  free (x->val);\n  free (x);\n}\n\n"

let pr_copy st =
  let n = st.s_name in
  pr "static void\ncopy_%s_fields (minnow_h *g, struct minnow_%s *dst,\n" n n;
  pr "                 const minnow_int_%s *src)\n{\n" n;
  List.iter (fun (t, f) ->
    match t with
    | FString -> pr "  dst->%s = minnow_int_safe_strdup (g, src->%s ? src->%s : \"\");\n" f f f
    | FBuffer ->
      pr "  dst->%s_len = src->%s.%s_len;\n" f f f;
      pr "  dst->%s = minnow_int_safe_malloc (g, src->%s.%s_len + 1);\n" f f f;
      pr "  if (src->%s.%s_len > 0)\n" f f;
      pr "    memcpy (dst->%s, src->%s.%s_val, src->%s.%s_len);\n" f f f f f;
      pr "  dst->%s[src->%s.%s_len] = '\\0';\n" f f f
    | FChar | FInt32 | FUInt32 | FInt64 | FUInt64 | FBool ->
      pr "  dst->%s = src->%s;\n" f f) st.s_fields;
  pr "}\n\n";
  pr "struct minnow_%s *\nminnow_int_copy_%s (minnow_h *g, const minnow_int_%s *src)\n{\n" n n n;
  pr "  struct minnow_%s *dst = minnow_int_safe_malloc (g, sizeof *dst);\n\n" n;
  pr "  copy_%s_fields (g, dst, src);\n  return dst;\n}\n\n" n;
  pr "struct minnow_%s_list *\nminnow_int_copy_%s_list (minnow_h *g, const minnow_int_%s_list *src)\n{\n" n n n;
  pr "  struct minnow_%s_list *dst = minnow_int_safe_malloc (g, sizeof *dst);\n" n;
  pr "  uint32_t i;\n\n";
  pr "  dst->len = src->minnow_int_%s_list_len;\n" n;
  pr "  dst->val = minnow_int_safe_malloc (g, (dst->len + 1) * sizeof *dst->val);\n";
  pr "  for (i = 0; i < dst->len; ++i)\n";
  pr "    copy_%s_fields (g, &dst->val[i], &src->minnow_int_%s_list_val[i]);\n" n n;
  pr "  return dst;\n}\n\n"

let generate api =
  generated_by `C;
  pr "/* Freeing the structs that actions return, and copying them out of\n";
  pr " * the XDR replies. */\n\n";
  pr "#include <config.h>\n\n#include <stdlib.h>\n#include <string.h>\n\n";
  pr "#include \"minnow-internal.h\"\n#include \"actions-internal.h\"\n\n";
  List.iter (fun st -> pr_free st; pr_copy st) api.structs
