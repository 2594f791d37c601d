# bench/bindings in Ruby: see bindings-c.c.
require 'minnow'

g = Minnow::Minnow.new
g.add_drive_scratch(1048576)
g.launch
1000.times { g.internal_test_noop }
t = (1..21).map do
  start = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  1000.times { g.internal_test_noop }
  (Process.clock_gettime(Process::CLOCK_MONOTONIC) - start) / 1000 * 1e6
end
printf("%.2f\n", t.sort[10])
g.close
