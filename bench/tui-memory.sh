#!/usr/bin/env bash
# The memory of the real `logseal tui` (dist/, run `npm run build` first) in a tmux terminal of
# 120x40: after the first frame, after browsing Events and Checkpoints, and after a full verify
# on screen 4. Prints VmHWM (peak RSS), VmRSS, RssAnon (private memory) and RssFile (mapped
# files: the Node binary and its libraries, and LevelDB's memory-mapped tables), and the largest
# VmRSS, RssAnon and RssFile seen during the verify (read every 0.5 s).
#
#   bash bench/tui-memory.sh STORE_DIR [more logseal tui options]
set -euo pipefail
STORE=$1
shift
S="logseal-tui-memory-$$"
cd "$(dirname "$0")/.."
tmux -L "$S" -f /dev/null new-session -d -s m -x 120 -y 40 \
  "NO_COLOR=1 exec node dist/cli/main.js tui --store '$STORE' $*"
trap 'tmux -L "$S" kill-server 2>/dev/null || true' EXIT
pane() { tmux -L "$S" capture-pane -p -t m; }
status() { grep -E 'VmHWM|VmRSS|RssAnon|RssFile' "/proc/$pid/status" | tr -s ' \t' ' ' | tr '\n' ' '; echo; }
pid=""
for _ in $(seq 1 300); do
  sleep 0.1
  pid=$(tmux -L "$S" display-message -p -t m '#{pane_pid}')
  pane | grep -q FOLLOW && break
done
echo "first frame:       $(status)"
tmux -L "$S" send-keys -t m g; sleep 1; tmux -L "$S" send-keys -t m G; sleep 1
tmux -L "$S" send-keys -t m 3; sleep 3
echo "after browsing:    $(status)"
kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$pid/status"; }
max_rss=0 max_anon=0 max_file=0
tmux -L "$S" send-keys -t m 4
t0=$(date +%s.%N)
for _ in $(seq 1 2400); do
  sleep 0.5
  r=$(kb VmRSS) a=$(kb RssAnon) f=$(kb RssFile)
  ((r > max_rss)) && max_rss=$r
  ((a > max_anon)) && max_anon=$a
  ((f > max_file)) && max_file=$f
  pane | grep -q -e 'OK:' -e 'FAIL' && break
done
t1=$(date +%s.%N)
pane | sed -n 2p
pane | sed -n 4p
echo "during the verify: max VmRSS: $max_rss kB max RssAnon: $max_anon kB max RssFile: $max_file kB ($(echo "$t1 - $t0" | bc) s to the result)"
sleep 2
echo "after the verify:  $(status)"
tmux -L "$S" send-keys -t m q
