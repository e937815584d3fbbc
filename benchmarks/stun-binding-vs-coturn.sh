#!/usr/bin/env bash
# Binding requests per second on loopback: our server and coturn (turnserver --stun-only), driven by
# the same load generator (benchmarks/PeerConnect.Benchmarks stun-load), each server pinned to core 1
# and the generator to core 0. Runs alternate (coturn, ours, coturn, ours…) so drift in machine load
# hits both alike; the report gives every run and the ratio of medians.
# Usage: bash benchmarks/stun-binding-vs-coturn.sh [rounds=3] [seconds=10]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
seconds=${2:-10}
port=34780
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

dotnet build benchmarks/PeerConnect.Benchmarks -c Release -nologo -v quiet >/dev/null
dotnet build src/PeerConnect.Server -c Release -nologo -v quiet >/dev/null
load="dotnet benchmarks/PeerConnect.Benchmarks/bin/Release/net10.0/PeerConnect.Benchmarks.dll stun-load"

cat > "$work/coturn.conf" <<CONF
listening-ip=127.0.0.1
listening-port=$port
stun-only
no-cli
no-tls
no-dtls
no-stdout-log
log-file=/dev/null
pidfile=$work/coturn.pid
CONF

wait_udp() { for _ in $(seq 1 100); do ss -uln | grep -q ":$port " && return 0; sleep 0.1; done; echo "server did not bind $port" >&2; return 1; }

run_coturn() {
  taskset -c 1 turnserver -c "$work/coturn.conf" >/dev/null 2>&1 &
  local pid=$!
  wait_udp; sleep 0.5
  taskset -c 0 $load "127.0.0.1:$port" --seconds "$seconds" --server-pid "$pid" | sed 's/^/coturn /'
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

run_ours() {
  # Two receive loops, as many as coturn's UDP threads on this 2-core machine.
  DOTNET_gcServer=0 taskset -c 1 dotnet src/PeerConnect.Server/bin/Release/net10.0/PeerConnect.Server.dll \
    --urls http://127.0.0.1:0 --Logging:LogLevel:Default=Warning \
    --PeerConnect:Turn:ListenAddresses:0=127.0.0.1 --PeerConnect:Turn:Port=$port \
    --PeerConnect:Turn:EnableTcp=false --PeerConnect:Turn:ReceiveLoops=2 >/dev/null 2>&1 &
  local pid=$!
  wait_udp; sleep 1
  taskset -c 0 $load "127.0.0.1:$port" --seconds "$seconds" --server-pid "$pid" | sed 's/^/peerconnect /'
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

for _ in $(seq 1 "$rounds"); do run_coturn; run_ours; done | tee "$work/runs.txt"
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ours=$(grep '^peerconnect' "$work/runs.txt" | grep -o 'responses_per_second=[0-9]*' | cut -d= -f2 | median)
theirs=$(grep '^coturn' "$work/runs.txt" | grep -o 'responses_per_second=[0-9]*' | cut -d= -f2 | median)
ours_cpu=$(grep '^peerconnect' "$work/runs.txt" | grep -o 'per_million=[0-9.]*' | cut -d= -f2 | median)
theirs_cpu=$(grep '^coturn' "$work/runs.txt" | grep -o 'per_million=[0-9.]*' | cut -d= -f2 | median)
echo "median responses/s: peerconnect=$ours coturn=$theirs ratio=$(awk "BEGIN {printf \"%.2f\", $ours/$theirs}")"
echo "median server CPU s per million: peerconnect=$ours_cpu coturn=$theirs_cpu ratio=$(awk "BEGIN {printf \"%.2f\", $ours_cpu/$theirs_cpu}")"
