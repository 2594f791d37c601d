open Types

(* What each test scenario does on a fresh handle before the test's own
   calls: ordinary calls of api.def actions, so the checks type-check them
   like test calls and every emitter (C, bindings) can replay them. *)

let call name args =
  { c_line = 0; c_name = name; c_args = args; c_optargs = []; c_expect = Succeeds }

let s x = LString x

let scratch_size = "536870912"   (* 512 MiB *)

let empty = [
  call "add_drive_scratch" [LInt scratch_size];
  call "launch" [];
]

let setup = function
  | Empty -> empty
  | Partition -> empty @ [call "part_disk" [s "/dev/sda"; s "mbr"]]
  | GPT -> empty @ [call "part_disk" [s "/dev/sda"; s "gpt"]]
  | BasicFS ->
    empty @ [call "part_disk" [s "/dev/sda"; s "mbr"];
             call "mkfs" [s "ext4"; s "/dev/sda1"];
             call "mount" [s "/dev/sda1"; s "/"]]
  | ScratchFS ->
    empty @ [call "mkfs" [s "ext4"; s "/dev/sda"];
             call "mount" [s "/dev/sda"; s "/"]]
