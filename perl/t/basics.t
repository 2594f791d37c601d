# Hand-written tests of Sys::Minnow's own behaviour: the handle's life
# cycle, croak and errno, optional arguments, result types, events.  TAP.

use strict;
use warnings;
use Errno;

use Sys::Minnow;

my @tests;
sub test { push @tests, [@_] }

sub expect
{
  my ($what, $expected, $got) = @_;
  $got = "undef" unless defined $got;
  die { msg => "$what\n# expected: $expected\n# got: $got" } if $expected ne $got;
}

sub launched
{
  my $g = Sys::Minnow->new ();
  $g->add_drive_scratch (1048576);
  $g->launch ();
  return $g;
}

test "close twice is harmless", sub {
  my $g = Sys::Minnow->new ();
  $g->close ();
  $g->close ();
};

test "call on a closed handle croaks", sub {
  my $g = Sys::Minnow->new ();
  $g->close ();
  eval { $g->get_trace () };
  expect ("message", 1, $@ =~ /Sys::Minnow::get_trace\(\): called on a closed handle/ ? 1 : 0);
};

test "croak carries the errno", sub {
  my $g = launched ();
  eval { $g->internal_test_daemon_rint ("error:ENOENT") };
  my ($err, $errno) = ($@, $! + 0);
  expect ("message", 1, $err =~ /requested error ENOENT/ ? 1 : 0);
  expect ("last_errno", Errno::ENOENT (), $g->last_errno ());
  expect ("\$!", Errno::ENOENT (), $errno);
  $g->close ();
};

test "optional arguments as name => value", sub {
  my $g = launched ();
  my $r = $g->internal_test_daemon ("a", undef, [], 0, 0, 0, "", "/dev/sda", "/dev/sda",
                             "/", "/dev/sda", [], "k", oint => 7, ostringlist => ["x"]);
  expect ("oint", 1, index ($r, "oint: 7\n") >= 0 ? 1 : 0);
  expect ("obool", 1, index ($r, "obool: unset\n") >= 0 ? 1 : 0);
  expect ("ostringlist", 1, index ($r, "ostringlist: [\"x\"]\n") >= 0 ? 1 : 0);
  eval { $g->internal_test_noop (bogus => 1) };
  expect ("extra arguments croak", 1, $@ ? 1 : 0);
  $g->close ();
};

test "result types", sub {
  my $g = launched ();
  my $s = $g->internal_test_daemon_rstruct ("1");
  expect ("struct is a hash ref", "HASH", ref $s);
  expect ("struct buf", "b1\0", $s->{buf});
  my @l = $g->internal_test_daemon_rstructlist ("2");
  expect ("struct list", 2, scalar @l);
  my %h = $g->internal_test_daemon_rhashtable ("2");
  expect ("hashtable", "v1", $h{k1});
  expect ("buffer", "ab\0", $g->internal_test_daemon_rbufferout ("ab"));
  my @sl = $g->internal_test_daemon_rstringlist ("3");
  expect ("string list", "0 1 2", "@sl");
  expect ("int64", "-9223372036854775808", $g->internal_test_daemon_rint64 ("-9223372036854775808"));
  expect ("const opt string", "undef", $g->internal_test_rconstoptstring ("NULL"));
  $g->close ();
};

test "events: ENTER, PROGRESS, CLOSE", sub {
  my $g = launched ();
  my @seen;
  my $eh = $g->set_event_callback (sub { push @seen, [@_] },
      Sys::Minnow::EVENT_ENTER | Sys::Minnow::EVENT_PROGRESS | Sys::Minnow::EVENT_CLOSE);
  $g->internal_test_progress (3);
  expect ("ENTER first", "internal_test_progress", $seen[0][2]);
  my @p = grep { $_->[0] == Sys::Minnow::EVENT_PROGRESS } @seen;
  expect ("progress events", 1, @p ? 1 : 0);
  expect ("last: position = total", $p[-1][3][3], $p[-1][3][2]);
  @seen = ();
  $g->close ();
  expect ("CLOSE on close", 1, scalar (grep { $_->[0] == Sys::Minnow::EVENT_CLOSE } @seen));
};

test "delete_event_callback", sub {
  my $g = launched ();
  my $n = 0;
  my $eh = $g->set_event_callback (sub { $n++ }, Sys::Minnow::EVENT_ENTER);
  $g->internal_test_noop ();
  $g->delete_event_callback ($eh);
  $g->internal_test_noop ();
  $g->close ();
  expect ("calls", 1, $n);
};

test "a handle going out of scope is closed", sub {
  my $closed = 0;
  {
    my $g = Sys::Minnow->new ();
    $g->set_event_callback (sub { $closed++ }, Sys::Minnow::EVENT_CLOSE);
  }
  expect ("CLOSE events", 1, $closed);
};

test "event_to_string", sub {
  expect ("names", "close,progress",
          Sys::Minnow::event_to_string (Sys::Minnow::EVENT_CLOSE | Sys::Minnow::EVENT_PROGRESS));
};

test "user_cancel when idle", sub {
  my $g = launched ();
  $g->user_cancel ();
  $g->internal_test_noop ();
  $g->close ();
};

$| = 1;
print "1.." . scalar (@tests) . "\n";
my $n = 0;
for my $t (@tests) {
  my ($name, $f) = @$t;
  $n++;
  if (eval { $f->(); 1 }) { print "ok $n - $name\n" }
  elsif (ref $@ eq "HASH") { print "not ok $n - $name: $@->{msg}\n" }
  else { my $e = "$@"; chomp $e; print "not ok $n - $name\n# expected: no exception\n# got: $e\n" }
}
