#!/usr/bin/perl
# For bench/stats: attaches to every tap named on the command line as a tender would (open
# /dev/net/tun, TUNSETIFF with IFF_TAP|IFF_NO_PI), so they have a carrier and are operationally
# up; prints "attached" and holds them until stdin closes.
use strict;
use warnings;
my @fhs;
for my $tap (@ARGV) {
  open(my $fh, "+<", "/dev/net/tun") or die "open /dev/net/tun: $!";
  my $ifr = pack("a16 s x22", $tap, 0x0002 | 0x1000);
  ioctl($fh, 0x400454ca, $ifr) or die "TUNSETIFF $tap: $!";
  push @fhs, $fh;
}
$| = 1;
print "attached\n";
while (<STDIN>) {}
