#!/usr/bin/env bash
# Every issue target's benchmark, one after the other, as the README's "The targets at a glance"
# was measured: run it on a quiet machine (nothing else running: the figures are wall-clock).
# Needs a 10M-event store for the TUI and the verify (npm run bench:large -- --dir DIR --events
# 10000000 --hooks none, about 2 minutes and 1 GB) and tmux. Logs go to OUT (default
# /tmp/logseal-targets), one file a benchmark; about 10 minutes in all.
#
#   bash bench/targets.sh STORE_10M [OUT]
set -u
STORE=$1
OUT=${2:-/tmp/logseal-targets}
cd "$(dirname "$0")/.."
mkdir -p "$OUT"
npm run build >/dev/null
stamp() { echo "== $1 $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg) commit $(git rev-parse --short HEAD)"; }
{ stamp tui; npm run --silent bench:tui -- --store "$STORE" --server 2>&1 | grep -v "logseal serve:"; } > "$OUT/tui.log" 2>&1
{ for i in 1 2 3; do stamp "tui-memory $i"; bash bench/tui-memory.sh "$STORE" 2>&1 | grep -v "^verify\|^rate"; done; } > "$OUT/tui-memory.log" 2>&1
{ stamp verify; /usr/bin/time -v node dist/cli/main.js verify --store "$STORE" --trust-store-key --json > "$OUT/verify.json"; } > "$OUT/verify.log" 2>&1
{ stamp lineage; npm run --silent bench:lineage -- --compare 1000000; } > "$OUT/lineage.log" 2>&1
{ stamp lineage-pipeline; npm run --silent bench:lineage -- --compare 1000000 --shape pipeline; } > "$OUT/lineage-pipeline.log" 2>&1
{ stamp serve; npm run --silent bench:serve -- --duration 60 --load wrk --connections 10; } > "$OUT/serve.log" 2>&1
{ stamp privacy; BENCH_MICRO=0 npm run --silent bench:privacy -- 10000 1000 3; } > "$OUT/privacy.log" 2>&1
{ stamp large-all; npm run --silent bench:large -- --events 200000 --hooks all --proofs 0; stamp large-none; npm run --silent bench:large -- --events 200000 --hooks none --proofs 0; } > "$OUT/large.log" 2>&1
echo "logs in $OUT"
