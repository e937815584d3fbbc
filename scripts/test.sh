#!/usr/bin/env bash
# Runs every PeerConnect test project on a fresh Debian machine.
# Installs the Debian packages the tests need when they are missing, builds Release,
# runs the suites, and ends with exactly one line: "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# Debian packages the interop and NAT-lab tests start (binary -> package).
declare -A needed=(
  [turnserver]=coturn
  [turnutils_stunclient]=coturn
  [ip]=iproute2
  [iptables]=iptables
  [redis-server]=redis-server
  [chromium]=chromium
)
missing=()
for bin in "${!needed[@]}"; do
  command -v "$bin" >/dev/null 2>&1 || missing+=("${needed[$bin]}")
done
# The ICE interop tests drive aiortc's aioice with Debian's interpreter (not whatever python3 is first on PATH).
/usr/bin/python3 -c 'import aioice' >/dev/null 2>&1 || missing+=(python3-aiortc)
if ((${#missing[@]})); then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  echo "Installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: not root; install ${missing[*]} first" >&2
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq "${missing[@]}" >/dev/null || {
    echo "error: apt-get install ${missing[*]} failed" >&2
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
  }
fi
# coturn's package enables a system service; the tests start their own instances.
if command -v systemctl >/dev/null 2>&1; then systemctl stop coturn >/dev/null 2>&1 || true; fi

command -v dotnet >/dev/null 2>&1 || { echo "error: the .NET SDK (dotnet) is not on PATH" >&2; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

results="$root/TestResults"
rm -rf "$results"
mkdir -p "$results"

if ! dotnet build PeerConnect.sln -c Release -nologo -v quiet 2>&1 | tee "$results/build.log" | grep -E 'error|Build succeeded|Warn' ; then :; fi
if ! grep -q 'Build succeeded' "$results/build.log" || grep -qE ' error [A-Z]+[0-9]+' "$results/build.log"; then
  echo "error: build failed (see TestResults/build.log)" >&2
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

# Every suite runs in a network namespace of its own that holds only loopback: ICE and Chromium gather host
# candidates on every interface, and test traffic must never reach an address outside loopback or the
# namespaces the tests build themselves (the NAT lab's). Without root or iproute2, suites run as they are.
isolate=()
if [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null 2>&1; then
  testns="peerconnect-tests-$$"
  if ip netns add "$testns" 2>/dev/null && ip -n "$testns" link set lo up; then
    trap 'ip netns del "$testns" 2>/dev/null || true' EXIT
    isolate=(ip netns exec "$testns")
  fi
fi

status=0
for proj in tests/*.Tests/*.csproj; do
  name=$(basename "$proj" .csproj)
  echo "== $name"
  "${isolate[@]}" dotnet test "$proj" -c Release --no-build --nologo \
    --logger "trx;LogFileName=$name.trx" --results-directory "$results" \
    -- RunConfiguration.TestSessionTimeout=1500000 || status=1
done

passed=0 failed=0 skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  attr() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  passed=$((passed + $(attr passed)))
  failed=$((failed + $(attr failed) + $(attr error) + $(attr timeout) + $(attr aborted)))
  skipped=$((skipped + $(attr notExecuted) + $(attr inconclusive)))
done
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
