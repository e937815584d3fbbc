#!/usr/bin/env bash
# TURN relay load: coturn 4.6.1 on loopback, pinned to core 1; turn-load (allocations, echo peer, baseline) on core 0.
# Usage: benchmarks/turn-relay-vs-coturn.sh [extra turn-load options, e.g. --allocations 16 --duration 10]
# Runs flat out (throughput, server CPU) and at 2 000 packets/s (latency) for 120 B and 1200 B payloads.
# When our TURN server lands, start it the same way (pinned to core 1, same user) and rerun turn-load against it.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill "$(cat "$work/turnserver.pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$work"' EXIT
port=34780
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
taskset -c 1 turnserver -c "$work/coturn.conf" >/dev/null 2>&1 &
for _ in $(seq 50); do [ -s "$work/turnserver.pid" ] && break; sleep 0.1; done
sleep 1
pid=$(cat "$work/turnserver.pid")
load=(taskset -c 0 dotnet benchmarks/PeerConnect.TurnLoad/bin/Release/net10.0/turn-load.dll
  --server 127.0.0.1:$port --user load --password load --server-pid "$pid" --payload 120,1200)
echo "## coturn $(turnserver --version 2>/dev/null | head -1), flat out"
"${load[@]}" --allocations 16 --warmup 2 --duration 10 "$@"
echo
echo "## coturn, 2000 packets/s offered"
"${load[@]}" --allocations 16 --rate 2000 --warmup 2 --duration 10 "$@"
