# libguestfs's Ruby shape, renamed (Guestfs -> Minnow): new with a Hash of
# flags (unknown ones raise), Minnow.create, set_event_callback(proc,
# events), every EVENT_* (WARNING fired), Integer bools and char fields,
# String-keyed struct Hashes, ArgumentError after close, the _opts names,
# rdoc documenting the methods.  TAP.
require 'minnow'
require 'tempfile'
require 'tmpdir'

class Failed < StandardError
end

class Skip < StandardError
end

def expect(what, expected, got)
  raise Failed, "#{what}\n# expected: #{expected.inspect}\n# got: #{got.inspect}" if expected != got
end

def launched(*flags)
  g = Minnow::Minnow.new(*flags)
  g.add_drive_scratch(1048576)
  g.launch
  g
end

TESTS = []
def test(name, &blk)
  TESTS << [name, blk]
end

test "new takes a Hash of flags" do
  g = Minnow::Minnow.new(environment: false, close_on_exit: false)
  g.close
  g = Minnow::Minnow.new({})
  g.close
end

test "an unknown flag raises ArgumentError" do
  begin
    Minnow::Minnow.new(enviroment: false)
    raise Failed, "no exception"
  rescue ArgumentError => e
    expect("names the flag", true, e.message.include?("enviroment"))
  end
end

test "environment: false ignores MINNOW_MEMSIZE" do
  ENV["MINNOW_MEMSIZE"] = "1234"
  begin
    expect("from the environment", 1234, Minnow::Minnow.new.get_memsize)
    expect("environment: false", 768, Minnow::Minnow.new(environment: false).get_memsize)
  ensure
    ENV.delete("MINNOW_MEMSIZE")
  end
end

test "return values before launch, as libguestfs's tests check them" do
  g = Minnow::Minnow.new()
  expect("rint", 10, g.internal_test_rint("10"))
  expect("rint64", 10, g.internal_test_rint64("10"))
  expect("rbool", [1, 0], [g.internal_test_rbool("true"), g.internal_test_rbool("false")])
  expect("rconststring", "static string", g.internal_test_rconststring("test"))
  expect("rconstoptstringerr", nil, g.internal_test_rconstoptstringerr())
  expect("rstringlist", ["0", "1", "2", "3", "4"], g.internal_test_rstringlist("5"))
  expect("rstruct", "pv0", g.internal_test_rstruct("unused")["pv_name"])
  expect("rstructlist", (0..4).map { |i| "pv#{i}" },
         g.internal_test_rstructlist("5").map { |pv| pv["pv_name"] })
  expect("rhashtable", Hash["0" => "0", "1" => "1"], g.internal_test_rhashtable("2"))
  expect("rbufferout", "test", g.internal_test_rbufferout("test"))
  %w[rint rint64 rbool rconststring rstring rstringlist rstruct rstructlist
     rhashtable rbufferout].each do |n|
    begin
      g.send("internal_test_#{n}err")
      raise Failed, "internal_test_#{n}err did not raise"
    rescue Minnow::Error
    end
  end
  g.close
end

test "Minnow.create" do
  g = Minnow.create(environment: false)
  expect("class", Minnow::Minnow, g.class)
  g.close
end

test "every libguestfs event" do
  want = { "CLOSE" => 0x1, "SUBPROCESS_QUIT" => 0x2, "LAUNCH_DONE" => 0x4,
           "PROGRESS" => 0x8, "APPLIANCE" => 0x10, "LIBRARY" => 0x20,
           "TRACE" => 0x40, "ENTER" => 0x80, "LIBVIRT_AUTH" => 0x100,
           "WARNING" => 0x200, "ALL" => 0x3ff }
  want.each { |n, v| expect("EVENT_#{n}", v, Minnow.const_get("EVENT_#{n}")) }
end

test "set_event_callback(proc, events) and WARNING" do
  g = Minnow::Minnow.new
  seen = []
  g.set_event_callback(proc { |ev, eh, buf, array| seen << [ev, buf] }, Minnow::EVENT_WARNING)
  g.set_backend("unix:/nonexistent/minnow.sock")
  g.add_drive_scratch(1048576)
  begin
    g.launch
  rescue Minnow::Error
  end
  expect("one WARNING", 1, seen.length)
  expect("event", Minnow::EVENT_WARNING, seen[0][0])
  expect("message", true, seen[0][1].include?("ignores the 1 drive"))
  g.close
end

test "bools are Integers, as libguestfs" do
  g = launched
  expect("true", 1, g.internal_test_daemon_rbool("true"))
  expect("false", 0, g.internal_test_daemon_rbool("false"))
  expect("get_trace", 0, g.get_trace)
  g.close
end

test "structs are Hashes with String keys; chars are Integers" do
  g = launched
  s = g.internal_test_daemon_rstruct("1")
  expect("keys", %w(s buf c i32 u32 i64 u64), s.keys)
  expect("char field", Integer, s["c"].class)
  l = g.internal_test_daemon_rstructlist("2")
  expect("struct list", [Array, Hash], [l.class, l[0].class])
  expect("hashtable", { "k0" => "v0" }, g.internal_test_daemon_rhashtable("1"))
  g.close
end

test "a closed handle raises ArgumentError" do
  g = Minnow::Minnow.new
  g.close
  begin
    g.get_memsize
    raise Failed, "no exception"
  rescue ArgumentError => e
    expect("message", "get_memsize: used handle after closing it", e.message)
  end
end

test "the _opts names" do
  %w(add_drive mkfs umount is_file is_dir is_blockdev is_chardev is_fifo is_socket).each do |n|
    expect("#{n}_opts", true, Minnow::Minnow.method_defined?("#{n}_opts"))
  end
  Tempfile.create("shape") do |f|
    f.truncate(64 << 20)
    g = Minnow::Minnow.new
    g.add_drive_opts(f.path, { format: "raw", readonly: false })
    g.launch
    g.part_disk("/dev/sda", "mbr")
    g.mkfs_opts("ext4", "/dev/sda1", { label: "shape" })
    g.mount("/dev/sda1", "/")
    g.mkdir("/d")
    g.ln_s("d", "/l")
    expect("is_dir_opts followsymlinks", 1, g.is_dir_opts("/l", { followsymlinks: true }))
    expect("is_dir", 0, g.is_dir("/l"))
    g.umount_opts("/", { force: false })
    expect("label", "shape", g.vfs_label("/dev/sda1"))
    g.close
  end
end

test "rdoc documents the actions as methods of Minnow::Minnow" do
  rdoc = ENV["PATH"].split(":").map { |d| File.join(d, "rdoc") }.find { |p| File.executable?(p) }
  raise Skip, "rdoc is not installed" if rdoc.nil?
  src = File.join(ENV["abs_top_builddir"] || "..", "ruby", "ext", "minnow")
  Dir.mktmpdir do |d|
    ok = system(rdoc, "--quiet", "--op", File.join(d, "doc"),
                File.join(src, "actions-rb.c"), File.join(src, "handle-rb.c"),
                out: File::NULL, err: File::NULL)
    expect("rdoc ran", true, ok)
    page = File.join(d, "doc", "Minnow", "Minnow.html")
    expect("a page for Minnow::Minnow", true, File.exist?(page))
    html = File.read(page)
    %w(mkfs add_drive is_dir get_memsize).each do |m|
      expect("method #{m} documented", true, html.include?("method-i-#{m}"))
    end
    expect("longdesc text", true, html.include?("Return the value set with"))
  end
end

$stdout.sync = true
puts "1..#{TESTS.length}"
failed = 0
TESTS.each_with_index do |(name, blk), i|
  begin
    blk.call
    puts "ok #{i + 1} - #{name}"
  rescue Skip => e
    puts "ok #{i + 1} - #{name} # SKIP #{e.message}"
  rescue Failed => e
    failed += 1
    puts "not ok #{i + 1} - #{name}: #{e.message}"
  rescue StandardError => e
    failed += 1
    puts "not ok #{i + 1} - #{name}\n# expected: no exception\n# got: #{e.class}: #{e.message}"
  end
end
exit(failed == 0 ? 0 : 1)
