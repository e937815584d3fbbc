#!/usr/bin/env bash
# TURN relay load, coturn 4.6.1 against our server (PeerConnect.Server), both on loopback and pinned to core 1;
# turn-load (allocations, echo peer, direct-path baseline) pinned to core 0.
# Usage: benchmarks/turn-relay-vs-coturn.sh [extra turn-load options, e.g. --allocations 16 --duration 10]
#   ROUNDS=N (default 2): rounds, each running coturn then ours, so load drift on a shared machine hits both alike.
#   RELAY=udp (default): UDP allocations, each run flat out (throughput, server CPU) and at 2 000 packets/s
#     (latency) for 120 B and 1200 B payloads.
#   RELAY=tcp: TCP allocations (RFC 6062) over TCP, each run streaming 1200 B and 16 KiB chunks with 8 in flight per
#     connection (throughput, server CPU), then 120 B chunks one at a time (latency). Ports differ from the UDP
#     run's, so both can run side by side.
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
relay=${RELAY:-udp}
case "$relay" in
  udp) port=34780 ours_port=34790 listening=-lun ;;
  tcp) port=34784 ours_port=34794 listening=-ltn ;;
  *) echo "RELAY must be udp or tcp" >&2; exit 2 ;;
esac
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

# Our server with the same user, realm and loopback permission, room for the 16 allocations of one user (the
# default per-user quota is 10); HTTP on a free loopback port, logs at Warning.
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
for _ in $(seq 100); do ss $listening | grep -q "127.0.0.1:$ours_port " && break; sleep 0.1; done
sleep 1

run() { # name port pid
  local load=(taskset -c 0 dotnet benchmarks/PeerConnect.TurnLoad/bin/Release/net10.0/turn-load.dll
    --server 127.0.0.1:"$2" --user load --password load --server-pid "$3")
  if [ "$relay" = tcp ]; then
    load+=(--transport tcp --relay tcp)
    echo "## round $round, $1, streaming ($(uptime | sed 's/.*load/load/'))"
    "${load[@]}" --payload 1200,16384 --window 8 --allocations 8 --warmup 2 --duration 10 "${extra[@]}"
    echo
    echo "## round $round, $1, one 120 B chunk at a time ($(uptime | sed 's/.*load/load/'))"
    "${load[@]}" --payload 120 --window 1 --allocations 8 --warmup 2 --duration 10 "${extra[@]}"
  else
    load+=(--payload 120,1200)
    echo "## round $round, $1, flat out ($(uptime | sed 's/.*load/load/'))"
    "${load[@]}" --allocations 16 --warmup 2 --duration 10 "${extra[@]}"
    echo
    echo "## round $round, $1, 2000 packets/s offered ($(uptime | sed 's/.*load/load/'))"
    "${load[@]}" --allocations 16 --rate 2000 --warmup 2 --duration 10 "${extra[@]}"
  fi
  echo
}
extra=("$@")
for round in $(seq "$rounds"); do
  run "coturn $(turnserver --version 2>/dev/null | head -1)" "$port" "$coturn_pid"
  run "PeerConnect" "$ours_port" "$ours_pid"
done
