(* Printing helpers shared by every emitter: the current output channel,
   indentation, line wrapping, quoting for C and POD, and the one function
   that writes a generated file only when its content changed. *)

exception Error of string
(** A message for the user, already formatted as api.def:LINE: message. *)

val api_file : string ref
(** The name used in messages (default api.def). *)

val error_at : int -> string -> 'a
(** [error_at line msg] raises [Error "api.def:LINE: msg"]. *)

val pr : ('a, unit, string, unit) format4 -> 'a
(** Print to the file being generated. *)

val generated_by : [ `C | `Hash | `Pod | `Xdr ] -> unit
(** The first line of every generated file: generated from api.def, do not edit. *)

val output_to : string -> (unit -> unit) -> unit
(** [output_to path f] runs [f], capturing what it prints with [pr], and
    replaces [path] only if the content differs; says so on stdout when
    it wrote the file. *)

val changed_files : unit -> string list
(** Files [output_to] rewrote in this run. *)

val c_quote : string -> string
(** A C string literal body (without the quotes) for any bytes. *)

val c_string : string -> string
(** [c_quote] with the surrounding double quotes. *)

val quoted_literal : ?prefix:string -> ?also:char list -> string -> string
(** A double-quoted string literal for the test files of the bindings:
    backslash, double quote, newline, tab and CR escaped with a backslash,
    other bytes below 0x20 and from 0x7f as [\xNN]; the characters in
    [also] (special in the target language, e.g. [$] in Perl) get a
    backslash too; [prefix] goes before the opening quote ([b] for a
    Python bytes literal). *)

val render_string : string -> string
(** The canonical rendering of internals.md (Semantics of the internal
    test actions): in double quotes, with backslash, double quote, newline,
    tab and CR escaped, other bytes below 0x20 and 0x7f as [\xNN], bytes
    from 0x80 as they are. *)

val pod_escape : string -> string
(** Escape < and > for POD. *)

val unindent : string -> string
(** Remove the common leading whitespace of a {| |} block and blank lines
    at its start and end. *)

val wrap_list : indent:int -> string list -> string
(** Join with commas and break lines before 76 columns, continuing at [indent]. *)

val replace_str : string -> string -> string -> string
(** [replace_str s from to_] replaces every occurrence. *)

val mapi_sep : string -> (int -> 'a -> string) -> 'a list -> string
(** Map with index, then concatenate with a separator. *)
