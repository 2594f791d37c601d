# bench/bindings in Perl: see bindings-c.c.
use strict;
use warnings;
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);
use Sys::Minnow;

my $g = Sys::Minnow->new ();
$g->add_drive_scratch (1048576);
$g->launch ();
$g->internal_test_noop () for 1 .. 1000;
my @t;
for (1 .. 21) {
  my $start = clock_gettime (CLOCK_MONOTONIC);
  $g->internal_test_noop () for 1 .. 1000;
  push @t, (clock_gettime (CLOCK_MONOTONIC) - $start) / 1000 * 1e6;
}
@t = sort { $a <=> $b } @t;
printf "%.2f\n", $t[10];
$g->close ();
