#!/usr/bin/env perl
# libguestfs's Perl bindtests, ported to minnow by renaming the module:
# the same calls in the same order, Int64 values given as strings as
# libguestfs's script gives them.  The output must equal
# tests/bindings/bindtests.golden (perl/t/compare-lgbindtests.sh).
use strict;
use warnings;

use Sys::Minnow;

my $g = Sys::Minnow->new ();
$g->internal_test ("abc", "def", [], 0, 0, "0", "123", "456", "abc\0abc",
                   obool => 1, oint => 1, oint64 => "9223372036854775807");
$g->internal_test ("abc", undef, [], 0, 0, "0", "123", "456", "abc\0abc",
                   oint64 => "1", ostring => "string");
$g->internal_test ("", "def", [], 0, 0, "0", "123", "456", "abc\0abc",
                   obool => 0, oint64 => "-9223372036854775808");
$g->internal_test ("", "", [], 0, 0, "0", "123", "456", "abc\0abc");
$g->internal_test ("abc", "def", ["1"], 0, 0, "0", "123", "456", "abc\0abc");
$g->internal_test ("abc", "def", ["1", "2"], 0, 0, "0", "123", "456",
                   "abc\0abc");
$g->internal_test ("abc", "def", ["1"], 1, 0, "0", "123", "456", "abc\0abc");
$g->internal_test ("abc", "def", ["1"], 0, -1, "-1", "123", "456",
                   "abc\0abc");
$g->internal_test ("abc", "def", ["1"], 0, -2, "-2", "123", "456",
                   "abc\0abc");
$g->internal_test ("abc", "def", ["1"], 0, 1, "1", "123", "456", "abc\0abc");
$g->internal_test ("abc", "def", ["1"], 0, 2, "2", "123", "456", "abc\0abc");
$g->internal_test ("abc", "def", ["1"], 0, 4095, "9223372036854775807", "123",
                   "456", "abc\0abc");
$g->internal_test ("abc", "def", ["1"], 0, 0, "-9223372036854775808", "", "",
                   "abc\0abc");
$g->internal_test ("abc", "def", [], 0, 0, "0", "123", "456", "abc\0abc",
                   ostringlist => []);
$g->internal_test ("abc", "def", [], 0, 0, "0", "123", "456", "abc\0abc",
                   ostringlist => ["optelem1"]);
$g->internal_test ("abc", "def", [], 0, 0, "0", "123", "456", "abc\0abc",
                   ostringlist => ["optelem1", "optelem2"]);
$g->internal_test ("abc", "def", [], 0, 0, "0", "123", "456", "abc\0abc",
                   ostringlist => ["optelem1", "optelem2", "optelem3"]);
print "EOF\n";
