open Types
open Printf

let int s =
  match Int64.of_string_opt s with
  | Some n -> Int64.to_string n
  | None -> Printf.sprintf "%Lu" (Int64.of_string ("0u" ^ s))

let str = Utils.render_string

let buffer s = sprintf "%d %s" (String.length s) (str s)

let strings = function
  | LList l -> "[" ^ String.concat ", " (List.map (function LString s -> str s | _ -> "?") l) ^ "]"
  | _ -> "?"

let hashtable = function
  | LList l ->
    let rec pairs = function
      | LString k :: LString v :: rest -> sprintf "%s: %s" (str k) (str v) :: pairs rest
      | _ -> [] in
    "{" ^ String.concat ", " (pairs l) ^ "}"
  | _ -> "?"

let char_ s =
  let q = str s in
  "'" ^ String.sub q 1 (String.length q - 2) ^ "'"

let field t l =
  match t, l with
  | FString, LString s -> str s
  | FBuffer, LString s -> buffer s
  | FChar, LString s -> char_ s
  | (FInt32 | FUInt32 | FInt64 | FUInt64), LInt n -> int n
  | FBool, LBool b -> string_of_bool b
  | _ -> "?"

let fields api sname fs =
  let st = List.find (fun st -> st.s_name = sname) api.structs in
  "{" ^ String.concat ", " (List.map (fun (f, l) ->
    let t = fst (List.find (fun (_, n) -> n = f) st.s_fields) in
    sprintf "%s = %s" f (field t l)) fs) ^ "}"

let ret _api r l =
  match r, l with
  | RErr, _ -> "ok"
  | (RInt | RInt64), LInt n -> int n
  | RBool, LBool b -> string_of_bool b
  | (RString | RConstString | RConstOptString), LString s -> str s
  | RConstOptString, LNull -> "NULL"
  | RBufferOut, LString s -> buffer s
  | RStringList, l -> strings l
  | RHashtable, l -> hashtable l
  | (RInt | RInt64 | RBool | RString | RConstString | RConstOptString
    | RBufferOut | RStruct _ | RStructList _), _ -> "?"
