# Hand-written tests of the Ruby binding's own behaviour: the handle's life
# cycle, Minnow::Error and errno, the options hash, result types, events.
# TAP.
require 'minnow'

class Failed < StandardError
end

def expect(what, expected, got)
  raise Failed, "#{what}\n# expected: #{expected.inspect}\n# got: #{got.inspect}" if expected != got
end

def launched
  g = Minnow::Minnow.new
  g.add_drive_scratch(1048576)
  g.launch
  g
end

TESTS = []
def test(name, &blk)
  TESTS << [name, blk]
end

test "close twice is harmless" do
  g = Minnow::Minnow.new
  g.close
  g.close
end

test "call on a closed handle raises ArgumentError (as libguestfs)" do
  g = Minnow::Minnow.new
  g.close
  begin
    g.get_trace
    raise Failed, "no exception\n# expected: ArgumentError\n# got: a result"
  rescue ArgumentError => e
    expect("message", "get_trace: used handle after closing it", e.message)
  end
end

test "Minnow::Error carries the errno" do
  g = launched
  begin
    g.internal_test_daemon_rint("error:ENOENT")
    raise Failed, "no exception\n# expected: Minnow::Error\n# got: a result"
  rescue Minnow::Error => e
    expect("errno", Errno::ENOENT::Errno, e.errno)
    expect("message", "internal_test_daemon_rint: requested error ENOENT", e.message)
    expect("a StandardError", true, e.is_a?(StandardError))
  ensure
    g.close
  end
end

test "optional arguments as a trailing hash" do
  g = launched
  r = g.internal_test_daemon("a", nil, [], false, 0, 0, "", "/dev/sda", "/dev/sda", "/",
                      "/dev/sda", [], "k", oint: 7, ostringlist: ["x"])
  expect("oint", true, r.include?("oint: 7\n"))
  expect("obool", true, r.include?("obool: unset\n"))
  expect("ostringlist", true, r.include?("ostringlist: [\"x\"]\n"))
  begin
    g.add_drive("x", bogus: 1)
    raise Failed, "unknown option accepted"
  rescue ArgumentError
  end
  g.close
end

test "result types" do
  g = launched
  s = g.internal_test_daemon_rstruct("1")
  expect("struct buf", "b1\0", s["buf"])
  expect("struct list", 2, g.internal_test_daemon_rstructlist("2").length)
  expect("hashtable", { "k0" => "v0" }, g.internal_test_daemon_rhashtable("1"))
  expect("buffer", "ab\0", g.internal_test_daemon_rbufferout("ab"))
  expect("string list", ["0", "1"], g.internal_test_daemon_rstringlist("2"))
  expect("int64", -2**63, g.internal_test_daemon_rint64((-2**63).to_s))
  expect("const opt string", nil, g.internal_test_rconstoptstring("NULL"))
  g.close
end

test "events: blocks, ENTER, PROGRESS, CLOSE" do
  g = launched
  seen = []
  g.set_event_callback(Minnow::EVENT_ENTER | Minnow::EVENT_PROGRESS | Minnow::EVENT_CLOSE) do |ev, eh, buf, array|
    seen << [ev, buf, array]
  end
  g.internal_test_progress(3)
  expect("ENTER first", [Minnow::EVENT_ENTER, "internal_test_progress", []], seen[0])
  p = seen.select { |ev, _, _| ev == Minnow::EVENT_PROGRESS }
  expect("progress events", true, p.length >= 1)
  expect("last: position = total", p[-1][2][3], p[-1][2][2])
  seen.clear
  g.close
  expect("CLOSE on close", 1, seen.count { |ev, _, _| ev == Minnow::EVENT_CLOSE })
end

test "delete_event_callback, procs" do
  g = launched
  n = 0
  eh = g.set_event_callback(Minnow::EVENT_ENTER, proc { n += 1 })
  g.internal_test_noop
  g.delete_event_callback(eh)
  g.internal_test_noop
  g.close
  expect("calls", 1, n)
end

test "event_to_string" do
  expect("names", "close,progress",
         Minnow.event_to_string(Minnow::EVENT_CLOSE | Minnow::EVENT_PROGRESS))
end

test "a collected handle is closed (its daemon exits)" do
  pid = nil
  1.times do
    g = launched
    g.set_event_callback(Minnow::EVENT_CLOSE) { }
    pid = g.get_pid
    g = nil
  end
  alive = lambda do
    begin
      Process.kill(0, pid)
      true
    rescue Errno::ESRCH
      false
    end
  end
  200.times do
    GC.start(full_mark: true, immediate_sweep: true)
    break unless alive.call
    sleep 0.01
  end
  expect("daemon alive", false, alive.call)
end

test "a collected handle fires its CLOSE callbacks once" do
  closed = []
  1.times do
    g = Minnow::Minnow.new
    g.set_event_callback(Proc.new { |ev, eh, buf, arr| closed << ev },
                         Minnow::EVENT_CLOSE)
    g = nil
  end
  200.times do
    GC.start(full_mark: true, immediate_sweep: true)
    break unless closed.empty?
    sleep 0.01
  end
  expect("CLOSE events after the GC", [Minnow::EVENT_CLOSE], closed)
  GC.start(full_mark: true, immediate_sweep: true)
  expect("CLOSE events after another GC", [Minnow::EVENT_CLOSE], closed)
end

test "close fires CLOSE once; the GC does not fire it again" do
  closed = 0
  1.times do
    g = Minnow::Minnow.new
    g.set_event_callback(Minnow::EVENT_CLOSE) { closed += 1 }
    g.close
    expect("after close", 1, closed)
    g = nil
  end
  5.times { GC.start(full_mark: true, immediate_sweep: true) }
  expect("after the GC", 1, closed)
end

test "the GVL is released during calls" do
  g = launched
  ticks = 0
  t = Thread.new { g.internal_test_sleep(300) }
  while t.alive?
    ticks += 1
    sleep 0.001
  end
  t.join
  g.close
  expect("other thread ran", true, ticks > 50)
end

test "user_cancel from another thread" do
  g = launched
  t = Thread.new do
    begin
      g.internal_test_fileout(1 << 40, "/dev/null")
      :finished
    rescue Minnow::Error => e
      e.errno
    end
  end
  sleep 0.2
  g.user_cancel
  expect("errno", Errno::EINTR::Errno, t.value)
  g.internal_test_noop
  g.close
end

test "user_cancel when idle" do
  g = launched
  g.user_cancel
  g.internal_test_noop
  g.close
end

$stdout.sync = true
puts "1..#{TESTS.length}"
TESTS.each_with_index do |(name, blk), i|
  begin
    blk.call
    puts "ok #{i + 1} - #{name}"
  rescue Failed => e
    puts "not ok #{i + 1} - #{name}: #{e.message}"
  rescue StandardError => e
    puts "not ok #{i + 1} - #{name}\n# expected: no exception\n# got: #{e.class}: #{e.message}"
  end
end
