# libguestfs's Perl shape, renamed (Sys::Guestfs -> Sys::Minnow): the
# constructor flags (unknown ones croak), $Sys::Minnow::EVENT_* (WARNING
# fired), structs and hashtables as flat lists, the closed-handle and
# not-a-handle messages, the _opts names.  TAP.

use strict;
use warnings;
use File::Temp qw(tempfile);

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
  my $g = Sys::Minnow->new (@_);
  $g->add_drive_scratch (1048576);
  $g->launch ();
  return $g;
}

test "constructor flags", sub {
  my $g = Sys::Minnow->new (environment => 0, close_on_exit => 0);
  expect ("a handle", "Sys::Minnow", ref $g);
  $g->close ();
};

test "an unknown constructor flag croaks", sub {
  my $g = eval { Sys::Minnow->new (enviroment => 0) };
  expect ("no handle", "undef", $g);
  expect ("message names the flag", 1, $@ =~ /unknown flag 'enviroment'/ ? 1 : 0);
};

test "environment => 0 ignores MINNOW_MEMSIZE", sub {
  local $ENV{MINNOW_MEMSIZE} = "1234";
  my $g = Sys::Minnow->new ();
  expect ("memsize from the environment", 1234, $g->get_memsize ());
  $g = Sys::Minnow->new (environment => 0);
  expect ("memsize with environment => 0", 768, $g->get_memsize ());
};

test "the program name is the script's", sub {
  my $g = Sys::Minnow->new ();
  expect ("get_program", "shapes.t", $g->get_program ());
};

test "event variables", sub {
  my %want = (CLOSE => 0x1, SUBPROCESS_QUIT => 0x2, LAUNCH_DONE => 0x4,
              PROGRESS => 0x8, APPLIANCE => 0x10, LIBRARY => 0x20,
              TRACE => 0x40, ENTER => 0x80, LIBVIRT_AUTH => 0x100,
              WARNING => 0x200, ALL => 0x3ff);
  no strict 'refs';
  for my $n (sort keys %want) {
    expect ("\$Sys::Minnow::EVENT_$n", $want{$n}, ${"Sys::Minnow::EVENT_$n"});
  }
};

test "the WARNING event", sub {
  my $g = Sys::Minnow->new ();
  my @seen;
  $g->set_event_callback (sub { push @seen, [$_[0], $_[2]] }, $Sys::Minnow::EVENT_WARNING);
  $g->set_backend ("unix:/nonexistent/minnow.sock");
  $g->add_drive_scratch (1048576);
  eval { $g->launch () };
  expect ("one WARNING", 1, scalar @seen);
  expect ("event", $Sys::Minnow::EVENT_WARNING, $seen[0][0]);
  expect ("message", 1, $seen[0][1] =~ /ignores the 1 drive/ ? 1 : 0);
};

test "a struct is a flat list in list context", sub {
  my $g = launched ();
  my @l = $g->internal_test_daemon_rstruct ("1");
  expect ("keys and values", 14, scalar @l);
  expect ("in the struct's order", "s buf c i32 u32 i64 u64",
          join (" ", @l[grep { $_ % 2 == 0 } 0 .. $#l]));
  my %s = $g->internal_test_daemon_rstruct ("1");
  expect ("field s", "s1", $s{s});
  my $h = $g->internal_test_daemon_rstruct ("1");
  expect ("a hash reference in scalar context", "HASH", ref $h);
  my %v = $g->version ();
  expect ("version major", 1, exists $v{major} ? 1 : 0);
  my @sl = $g->internal_test_daemon_rstructlist ("2");
  expect ("struct list: hash references", "HASH HASH", join (" ", map { ref } @sl));
};

test "a hashtable is a flat list", sub {
  my $g = launched ();
  my %h = $g->internal_test_daemon_rhashtable ("2");
  expect ("hash", "k0=v0 k1=v1", join (" ", map { "$_=$h{$_}" } sort keys %h));
};

test "closed handle message", sub {
  my $g = Sys::Minnow->new ();
  $g->close ();
  eval { $g->get_memsize () };
  expect ("message", 1, $@ =~ /^Sys::Minnow::get_memsize\(\): called on a closed handle/ ? 1 : 0);
  eval { $g->set_event_callback (sub { }, $Sys::Minnow::EVENT_CLOSE) };
  expect ("set_event_callback too", 1, $@ =~ /called on a closed handle/ ? 1 : 0);
};

test "not a handle", sub {
  eval { Sys::Minnow::get_memsize ("Sys::Minnow") };
  expect ("message", 1, $@ =~ /not a blessed HV reference/ ? 1 : 0);
};

test "the _opts names", sub {
  for my $n (qw(add_drive mkfs umount is_file is_dir is_blockdev is_chardev
                is_fifo is_socket)) {
    expect ("${n}_opts", \&{"Sys::Minnow::$n"}, \&{"Sys::Minnow::${n}_opts"});
  }
  my ($fh, $file) = tempfile (UNLINK => 1);
  truncate ($fh, 64 << 20) or die "truncate: $!";
  my $g = Sys::Minnow->new ();
  $g->add_drive_opts ($file, format => "raw", readonly => 0);
  $g->launch ();
  $g->part_disk ("/dev/sda", "mbr");
  $g->mkfs_opts ("ext4", "/dev/sda1", label => "shape");
  $g->mount ("/dev/sda1", "/");
  $g->mkdir ("/d");
  $g->ln_s ("d", "/l");
  expect ("is_dir_opts followsymlinks", 1, $g->is_dir_opts ("/l", followsymlinks => 1));
  expect ("is_dir", 0, $g->is_dir ("/l"));
  $g->umount_opts ("/", force => 0);
  expect ("label", "shape", $g->vfs_label ("/dev/sda1"));
  $g->close ();
};

$| = 1;
print "1.." . scalar (@tests) . "\n";
my $n = 0;
my $failed = 0;
for my $t (@tests) {
  my ($name, $f) = @$t;
  $n++;
  if (eval { $f->(); 1 }) { print "ok $n - $name\n" }
  elsif (ref $@ eq "HASH") { $failed++; print "not ok $n - $name: $@->{msg}\n" }
  else { $failed++; my $e = "$@"; chomp $e; print "not ok $n - $name\n# expected: no exception\n# got: $e\n" }
}
exit ($failed ? 1 : 0);
