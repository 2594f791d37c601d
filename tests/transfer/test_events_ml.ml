(* PROGRESS and user_cancel of upload and download from OCaml (TAP), on
   the descriptor path and on the stream. *)

let n = ref 0
let failed = ref 0

let ok cond what =
  incr n;
  Printf.printf "%s %d - %s\n%!" (if cond then "ok" else "not ok") !n what;
  if not cond then incr failed

let eintr = 4

let () =
  let tmp = Filename.concat (Filename.get_temp_dir_name ())
      (Printf.sprintf "minnow-events-ml-%d" (Unix.getpid ())) in
  Unix.mkdir tmp 0o700;
  let big = Filename.concat tmp "big" and out = Filename.concat tmp "out" in
  let size = 300 * 1048576 in
  let block = Bytes.init 1048576 (fun i -> Char.chr (i * 7 mod 251)) in
  let oc = open_out_bin big in
  for _ = 1 to 300 do output_bytes oc block done;
  close_out oc;
  let g = Minnow.create () in
  Minnow.add_drive_scratch g (Int64.shift_left 1L 30);
  Minnow.launch g;
  Minnow.mkfs g "ext4" "/dev/sda";
  Minnow.mount g "/dev/sda" "/";
  List.iter (fun stream ->
    let how = if stream then "stream" else "descriptor" in
    Unix.putenv "MINNOW_NO_FD_TRANSFER" (if stream then "1" else "0");
    let last = ref [||] and cancel = ref false and cancelled = ref false in
    (* The daemon sends no progress in a call's first 100 ms: a transfer
       faster than that sees only its final event, when there is nothing
       left to cancel.  Cancel on an event before the end only. *)
    let eh = Minnow.set_event_callback g
        (fun _ _ _ array ->
           last := array;
           if !cancel && Array.length array = 4 && array.(2) < array.(3) then begin
             cancelled := true;
             Minnow.user_cancel g
           end)
        [Minnow.EVENT_PROGRESS] in
    let size64 = Int64.of_int size in
    let at_total () =
      Array.length !last = 4 && !last.(2) = size64 && !last.(3) = size64 in
    Minnow.upload g big "/big";
    ok (at_total ()) (Printf.sprintf "upload (%s): PROGRESS up to %d" how size);
    last := [||];
    Minnow.download g "/big" out;
    ok (at_total () && (Unix.stat out).Unix.st_size = size)
      (Printf.sprintf "download (%s): PROGRESS up to %d" how size);
    cancel := true;
    List.iter (fun (name, call) ->
      cancelled := false;
      match call () with
      | () when not !cancelled ->
        incr n;
        Printf.printf "ok %d - %s (%s): user_cancel from a callback # SKIP \
                       the transfer ended before its first progress event\n%!"
          !n name how
      | () -> ok false (Printf.sprintf "%s (%s): user_cancel from a callback" name how)
      | exception Minnow.Error _ ->
        ok (Minnow.last_errno g = eintr)
          (Printf.sprintf "%s (%s): user_cancel from a callback: EINTR" name how))
      [ "upload", (fun () -> Minnow.upload g big "/c");
        "download", (fun () -> Minnow.download g "/big" out) ];
    cancel := false;
    ok (Minnow.filesize g "/big" = size64)
      (Printf.sprintf "(%s) the handle works after it" how);
    Minnow.delete_event_callback g eh)
    [false; true];
  Minnow.umount_all g;
  (match Minnow.e2fsck g "/dev/sda" with
   | () -> ok true "e2fsck -fn is clean at the end"
   | exception Minnow.Error msg -> ok false ("e2fsck -fn is clean: " ^ msg));
  Minnow.close g;
  List.iter (fun f -> try Sys.remove f with Sys_error _ -> ()) [big; out];
  Unix.rmdir tmp;
  Printf.printf "1..%d\n" !n;
  exit (if !failed > 0 then 1 else 0)
