#!/usr/bin/env bash
# Safe Internet network-namespace lab: three LAN devices, an OpenWrt-like router and an upstream.
# Device c (si-c, 02:00:00:00:00:0c, 192.168.50.12, fd50::12, port lan-c) is wired like a and b.
#
#   si-a  eth0 02:00:00:00:00:0a                 si-router                       si-up
#   192.168.50.10  fd50::10        +------------------------------------+
#   [eth0]------------------[lan-a]-+                                   |      10.99.0.2  fd99::2
#                                   | br-lan 192.168.50.1/24 fd50::1/64 |      dnsmasq :53 (*.test)
#                                   |   dnsmasq :53 -> 10.99.0.2        | [wan]------[eth0]
#   [eth0]------------------[lan-b]-+   safeinternet (nft + NFQUEUE)    | 10.99.0.1    labsrv :80 :443 :7
#   si-b  eth0 02:00:00:00:00:0b   |   ip/ip6 forwarding, no NAT       | fd99::1      iperf3 :5201
#   192.168.50.11  fd50::11        +------------------------------------+
#
# Clients route everything via 192.168.50.1 / fd50::1; the upstream routes the LAN prefixes back
# via 10.99.0.1 / fd99::1. The upstream's dnsmasq answers games.test, www.games.test, mygames.test,
# video.test, school.test, news.test, *.wild.test and a few real names from the category lists
# (LIST_NAMES: bet365.com, www.bet365.com) with 10.99.0.2 / fd99::2 and NXDOMAIN for other .test
# names.
#
# Usage: scripts/lab.sh build | up | down | status | exec NS CMD... | fw4 on|off |
#                       agent-start CONFIG [ARGS...] | agent-stop | agent-kill9 | agent-pid
#   fw4 on installs a small table "inet fw4" in the router like OpenWrt's default firewall
#   (conntrack, forward policy drop, LAN -> WAN allowed, WAN -> LAN only established/related),
#   so that the router pays for conntrack as a real one does; fw4 off removes it.
#   NS is a, b, c, router, up (or the full namespace name).
#
# Environment:
#   LAB_PREFIX      namespace prefix (default "si-"); use a unique one for parallel runs
#   LAB_DIR         run dir for pid files, logs and agent state (default /tmp/${LAB_PREFIX}lab)
#   LABSRV          labsrv binary (default bin/labsrv; built with go when missing)
#   SAFEINTERNET_BIN agent binary for agent-start (default bin/safeinternet)
#   LAB_DNS_CACHE   router dnsmasq cache size (default 1000, OpenWrt's default; 0 disables)
#   LAB_DNS_LOG     1: router and upstream dnsmasq log every query to LAB_DIR/*.log
#   LAB_FW4         1: up also runs "fw4 on"
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB_PREFIX=${LAB_PREFIX:-si-}
LAB_DIR=${LAB_DIR:-/tmp/${LAB_PREFIX}lab}
LABSRV=${LABSRV:-$ROOT/bin/labsrv}
SAFEINTERNET_BIN=${SAFEINTERNET_BIN:-$ROOT/bin/safeinternet}
LAB_DNS_CACHE=${LAB_DNS_CACHE:-1000}
LAB_DNS_LOG=${LAB_DNS_LOG:-0}

NS_A=${LAB_PREFIX}a
NS_B=${LAB_PREFIX}b
NS_C=${LAB_PREFIX}c
NS_R=${LAB_PREFIX}router
NS_U=${LAB_PREFIX}up
ALL_NS=("$NS_A" "$NS_B" "$NS_C" "$NS_R" "$NS_U")

TEST_NAMES=(games.test www.games.test mygames.test video.test school.test news.test)
# Real names from the category lists (../shared/data), answered and served by the upstream
# like the .test names, so that category tests reach them through DNS, TLS and HTTP.
LIST_NAMES=(bet365.com www.bet365.com)
# The SafeSearch hosts the agent resolves for restricted devices, answered by the upstream.
SAFE_NAMES=(forcesafesearch.google.com strict.bing.com safe.duckduckgo.com restrict.youtube.com
	restrictmoderate.youtube.com)

log() { printf 'lab: %s\n' "$*" >&2; }
die() { printf 'lab: %s\n' "$*" >&2; exit 1; }

need_root() { [[ $(id -u) -eq 0 ]] || die "must run as root"; }

ns_exists() { [[ -e /var/run/netns/$1 ]]; }

# ns_name maps a short name (a, b, router, up) to the namespace name.
ns_name() {
	case $1 in
	a) echo "$NS_A" ;;
	b) echo "$NS_B" ;;
	c) echo "$NS_C" ;;
	router | r) echo "$NS_R" ;;
	up | u) echo "$NS_U" ;;
	*) echo "$1" ;;
	esac
}

# sysctl_ns sets a sysctl inside a namespace; a key that the kernel lacks is skipped.
sysctl_ns() {
	local ns=$1 kv=$2 key=${2%%=*}
	if ip netns exec "$ns" test -e "/proc/sys/${key//.//}"; then
		ip netns exec "$ns" sysctl -qw "$kv" >/dev/null
	fi
}

# pid_alive PIDFILE: true when the pid file names a live process.
pid_alive() {
	local pid
	[[ -s $1 ]] || return 1
	pid=$(<"$1")
	kill -0 "$pid" 2>/dev/null
}

# wait_for DESCRIPTION TRIES CMD...: retry CMD every 0.1 s, at most TRIES times.
wait_for() {
	local what=$1 tries=$2 i
	shift 2
	for ((i = 0; i < tries; i++)); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.1
	done
	die "timed out waiting for $what"
}

ensure_labsrv() {
	if [[ ! -x $LABSRV ]]; then
		log "building $LABSRV"
		(cd "$ROOT" && CGO_ENABLED=0 go build -o "$LABSRV" ./scripts/labsrv)
	fi
}

dnsmasq_common=(--conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces --port=53
	--user=root --group=root --no-ping --dns-forward-max=1000)

start_router_dns() {
	local args=("${dnsmasq_common[@]}" --listen-address=192.168.50.1,fd50::1
		--server=10.99.0.2 --strict-order --cache-size="$LAB_DNS_CACHE"
		--pid-file="$LAB_DIR/dnsmasq-router.pid")
	if [[ $LAB_DNS_LOG == 1 ]]; then
		args+=(--log-queries --log-facility="$LAB_DIR/dnsmasq-router.log")
	else
		args+=(--log-facility="$LAB_DIR/dnsmasq-router.log")
	fi
	ip netns exec "$NS_R" dnsmasq "${args[@]}"
}

start_upstream_dns() {
	local args=("${dnsmasq_common[@]}" --listen-address=10.99.0.2,fd99::2 --cache-size=0
		--local=/test/ --local-ttl=300 --address=/wild.test/10.99.0.2 --address=/wild.test/fd99::2
		--pid-file="$LAB_DIR/dnsmasq-up.pid") n
	for n in "${TEST_NAMES[@]}" "${LIST_NAMES[@]}" "${SAFE_NAMES[@]}"; do
		args+=(--host-record="$n,10.99.0.2,fd99::2")
	done
	if [[ $LAB_DNS_LOG == 1 ]]; then
		args+=(--log-queries --log-facility="$LAB_DIR/dnsmasq-up.log")
	else
		args+=(--log-facility="$LAB_DIR/dnsmasq-up.log")
	fi
	ip netns exec "$NS_U" dnsmasq "${args[@]}"
}

start_upstream_servers() {
	local names
	names=$(IFS=,; echo "${TEST_NAMES[*]},${LIST_NAMES[*]},*.wild.test")
	# ip netns exec replaces itself with the command, so $! is the server's pid.
	nohup ip netns exec "$NS_U" "$LABSRV" -http :80 -https :443 -echo :7 -names "$names" \
		>"$LAB_DIR/labsrv.log" 2>&1 </dev/null &
	echo $! >"$LAB_DIR/labsrv.pid"
	ip netns exec "$NS_U" iperf3 -s -D -B 10.99.0.2 -I "$LAB_DIR/iperf3.pid" \
		--logfile "$LAB_DIR/iperf3.log"
}

# add_client NS MAC IPV4 IPV6 PORT: a client namespace wired to a br-lan port.
add_client() {
	local ns=$1 mac=$2 v4=$3 v6=$4 port=$5
	ip netns add "$ns"
	ip -n "$NS_R" link add "$port" type veth peer name eth0 netns "$ns"
	ip -n "$ns" link set lo up
	ip -n "$ns" link set eth0 address "$mac"
	ip -n "$ns" addr add "$v4/24" dev eth0
	ip -n "$ns" -6 addr add "$v6/64" dev eth0 nodad
	ip -n "$ns" link set eth0 up
	ip -n "$ns" route add default via 192.168.50.1
	ip -n "$ns" -6 route add default via fd50::1
	ip -n "$NS_R" link set "$port" master br-lan
	ip -n "$NS_R" link set "$port" up
}

cmd_up() {
	need_root
	for ns in "${ALL_NS[@]}"; do
		ns_exists "$ns" && die "namespace $ns exists; run: LAB_PREFIX=$LAB_PREFIX $0 down"
	done
	for tool in dnsmasq iperf3 ip; do
		command -v "$tool" >/dev/null || die "missing tool: $tool"
	done
	ensure_labsrv
	mkdir -p "$LAB_DIR"
	# Any failure below (set -e or die) exits the script: tear down what was made.
	trap 'rc=$?; if [[ $rc -ne 0 ]]; then log "bring-up failed; tearing down"; cmd_down; fi' EXIT

	# Router: bridge, forwarding, no bridge netfilter (OpenWrt does not load br_netfilter).
	ip netns add "$NS_R"
	ip -n "$NS_R" link set lo up
	sysctl_ns "$NS_R" net.ipv4.ip_forward=1
	sysctl_ns "$NS_R" net.ipv6.conf.all.forwarding=1
	sysctl_ns "$NS_R" net.ipv6.conf.default.accept_dad=0
	sysctl_ns "$NS_R" net.bridge.bridge-nf-call-iptables=0
	sysctl_ns "$NS_R" net.bridge.bridge-nf-call-ip6tables=0
	sysctl_ns "$NS_R" net.bridge.bridge-nf-call-arptables=0
	ip -n "$NS_R" link add br-lan address 02:00:00:00:00:01 type bridge stp_state 0 forward_delay 0
	ip -n "$NS_R" addr add 192.168.50.1/24 dev br-lan
	ip -n "$NS_R" -6 addr add fd50::1/64 dev br-lan nodad
	ip -n "$NS_R" link set br-lan up

	add_client "$NS_A" 02:00:00:00:00:0a 192.168.50.10 fd50::10 lan-a
	add_client "$NS_B" 02:00:00:00:00:0b 192.168.50.11 fd50::11 lan-b
	add_client "$NS_C" 02:00:00:00:00:0c 192.168.50.12 fd50::12 lan-c

	# Upstream.
	ip netns add "$NS_U"
	ip -n "$NS_U" link set lo up
	ip -n "$NS_R" link add wan type veth peer name eth0 netns "$NS_U"
	ip -n "$NS_R" addr add 10.99.0.1/24 dev wan
	ip -n "$NS_R" -6 addr add fd99::1/64 dev wan nodad
	ip -n "$NS_R" link set wan up
	ip -n "$NS_U" addr add 10.99.0.2/24 dev eth0
	ip -n "$NS_U" -6 addr add fd99::2/64 dev eth0 nodad
	ip -n "$NS_U" link set eth0 up
	ip -n "$NS_U" route add 192.168.50.0/24 via 10.99.0.1
	ip -n "$NS_U" -6 route add fd50::/64 via fd99::1

	start_upstream_dns
	start_upstream_servers
	start_router_dns
	if [[ ${LAB_FW4:-0} == 1 ]]; then cmd_fw4 on; fi

	local ns
	for ns in "$NS_A" "$NS_B" "$NS_C"; do
		wait_for "$ns -> router (TCP 53, IPv4)" 50 tcp_ok "$ns" 192.168.50.1 53
		wait_for "$ns -> router (TCP 53, IPv6)" 50 tcp_ok "$ns" fd50::1 53
		wait_for "$ns -> labsrv (IPv4)" 50 tcp_ok "$ns" 10.99.0.2 80
		wait_for "$ns -> labsrv (IPv6)" 50 tcp_ok "$ns" fd99::2 80
	done
	if command -v dig >/dev/null; then
		wait_for "router dnsmasq" 50 dig_ok "$NS_A" 192.168.50.1
		wait_for "upstream dnsmasq" 50 dig_ok "$NS_A" 10.99.0.2
	fi
	trap - EXIT
	log "up: ${ALL_NS[*]} (run dir $LAB_DIR)"
}

# tcp_ok NS HOST PORT: a TCP connection from NS to HOST:PORT succeeds.
tcp_ok() {
	ip netns exec "$1" timeout 2 bash -c "exec 3<>/dev/tcp/$2/$3"
}

# dig_ok NS SERVER: the server answers games.test with an address.
dig_ok() {
	ip netns exec "$1" dig +short +tries=1 +timeout=1 @"$2" games.test A | grep -q '^10\.99\.0\.2$'
}

# kill_pidfile FILE: SIGTERM then SIGKILL the process named in FILE, then remove FILE.
kill_pidfile() {
	local f=$1 pid i
	[[ -s $f ]] || { rm -f "$f"; return 0; }
	pid=$(<"$f")
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$f"
}

cmd_down() {
	need_root
	local f ns pids
	if [[ -d $LAB_DIR ]]; then
		for f in "$LAB_DIR"/*.pid; do
			[[ -e $f ]] && kill_pidfile "$f"
		done
	fi
	# Anything still running inside our namespaces was started by the lab.
	for ns in "${ALL_NS[@]}"; do
		ns_exists "$ns" || continue
		pids=$(ip netns pids "$ns" 2>/dev/null || true)
		if [[ -n $pids ]]; then
			# shellcheck disable=SC2086
			kill -KILL $pids 2>/dev/null || true
		fi
	done
	for ns in "${ALL_NS[@]}"; do
		if ns_exists "$ns"; then
			ip netns del "$ns" 2>/dev/null || log "could not delete namespace $ns"
		fi
	done
	[[ -d $LAB_DIR ]] && rm -rf "$LAB_DIR"
	log "down"
}

cmd_status() {
	local ns f
	for ns in "${ALL_NS[@]}"; do
		if ns_exists "$ns"; then
			printf '%-14s up   ' "$ns"
			ip -n "$ns" -br addr show | awk '$1 != "lo" { printf "%s ", $0 } END { print "" }' |
				tr -s ' '
		else
			printf '%-14s down\n' "$ns"
		fi
	done
	for f in "$LAB_DIR"/*.pid; do
		[[ -e $f ]] || continue
		if pid_alive "$f"; then
			printf '%-14s pid %s running\n' "$(basename "$f" .pid)" "$(<"$f")"
		else
			printf '%-14s not running\n' "$(basename "$f" .pid)"
		fi
	done
	if ns_exists "$NS_R"; then
		if ip netns exec "$NS_R" nft list table inet safeinternet >/dev/null 2>&1; then
			echo "nft table inet safeinternet: present"
		else
			echo "nft table inet safeinternet: absent"
		fi
	fi
	if [[ -s $LAB_DIR/state/status.json ]]; then
		echo "agent status: $(<"$LAB_DIR/state/status.json")"
	fi
}

# The OpenWrt-like baseline firewall (see fw4 in the header).
FW4_RULES='table inet fw4 {
	chain input {
		type filter hook input priority filter; policy accept;
		ct state vmap { established : accept, related : accept, invalid : drop }
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state vmap { established : accept, related : accept, invalid : drop }
		iifname "br-lan" oifname "wan" accept
		iifname "br-lan" oifname "br-lan" accept
	}
}'

cmd_fw4() {
	need_root
	ns_exists "$NS_R" || die "lab is not up"
	case ${1:-} in
	on)
		ip netns exec "$NS_R" nft list table inet fw4 >/dev/null 2>&1 && return 0
		ip netns exec "$NS_R" nft -f - <<<"$FW4_RULES"
		log "fw4 baseline firewall on"
		;;
	off)
		ip netns exec "$NS_R" nft delete table inet fw4 2>/dev/null || true
		log "fw4 baseline firewall off"
		;;
	*) die "usage: $0 fw4 on|off" ;;
	esac
}

cmd_exec() {
	[[ $# -ge 2 ]] || die "usage: $0 exec NS CMD..."
	local ns
	ns=$(ns_name "$1")
	shift
	exec ip netns exec "$ns" "$@"
}

cmd_agent_start() {
	need_root
	[[ $# -ge 1 ]] || die "usage: $0 agent-start CONFIG [ARGS...]"
	local conf i
	conf=$(realpath "$1")
	shift
	ns_exists "$NS_R" || die "lab is not up"
	[[ -x $SAFEINTERNET_BIN ]] || die "agent binary $SAFEINTERNET_BIN missing (make build)"
	pid_alive "$LAB_DIR/agent.pid" && die "agent already running (pid $(<"$LAB_DIR/agent.pid"))"
	mkdir -p "$LAB_DIR/state"
	rm -f "$LAB_DIR/state/status.json"
	nohup ip netns exec "$NS_R" "$SAFEINTERNET_BIN" run --config "$conf" \
		--state-dir "$LAB_DIR/state" "$@" 2>>"$LAB_DIR/agent.log" </dev/null >&2 &
	echo $! >"$LAB_DIR/agent.pid"
	for ((i = 0; i < 100; i++)); do
		[[ -s $LAB_DIR/state/status.json ]] && { log "agent ready (pid $(<"$LAB_DIR/agent.pid"))"; return 0; }
		pid_alive "$LAB_DIR/agent.pid" || die "agent exited; see $LAB_DIR/agent.log"
		sleep 0.1
	done
	die "agent not ready after 10 s; see $LAB_DIR/agent.log"
}

cmd_agent_stop() {
	need_root
	local f=$LAB_DIR/agent.pid pid i
	pid_alive "$f" || { rm -f "$f"; log "agent not running"; return 0; }
	pid=$(<"$f")
	kill -TERM "$pid"
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || { rm -f "$f"; log "agent stopped"; return 0; }
		sleep 0.1
	done
	die "agent (pid $pid) still running 10 s after SIGTERM"
}

cmd_agent_kill9() {
	need_root
	local f=$LAB_DIR/agent.pid pid i
	pid_alive "$f" || die "agent not running"
	pid=$(<"$f")
	kill -KILL "$pid"
	# Wait until it is gone: until then its queue socket may still be bound.
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	rm -f "$f"
	log "agent killed (SIGKILL); its nft table stays behind"
}

cmd_agent_pid() {
	pid_alive "$LAB_DIR/agent.pid" || die "agent not running"
	cat "$LAB_DIR/agent.pid"
}

# cmd_build builds what the lab runs: the agent (with "make build", version
# stamped, unless make just did it or SAFEINTERNET_BIN names another binary),
# labsrv and labtool (into bin/).
cmd_build() {
	cd "$ROOT"
	export CGO_ENABLED=0
	if [[ $SAFEINTERNET_BIN == "$ROOT/bin/safeinternet" ]]; then
		if [[ -n ${MAKELEVEL:-} && -x $SAFEINTERNET_BIN ]]; then
			:
		elif command -v make >/dev/null; then
			make -s -C "$ROOT" build
		else
			go build -trimpath -o bin/safeinternet ./agent/cmd/safeinternet
		fi
	fi
	go build -o "$LABSRV" ./scripts/labsrv
	go build -o "$ROOT/bin/labtool" ./scripts/labtool
}

main() {
	local cmd=${1:-}
	[[ $# -gt 0 ]] && shift
	case $cmd in
	build) cmd_build "$@" ;;
	up) cmd_up "$@" ;;
	down) cmd_down "$@" ;;
	status) cmd_status "$@" ;;
	exec) cmd_exec "$@" ;;
	fw4) cmd_fw4 "$@" ;;
	agent-start) cmd_agent_start "$@" ;;
	agent-stop) cmd_agent_stop "$@" ;;
	agent-kill9) cmd_agent_kill9 "$@" ;;
	agent-pid) cmd_agent_pid "$@" ;;
	*) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
	esac
}

main "$@"
