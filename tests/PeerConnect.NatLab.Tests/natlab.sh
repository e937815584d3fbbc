#!/usr/bin/env bash
# NAT lab on the real kernel: network namespaces joined by veth pairs.
#
#   natlab.sh up   ID NAT_A NAT_B     builds the lab named ID
#   natlab.sh down ID                 removes every namespace and link of lab ID (idempotent)
#
#                 pc$ID-pub  (bridge pcb$ID, 203.0.113.10: STUN/TURN)
#                /                        \
#     203.0.113.1  pc$ID-ra       pc$ID-rb  203.0.113.2        NAT routers (iptables)
#     198.18.1.1   |                      |  198.18.2.1
#     198.18.1.2   pc$ID-a        pc$ID-b    198.18.2.2        peers
#
# NAT kinds (RFC 4787 terms):
#   cone       MASQUERADE: endpoint-independent, port-preserving mapping; conntrack lets in only replies from
#              the exact address and port sent to (address- and port-dependent filtering, "port-restricted")
#   fullcone   MASQUERADE plus a DNAT of every inbound UDP datagram to the peer: endpoint-independent filtering
#   symmetric  MASQUERADE --random-fully: a random public port per destination (address- and port-dependent mapping)
#   udpblock   cone, and UDP from the peer is dropped (only TCP leaves)
# Only 198.18.0.0/15 and 203.0.113.0/24 are used, so no real network is touched.
set -euo pipefail

cmd=${1:?up|down}
id=${2:?lab id}
pub="pc$id-pub" ra="pc$id-ra" rb="pc$id-rb" a="pc$id-a" b="pc$id-b"

down() {
  for ns in "$a" "$b" "$ra" "$rb" "$pub"; do
    ip netns del "$ns" 2>/dev/null || true
  done
}

nat() {
  local ns=$1 kind=$2 host=$3
  ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
  local ipt="ip netns exec $ns iptables"
  case "$kind" in
    cone|udpblock)
      $ipt -t nat -A POSTROUTING -o wan -j MASQUERADE
      $ipt -A FORWARD -i wan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
      $ipt -A FORWARD -i wan -j DROP
      # A peer's check that arrives before our side has sent would otherwise leave a conntrack entry for
      # (peer -> our public port); our own outbound packet to that peer would then clash with it and MASQUERADE
      # would move it to another port. Dropping it in INPUT keeps the entry unconfirmed, as a hole-punching NAT does.
      $ipt -A INPUT -i wan -m conntrack --ctstate NEW -j DROP
      if [ "$kind" = udpblock ]; then
        $ipt -A FORWARD -i lan -p udp -j DROP
      fi
      ;;
    fullcone)
      $ipt -t nat -A POSTROUTING -o wan -j MASQUERADE
      $ipt -t nat -A PREROUTING -i wan -p udp -j DNAT --to-destination "$host"
      ;;
    symmetric)
      $ipt -t nat -A POSTROUTING -o wan -j MASQUERADE --random-fully
      $ipt -A FORWARD -i wan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
      $ipt -A FORWARD -i wan -j DROP
      $ipt -A INPUT -i wan -m conntrack --ctstate NEW -j DROP
      ;;
    *) echo "unknown NAT kind $kind" >&2; exit 2 ;;
  esac
}

up() {
  local nat_a=${3:?NAT_A} nat_b=${4:?NAT_B}
  trap 'down' ERR
  for ns in "$pub" "$ra" "$rb" "$a" "$b"; do
    ip netns add "$ns"
    ip netns exec "$ns" ip link set lo up
  done

  ip -n "$pub" link add br0 type bridge
  ip -n "$pub" addr add 203.0.113.10/24 dev br0
  ip -n "$pub" link set br0 up

  local side r host lan_net pub_ip
  for side in a b; do
    if [ $side = a ]; then r=$ra; host=$a; lan_net=198.18.1; pub_ip=203.0.113.1; kind=$nat_a
    else r=$rb; host=$b; lan_net=198.18.2; pub_ip=203.0.113.2; kind=$nat_b; fi
    # WAN: router <-> public bridge
    ip link add "pcw$id$side" netns "$r" type veth peer name "pcp$id$side" netns "$pub"
    ip -n "$r" link set "pcw$id$side" name wan
    ip -n "$r" addr add "$pub_ip/24" dev wan
    ip -n "$r" link set wan up
    ip -n "$pub" link set "pcp$id$side" master br0 up
    # LAN: router <-> peer
    ip link add "pcl$id$side" netns "$r" type veth peer name "pch$id$side" netns "$host"
    ip -n "$r" link set "pcl$id$side" name lan
    ip -n "$r" addr add "$lan_net.1/24" dev lan
    ip -n "$r" link set lan up
    ip -n "$host" link set "pch$id$side" name eth0
    ip -n "$host" addr add "$lan_net.2/24" dev eth0
    ip -n "$host" link set eth0 up
    ip -n "$host" route add default via "$lan_net.1"
    nat "$r" "$kind" "$lan_net.2"
  done
  trap - ERR
}

case "$cmd" in
  up) up "$@" ;;
  down) down ;;
  *) echo "usage: natlab.sh up ID NAT_A NAT_B | down ID" >&2; exit 2 ;;
esac
