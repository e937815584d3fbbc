#!/usr/bin/env bash
# TURN TCP relaying (RFC 6062) under load, coturn 4.6.1 against our server (PeerConnect.Server), both on loopback and
# pinned to core 1; turn-load --relay tcp (TCP allocations, TCP echo peer, direct-path baseline) pinned to core 0.
# Usage: benchmarks/turn-tcp-relay-vs-coturn.sh [extra turn-load options]
#   ROUNDS=N (default 2): rounds, each running coturn then ours, so load drift on a shared machine hits both alike.
# Each run streams 1200 B and 16 KiB chunks with 8 in flight per connection (throughput, server CPU), then 120 B
# chunks one at a time (latency). Ports 34784 (coturn) and 34794 (ours), so it can run beside the UDP relay script.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-2}
work=$(mktemp -d)
ours_pid=
cleanup() {
  kill "$(cat "$work/turnserver.pid" 2>/dev/null)" 2>/dev/null || true
  [ -n "$ours_pid" ] && kill "$ours_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
port=34784
ours_port=34794
cat > "$work/coturn.conf" <<CONF
listening-ip=127.0.0.1
listening-port=$port
relay-ip=127.0.0.1
lt-cred-mech
user=load:load
realm=example.org
allow-loopback-peers
no-cli
no-tls
no-dtls
log-file=/dev/null
no-stdout-log
simple-log
pidfile=$work/turnserver.pid
CONF
dotnet build benchmarks/PeerConnect.TurnLoad -c Release -nologo -v q >/dev/null
dotnet build src/PeerConnect.Server -c Release -nologo -v q >/dev/null

taskset -c 1 turnserver -c "$work/coturn.conf" >/dev/null 2>&1 &
for _ in $(seq 50); do [ -s "$work/turnserver.pid" ] && break; sleep 0.1; done
coturn_pid=$(cat "$work/turnserver.pid")

taskset -c 1 dotnet src/PeerConnect.Server/bin/Release/net10.0/PeerConnect.Server.dll \
  --urls http://127.0.0.1:0 \
  --Logging:LogLevel:Default=Warning \
  --PeerConnect:Turn:Port=$ours_port \
  --PeerConnect:Turn:ListenAddresses:0=127.0.0.1 \
  --PeerConnect:Turn:Realm=example.org \
  --PeerConnect:Turn:Users:load=load \
  --PeerConnect:Turn:AllowLoopbackPeers=true \
  --PeerConnect:Turn:MaxAllocationsPerUser=100 \
  >"$work/ours.log" 2>&1 &
ours_pid=$!
for _ in $(seq 100); do ss -ltn | grep -q "127.0.0.1:$ours_port " && break; sleep 0.1; done
sleep 1

run() { # name port pid
  local load=(taskset -c 0 dotnet benchmarks/PeerConnect.TurnLoad/bin/Release/net10.0/turn-load.dll
    --server 127.0.0.1:"$2" --transport tcp --relay tcp --user load --password load --server-pid "$3")
  echo "## round $round, $1, streaming ($(uptime | sed 's/.*load/load/'))"
  "${load[@]}" --payload 1200,16384 --window 8 --allocations 8 --warmup 2 --duration 10 "${extra[@]}"
  echo
  echo "## round $round, $1, one 120 B chunk at a time ($(uptime | sed 's/.*load/load/'))"
  "${load[@]}" --payload 120 --window 1 --allocations 8 --warmup 2 --duration 10 "${extra[@]}"
  echo
}
extra=("$@")
for round in $(seq "$rounds"); do
  run "coturn $(turnserver --version 2>/dev/null | head -1)" "$port" "$coturn_pid"
  run "PeerConnect" "$ours_port" "$ours_pid"
done
