open Types
open Printf
open Utils
open C_testlib

(* Render r into a malloc'd string named got. *)
let pr_got ~indent a =
  let sp = String.make indent ' ' in
  pr "%s{\n%s  size_t got_len = 0;\n%s  FILE *fp = open_memstream (&got, &got_len);\n\n" sp sp sp;
  pr "%s  if (fp == NULL)\n%s    abort ();\n" sp sp;
  pr_render ~indent:(indent + 2) a "fp";
  pr "%s  fclose (fp);\n%s}\n" sp sp

let pr_fields ~indent api a fs =
  let sp = String.make indent ' ' in
  let sname = match a.ret with RStruct s -> s | _ -> assert false in
  let st = List.find (fun st -> st.s_name = sname) api.structs in
  pr "%s{\n%s  size_t got_len = 0;\n%s  FILE *fp = open_memstream (&got, &got_len);\n\n" sp sp sp;
  pr "%s  if (fp == NULL)\n%s    abort ();\n" sp sp;
  List.iteri (fun i (f, _) ->
    let t = fst (List.find (fun (_, n) -> n = f) st.s_fields) in
    pr "%s  fputs (\"%s%s = \", fp);\n" sp (if i = 0 then "{" else ", ") f;
    match t with
    | FString -> pr "%s  minnow_fprint_quoted (fp, r->%s, strlen (r->%s));\n" sp f f
    | FBuffer -> pr "%s  render_buffer (fp, r->%s, r->%s_len);\n" sp f f
    | FChar -> pr "%s  render_char (fp, r->%s);\n" sp f
    | FInt32 -> pr "%s  fprintf (fp, \"%%\" PRIi32, r->%s);\n" sp f
    | FUInt32 -> pr "%s  fprintf (fp, \"%%\" PRIu32, r->%s);\n" sp f
    | FInt64 -> pr "%s  fprintf (fp, \"%%\" PRIi64, r->%s);\n" sp f
    | FUInt64 -> pr "%s  fprintf (fp, \"%%\" PRIu64, r->%s);\n" sp f
    | FBool -> pr "%s  fputs (r->%s ? \"true\" : \"false\", fp);\n" sp f) fs;
  pr "%s  fputc ('}', fp);\n%s  fclose (fp);\n%s}\n" sp sp sp

let pr_call api line (c : call) =
  let a = find_action api c.c_name in
  let line = if c.c_line > 0 then c.c_line else line in
  let where = sprintf "api.def:%d: %s" line c.c_name in
  pr "  {\n    %s;\n" (result_decl a);
  if a.ret = RBufferOut then pr "    size_t size = 0;\n";
  pr "    char *got = NULL;\n\n";
  pr "    r = %s;\n" (call_expr a c);
  let check_success () =
    match error_cond a with
    | None -> ()
    | Some cond ->
      pr "    if (%s) {\n" cond;
      pr "      failed_call (g, %s);\n      goto out;\n    }\n" (c_string where) in
  let compare expected =
    pr "    if (strcmp (got, %s) != 0) {\n" (c_string expected);
    pr "      mismatch (%s, %s, got);\n" (c_string where) (c_string expected);
    pr "      free (got);\n      goto out;\n    }\n" in
  (match c.c_expect with
   | Succeeds ->
     check_success ();
     pr_free ~indent:4 a
   | Equals l ->
     check_success ();
     pr_got ~indent:4 a;
     pr_free ~indent:4 a;
     compare (Render.ret api a.ret l)
   | Fields fs ->
     check_success ();
     pr_fields ~indent:4 api a fs;
     pr_free ~indent:4 a;
     let sname = match a.ret with RStruct s -> s | _ -> assert false in
     compare (Render.fields api sname fs)
   | Matches text ->
     check_success ();
     let found = match a.ret with
       | RBufferOut -> sprintf "memmem (r, size, %s, %d) != NULL" (c_string text) (String.length text)
       | RConstOptString -> sprintf "r != NULL && strstr (r, %s) != NULL" (c_string text)
       | _ -> sprintf "strstr (r, %s) != NULL" (c_string text) in
     pr "    if (!(%s)) {\n" found;
     pr_got ~indent:6 a;
     pr_free ~indent:6 a;
     pr "      mismatch (%s, %s, got);\n" (c_string where) (c_string ("=~ " ^ render_string text));
     pr "      free (got);\n      goto out;\n    }\n";
     pr_free ~indent:4 a
   | Length n ->
     check_success ();
     let len = match a.ret with
       | RString -> "strlen (r)"
       | RStringList -> "count_strings (r)"
       | RHashtable -> "count_strings (r) / 2"
       | RStructList _ -> "r->len"
       | RBufferOut -> "size"
       | _ -> "0" in
     pr "    if (%s != %d) {\n" len n;
     pr "      if (asprintf (&got, \"len %%zu\", (size_t) %s) == -1)\n        abort ();\n" len;
     pr_free ~indent:6 a;
     pr "      mismatch (%s, \"len %d\", got);\n" (c_string where) n;
     pr "      free (got);\n      goto out;\n    }\n";
     pr_free ~indent:4 a
   | Fails (ename, text) ->
     (match error_cond a with
      | None -> ()
      | Some cond ->
        pr "    if (!(%s)) {\n" cond;
        pr_got ~indent:6 a;
        pr_free ~indent:6 a;
        pr "      mismatch (%s, \"error\", got);\n" (c_string where);
        pr "      free (got);\n      goto out;\n    }\n");
     Option.iter (fun e ->
       pr "    if (strcmp (errno_name (minnow_last_errno (g)), %s) != 0) {\n" (c_string e);
       pr "      mismatch_error (g, %s, %s);\n      goto out;\n    }\n"
         (c_string where) (c_string ("error " ^ e))) ename;
     Option.iter (fun t ->
       pr "    if (minnow_last_error (g) == NULL || strstr (minnow_last_error (g), %s) == NULL) {\n"
         (c_string t);
       pr "      mismatch_error (g, %s, %s);\n      goto out;\n    }\n"
         (c_string where) (c_string ("error =~ " ^ render_string t))) text);
  pr "    free (got);\n  }\n"

let helpers = {|static FILE *diag;        /* diagnostics of the current test */

static void
failed_call (minnow_h *g, const char *where)
{
  fprintf (diag, "# %s\n# expected: success\n# got: error %s: %s\n", where,
           errno_name (minnow_last_errno (g)),
           minnow_last_error (g) ? minnow_last_error (g) : "(no message)");
}

static void
mismatch (const char *where, const char *expected, const char *got)
{
  fprintf (diag, "# %s\n# expected: %s\n# got: %s\n", where, expected, got);
}

static void
mismatch_error (minnow_h *g, const char *where, const char *expected)
{
  fprintf (diag, "# %s\n# expected: %s\n# got: error %s: %s\n", where, expected,
           errno_name (minnow_last_errno (g)),
           minnow_last_error (g) ? minnow_last_error (g) : "(no message)");
}

static minnow_h *
new_handle (void)
{
  minnow_h *g = minnow_create ();

  if (g == NULL) {
    fprintf (diag, "# minnow_create failed\n");
    return NULL;
  }
  /* Errors are expected by some tests: report them only as diagnostics. */
  minnow_set_error_handler (g, NULL, NULL);
  return g;
}

/* The scenarios' drive: a scratch drive, or with MINNOW_TEST_FORMAT=FMT
 * (qcow2, vmdk ...) a fresh image of that format made by disk_create in
 * $TMPDIR, so that every test also runs on a drive served by qemu-nbd.
 * The image of the previous test is removed first, the last at exit. */
static char test_drive[4096];

static void
remove_test_drive (void)
{
  if (test_drive[0])
    unlink (test_drive);
  test_drive[0] = '\0';
}

static int
add_test_drive (minnow_h *g, int64_t size)
{
  const char *fmt = getenv ("MINNOW_TEST_FORMAT");
  const char *tmpdir = getenv ("TMPDIR") ? getenv ("TMPDIR") : "/tmp";
  static unsigned serial;

  if (fmt == NULL || *fmt == '\0' || strcmp (fmt, "scratch") == 0)
    return minnow_add_drive_scratch (g, size, -1);
  remove_test_drive ();
  snprintf (test_drive, sizeof test_drive, "%s/api-test-%d-%u.%s", tmpdir,
            (int) getpid (), serial++, fmt);
  if (minnow_disk_create (g, test_drive, fmt, size, -1) == -1)
    return -1;
  return minnow_add_drive_opts (g, test_drive, MINNOW_ADD_DRIVE_OPTS_FORMAT,
                                fmt, -1);
}

|}

(* Data safety after every test: unmount everything (which flushes it
   all, as close does), then every ext2/3/4 filesystem on the disks must
   pass e2fsck -fn and every vfat one fsck.fat.  Emitted only when api.def has the actions it uses. *)
let fsck_helper = {|
static int
filesystems_clean (minnow_h *g)
{
  char **fs;
  size_t i;
  int ret = 0;

  if (minnow_is_ready (g) != 1)
    return 0;                   /* the test shut the handle down */
  if (minnow_umount_all (g) == -1) {
    failed_call (g, "after the test: umount_all");
    return -1;
  }
  fs = minnow_list_filesystems (g);
  if (fs == NULL) {
    failed_call (g, "after the test: list_filesystems");
    return -1;
  }
  for (i = 0; fs[i] != NULL && fs[i + 1] != NULL; i += 2) {
    if (ret == 0 && strncmp (fs[i + 1], "ext", 3) == 0
        && minnow_e2fsck (g, fs[i], -1) == -1) {
      fprintf (diag, "# after the test: e2fsck -fn %s\n", fs[i]);
      failed_call (g, "after the test: the filesystem must be clean");
      ret = -1;
    }
    /* FAT (issue 15): fsck.fat must find nothing to repair. */
    if (ret == 0 && strcmp (fs[i + 1], "vfat") == 0
        && minnow_fsck (g, "vfat", fs[i]) != 0) {
      fprintf (diag, "# after the test: fsck.fat %s\n", fs[i]);
      failed_call (g, "after the test: the FAT filesystem must be clean");
      ret = -1;
    }
  }
  for (i = 0; fs[i] != NULL; ++i)
    free (fs[i]);
  free (fs);
  return ret;
}

|}

let has_fsck api =
  List.for_all (fun n -> List.exists (fun a -> a.name = n) api.actions)
    ["umount_all"; "list_filesystems"; "e2fsck"; "fsck"; "is_ready"]

let tests api =
  List.concat_map (fun a ->
    List.mapi (fun i t -> (a, i + 1, t)) a.tests) api.actions

let generate api =
  generated_by `C;
  pr "/* The tests of api.def, one fresh handle each, as a TAP program.\n";
  pr " * SKIP_TEST_NAME=1 (NAME in upper case) skips the tests of an action. */\n\n";
  pr "#include <config.h>\n\n";
  pr "#include <errno.h>\n#include <inttypes.h>\n#include <stdint.h>\n#include <stdio.h>\n";
  pr "#include <stdlib.h>\n#include <string.h>\n#include <unistd.h>\n\n#include \"minnow.h\"\n#include \"quote.h\"\n\n";
  let all_calls = List.concat_map (fun (_, _, t) -> t.t_calls) (tests api) in
  pr_helpers api (errno_names all_calls);
  pr "%s" helpers;
  if has_fsck api then pr "%s" fsck_helper;
  List.iteri (fun k (a, i, t) ->
    pr "/* api.def:%d: %s, test %d (%s) */\n" t.t_line a.name i (string_of_scenario t.t_scenario);
    pr "static int\ntest_%d (void)\n{\n" (k + 1);
    pr "  minnow_h *g = new_handle ();\n  int ret = -1;\n\n";
    pr "  if (g == NULL)\n    return -1;\n";
    pr "  /* Scenario %s. */\n" (string_of_scenario t.t_scenario);
    List.iter (fun (c : call) ->
      if c.c_name = "add_drive_scratch" then
        match c.c_args with
        | [LInt size] ->
          pr "  if (add_test_drive (g, INT64_C(%s)) == -1) {\n" size;
          pr "    failed_call (g, %s);\n    goto out;\n  }\n"
            (c_string (sprintf "api.def:%d: the scenario's drive" t.t_line))
        | _ -> pr_call api t.t_line c
      else pr_call api t.t_line c) (Scenarios.setup t.t_scenario);
    pr "  /* The test. */\n";
    List.iter (pr_call api t.t_line) t.t_calls;
    if has_fsck api then
      pr "  if (filesystems_clean (g) == -1)\n    goto out;\n";
    pr "  ret = 0;\n\n out:\n  minnow_close (g);\n  return ret;\n}\n\n") (tests api);
  pr "static const struct {\n  const char *action;\n  const char *title;\n  int (*fn) (void);\n} tests[] = {\n";
  List.iteri (fun k (a, i, t) ->
    let title = match t.t_title with
      | Some s -> s
      | None -> sprintf "%s test %d" (string_of_scenario t.t_scenario) i in
    pr "  { %s, %s, test_%d },\n" (c_string a.name) (c_string title) (k + 1)) (tests api);
  pr "};\n\n";
  pr "%s" {|static int
skipped (const char *action)
{
  char var[128];
  size_t i;
  const char *v;

  snprintf (var, sizeof var, "SKIP_TEST_%s", action);
  for (i = 0; var[i]; ++i)
    if (var[i] >= 'a' && var[i] <= 'z')
      var[i] -= 'a' - 'A';
  v = getenv (var);
  return v != NULL && strcmp (v, "1") == 0;
}

int
main (void)
{
  size_t i, n = sizeof tests / sizeof tests[0];

  printf ("1..%zu\n", n);
  fflush (stdout);
  for (i = 0; i < n; ++i) {
    char *d = NULL;
    size_t dlen = 0;
    int r;

    if (skipped (tests[i].action)) {
      printf ("ok %zu - %s: %s # SKIP SKIP_TEST_* is set\n", i + 1,
              tests[i].action, tests[i].title);
      continue;
    }
    diag = open_memstream (&d, &dlen);
    if (diag == NULL)
      abort ();
    r = tests[i].fn ();
    fclose (diag);
    printf ("%s %zu - %s: %s\n", r == 0 ? "ok" : "not ok", i + 1,
            tests[i].action, tests[i].title);
    fputs (d, stdout);
    fflush (stdout);
    free (d);
  }
  remove_test_drive ();
  /* Failures are reported by the TAP lines above. */
  return 0;
}
|}
