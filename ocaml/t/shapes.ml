(* libguestfs's OCaml shape, renamed (Guestfs -> Minnow): create
   ?environment ?close_on_exit (), exception Error of string and
   Handle_closed, the Errno module, abstract event handles, the handle
   before the labelled optional arguments, the object class
   Minnow.minnow, CLOSE fired when the GC collects a handle, WARNING, the
   _opts names.  Much of it is checked by this file compiling.  TAP. *)

exception Failed of string

let expect what show expected got =
  if expected <> got then
    raise (Failed (Printf.sprintf "%s\n# expected: %s\n# got: %s" what
                     (show expected) (show got)))

let str s = Printf.sprintf "%S" s
let int = string_of_int
let bool = string_of_bool

(* Written as a libguestfs program would be. *)
let launched () =
  let g = Minnow.create ~environment:false ~close_on_exit:false () in
  Minnow.add_drive_scratch g 1048576L;
  Minnow.launch g;
  g

let tests = [
  "create ?environment ?close_on_exit ()", (fun () ->
    Unix.putenv "MINNOW_MEMSIZE" "1234";
    let g = Minnow.create () in
    expect "memsize from the environment" int 1234 (Minnow.get_memsize g);
    Minnow.close g;
    let g = Minnow.create ~environment:false () in
    expect "memsize with ~environment:false" int 768 (Minnow.get_memsize g);
    Minnow.close g;
    Unix.putenv "MINNOW_MEMSIZE" "");

  "Error of string, errno through last_errno and Errno", (fun () ->
    let g = launched () in
    (match Minnow.internal_test_daemon_rint g "error:ENOENT" with
     | _ -> raise (Failed "no exception")
     | exception Minnow.Error msg ->
       expect "message" str "internal_test_daemon_rint: requested error ENOENT" msg;
       expect "last_errno" int Minnow.Errno.errno_ENOENT (Minnow.last_errno g));
    Minnow.close g);

  "Handle_closed", (fun () ->
    let g = Minnow.create () in
    Minnow.close g;
    match Minnow.get_memsize g with
    | _ -> raise (Failed "no exception")
    | exception Minnow.Handle_closed name -> expect "name" str "get_memsize" name);

  "the handle first, then the optional arguments", (fun () ->
    let file = Filename.temp_file "shapes" ".img" in
    Unix.truncate file (64 lsl 20);
    let g = Minnow.create () in
    Minnow.add_drive g ~readonly:false ~format:"raw" file;
    Minnow.add_drive_opts g ~readonly:true file;
    Minnow.launch g;
    Minnow.part_disk g "/dev/sda" "mbr";
    Minnow.mkfs_opts g ~label:"shape" "ext4" "/dev/sda1";
    Minnow.mount g "/dev/sda1" "/";
    Minnow.mkdir g "/d";
    Minnow.ln_s g "d" "/l";
    expect "is_dir_opts ~followsymlinks" bool true (Minnow.is_dir_opts g ~followsymlinks:true "/l");
    expect "is_dir" bool false (Minnow.is_dir g "/l");
    Minnow.umount_opts g ~force:false "/";
    expect "label" str "shape" (Minnow.vfs_label g "/dev/sda1");
    Minnow.close g;
    Sys.remove file);

  "abstract event handles, WARNING", (fun () ->
    let g = Minnow.create () in
    let seen = ref [] in
    let eh : Minnow.event_handle =
      Minnow.set_event_callback g (fun ev _ buf _ -> seen := (ev, buf) :: !seen)
        [Minnow.EVENT_WARNING] in
    Minnow.set_backend g "unix:/nonexistent/minnow.sock";
    Minnow.add_drive_scratch g 1048576L;
    (try Minnow.launch g with Minnow.Error _ -> ());
    expect "one WARNING" int 1 (List.length !seen);
    (match !seen with
     | [ev, buf] ->
       expect "event" bool true (ev = Minnow.EVENT_WARNING);
       let n = String.length "ignores the 1 drive" in
       let rec has i = i + n <= String.length buf
                       && (String.sub buf i n = "ignores the 1 drive" || has (i + 1)) in
       expect "message" bool true (has 0)
     | _ -> ());
    Minnow.delete_event_callback g eh;
    Minnow.close g);

  "every libguestfs event", (fun () ->
    expect "event_to_string" str "libvirt_auth,warning"
      (Minnow.event_to_string [Minnow.EVENT_LIBVIRT_AUTH; Minnow.EVENT_WARNING]));

  "the object class", (fun () ->
    let o = new Minnow.minnow ~environment:false () in
    o#add_drive_scratch 1048576L;
    o#launch ();
    expect "list_devices" (fun a -> String.concat "," (Array.to_list a))
      [|"/dev/sda"|] (o#list_devices ());
    expect "get_memsize" int 768 (o#get_memsize ());
    expect "a struct" str "s1" (o#internal_test_daemon_rstruct "1").Minnow.s;
    o#close ();
    match o#get_memsize () with
    | _ -> raise (Failed "no exception after close")
    | exception Minnow.Handle_closed _ -> ());

  "a collected handle fires its CLOSE callbacks", (fun () ->
    let closed = ref 0 in
    let make () =
      let g = Minnow.create () in
      ignore (Minnow.set_event_callback g (fun _ _ _ _ -> incr closed)
                [Minnow.EVENT_CLOSE]) in
    make ();
    Gc.full_major ();
    Gc.full_major ();
    expect "CLOSE callbacks run" int 1 !closed);
]

let () =
  Printf.printf "1..%d\n%!" (List.length tests);
  let failed = ref 0 in
  List.iteri (fun i (name, f) ->
    let n = i + 1 in
    try f (); Printf.printf "ok %d - %s\n%!" n name with
    | Failed msg -> incr failed; Printf.printf "not ok %d - %s: %s\n%!" n name msg
    | e ->
      incr failed;
      Printf.printf "not ok %d - %s\n# expected: no exception\n# got: %s\n%!" n name
        (Printexc.to_string e)) tests;
  exit (if !failed > 0 then 1 else 0)
