open Types

type entry = { label : string; call : call }

let call name args optargs =
  { c_line = 0; c_name = name; c_args = args; c_optargs = optargs; c_expect = Succeeds }

let setup = [
  call "add_drive_scratch" [LInt "1048576"] [];
  call "launch" [] [];
]

let s x = LString x
let i x = LInt x
let sl l = LList (List.map s l)

(* internal_test_daemon with every argument set to a plain value, then some
   replaced. *)
let base = [
  "str", s "abc"; "optstr", s "def"; "strlist", sl ["1"; "2"];
  "b", LBool false; "integer", i "0"; "integer64", i "0";
  "bufferin", s "buf"; "device", s "/dev/sda"; "mountable", s "/dev/sda";
  "pathname", s "/"; "devorpath", s "/dev/sda"; "devicelist", sl ["/dev/sda"];
  "key", s "key";
]

let it label ?(opts = []) overrides =
  let args = List.map (fun (n, v) ->
    match List.assoc_opt n overrides with Some o -> o | None -> v) base in
  { label = "internal_test_daemon: " ^ label; call = call "internal_test_daemon" args opts }

let hundred = List.init 100 string_of_int

let internal_test_entries = [
  it "plain values" [];
  it "empty strings" ["str", s ""; "optstr", s ""; "strlist", sl [""];
                      "bufferin", s ""; "key", s ""];
  it "NULL OptString" ["optstr", LNull];
  it "UTF-8" ["str", s "caf\xc3\xa9 \xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac";
              "strlist", sl ["\xc3\xa4"; "\xf0\x9f\x90\x9f"]];
  it "quotes and backslashes" ["str", s "a\"b\\c'd"; "optstr", s "\\\"";
                               "strlist", sl ["\""; "\\"; "'"]];
  it "control characters" ["str", s "line1\nline2\ttab\rcr\x01\x1f\x7f end"];
  it "empty lists" ["strlist", sl []; "devicelist", sl []];
  it "long list" ["strlist", sl hundred];
  it "true" ["b", LBool true];
  it "negative" ["integer", i "-1"; "integer64", i "-1"];
  it "minimum integers" ["integer", i "-2147483648"; "integer64", i "-9223372036854775808"];
  it "maximum integers" ["integer", i "2147483647"; "integer64", i "9223372036854775807"];
  it "buffer with NUL bytes" ["bufferin", s "\000a\000b\000"];
  it "device names translated" ["device", s "/dev/vda"; "devicelist", sl ["/dev/hda"; "/dev/sda"]];
  it "paths" ["devorpath", s "/some/path"; "pathname", s "/a/b c/\xc3\xa9"];
  it "optarg obool false" ~opts:["obool", LBool false] [];
  it "optarg obool true" ~opts:["obool", LBool true] [];
  it "optarg oint minimum" ~opts:["oint", i "-2147483648"] [];
  it "optarg oint64 maximum" ~opts:["oint64", i "9223372036854775807"] [];
  it "optarg ostring empty" ~opts:["ostring", s ""] [];
  it "optarg ostring" ~opts:["ostring", s "o\"pt\n"] [];
  it "optarg ostringlist empty" ~opts:["ostringlist", sl []] [];
  it "optarg ostringlist" ~opts:["ostringlist", sl ["x"; ""; "y"]] [];
  it "every optarg" ~opts:["obool", LBool true; "oint", i "-7"; "oint64", i "1099511627776";
                           "ostring", s "all"; "ostringlist", sl ["a"; "b"]] [];
  it "no such device" ["device", s "/dev/sdz"];
  it "no such device in a list" ["devicelist", sl ["/dev/sda"; "/dev/sdq"]];
  it "relative path" ["pathname", s "relative/path"];
  it "relative Dev_or_Path" ["devorpath", s "relative"];
]

(* The return-type actions: label is the call as written in api.def. *)
let r name v =
  { label = name ^ " " ^ Utils.render_string v; call = call name [s v] [] }

let return_entries = [
  r "internal_test_daemon_rint" "0";
  r "internal_test_daemon_rint" "2147483647";
  r "internal_test_daemon_rint" "-2147483648";
  r "internal_test_daemon_rint" "error:ENOENT";
  r "internal_test_daemon_rint" "not a number";
  r "internal_test_daemon_rint64" "9223372036854775807";
  r "internal_test_daemon_rint64" "-9223372036854775808";
  r "internal_test_daemon_rint64" "error:ERANGE";
  r "internal_test_daemon_rbool" "true";
  r "internal_test_daemon_rbool" "false";
  r "internal_test_daemon_rbool" "error:EACCES";
  r "internal_test_daemon_rstring" "";
  r "internal_test_daemon_rstring" "caf\xc3\xa9 \"q\" \\ \n";
  r "internal_test_daemon_rstring" "error:EPERM";
  r "internal_test_daemon_rstringlist" "0";
  r "internal_test_daemon_rstringlist" "3";
  r "internal_test_daemon_rstringlist" "error:ENOMEM";
  r "internal_test_daemon_rstruct" "0";
  r "internal_test_daemon_rstruct" "27";
  r "internal_test_daemon_rstruct" "error:EEXIST";
  r "internal_test_daemon_rstructlist" "0";
  r "internal_test_daemon_rstructlist" "2";
  r "internal_test_daemon_rstructlist" "error:ENOSPC";
  r "internal_test_daemon_rhashtable" "0";
  r "internal_test_daemon_rhashtable" "3";
  r "internal_test_daemon_rhashtable" "error:ENOTDIR";
  r "internal_test_daemon_rbufferout" "";
  r "internal_test_daemon_rbufferout" "a\001b";
  r "internal_test_daemon_rbufferout" "error:EIO";
  r "internal_test_rconststring" "const";
  r "internal_test_rconststring" "error:EINVAL";
  r "internal_test_rconstoptstring" "opt";
  r "internal_test_rconstoptstring" "NULL";
]

let matrix = internal_test_entries @ return_entries

let verbatim_result name = name = "internal_test_daemon"
