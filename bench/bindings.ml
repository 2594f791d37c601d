(* bench/bindings in OCaml: see bindings-c.c. *)
let () =
  let g = Minnow.create () in
  Minnow.add_drive_scratch g 1048576L;
  Minnow.launch g;
  for _ = 1 to 1000 do Minnow.internal_test_noop g done;
  let t = Array.init 21 (fun _ ->
    let start = Unix.gettimeofday () in
    for _ = 1 to 1000 do Minnow.internal_test_noop g done;
    (Unix.gettimeofday () -. start) /. 1000. *. 1e6) in
  Array.sort compare t;
  Printf.printf "%.2f\n" t.(10);
  Minnow.close g
