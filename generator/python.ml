open Types
open Printf
open Utils

(* ------------------------------------------------------------ C wrappers *)

(* Local C variables of one argument. *)
let pr_arg_decls (t, n) =
  match t with
  | String | Device | Mountable | Pathname | Dev_or_Path | Key | FileIn | FileOut
  | OptString ->
    pr "  PyObject *py_%s;\n  const char *%s;\n  PyObject *keep_%s = NULL;\n" n n n
  | StringList | DeviceList ->
    pr "  PyObject *py_%s;\n  char **%s = NULL;\n" n n
  | Bool -> pr "  int %s;\n" n
  | Int -> pr "  int %s;\n" n
  | Int64 -> pr "  long long %s;\n" n
  | BufferIn -> pr "  const char *%s;\n  Py_ssize_t %s_size;\n" n n

let arg_format (t, _) =
  match t with
  | String | Device | Mountable | Pathname | Dev_or_Path | Key | FileIn | FileOut
  | OptString | StringList | DeviceList -> "O"
  | Bool -> "p"
  | Int -> "i"
  | Int64 -> "L"
  | BufferIn -> "s#"    (* bytes, or str (UTF-8), as libguestfs *)

let arg_addrs (t, n) =
  match t with
  | String | Device | Mountable | Pathname | Dev_or_Path | Key | FileIn | FileOut
  | OptString | StringList | DeviceList -> [sprintf "&py_%s" n]
  | Bool | Int | Int64 -> ["&" ^ n]
  | BufferIn -> ["&" ^ n; sprintf "&%s_size" n]

let c_call_args a =
  List.concat_map (fun (t, n) ->
    match t with
    | BufferIn -> [n; sprintf "(size_t) %s_size" n]
    | Int64 -> [sprintf "(int64_t) %s" n]
    | StringList | DeviceList -> [sprintf "(char *const *) %s" n]
    | _ -> [n]) a.args

let pr_ret_decl = function
  | RErr | RInt | RBool -> pr "  int r;\n"
  | RInt64 -> pr "  int64_t r;\n"
  | RConstString | RConstOptString -> pr "  const char *r;\n"
  | RString -> pr "  char *r;\n"
  | RStringList | RHashtable -> pr "  char **r;\n"
  | RStruct s -> pr "  struct minnow_%s *r;\n" s
  | RStructList s -> pr "  struct minnow_%s_list *r;\n" s
  | RBufferOut -> pr "  char *r;\n  size_t size;\n"

let pr_ret_convert = function
  | RErr -> pr "  Py_INCREF (Py_None);\n  py_r = Py_None;\n"
  | RInt -> pr "  py_r = PyLong_FromLong ((long) r);\n"
  | RInt64 -> pr "  py_r = PyLong_FromLongLong ((long long) r);\n"
  | RBool -> pr "  py_r = PyBool_FromLong (r);\n"
  | RConstString -> pr "  py_r = minnow_py_string (r);\n"
  | RConstOptString ->
    pr "  if (r)\n    py_r = minnow_py_string (r);\n";
    pr "  else {\n    Py_INCREF (Py_None);\n    py_r = Py_None;\n  }\n"
  | RString -> pr "  py_r = minnow_py_string (r);\n  free (r);\n"
  | RStringList -> pr "  py_r = minnow_py_string_list (r);\n  minnow_py_free_strings (r);\n"
  | RHashtable -> pr "  py_r = minnow_py_hashtable (r);\n  minnow_py_free_strings (r);\n"
  | RStruct s -> pr "  py_r = put_%s (r);\n  minnow_free_%s (r);\n" s s
  | RStructList s -> pr "  py_r = put_%s_list (r);\n  minnow_free_%s_list (r);\n" s s
  | RBufferOut -> pr "  py_r = PyBytes_FromStringAndSize (r, (Py_ssize_t) size);\n  free (r);\n"

let pr_struct_converter ~list st =
  pr "static PyObject *\nput_%s (const struct minnow_%s *s)\n{\n" st.s_name st.s_name;
  pr "  PyObject *d = PyDict_New ();\n  PyObject *v;\n\n";
  pr "  if (d == NULL)\n    return NULL;\n";
  List.iter (fun (t, f) ->
    (match t with
     | FString -> pr "  v = minnow_py_string (s->%s);\n" f
     | FBuffer -> pr "  v = PyBytes_FromStringAndSize (s->%s, (Py_ssize_t) s->%s_len);\n" f f
     | FChar -> pr "  v = PyUnicode_FromStringAndSize (&s->%s, 1);\n" f
     | FInt32 -> pr "  v = PyLong_FromLong ((long) s->%s);\n" f
     | FUInt32 -> pr "  v = PyLong_FromUnsignedLong ((unsigned long) s->%s);\n" f
     | FInt64 -> pr "  v = PyLong_FromLongLong ((long long) s->%s);\n" f
     | FUInt64 -> pr "  v = PyLong_FromUnsignedLongLong ((unsigned long long) s->%s);\n" f
     | FBool -> pr "  v = PyBool_FromLong (s->%s);\n" f);
    pr "  if (v == NULL || PyDict_SetItemString (d, \"%s\", v) == -1) {\n" f;
    pr "    Py_XDECREF (v);\n    Py_DECREF (d);\n    return NULL;\n  }\n";
    pr "  Py_DECREF (v);\n") st.s_fields;
  pr "  return d;\n}\n\n";
  if list then begin
  pr "static PyObject *\nput_%s_list (const struct minnow_%s_list *l)\n{\n" st.s_name st.s_name;
  pr "  PyObject *list = PyList_New ((Py_ssize_t) l->len);\n  uint32_t i;\n\n";
  pr "  if (list == NULL)\n    return NULL;\n";
  pr "  for (i = 0; i < l->len; ++i) {\n";
  pr "    PyObject *d = put_%s (&l->val[i]);\n" st.s_name;
  pr "    if (d == NULL) {\n      Py_DECREF (list);\n      return NULL;\n    }\n";
  pr "    PyList_SET_ITEM (list, (Py_ssize_t) i, d);\n  }\n";
  pr "  return list;\n}\n\n"
  end

let pr_action a =
  pr "static PyObject *\npy_minnow_%s (PyObject *self, PyObject *args)\n{\n" a.name;
  pr "  PyObject *py_g;\n  minnow_h *g;\n  PyObject *py_r = NULL;\n";
  pr_ret_decl a.ret;
  List.iter pr_arg_decls a.args;
  if a.optargs <> [] then begin
    pr "  %s optargs_s = { .bitmask = 0 };\n" (Cnames.argv_struct a);
    List.iter (fun (t, n) ->
      pr "  PyObject *py_%s;\n" n;
      match t with
      | OString -> pr "  PyObject *keep_%s = NULL;\n" n
      | OStringList -> pr "  char **%s = NULL;\n" n
      | OBool | OInt | OInt64 -> ()) a.optargs
  end;
  pr "\n";
  let fmt = String.concat "" ("O" :: List.map arg_format a.args
                              @ List.map (fun _ -> "O") a.optargs) in
  let addrs = "&py_g" :: List.concat_map arg_addrs a.args
              @ List.map (fun (_, n) -> "&py_" ^ n) a.optargs in
  pr "  if (!PyArg_ParseTuple (args, \"%s:%s\",\n" fmt a.name;
  pr "                         %s))\n    return NULL;\n" (wrap_list ~indent:25 addrs);
  pr "  g = minnow_py_get_handle (py_g, \"%s\");\n" a.name;
  pr "  if (g == NULL)\n    return NULL;\n";
  List.iter (fun (t, n) ->
    match t with
    | String | Device | Mountable | Pathname | Dev_or_Path | Key | FileIn | FileOut ->
      pr "  if (minnow_py_get_string (py_%s, \"%s\", 0, &%s, &keep_%s) == -1)\n    goto out;\n" n n n n
    | OptString ->
      pr "  if (minnow_py_get_string (py_%s, \"%s\", 1, &%s, &keep_%s) == -1)\n    goto out;\n" n n n n
    | StringList | DeviceList ->
      pr "  %s = minnow_py_get_string_list (py_%s, \"%s\");\n  if (%s == NULL)\n    goto out;\n" n n n n
    | Bool | Int | Int64 | BufferIn -> ()) a.args;
  List.iter (fun (t, n) ->
    pr "  if (py_%s != Py_None) {\n" n;
    pr "    optargs_s.bitmask |= %s;\n" (Cnames.optarg_bitmask a n);
    (match t with
     | OBool ->
       pr "    if ((optargs_s.%s = PyObject_IsTrue (py_%s)) == -1)\n      goto out;\n" n n
     | OInt ->
       pr "    optargs_s.%s = minnow_py_get_int (py_%s, \"%s\");\n" n n n;
       pr "    if (PyErr_Occurred ())\n      goto out;\n"
     | OInt64 ->
       pr "    optargs_s.%s = PyLong_AsLongLong (py_%s);\n" n n;
       pr "    if (PyErr_Occurred ())\n      goto out;\n"
     | OString ->
       pr "    if (minnow_py_get_string (py_%s, \"%s\", 0, &optargs_s.%s, &keep_%s) == -1)\n      goto out;\n" n n n n
     | OStringList ->
       pr "    %s = minnow_py_get_string_list (py_%s, \"%s\");\n    if (%s == NULL)\n      goto out;\n" n n n n;
       pr "    optargs_s.%s = (char *const *) %s;\n" n n);
    pr "  }\n") a.optargs;
  let call_args = String.concat ", "
      (("g" :: c_call_args a)
       @ (match a.ret with RBufferOut -> ["&size"] | _ -> [])
       @ (if a.optargs <> [] then ["&optargs_s"] else [])) in
  let fn = if a.optargs <> [] then Cnames.argv_fn a else "minnow_" ^ a.name in
  pr "\n  Py_BEGIN_ALLOW_THREADS\n";
  pr "  r = %s (%s);\n" fn call_args;
  pr "  Py_END_ALLOW_THREADS\n";
  (match Cnames.c_err_value a.ret with
   | Some e -> pr "  if (r == %s) {\n    minnow_py_raise_error (g);\n    goto out;\n  }\n" e
   | None -> ());
  pr_ret_convert a.ret;
  pr "\n out: __attribute__ ((unused));\n";
  List.iter (fun (t, n) ->
    match t with
    | String | Device | Mountable | Pathname | Dev_or_Path | Key | FileIn | FileOut
    | OptString -> pr "  Py_XDECREF (keep_%s);\n" n
    | StringList | DeviceList -> pr "  minnow_py_free_strings (%s);\n" n
    | Bool | Int | Int64 | BufferIn -> ()) a.args;
  List.iter (fun (t, n) ->
    match t with
    | OString -> pr "  Py_XDECREF (keep_%s);\n" n
    | OStringList -> pr "  minnow_py_free_strings (%s);\n" n
    | OBool | OInt | OInt64 -> ()) a.optargs;
  pr "  return py_r;\n}\n\n"

let generate_actions_c api =
  generated_by `C;
  pr "/* The _minnow extension module: one wrapper per action of api.def.\n";
  pr " * The handle, errors and events are in handle.c (hand-written). */\n\n";
  pr "#define PY_SSIZE_T_CLEAN 1\n#include <Python.h>\n\n";
  pr "#include <stdint.h>\n#include <stdlib.h>\n\n";
  pr "#include \"minnow.h\"\n#include \"minnow-py.h\"\n\n";
  List.iter (fun (st, list) -> pr_struct_converter ~list st) (Binding_utils.used_structs api);
  List.iter pr_action api.actions;
  pr "static PyMethodDef methods[] = {\n";
  List.iter (fun (n, flags) ->
    pr "  { \"%s\", (PyCFunction) minnow_py_%s, %s, NULL },\n" n n flags)
    ["create", "METH_VARARGS"; "close", "METH_VARARGS";
     "set_event_callback", "METH_VARARGS"; "delete_event_callback", "METH_VARARGS";
     "event_to_string", "METH_VARARGS"; "user_cancel", "METH_VARARGS";
     "last_errno", "METH_VARARGS";
     "_set_error_class", "METH_VARARGS"];
  List.iter (fun a ->
    pr "  { \"%s\", py_minnow_%s, METH_VARARGS, NULL },\n" a.name a.name) api.actions;
  pr "  { NULL, NULL, 0, NULL }\n};\n\n";
  pr "static struct PyModuleDef module = {\n";
  pr "  PyModuleDef_HEAD_INIT, \"_minnow\", \"minnow: the C glue; use the minnow module\",\n";
  pr "  -1, methods, NULL, NULL, NULL, NULL\n};\n\n";
  pr "PyMODINIT_FUNC PyInit__minnow (void);\n\n";
  pr "PyMODINIT_FUNC\nPyInit__minnow (void)\n{\n";
  pr "  return PyModule_Create (&module);\n}\n"

(* ------------------------------------------------------------ minnow.py *)

let py_keywords = [
  "False"; "None"; "True"; "and"; "as"; "assert"; "async"; "await"; "break";
  "class"; "continue"; "def"; "del"; "elif"; "else"; "except"; "finally";
  "for"; "from"; "global"; "if"; "import"; "in"; "is"; "lambda"; "nonlocal";
  "not"; "or"; "pass"; "raise"; "return"; "try"; "while"; "with"; "yield";
]
let py_name n = if List.mem n py_keywords then n ^ "_" else n

let doc_of a =
  let text = Binding_utils.pod_to_text ~call:(fun n -> "g." ^ n) a.longdesc in
  let text = replace_str text "\\" "\\\\" in
  let text = replace_str text "\"\"\"" "\\\"\\\"\\\"" in
  let ret = match a.ret with
    | RErr -> None
    | RInt | RInt64 -> Some "an int"
    | RBool -> Some "a bool"
    | RConstString | RString -> Some "a str"
    | RConstOptString -> Some "a str or None"
    | RStringList -> Some "a list of str"
    | RHashtable -> Some "a list of (key, value) pairs, or a dict with python_return_dict=True"
    | RStruct s -> Some (sprintf "a dict (the fields of struct %s)" s)
    | RStructList s -> Some (sprintf "a list of dicts (the fields of struct %s)" s)
    | RBufferOut -> Some "bytes" in
  let ret = match ret with None -> "" | Some r -> sprintf "\n\nReturns %s." r in
  sprintf "%s\n\n%s%s" (String.capitalize_ascii a.shortdesc) text ret

let indent_text n s =
  let pad = String.make n ' ' in
  String.concat "\n" (List.map (fun l -> if l = "" then "" else pad ^ l)
                        (String.split_on_char '\n' s))

let py_arg_type = function
  | String | Device | Mountable | Pathname | Dev_or_Path | Key | FileIn | FileOut -> "str"
  | OptString -> "Optional[str]"
  | StringList | DeviceList -> "List[str]"
  | Bool -> "bool"
  | Int | Int64 -> "int"
  | BufferIn -> "Union[bytes, str]"

let py_optarg_type = function
  | OBool -> "bool" | OInt | OInt64 -> "int" | OString -> "str"
  | OStringList -> "List[str]"

let py_ret_type = function
  | RErr -> "None"
  | RInt | RInt64 -> "int"
  | RBool -> "bool"
  | RConstString | RString -> "str"
  | RConstOptString -> "Optional[str]"
  | RStringList -> "List[str]"
  | RHashtable -> "Union[List[Tuple[str, str]], Dict[str, str]]"
  | RStruct _ -> "Dict[str, Any]"
  | RStructList _ -> "List[Dict[str, Any]]"
  | RBufferOut -> "bytes"

let generate_module api =
  generated_by `Hash;
  pr "\"\"\"minnow: create, read and modify disk images.\n\n";
  pr "    import minnow\n";
  pr "    with minnow.Minnow() as g:\n";
  pr "        g.add_drive_ro(\"disk.img\")\n";
  pr "        g.launch()\n";
  pr "        print(g.list_devices())\n\n";
  pr "The shape is libguestfs's (import guestfs; guestfs.GuestFS()), renamed.\n";
  pr "Errors raise minnow.Error, a RuntimeError with .errno.\n\"\"\"\n\n";
  pr "import atexit\nimport os\nimport sys\nimport weakref\nfrom typing import Any, Callable, Dict, List, Optional, Tuple, Union\n\n";
  pr "import _minnow\n\n\n";
  pr "class Error(RuntimeError):\n";
  pr "    \"\"\"An error reported by the library: str(e) is the message,\n";
  pr "    e.errno the errno value (0 when there is none).\"\"\"\n\n";
  pr "    def __init__(self, message: str, errno: int = 0) -> None:\n";
  pr "        RuntimeError.__init__(self, message)\n";
  pr "        self.errno = errno\n\n\n";
  pr "class ClosedHandle(ValueError, Error):\n";
  pr "    \"\"\"A method was called on a closed handle (libguestfs's\n";
  pr "    ClosedHandle, a ValueError; also a minnow.Error).\"\"\"\n\n";
  pr "    def __init__(self, message: str, errno: int = 0) -> None:\n";
  pr "        Error.__init__(self, message, errno)\n\n\n";
  pr "_minnow._set_error_class(Error, ClosedHandle)\n\n";
  pr "CREATE_NO_ENVIRONMENT = 1\nCREATE_NO_CLOSE_ON_EXIT = 2\n\n";
  List.iter (fun e -> pr "EVENT_%s = 0x%02x\n" (String.uppercase_ascii e.e_name) e.e_bit) api.events;
  pr "EVENT_ALL = 0x%02x\n\n\n"
    (List.fold_left (fun m e -> m lor e.e_bit) 0 api.events);
  pr "def event_to_string(events: int) -> str:\n";
  pr "    \"\"\"The names of the event classes in a bitmask: \"close,progress\".\"\"\"\n";
  pr "    return _minnow.event_to_string(events)\n\n\n";
  pr "EventCallback = Callable[[int, int, bytes, List[int]], Any]\n\n";
  pr "# Handles created with close_on_exit=True (the default), closed by an\n";
  pr "# atexit function while Python can still run their CLOSE callbacks.\n";
  pr "_close_on_exit: \"weakref.WeakSet[Minnow]\" = weakref.WeakSet()\n\n\n";
  pr "def _close_handles_at_exit() -> None:\n";
  pr "    for g in list(_close_on_exit):\n";
  pr "        g.close()\n\n\n";
  pr "atexit.register(_close_handles_at_exit)\n\n\n";
  pr "class Minnow(object):\n";
  pr "    \"\"\"A minnow handle.  Close it with close(), or use it in a with\n";
  pr "    statement; it is also closed when it is collected.\n\n";
  pr "    python_return_dict: hashtables come back as dicts (else, as in\n";
  pr "    libguestfs, as lists of (key, value) pairs).  environment=False:\n";
  pr "    ignore the MINNOW_* environment variables.  close_on_exit=False:\n";
  pr "    the handle is not closed when the program exits.  flags: the\n";
  pr "    CREATE_* bits of minnow_create_flags, or-ed with those.\"\"\"\n\n";
  pr "    def __init__(self, python_return_dict: bool = False,\n";
  pr "                 environment: bool = True, close_on_exit: bool = True,\n";
  pr "                 *, flags: int = 0) -> None:\n";
  pr "        self._o = None\n";
  pr "        if not environment:\n            flags |= CREATE_NO_ENVIRONMENT\n";
  pr "        if not close_on_exit:\n            flags |= CREATE_NO_CLOSE_ON_EXIT\n";
  pr "        self._o = _minnow.create(flags)\n";
  pr "        self._python_return_dict = python_return_dict\n";
  pr "        if close_on_exit:\n            _close_on_exit.add(self)\n";
  pr "        # As libguestfs: the program name is the script's, not python's.\n";
  pr "        if sys.argv and sys.argv[0]:\n";
  pr "            _minnow.set_program(self._o, os.path.basename(sys.argv[0]))\n\n";
  pr "    def __del__(self) -> None:\n";
  pr "        if self._o is not None:\n";
  pr "            self.close()\n\n";
  pr "    def __enter__(self) -> \"Minnow\":\n        return self\n\n";
  pr "    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:\n";
  pr "        self.close()\n\n";
  pr "    def _hash(self, r: Dict[str, str]) -> Union[List[Tuple[str, str]], Dict[str, str]]:\n";
  pr "        return r if self._python_return_dict else list(r.items())\n\n";
  pr "    def close(self) -> None:\n";
  pr "        \"\"\"Close the handle (syncing and stopping the daemon).  Closing\n";
  pr "        twice is harmless; any other call after close raises\n";
  pr "        ClosedHandle.\"\"\"\n";
  pr "        o = self._o\n";
  pr "        if o is not None:\n";
  pr "            self._o = None\n";
  pr "            _minnow.close(o)\n\n";
  pr "    def set_event_callback(self, cb: EventCallback, event_bitmask: int) -> int:\n";
  pr "        \"\"\"Call cb(event, event_handle, buf, array) for the events in\n";
  pr "        event_bitmask (EVENT_*): buf is bytes, array a list of ints.\n";
  pr "        Returns an event handle for delete_event_callback.\"\"\"\n";
  pr "        return _minnow.set_event_callback(self._o, cb, event_bitmask)\n\n";
  pr "    def delete_event_callback(self, event_handle: int) -> None:\n";
  pr "        \"\"\"Remove a callback set with set_event_callback.\"\"\"\n";
  pr "        _minnow.delete_event_callback(self._o, event_handle)\n\n";
  pr "    def user_cancel(self) -> None:\n";
  pr "        \"\"\"Cancel the call in progress; it fails with EINTR (safe from any thread).\"\"\"\n";
  pr "        _minnow.user_cancel(self._o)\n\n";
  pr "    def last_errno(self) -> int:\n";
  pr "        \"\"\"The errno of the last error on this handle (0 if none).\"\"\"\n";
  pr "        return _minnow.last_errno(self._o)\n";
  List.iter (fun a ->
    let args = List.map (fun (t, n) -> sprintf "%s: %s" (py_name n) (py_arg_type t)) a.args in
    let opts = List.map (fun (t, n) ->
      sprintf "%s: Optional[%s] = None" (py_name n) (py_optarg_type t)) a.optargs in
    let names = List.map (fun (_, n) -> py_name n) a.args @ List.map (fun (_, n) -> py_name n) a.optargs in
    let head = sprintf "    def %s(" a.name in
    pr "\n%s%s) -> %s:\n" head (wrap_list ~indent:(String.length head) ("self" :: args @ opts))
      (py_ret_type a.ret);
    pr "        \"\"\"%s\n        \"\"\"\n" (String.trim (indent_text 8 (doc_of a)));
    let call = sprintf "_minnow.%s(%s)" a.name (String.concat ", " ("self._o" :: names)) in
    (match a.ret with
     | RHashtable -> pr "        return self._hash(%s)\n" call
     | _ -> pr "        return %s\n" call);
    if once_had_no_optargs a then
      pr "\n    %s_opts = %s\n" a.name a.name) api.actions

(* ------------------------------------------------------------ tests *)

let py_bytes s = Utils.quoted_literal ~prefix:"b" s

(* A str literal; bytes from 0x80 go through bytes and surrogateescape, as
   the binding does for strings the library returns. *)
let py_str s =
  if String.exists (fun c -> Char.code c >= 0x80) s then sprintf "_s(%s)" (py_bytes s)
  else let b = py_bytes s in String.sub b 1 (String.length b - 1)

let rec py_lit_string_list = function
  | LList l -> "[" ^ String.concat ", " (List.map (function
      | LString s -> py_str s | l -> py_lit_string_list l) l) ^ "]"
  | LString s -> py_str s
  | _ -> "None"

(* Integers as the C tests read them (Render.int: decimal, 0x hex). *)
let py_int n = Render.int n

let py_arg (t, _) l =
  match t, l with
  | BufferIn, LString s -> py_bytes s
  | _, LString s -> py_str s
  | _, LNull -> "None"
  | _, LBool b -> if b then "True" else "False"
  | _, LInt n -> py_int n
  | _, (LList _ as l) -> py_lit_string_list l

let py_optarg (t, _) l =
  match t, l with
  | _, LString s -> py_str s
  | _, LBool b -> if b then "True" else "False"
  | _, LInt n -> py_int n
  | _, (LList _ as l) -> py_lit_string_list l
  | _, LNull -> "None"

let py_call (s : Binding_utils.step) =
  let a = s.st_action and c = s.st_call in
  let args = List.map2 py_arg a.args c.c_args in
  let opts = List.map (fun (o, l) ->
    let t = List.find (fun (_, n) -> n = o) a.optargs in
    sprintf "%s=%s" (py_name o) (py_optarg t l)) c.c_optargs in
  sprintf "g.%s(%s)" a.name (String.concat ", " (args @ opts))

(* The expected value, converted to what the binding returns. *)
let py_expected ret l =
  match ret, l with
  | RBufferOut, LString s -> py_bytes s
  | RHashtable, LList items ->
    let rec pairs = function
      | LString k :: LString v :: rest -> sprintf "(%s, %s)" (py_str k) (py_str v) :: pairs rest
      | _ -> [] in
    "[" ^ String.concat ", " (pairs items) ^ "]"
  | _, LString s -> py_str s
  | _, LNull -> "None"
  | _, LBool b -> if b then "True" else "False"
  | _, LInt n -> py_int n
  | _, (LList _ as l) -> py_lit_string_list l

let py_field api sname (f, l) =
  let st = List.find (fun st -> st.s_name = sname) api.structs in
  let t = fst (List.find (fun (_, n) -> n = f) st.s_fields) in
  let v = match t, l with
    | FBuffer, LString s -> py_bytes s
    | _, LString s -> py_str s
    | _, LBool b -> if b then "True" else "False"
    | _, LInt n -> Render.int n
    | _, _ -> "None" in
  sprintf "(%S, %s)" f v

let pr_step api (s : Binding_utils.step) =
  let d = Binding_utils.step_descr s in
  let call = py_call s in
  match s.st_call.c_expect with
  | Succeeds -> pr "    %s\n" call
  | Equals l -> pr "    check_equals(%S, %s, %s)\n" d call (py_expected s.st_action.ret l)
  | Matches m -> pr "    check_matches(%S, %s, %s)\n" d call (py_str m)
  | Length n -> pr "    check_length(%S, %s, %d)\n" d call n
  | Fields fs ->
    let sname = match s.st_action.ret with RStruct s -> s | _ -> assert false in
    pr "    check_fields(%S, %s, [%s])\n" d call
      (String.concat ", " (List.map (py_field api sname) fs))
  | Fails (errno, text) ->
    pr "    check_fails(%S, lambda: %s, %s, %s)\n" d call
      (match errno with Some e -> sprintf "errno.%s" e | None -> "None")
      (match text with Some t -> py_str t | None -> "None")

let generate_tests api =
  let cases = Binding_utils.cases api in
  generated_by `Hash;
  pr "# The per-action tests of api.def, in Python: TAP, a fresh handle per test.\n\n";
  pr "import errno\nimport sys\nimport traceback\n\nimport minnow\n\n\n";
  pr "def _s(b):\n    return b.decode(\"utf-8\", \"surrogateescape\")\n\n\n";
  pr "class Failed(Exception):\n    pass\n\n\n";
  pr "def fail(what, expected, got):\n";
  pr "    raise Failed(\"%%s\\n# expected: %%r\\n# got: %%r\" %% (what, expected, got))\n\n\n";
  pr "def check_equals(what, got, expected):\n";
  pr "    if got != expected or type(got) != type(expected):\n";
  pr "        fail(what, expected, got)\n\n\n";
  pr "def check_matches(what, got, sub):\n";
  pr "    if isinstance(got, bytes):\n        got = _s(got)\n";
  pr "    if got is None or sub not in got:\n";
  pr "        fail(what, \"a string containing %%r\" %% sub, got)\n\n\n";
  pr "def check_length(what, got, n):\n";
  pr "    if len(got) != n:\n        fail(what, \"length %%d\" %% n, got)\n\n\n";
  pr "def check_fields(what, got, fields):\n";
  pr "    for name, value in fields:\n";
  pr "        if got.get(name) != value:\n";
  pr "            fail(what + \": field \" + name, value, got.get(name))\n\n\n";
  pr "def check_fails(what, f, errnum, sub):\n";
  pr "    try:\n        r = f()\n    except minnow.Error as e:\n";
  pr "        if errnum is not None and e.errno != errnum:\n";
  pr "            fail(what, \"errno %%d\" %% errnum, \"errno %%d (%%s)\" %% (e.errno, e))\n";
  pr "        if sub is not None and sub not in str(e):\n";
  pr "            fail(what, \"an error containing %%r\" %% sub, str(e))\n";
  pr "        return\n";
  pr "    fail(what, \"an error\", r)\n\n\n";
  List.iteri (fun i (tc : Binding_utils.case) ->
    pr "def test_%d(g):\n" (i + 1);
    pr "    # %s\n" tc.tc_descr;
    List.iter (pr_step api) tc.tc_setup;
    List.iter (pr_step api) tc.tc_steps;
    pr "\n\n") cases;
  pr "TESTS = [\n";
  List.iteri (fun i (tc : Binding_utils.case) ->
    pr "    (test_%d, %s),\n" (i + 1) (py_str tc.tc_descr)) cases;
  pr "]\n\n\n";
  pr "def main():\n";
  pr "    print(\"1..%%d\" %% len(TESTS))\n";
  pr "    failed = 0\n";
  pr "    for n, (test, descr) in enumerate(TESTS, 1):\n";
  pr "        g = minnow.Minnow()\n";
  pr "        try:\n";
  pr "            test(g)\n";
  pr "            print(\"ok %%d - %%s\" %% (n, descr))\n";
  pr "        except Failed as e:\n";
  pr "            failed += 1\n";
  pr "            print(\"not ok %%d - %%s: %%s\" %% (n, descr, e))\n";
  pr "        except Exception as e:\n";
  pr "            failed += 1\n";
  pr "            print(\"not ok %%d - %%s\\n# expected: no exception\\n# got: %%r\" %% (n, descr, e))\n";
  pr "            traceback.print_exc(file=sys.stdout)\n";
  pr "        finally:\n";
  pr "            g.close()\n";
  pr "        sys.stdout.flush()\n";
  pr "    return 1 if failed else 0\n\n\n";
  pr "if __name__ == \"__main__\":\n    sys.exit(main())\n"

(* ------------------------------------------------------------ bindtests *)

(* Python expression rendering the value [v] of return type [ret] as bytes
   in the canonical form (the same text the C bindtests print). *)
let py_render ret v =
  match ret with
  | RErr -> "b\"ok\""
  | RInt | RInt64 -> sprintf "render_int(%s)" v
  | RBool -> sprintf "render_bool(%s)" v
  | RConstString | RString -> sprintf "render_string(%s)" v
  | RConstOptString -> sprintf "(b\"NULL\" if %s is None else render_string(%s))" v v
  | RStringList -> sprintf "render_strings(%s)" v
  | RHashtable -> sprintf "render_hashtable(%s)" v
  | RStruct s -> sprintf "render_%s(%s)" s v
  | RStructList s -> sprintf "b\"[\" + b\", \".join(render_%s(x) for x in %s) + b\"]\"" s v
  | RBufferOut -> sprintf "render_buffer(%s)" v

let pr_struct_renderer st =
  pr "def render_%s(d):\n" st.s_name;
  pr "    return b\"\".join([\n";
  List.iteri (fun i (t, f) ->
    let v = sprintf "d[%S]" f in
    let r = match t with
      | FString -> sprintf "render_string(%s)" v
      | FBuffer -> sprintf "render_buffer(%s)" v
      | FChar -> sprintf "render_char(%s)" v
      | FInt32 | FUInt32 | FInt64 | FUInt64 -> sprintf "render_int(%s)" v
      | FBool -> sprintf "render_bool(%s)" v in
    pr "        b\"%s%s = \", %s,\n" (if i = 0 then "{" else ", ") f r) st.s_fields;
  pr "        b\"}\"])\n\n\n"

let generate_bindtests api =
  generated_by `Hash;
  pr "# The bindtests matrix (generator/bindtests_data.ml) in Python: prints\n";
  pr "# every result in the canonical rendering; the output must equal\n";
  pr "# tests/bindtests.golden byte for byte.\n\n";
  pr "import errno\nimport sys\n\nimport minnow\n\n\n";
  pr "def _s(b):\n    return b.decode(\"utf-8\", \"surrogateescape\")\n\n\n";
  pr "def _b(s):\n";
  pr "    return s.encode(\"utf-8\", \"surrogateescape\") if isinstance(s, str) else s\n\n\n";
  pr "_ESCAPES = {0x5c: b\"\\\\\\\\\", 0x22: b'\\\\\"', 0x0a: b\"\\\\n\", 0x09: b\"\\\\t\", 0x0d: b\"\\\\r\"}\n\n\n";
  pr "def render_string(s):\n";
  pr "    out = bytearray(b'\"')\n";
  pr "    for c in _b(s):\n";
  pr "        if c in _ESCAPES:\n            out += _ESCAPES[c]\n";
  pr "        elif c < 0x20 or c == 0x7f:\n            out += b\"\\\\x%%02x\" %% c\n";
  pr "        else:\n            out.append(c)\n";
  pr "    out += b'\"'\n    return bytes(out)\n\n\n";
  pr "def render_char(c):\n    return b\"'\" + render_string(c)[1:-1] + b\"'\"\n\n\n";
  pr "def render_buffer(b):\n    return b\"%%d \" %% len(b) + render_string(b)\n\n\n";
  pr "def render_int(n):\n    return b\"%%d\" %% n\n\n\n";
  pr "def render_bool(b):\n    return b\"true\" if b else b\"false\"\n\n\n";
  pr "def render_strings(l):\n    return b\"[\" + b\", \".join(render_string(x) for x in l) + b\"]\"\n\n\n";
  pr "def render_hashtable(d):\n";
  pr "    pairs = d.items() if isinstance(d, dict) else d\n";
  pr "    return b\"{\" + b\", \".join(render_string(k) + b\": \" + render_string(v)\n";
  pr "                               for k, v in pairs) + b\"}\"\n\n\n";
  pr "def render_error(e):\n";
  pr "    if e.errno == 0:\n        return b\"error\"\n";
  pr "    return b\"error \" + errno.errorcode.get(e.errno, \"unknown errno\").encode()\n\n\n";
  List.iter pr_struct_renderer api.structs;
  pr "def main():\n";
  pr "    out = sys.stdout.buffer\n";
  pr "    g = minnow.Minnow()\n";
  List.iter (fun c ->
    pr "    %s\n" (py_call (Binding_utils.step api c))) Bindtests_data.setup;
  List.iter (fun (e : Bindtests_data.entry) ->
    let s = Binding_utils.step api e.call in
    pr "\n    out.write(b\"== \" + %s + b\"\\n\")\n" (py_bytes e.label);
    pr "    try:\n";
    pr "        r = %s\n" (py_call s);
    if Bindtests_data.verbatim_result s.st_action.name then
      pr "        out.write(_b(r))\n"
    else
      pr "        out.write(%s + b\"\\n\")\n" (py_render s.st_action.ret "r");
    pr "    except minnow.Error as e:\n";
    pr "        out.write(render_error(e) + b\"\\n\")\n") Bindtests_data.matrix;
  pr "\n    g.close()\n    out.flush()\n\n\n";
  pr "if __name__ == \"__main__\":\n    main()\n"
