# PROGRESS and user_cancel of upload and download from Perl (TAP), on
# the descriptor path and on the stream.
use strict;
use warnings;
use Errno;
use File::Temp qw(tempdir);

use Sys::Minnow;

my $n = 0;
my $failed = 0;
sub ok
{
  my ($cond, $what) = @_;
  $n++;
  print (($cond ? "ok" : "not ok") . " $n - $what\n");
  $failed++ unless $cond;
}

my $tmp = tempdir (CLEANUP => 1);
my $size = 300 << 20;
open (my $fh, ">", "$tmp/big") or die;
my $block = join ("", map { chr (($_ * 7) % 251) } 0 .. 1048575);
print $fh $block for 1 .. 300;
close ($fh) or die;

my $g = Sys::Minnow->new ();
$g->add_drive_scratch (1 << 30);
$g->launch ();
$g->mkfs ("ext4", "/dev/sda");
$g->mount ("/dev/sda", "/");

for my $stream (0, 1) {
  my $how = $stream ? "stream" : "descriptor";
  if ($stream) { $ENV{MINNOW_NO_FD_TRANSFER} = "1" }
  else { delete $ENV{MINNOW_NO_FD_TRANSFER} }
  my @ev;
  my $cancel = 0;
  my $eh = $g->set_event_callback (sub {
    my ($ev, $h, $buf, $array) = @_;
    push @ev, [@$array];
    $g->user_cancel () if $cancel;
  }, Sys::Minnow::EVENT_PROGRESS);
  $g->upload ("$tmp/big", "/big");
  ok (@ev && $ev[-1][2] == $size && $ev[-1][3] == $size,
      "upload ($how): PROGRESS up to $size");
  @ev = ();
  $g->download ("/big", "$tmp/out");
  ok (@ev && $ev[-1][2] == $size && -s "$tmp/out" == $size,
      "download ($how): PROGRESS up to $size");
  $cancel = 1;
  eval { $g->upload ("$tmp/big", "/c") };
  ok ($@ && $g->last_errno () == Errno::EINTR (),
      "upload ($how): user_cancel from a callback: EINTR");
  eval { $g->download ("/big", "$tmp/out") };
  ok ($@ && $g->last_errno () == Errno::EINTR (),
      "download ($how): user_cancel from a callback: EINTR");
  $cancel = 0;
  ok ($g->filesize ("/big") == $size, "($how) the handle works after it");
  $g->delete_event_callback ($eh);
}
$g->umount_all ();
eval { $g->e2fsck ("/dev/sda") };
ok (!$@, "e2fsck -fn is clean at the end");
$g->close ();
print "1..$n\n";
exit ($failed ? 1 : 0);
