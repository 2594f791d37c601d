(* libguestfs's OCaml bindtests, ported to minnow by renaming the module:
   the same calls in the same order, the optional arguments written after
   the others as libguestfs's program writes them.  The output must equal
   tests/bindings/bindtests.golden (ocaml/t/compare-lgbindtests.sh). *)

let () =
  let g = Minnow.create () in
  Minnow.internal_test g "abc" (Some "def") [||] false 0 0L "123" "456"
    "abc\000abc" ~obool:true ~oint:1 ~oint64:9223372036854775807L;
  Minnow.internal_test g "abc" None [||] false 0 0L "123" "456"
    "abc\000abc" ~oint64:1L ~ostring:"string";
  Minnow.internal_test g "" (Some "def") [||] false 0 0L "123" "456"
    "abc\000abc" ~obool:false ~oint64:(-9223372036854775808L);
  Minnow.internal_test g "" (Some "") [||] false 0 0L "123" "456"
    "abc\000abc";
  Minnow.internal_test g "abc" (Some "def") [|"1"|] false 0 0L "123" "456"
    "abc\000abc";
  Minnow.internal_test g "abc" (Some "def") [|"1"; "2"|] false 0 0L
    "123" "456" "abc\000abc";
  Minnow.internal_test g "abc" (Some "def") [|"1"|] true 0 0L "123" "456"
    "abc\000abc";
  Minnow.internal_test g "abc" (Some "def") [|"1"|] false (-1) (-1L)
    "123" "456" "abc\000abc";
  Minnow.internal_test g "abc" (Some "def") [|"1"|] false (-2) (-2L)
    "123" "456" "abc\000abc";
  Minnow.internal_test g "abc" (Some "def") [|"1"|] false 1 1L "123" "456"
    "abc\000abc";
  Minnow.internal_test g "abc" (Some "def") [|"1"|] false 2 2L "123" "456"
    "abc\000abc";
  Minnow.internal_test g "abc" (Some "def") [|"1"|] false 4095
    9223372036854775807L "123" "456" "abc\000abc";
  Minnow.internal_test g "abc" (Some "def") [|"1"|] false 0
    (-9223372036854775808L) "" "" "abc\000abc";
  Minnow.internal_test g "abc" (Some "def") [||] false 0 0L "123" "456"
    "abc\000abc" ~ostringlist:[||];
  Minnow.internal_test g "abc" (Some "def") [||] false 0 0L "123" "456"
    "abc\000abc" ~ostringlist:[|"optelem1"|];
  Minnow.internal_test g "abc" (Some "def") [||] false 0 0L "123" "456"
    "abc\000abc" ~ostringlist:[|"optelem1"; "optelem2"|];
  Minnow.internal_test g "abc" (Some "def") [||] false 0 0L "123" "456"
    "abc\000abc" ~ostringlist:[|"optelem1"; "optelem2"; "optelem3"|];
  print_endline "EOF"
