(* Hand-written tests of the OCaml binding's own behaviour: the handle's
   life cycle, errors and errno, labelled optional arguments, the types of
   results, events, the runtime lock.  TAP. *)

exception Failed of string

let expect what show expected got =
  if expected <> got then
    raise (Failed (Printf.sprintf "%s\n# expected: %s\n# got: %s" what
                     (show expected) (show got)))

let str s = Printf.sprintf "%S" s
let int = string_of_int
let bool = string_of_bool

let launched () =
  let g = Minnow.create () in
  Minnow.add_drive_scratch g 1048576L;
  Minnow.launch g;
  g

(* The message, and the errno the handle kept (Minnow.last_errno). *)
let raises g f =
  match f () with
  | _ -> None
  | exception Minnow.Error msg -> Some (msg, Minnow.last_errno g)

let tests = [
  "close twice is harmless", (fun () ->
    let g = Minnow.create () in
    Minnow.close g;
    Minnow.close g);

  "call on a closed handle raises Handle_closed", (fun () ->
    let g = Minnow.create () in
    Minnow.close g;
    match Minnow.get_trace g with
    | _ -> raise (Failed "no exception\n# expected: Minnow.Handle_closed\n# got: a result")
    | exception Minnow.Handle_closed name -> expect "name" str "get_trace" name);

  "Error carries the errno", (fun () ->
    let g = launched () in
    let r = raises g (fun () -> Minnow.internal_test_daemon_rint g "error:ENOENT") in
    Minnow.close g;
    match r with
    | Some (msg, errno) ->
      expect "errno" int (Minnow.errno_of_string "ENOENT") errno;
      expect "errno name" str "ENOENT" (Minnow.string_of_errno errno);
      expect "message" str "internal_test_daemon_rint: requested error ENOENT" msg
    | None -> raise (Failed "no exception\n# expected: Minnow.Error\n# got: a result"));

  "labelled optional arguments", (fun () ->
    let g = launched () in
    let r = Minnow.internal_test_daemon ~oint:7 ~ostringlist:[|"x"|] g "a" None [||] false 0 0L ""
        "/dev/sda" "/dev/sda" "/" "/dev/sda" [||] "k" in
    Minnow.close g;
    let has s = try ignore (Str.search_forward (Str.regexp_string s) r 0); true
      with Not_found -> false in
    expect "oint" bool true (has "oint: 7\n");
    expect "obool unset" bool true (has "obool: unset\n");
    expect "ostringlist" bool true (has "ostringlist: [\"x\"]\n"));

  "result types", (fun () ->
    let g = launched () in
    let s = Minnow.internal_test_daemon_rstruct g "1" in
    expect "struct buf" str "b1\000" s.Minnow.buf;
    expect "struct c" str "b" (String.make 1 s.Minnow.c);
    expect "struct list" int 2 (Array.length (Minnow.internal_test_daemon_rstructlist g "2"));
    expect "hashtable" (fun l -> String.concat "," (List.map (fun (k, v) -> k ^ "=" ^ v) l))
      ["k0", "v0"] (Minnow.internal_test_daemon_rhashtable g "1");
    expect "buffer" str "ab\000" (Minnow.internal_test_daemon_rbufferout g "ab");
    expect "int64" Int64.to_string Int64.min_int (Minnow.internal_test_daemon_rint64 g "-9223372036854775808");
    expect "const opt string" bool true (Minnow.internal_test_rconstoptstring g "NULL" = None);
    Minnow.close g);

  "events: ENTER, PROGRESS, CLOSE", (fun () ->
    let g = launched () in
    let seen = ref [] in
    let eh = Minnow.set_event_callback g
        (fun ev _ buf array -> seen := (ev, buf, array) :: !seen)
        [Minnow.EVENT_ENTER; Minnow.EVENT_PROGRESS; Minnow.EVENT_CLOSE] in
    Minnow.internal_test_progress g 3;
    let progress = List.filter (fun (ev, _, _) -> ev = Minnow.EVENT_PROGRESS) !seen in
    expect "progress events" bool true (progress <> []);
    (match progress with
     | (_, _, a) :: _ -> expect "last: position = total" Int64.to_string a.(3) a.(2)
     | [] -> ());
    expect "ENTER payload" bool true
      (List.exists (fun (ev, buf, _) -> ev = Minnow.EVENT_ENTER && buf = "internal_test_progress") !seen);
    ignore eh;
    seen := [];
    Minnow.close g;
    expect "CLOSE on close" bool true
      (List.exists (fun (ev, _, _) -> ev = Minnow.EVENT_CLOSE) !seen));

  "delete_event_callback", (fun () ->
    let g = launched () in
    let n = ref 0 in
    let eh = Minnow.set_event_callback g (fun _ _ _ _ -> incr n) [Minnow.EVENT_ENTER] in
    Minnow.internal_test_noop g;
    Minnow.delete_event_callback g eh;
    Minnow.internal_test_noop g;
    Minnow.close g;
    expect "calls" int 1 !n);

  "event_to_string", (fun () ->
    expect "names" str "close,progress"
      (Minnow.event_to_string [Minnow.EVENT_CLOSE; Minnow.EVENT_PROGRESS]));

  "a collected handle is closed (its daemon exits)", (fun () ->
    let pid =
      let g = launched () in
      ignore (Minnow.set_event_callback g (fun _ _ _ _ -> ()) [Minnow.EVENT_CLOSE]);
      Minnow.get_pid g in
    Gc.full_major ();
    let alive () = try Unix.kill pid 0; true with Unix.Unix_error _ -> false in
    let rec wait n = if alive () && n > 0 then (Unix.sleepf 0.01; wait (n - 1)) in
    wait 200;
    expect "daemon alive" bool false (alive ()));

  "the runtime lock is released during calls", (fun () ->
    let g = launched () in
    let ticks = ref 0 and finished = ref false in
    let t = Thread.create (fun () -> Minnow.internal_test_sleep g 300; finished := true) () in
    while not !finished do incr ticks; Thread.delay 0.001 done;
    Thread.join t;
    Minnow.close g;
    expect "other thread ran" bool true (!ticks > 50));

  "user_cancel from another thread", (fun () ->
    let g = launched () in
    let result = ref None and finished = ref false in
    let t = Thread.create (fun () ->
      (try Minnow.internal_test_fileout g (Int64.shift_left 1L 40) "/dev/null"
       with Minnow.Error msg -> result := Some (msg, Minnow.last_errno g));
      finished := true) () in
    Thread.delay 0.2;
    Minnow.user_cancel g;
    Thread.join t;
    expect "finished" bool true !finished;
    (match !result with
     | Some (_, e) -> expect "errno" str "EINTR" (Minnow.string_of_errno e)
     | None -> raise (Failed "transfer\n# expected: cancelled\n# got: finished"));
    Minnow.internal_test_noop g;
    Minnow.close g);

  "user_cancel when idle", (fun () ->
    let g = launched () in
    Minnow.user_cancel g;
    Minnow.internal_test_noop g;
    Minnow.close g);
]

let () =
  Printf.printf "1..%d\n%!" (List.length tests);
  List.iteri (fun i (name, f) ->
    let n = i + 1 in
    match f () with
    | () -> Printf.printf "ok %d - %s\n%!" n name
    | exception Failed msg -> Printf.printf "not ok %d - %s: %s\n%!" n name msg
    | exception e ->
      Printf.printf "not ok %d - %s\n# expected: no exception\n# got: %s\n%!"
        n name (Printexc.to_string e)) tests
