#!/usr/bin/env bash
# The memory of the real `logseal tui` (dist/, run `npm run build` first) in a tmux terminal of
# 120x40: after the first frame, after browsing Events and Checkpoints, and after a full verify
# on screen 4. Prints VmHWM (peak RSS), VmRSS, RssAnon (private memory) and RssFile (mapped
# files: the Node binary and its libraries, and LevelDB's memory-mapped tables).
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
tmux -L "$S" send-keys -t m 4
for _ in $(seq 1 1200); do
  sleep 1
  pane | grep -q -e 'OK:' -e 'FAIL' && break
done
pane | sed -n 2p
echo "after the verify:  $(status)"
tmux -L "$S" send-keys -t m q
