#!/usr/bin/perl
# Stands in for a unikernel's tender (solo5-hvt): attaches to a tap device like the real one
# does (open /dev/net/tun, TUNSETIFF with IFF_TAP|IFF_NO_PI) and, like a unikernel, reads the
# frames the host sends it (the kernel counts a frame as transmitted, host_to_vm, only once it
# is read). Commands on stdin: "send N" writes N Ethernet frames of 100 bytes into the tap (the
# host counts them as received, vm_to_host) and answers "sent N"; "count" answers
# "received N", the frames read so far.
# Perl because it is part of every Debian system (perl-base) and has ioctl and select.
use strict;
use warnings;

my ($tap) = @ARGV;
open(my $fh, "+<", "/dev/net/tun") or die "open /dev/net/tun: $!";
binmode($fh);
# struct ifreq: 16 bytes of name, short flags, padded to 40 bytes
my $ifr = pack("a16 s x22", $tap, 0x0002 | 0x1000);
ioctl($fh, 0x400454ca, $ifr) or die "TUNSETIFF $tap: $!";
$| = 1;
print "attached $$\n";
# broadcast destination, locally administered source, the IEEE local experimental ethertype
my $frame = pack("H12 H12 n", "ffffffffffff", "020000000002", 0x88b5) . ("u" x 86);
my $received = 0;
my $stdin_open = 1;
while (1) {
  my $rin = '';
  vec($rin, fileno($fh), 1) = 1;
  vec($rin, fileno(STDIN), 1) = 1 if $stdin_open;
  my $n = select(my $rout = $rin, undef, undef, undef);
  next if $n <= 0;
  if (vec($rout, fileno($fh), 1)) {
    my $buf;
    sysread($fh, $buf, 65536) or die "read: $!";
    $received++;
  }
  if ($stdin_open && vec($rout, fileno(STDIN), 1)) {
    my $line = <STDIN>;
    if (!defined $line) { $stdin_open = 0; next }
    if ($line =~ /^send (\d+)/) {
      for (1 .. $1) { (syswrite($fh, $frame) // -1) == 100 or die "write: $!" }
      print "sent $1\n";
    } elsif ($line =~ /^count/) {
      print "received $received\n";
    }
  }
}
