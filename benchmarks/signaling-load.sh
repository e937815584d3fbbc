#!/usr/bin/env bash
# Signaling at scale: N clients in rooms of two against one PeerConnect server, two PeerConnect servers on Redis,
# and the PeerJS server (the reference). Figures go to stdout; docs/benchmarks.md records one run.
# Usage: benchmarks/signaling-load.sh N [seconds] [rate-per-client]   (PEERJS_DIR: where `npm install peer` ran;
# RUNS: which of "one redis peerjs" to run, all by default; SERVER_ENV: extra VAR=value words for our servers;
# LISTENER=1: our clients connect to the WebSocket-only listener, PeerConnect:Signaling:WebSocketListener, on the
# HTTP port + 1000, instead of Kestrel's /ws)
set -euo pipefail
n=${1:-1000}
seconds=${2:-20}
rate=${3:-1}
peerjs_dir=${PEERJS_DIR:-/tmp/peerjs-ref}
runs=" ${RUNS:-one redis peerjs} "
root=$(cd "$(dirname "$0")/.." && pwd)
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"  # containers may cap the hard limit (20000 here)
server_dll=$root/src/PeerConnect.Server/bin/Release/net10.0/PeerConnect.Server.dll
load_dll=$root/benchmarks/PeerConnect.Signaling.Load/bin/Release/net10.0/PeerConnect.Signaling.Load.dll
[ -f "$server_dll" ] && [ -f "$load_dll" ] || {
  dotnet build -c Release "$root/src/PeerConnect.Server" >/dev/null
  dotnet build -c Release "$root/benchmarks/PeerConnect.Signaling.Load" >/dev/null
}
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

wait_port() { for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

ws_url() { echo "ws://127.0.0.1:$(( $1 + ${LISTENER:+1000} + 0 ))/ws"; }

start_server() { # port [redis]
  env PeerConnect__Turn__Enabled=false Logging__LogLevel__Default=Warning \
  ${LISTENER:+PeerConnect__Signaling__WebSocketListener=127.0.0.1:$(( $1 + 1000 ))} \
  PeerConnect__Signaling__MaxConnections=20000 PeerConnect__Signaling__MaxRooms=20000 \
  ${2:+PeerConnect__Signaling__Redis=$2} ${SERVER_ENV:-} \
    dotnet "$server_dll" --urls "http://127.0.0.1:$1" >/tmp/pc-server-$1.log 2>&1 &
  pids+=($!); last_pid=$!
  wait_port "$1"
}

cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$1/stat"; }

# A 256 MiB young generation keeps the load tool's own collections out of the exchange (it collected twice in a
# 10,000-client exchange, pausing 57-78 ms, which every server's p99 measured too); env-only, the runtimeconfig's
# System.GC.Gen0Size is not read.
# --collect: every server collects its heap fully before each memory reading (the PeerJS server through the preloaded
# peerjs-collect-on-signal.js), so a reading does not depend on when the runtime last collected or gave memory back.
run_load() { DOTNET_GCgen0size=0x10000000 dotnet "$load_dll" --clients "$n" --seconds "$seconds" --rate "$rate" --sources 4 --collect "$@"; }

if [[ $runs == *" one "* ]]; then
echo "== one PeerConnect server"
start_server 17100; one=$last_pid
run_load --protocol peerconnect --urls "$(ws_url 17100)" --pids "$one" --metrics http://127.0.0.1:17100/metrics
echo "CPU seconds since start (connect, idle and exchange): server $(cpu_seconds "$one")"
cleanup; pids=()
fi

if [[ $runs == *" redis "* ]]; then
echo "== two PeerConnect servers on Redis"
redis-server --port 17379 --bind 127.0.0.1 --save "" --appendonly no >/tmp/pc-redis.log 2>&1 &
pids+=($!); redis_pid=$!
wait_port 17379
start_server 17101 127.0.0.1:17379; a=$last_pid
start_server 17102 127.0.0.1:17379; b=$last_pid
run_load --protocol peerconnect --urls "$(ws_url 17101),$(ws_url 17102)" --pids "$a,$b" --metrics http://127.0.0.1:17101/metrics,http://127.0.0.1:17102/metrics
echo "redis RSS: $(awk '/VmRSS/ {print $2/1024 " MiB"}' /proc/$redis_pid/status)"
echo "CPU seconds since start (connect, idle and exchange): servers $(cpu_seconds "$a") + $(cpu_seconds "$b"), redis $(cpu_seconds "$redis_pid")"
redis-cli -p 17379 info commandstats | grep -E 'calls=[0-9]{4,}' || true
cleanup; pids=()
fi

[[ $runs == *" peerjs "* ]] || exit 0
echo "== PeerJS server (peer $(node -p "require('$peerjs_dir/node_modules/peer/package.json').version"), node $(node --version)"
node --expose-gc -r "$root/benchmarks/peerjs-collect-on-signal.js" "$peerjs_dir/node_modules/peer/dist/bin/peerjs.js" --port 17200 --concurrent_limit 20000 >/tmp/peerjs.log 2>&1 &
pids+=($!); pj=$!
wait_port 17200
run_load --protocol peerjs --urls ws://127.0.0.1:17200/peerjs --pids "$pj"
# The preload's readings at the tool's three collections (start, first stage, all): what is live in Node per
# connection of the second stage, beside our servers' "GC heap after last collection" line.
grep "live after collection" /tmp/peerjs.log | awk -v added=$(( n - n / 20 * 2 )) '
  { live[NR] = $5 + $7 } END { if (NR >= 3) printf "PeerJS live after collection (V8 heap in use + external): %.1f MiB -> %.1f MiB -> %.1f MiB, %.1f KiB per connection of the second stage\n", live[1] / 1048576, live[2] / 1048576, live[3] / 1048576, (live[3] - live[2]) / 1024 / added }'
echo "CPU seconds since start (connect, idle and exchange): server $(cpu_seconds "$pj")"
