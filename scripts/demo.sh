#!/usr/bin/env bash
# A tour of albatross-ts on a throwaway directory: starts albatross-console, albatrossd and
# albatross-stats (built in dist/), then drives them with albatross-client: a block device, a
# unikernel, its info, console, statistics, the state file, restart and destroy. Everything
# runs under one temporary directory, which is removed at the end.
#
# No registry ships Solo5, so the tender is the project's test stand-in (it accepts the
# solo5-hvt command line, prints a banner and `line N` on its console, and exits as told), and
# the unikernel image is a minimal Solo5 ELF made by the test fixture.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -f dist/bin/albatrossd.js ] || { echo "dist/ is missing: run 'npm run build' first" >&2; exit 1; }

demo=$(mktemp -d "${TMPDIR:-/tmp}/albatross-demo.XXXXXX")
run="$demo/run"   # --tmpdir: sockets in util/, console FIFOs in fifo/
db="$demo/db"     # --dbdir: state file, block devices, the tender
mkdir -p "$run/util" "$run/fifo" "$db/block"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$demo"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '\033[2m$ %s\033[0m\n' "albatross-client $*"; node dist/bin/albatross-client.js "$@"; }
wait_for() { for _ in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.05; done; echo "no socket $1; logs in $demo" >&2; exit 1; }
start() {
  local name=$1; shift
  node "dist/bin/$name.js" "$@" >>"$demo/$name.log" 2>&1 &
  pids+=($!)
}

step "the tender and a unikernel image"
ln -s "$PWD/test/fixtures/fake-tender/fake-tender.mjs" "$db/solo5-hvt"
npx --no-install tsc --outDir "$demo/fixture" --module nodenext --moduleResolution nodenext --target es2022 \
  --skipLibCheck test/fixtures/solo5-image.ts
node --input-type=module -e "
  import { writeFileSync } from 'node:fs'
  const { solo5Image } = await import('$demo/fixture/solo5-image.js')
  writeFileSync('$demo/hello.hvt', solo5Image({ devices: [{ kind: 'block', name: 'storage' }] }))
  writeFileSync('$demo/plain.hvt', solo5Image())"
echo "$db/solo5-hvt -> fake tender; hello.hvt: a Solo5 hvt image with one block device 'storage'; plain.hvt: none"

step "starting albatross-console, albatrossd, albatross-stats on $run"
start albatross-console --tmpdir "$run"
wait_for "$run/util/console.sock"
start albatrossd --tmpdir "$run" --dbdir "$db"
wait_for "$run/util/vmmd.sock"
start albatross-stats --tmpdir "$run" --interval 1
wait_for "$run/util/stat.sock"
ls "$run/util"

step "policies: the root policy albatrossd found on this host, and one for a delegate"
show policy --tmpdir "$run"
show add-policy alice 2 --mem 256 --size 64 --tmpdir "$run"
show policy --tmpdir "$run"

step "a block device and a unikernel that uses it"
show create-block storage 16 --tmpdir "$run"
show create hello "$demo/hello.hvt" --block storage --mem 64 --arg=--fake-lines=3 --restart-on-fail --tmpdir "$run"
sleep 0.3
show info --tmpdir "$run"
show block --tmpdir "$run"

step "its console (history, then live lines until we stop it)"
node dist/bin/albatross-client.js console hello --tmpdir "$run" &
console_pid=$!
sleep 1
kill "$console_pid"; wait "$console_pid" 2>/dev/null || true

step "its statistics from albatross-stats (/proc figures of the tender process)"
timeout 2.5 node dist/bin/albatross-client.js stats -n hello --tmpdir "$run" || true

step "the state file, as the OCaml albatrossd would read it"
show inspect-dump --dbdir "$db"

step "a delegate's quota is enforced: 512 MB is more than alice's 256 MB"
show create alice:big "$demo/hello.hvt" --mem 512 --block storage --tmpdir "$run" || echo "(exit code $?)"

step "a unikernel that exits with 3 after half a second is restarted (--restart-on-fail), with backoff"
show create crashy "$demo/plain.hvt" --arg=--fake-exit=3 --arg=--fake-delay=500 --restart-on-fail --tmpdir "$run"
sleep 3
grep crashy "$demo/albatrossd.log" | tail -4
show destroy crashy --tmpdir "$run"

step "albatrossd stops on SIGTERM, keeps its state file, and brings the unikernel back on the next start"
daemon=${pids[1]}
kill -TERM "$daemon"; wait "$daemon" || true
rm -f "$run/util/vmmd.sock"   # so that wait_for sees the new daemon's socket
start albatrossd --tmpdir "$run" --dbdir "$db"
wait_for "$run/util/vmmd.sock"
sleep 0.5
show info --tmpdir "$run"

step "restart with new arguments, then destroy"
show restart hello --replace-arguments --mem 64 --arg=--fake-lines=1 --block storage --tmpdir "$run"
show destroy hello --tmpdir "$run"
show destroy-block storage --tmpdir "$run"
show info --tmpdir "$run"

step "albatrossd's log"
cat "$demo/albatrossd.log"
echo
echo "done; removing $demo"
