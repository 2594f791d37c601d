# PROGRESS and user_cancel of upload and download from Ruby (TAP), on
# the descriptor path and on the stream.
require 'minnow'
require 'tmpdir'

$n = 0
$failed = 0
def ok(cond, what)
  $n += 1
  puts "#{cond ? 'ok' : 'not ok'} #{$n} - #{what}"
  $failed += 1 unless cond
end

Dir.mktmpdir do |tmp|
  size = 300 << 20
  block = (0...1048576).map { |i| ((i * 7) % 251).chr }.join.b
  File.open("#{tmp}/big", "wb") { |f| 300.times { f.write(block) } }

  g = Minnow::Minnow.new
  g.add_drive_scratch(1 << 30)
  g.launch
  g.mkfs("ext4", "/dev/sda")
  g.mount("/dev/sda", "/")
  [false, true].each do |stream|
    how = stream ? "stream" : "descriptor"
    if stream then ENV["MINNOW_NO_FD_TRANSFER"] = "1"
    else ENV.delete("MINNOW_NO_FD_TRANSFER") end
    ev = []
    cancel = false
    eh = g.set_event_callback(Minnow::EVENT_PROGRESS) do |e, h, buf, array|
      ev << array
      g.user_cancel if cancel
    end
    g.upload("#{tmp}/big", "/big")
    ok(!ev.empty? && ev[-1][2] == size && ev[-1][3] == size,
       "upload (#{how}): PROGRESS up to #{size}")
    ev.clear
    g.download("/big", "#{tmp}/out")
    ok(!ev.empty? && ev[-1][2] == size && File.size("#{tmp}/out") == size,
       "download (#{how}): PROGRESS up to #{size}")
    cancel = true
    [["upload", proc { g.upload("#{tmp}/big", "/c") }],
     ["download", proc { g.download("/big", "#{tmp}/out") }]].each do |name, call|
      begin
        call.call
        ok(false, "#{name} (#{how}): user_cancel from a callback")
      rescue Minnow::Error => e
        ok(e.errno == Errno::EINTR::Errno,
           "#{name} (#{how}): user_cancel from a callback: EINTR")
      end
    end
    cancel = false
    ok(g.filesize("/big") == size, "(#{how}) the handle works after it")
    g.delete_event_callback(eh)
  end
  g.umount_all
  begin
    g.e2fsck("/dev/sda")
    ok(true, "e2fsck -fn is clean at the end")
  rescue Minnow::Error => e
    ok(false, "e2fsck -fn is clean at the end: #{e}")
  end
  g.close
end
puts "1..#{$n}"
exit($failed > 0 ? 1 : 0)
