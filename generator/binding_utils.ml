open Types
open Printf

let find_action api name =
  match List.find_opt (fun a -> a.name = name) api.actions with
  | Some a -> a
  | None -> failwith ("binding_utils: no action " ^ name)

type step = { st_call : call; st_action : action }

type case = {
  tc_action : action;
  tc_descr : string;
  tc_setup : step list;
  tc_steps : step list;
}

let step api c = { st_call = c; st_action = find_action api c.c_name }

let cases api =
  List.concat_map (fun a ->
    let many = List.length a.tests > 1 in
    List.mapi (fun i t ->
      let descr = match t.t_title with
        | Some title -> sprintf "%s: %s" a.name title
        | None when many -> sprintf "%s (test %d)" a.name (i + 1)
        | None -> a.name in
      { tc_action = a; tc_descr = descr;
        tc_setup = List.map (step api) (Scenarios.setup t.t_scenario);
        tc_steps = List.map (step api) t.t_calls }) a.tests) api.actions

let step_descr s =
  if s.st_call.c_line > 0 then sprintf "%s (api.def:%d)" s.st_call.c_name s.st_call.c_line
  else s.st_call.c_name

(* Formatting codes: X<...> with any capital X; E<lt>/E<gt> are escapes. *)
let strip_codes ~call s =
  let re = Str.regexp "\\([A-Z]\\)<\\([^<>]*\\)>" in
  let rec go s =
    let s' = Str.global_substitute re (fun s ->
      let code = Str.matched_group 1 s and body = Str.matched_group 2 s in
      match code, body with
      | "E", "lt" -> "\001lt\001"
      | "E", "gt" -> "\001gt\001"
      | "C", b when String.length b > 7 && String.sub b 0 7 = "minnow_" ->
        call (String.sub b 7 (String.length b - 7))
      | _, b -> b) s in
    if s' = s then s else go s' in
  let s = go s in
  Utils.replace_str (Utils.replace_str s "\001lt\001" "<") "\001gt\001" ">"

let pod_to_text ~call pod =
  let lines = String.split_on_char '\n' (Utils.unindent pod) in
  let indent = ref 0 in
  let out = List.filter_map (fun l ->
    let t = String.trim l in
    let starts p = String.length t >= String.length p && String.sub t 0 (String.length p) = p in
    if starts "=over" then (indent := !indent + 2; None)
    else if starts "=back" then (indent := max 0 (!indent - 2); None)
    else if starts "=item" then
      Some (String.make (max 0 (!indent - 2)) ' ' ^ "- " ^
            String.trim (String.sub t 5 (String.length t - 5)))
    else if t = "" then Some ""
    else Some (String.make !indent ' ' ^ l)) lines in
  (* collapse runs of blank lines *)
  let rec squeeze = function
    | "" :: ("" :: _ as rest) -> squeeze rest
    | x :: rest -> x :: squeeze rest
    | [] -> [] in
  strip_codes ~call (String.concat "\n" (squeeze out))

let common_errnos = [
  "EPERM"; "ENOENT"; "ESRCH"; "EINTR"; "EIO"; "ENXIO"; "E2BIG"; "ENOEXEC";
  "EBADF"; "ECHILD"; "EAGAIN"; "ENOMEM"; "EACCES"; "EFAULT"; "EBUSY";
  "EEXIST"; "EXDEV"; "ENODEV"; "ENOTDIR"; "EISDIR"; "EINVAL"; "ENFILE";
  "EMFILE"; "ENOTTY"; "EFBIG"; "ENOSPC"; "ESPIPE"; "EROFS"; "EMLINK";
  "EPIPE"; "ERANGE"; "ENAMETOOLONG"; "ENOSYS"; "ENOTEMPTY"; "ELOOP";
  "ENOTSUP"; "EOPNOTSUPP"; "ECANCELED"; "ETIMEDOUT"; "EOVERFLOW";
]

let errno_names api =
  let test_calls = List.concat_map (fun a ->
    List.concat_map (fun t -> t.t_calls) a.tests) api.actions in
  let matrix = List.map (fun (e : Bindtests_data.entry) -> e.call) Bindtests_data.matrix in
  List.sort_uniq compare
    (common_errnos @ C_testlib.errno_names (test_calls @ matrix))

let used_structs api =
  List.filter_map (fun st ->
    let returns f = List.exists (fun a -> f a.ret) api.actions in
    let list = returns (function RStructList s -> s = st.s_name | _ -> false) in
    if list || returns (function RStruct s -> s = st.s_name | _ -> false)
    then Some (st, list) else None) api.structs
