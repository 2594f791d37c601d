(* Tokens of api.def.  Newlines only separate tokens; '#' starts a comment
   that runs to the end of the line. *)
{
open Parser

let keywords = [
  "action", ACTION; "struct", STRUCT; "event", EVENT; "retired", RETIRED;
  "proc", PROC; "args", ARGS; "optargs", OPTARGS; "ret", RET;
  "since", SINCE; "shortdesc", SHORTDESC; "longdesc", LONGDESC;
  "flags", FLAGS; "availability", AVAILABILITY; "test", TEST;
  "error", ERROR; "len", LEN; "true", TRUE; "false", FALSE; "NULL", NULL;
]

let error lexbuf msg =
  Utils.error_at lexbuf.Lexing.lex_curr_p.Lexing.pos_lnum msg
}

let digit = ['0'-'9']
let ident = ['a'-'z' 'A'-'Z' '_'] ['a'-'z' 'A'-'Z' '0'-'9' '_']*
let path_char = [^ ' ' '\t' '\n' '\r' ';' ',' '{' '}' '[' ']' '"' '#']

rule token = parse
  | [' ' '\t' '\r']+         { token lexbuf }
  | '\n'                     { Lexing.new_line lexbuf; token lexbuf }
  | '#' [^ '\n']*            { token lexbuf }
  | '{' '|'                  { let b = Buffer.create 256 in raw b lexbuf }
  | '{'                      { LBRACE }
  | '}'                      { RBRACE }
  | '['                      { LBRACKET }
  | ']'                      { RBRACKET }
  | ','                      { COMMA }
  | ';'                      { SEMI }
  | ':'                      { COLON }
  | "=>"                     { ARROW }
  | "=~"                     { MATCH }
  | '='                      { EQUALS }
  | '-'? digit+ as n         { INT n }
  | "0x" ['0'-'9' 'a'-'f' 'A'-'F']+ as n { INT n }
  (* Octal, for modes: kept as decimal text so that every language's
     emitter prints it the same way. *)
  | "0o" ['0'-'7']+ as n     { INT (Int64.to_string (Int64.of_string n)) }
  | digit+ '.' digit+ ('.' digit+)? as v { VERSION v }
  | ident as id              { try List.assoc id keywords with Not_found -> IDENT id }
  | '/' path_char* as p      { STRING p }
  | '"'                      { let b = Buffer.create 32 in string b lexbuf }
  | eof                      { EOF }
  | _ as c                   { error lexbuf (Printf.sprintf "unexpected character %C" c) }

and string b = parse
  | '"'                      { STRING (Buffer.contents b) }
  | "\\n"                    { Buffer.add_char b '\n'; string b lexbuf }
  | "\\t"                    { Buffer.add_char b '\t'; string b lexbuf }
  | "\\r"                    { Buffer.add_char b '\r'; string b lexbuf }
  | "\\0"                    { Buffer.add_char b '\000'; string b lexbuf }
  | "\\\\"                   { Buffer.add_char b '\\'; string b lexbuf }
  | "\\\""                   { Buffer.add_char b '"'; string b lexbuf }
  | "\\x" (['0'-'9' 'a'-'f' 'A'-'F'] ['0'-'9' 'a'-'f' 'A'-'F'] as h)
                             { Buffer.add_char b (Char.chr (int_of_string ("0x" ^ h)));
                               string b lexbuf }
  | '\\' (_ as c)            { error lexbuf (Printf.sprintf "unknown escape \\%c in string" c) }
  | '\n'                     { error lexbuf "newline in string (use \\n or a {| |} block)" }
  | eof                      { error lexbuf "unterminated string" }
  | _ as c                   { Buffer.add_char b c; string b lexbuf }

and raw b = parse
  | '|' '}'                  { STRING (Buffer.contents b) }
  | '\n'                     { Lexing.new_line lexbuf; Buffer.add_char b '\n'; raw b lexbuf }
  | eof                      { error lexbuf "unterminated {| block" }
  | _ as c                   { Buffer.add_char b c; raw b lexbuf }
