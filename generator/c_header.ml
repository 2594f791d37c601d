open Types
open Printf
open Utils
open Cnames

let fixed_api = {|typedef struct minnow_h minnow_h;

/* Flags of minnow_create_flags. */
#define MINNOW_CREATE_NO_ENVIRONMENT   1   /* ignore MINNOW_DEBUG/TRACE/BACKEND */
#define MINNOW_CREATE_NO_CLOSE_ON_EXIT 2   /* not closed by the atexit handler */

extern minnow_h *minnow_create (void);
extern minnow_h *minnow_create_flags (unsigned flags, ...);
extern void minnow_close (minnow_h *g);

/* Errors. */
extern const char *minnow_last_error (minnow_h *g);
extern int minnow_last_errno (minnow_h *g);
typedef void (*minnow_error_handler_cb) (minnow_h *g, void *opaque, const char *msg);
typedef void (*minnow_abort_cb) (void) __attribute__((noreturn));
extern void minnow_set_error_handler (minnow_h *g, minnow_error_handler_cb cb, void *opaque);
extern minnow_error_handler_cb minnow_get_error_handler (minnow_h *g, void **opaque_rtn);
/* Saves the current handler and sets cb; pop restores the saved one. */
extern void minnow_push_error_handler (minnow_h *g, minnow_error_handler_cb cb, void *opaque);
extern void minnow_pop_error_handler (minnow_h *g);
extern void minnow_set_out_of_memory_handler (minnow_h *g, minnow_abort_cb cb);
extern minnow_abort_cb minnow_get_out_of_memory_handler (minnow_h *g);

/* Events. */
typedef void (*minnow_event_callback) (minnow_h *g, void *opaque,
                                       uint64_t event, int event_handle, int flags,
                                       const char *buf, size_t buf_len,
                                       const uint64_t *array, size_t array_len);
/* Returns an event handle >= 0, or -1 on error. */
extern int minnow_set_event_callback (minnow_h *g, minnow_event_callback cb,
                                      uint64_t event_bitmask, int flags, void *opaque);
extern void minnow_delete_event_callback (minnow_h *g, int event_handle);
/* "close,progress"; the caller frees the string. */
extern char *minnow_event_to_string (uint64_t event_bitmask);

/* Private data. */
extern void minnow_set_private (minnow_h *g, const char *key, void *data);
extern void *minnow_get_private (minnow_h *g, const char *key);
extern void *minnow_first_private (minnow_h *g, const char **key_rtn);
extern void *minnow_next_private (minnow_h *g, const char **key_rtn);

/* Cancel a file transfer in progress: async-signal-safe, any thread. */
extern void minnow_user_cancel (minnow_h *g);
|}

let pr_events api =
  pr "/* Event classes (minnow_set_event_callback). */\n";
  List.iter (fun e ->
    pr "#define %-32s UINT64_C(0x%02x)\n" (event_const e) e.e_bit) api.events;
  let all = List.fold_left (fun m e -> m lor e.e_bit) 0 api.events in
  pr "#define %-32s UINT64_C(0x%02x)\n\n" "MINNOW_EVENT_ALL" all

let pr_struct st =
  pr "struct minnow_%s {\n" st.s_name;
  List.iter (fun f -> List.iter (pr "  %s\n") (struct_field_c f)) st.s_fields;
  pr "};\n\n";
  pr "struct minnow_%s_list {\n" st.s_name;
  pr "  uint32_t len;\n";
  pr "  struct minnow_%s *val;\n" st.s_name;
  pr "};\n\n";
  pr "extern void minnow_free_%s (struct minnow_%s *);\n" st.s_name st.s_name;
  pr "extern void minnow_free_%s_list (struct minnow_%s_list *);\n\n" st.s_name st.s_name

let attrs a =
  let nn = "\n  MINNOW_NONNULL_HANDLE" in
  match List.find_map (function Deprecated_by o -> Some o | _ -> None) a.flags with
  | Some o -> sprintf "%s\n  MINNOW_DEPRECATED_REPLACED_BY (%S)" nn o
  | None -> nn

let pr_action a =
  if once_had_no_optargs a then begin
    (* libguestfs's back-compatible form: the name keeps its original
       fixed arity, the optional arguments live under NAME_opts. *)
    pr "#define MINNOW_HAVE_%s 1\n" (upper a.name);
    pr "extern %s%s;\n\n" (c_proto Fixed a) (attrs a)
  end;
  pr "#define MINNOW_HAVE_%s 1\n" (upper (c_name a));
  if a.optargs = [] then
    pr "extern %s%s;\n\n" (c_proto Plain a) (attrs a)
  else begin
    pr "extern %s%s;\n" (c_proto Plain a) (attrs a);
    pr "extern %s%s;\n" (c_proto Va a) (attrs a);
    pr "%s {\n" (argv_struct a);
    pr "  uint64_t bitmask;    /* which of the fields below are set */\n";
    List.iteri (fun i (t, n) ->
      pr "# define %s (UINT64_C(1)<<%d)\n" (optarg_bitmask a n) i;
      let ty = c_optarg_type t in
      if ty.[String.length ty - 1] = '*' then pr "  %s%s;\n" ty n
      else pr "  %s %s;\n" ty n) a.optargs;
    pr "};\n";
    List.iteri (fun i (_, n) -> pr "#define %s %d\n" (optarg_index a n) i) a.optargs;
    pr "extern %s%s;\n\n" (c_proto Argv a) (attrs a)
  end

let generate api =
  generated_by `C;
  pr "/* minnow: create, read and modify disk images.  The public C API.\n";
  pr " * Documentation: minnow(3). */\n\n";
  pr "#ifndef MINNOW_H_\n#define MINNOW_H_\n\n";
  pr "#include <stdarg.h>\n#include <stddef.h>\n#include <stdint.h>\n\n";
  pr "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  pr "/* The handle argument of every action must not be NULL.  (The varargs\n";
  pr " * forms are not marked sentinel: GCC's sentinel attribute wants a NULL\n";
  pr " * pointer, and the optional-argument lists end with the integer -1.) */\n";
  pr "#if defined (__GNUC__)\n";
  pr "# define MINNOW_NONNULL_HANDLE __attribute__((__nonnull__ (1)))\n";
  pr "#else\n# define MINNOW_NONNULL_HANDLE\n#endif\n\n";
  pr "%s\n" fixed_api;
  pr_events api;
  pr "/* Structs returned by actions. */\n\n";
  List.iter pr_struct api.structs;
  pr "/* Define MINNOW_WARN_DEPRECATED to be warned about deprecated calls. */\n";
  pr "#if defined (MINNOW_WARN_DEPRECATED) && defined (__GNUC__)\n";
  pr "# define MINNOW_DEPRECATED_REPLACED_BY(s) __attribute__((__deprecated__ (\"use minnow_\" s \" instead\")))\n";
  pr "#else\n# define MINNOW_DEPRECATED_REPLACED_BY(s)\n#endif\n\n";
  pr "/* Actions.  Optional arguments: minnow_NAME (g, args..., OPT, value, ..., -1),\n";
  pr " * minnow_NAME_va, or minnow_NAME_argv with a struct whose bitmask says\n";
  pr " * which fields are set.  An action that had no optional arguments in\n";
  pr " * libguestfs's first version keeps that fixed-arity form under its name\n";
  pr " * (minnow_add_drive (g, filename)); its optional-argument forms are\n";
  pr " * minnow_NAME_opts, minnow_NAME_opts_va and minnow_NAME_opts_argv. */\n\n";
  List.iter pr_action api.actions;
  pr "#ifdef __cplusplus\n}\n#endif\n\n#endif /* MINNOW_H_ */\n"
