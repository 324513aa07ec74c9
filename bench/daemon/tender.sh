#!/bin/sh
# A minimal solo5-hvt stand-in for the albatrossd benchmark: answers --version with the ABI line
# and otherwise sleeps until SIGTERM (a node-based fake tender per unikernel would not fit 1,000).
case "$1" in
  --version) echo "solo5-hvt 0.12.1"; echo "ABI version 2"; exit 0 ;;
esac
exec sleep 1000000
