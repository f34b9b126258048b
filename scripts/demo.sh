#!/usr/bin/env bash
# Safe Internet demo: brings the lab up (scripts/lab.sh), runs the agent in the router namespace
# with a default household, sends traffic from both devices every few seconds and shows the
# agent's decisions live. Ctrl-C removes every namespace and process it made.
#
# Usage: sudo scripts/demo.sh            (or: sudo make demo)
# Environment:
#   DEMO_CONFIG      household config (default: the packaged sample if it has an active section
#                    for a lab device, else scripts/lab/household.conf)
#   DEMO_CYCLES      stop after this many traffic rounds (default 0: until Ctrl-C)
#   DEMO_INTERVAL    seconds between rounds (default 3)
#   DEMO_UI_PORT     port on this host's loopback that opens the web page (default 8090)
#   LAB_PREFIX, LAB_DIR, SAFEINTERNET_BIN: as for scripts/lab.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export LAB_PREFIX=${LAB_PREFIX:-si-}
export LAB_DIR=${LAB_DIR:-/tmp/${LAB_PREFIX}lab}
export SAFEINTERNET_BIN=${SAFEINTERNET_BIN:-$ROOT/bin/safeinternet}
export LABSRV=${LABSRV:-$ROOT/bin/labsrv}
LABTOOL=$ROOT/bin/labtool
LAB=$ROOT/scripts/lab.sh
DEMO_CYCLES=${DEMO_CYCLES:-0}
DEMO_INTERVAL=${DEMO_INTERVAL:-3}
DEMO_UI_PORT=${DEMO_UI_PORT:-8090}

[[ $(id -u) -eq 0 ]] || { echo "demo: must run as root (network namespaces, nftables)" >&2; exit 1; }

# pick_config prints the household config to use.
pick_config() {
	local c
	if [[ -n ${DEMO_CONFIG:-} ]]; then
		echo "$DEMO_CONFIG"
		return
	fi
	for c in "$ROOT/openwrt/safeinternet/files/safeinternet.config" "$ROOT/agent/config/testdata/sample.conf"; do
		# Only a sample with an active (uncommented) section for a lab device shows anything.
		if [[ -f $c ]] && grep -Eqi "^[[:space:]]*option[[:space:]]+mac[[:space:]]+'?02:00:00:00:00:0a" "$c"; then
			echo "$c"
			return
		fi
	done
	echo "$ROOT/scripts/lab/household.conf"
}


PIDS=()
CLEANED=0
cleanup() {
	[[ $CLEANED == 1 ]] && return
	CLEANED=1
	trap - INT TERM EXIT
	echo
	echo "demo: cleaning up"
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	"$LAB" agent-stop 2>/dev/null || true
	"$LAB" down || true
}

# dns NS NAME [SERVER]: one query, output discarded (the agent's log tells the story).
dns() {
	"$LAB" exec "$1" dig +tries=1 +timeout=2 @"${3:-192.168.50.1}" "$2" A >/dev/null 2>&1 || true
}

# traffic sends one round of queries and a download from both devices.
traffic() {
	local round=$1 out
	dns a games.test
	dns a school.test
	dns a www.video.test
	dns a news.test 10.99.0.2 # asking another resolver directly: intercepted all the same
	dns b games.test
	dns b video.test
	dns a www.google.com # SafeSearch: a CNAME to forcesafesearch.google.com
	dns a www.bet365.com # UT1 gambling (when ../shared/data is there): blocked for Ali
	dns b www.bet365.com # ... not for Mom
	dns c www.bet365.com # device C belongs to nobody: the unassigned profile blocks it
	# TLS names, read from the ClientHello whatever DNS said: A's games.test is reset, school.test loads.
	"$LAB" exec a curl -sk -o /dev/null --max-time 5 --resolve games.test:443:10.99.0.2 https://games.test/ || true
	"$LAB" exec a curl -sk -o /dev/null --max-time 5 --resolve school.test:443:10.99.0.2 https://school.test/ || true
	"$LAB" exec a curl -s -o /dev/null --max-time 5 -H 'Host: www.games.test' http://10.99.0.2/ || true
	if ((round % 2 == 0)); then
		out=$("$LAB" exec b curl -sk -o /dev/null --max-time 10 -w '%{size_download} bytes in %{time_total} s' \
			--resolve video.test:443:10.99.0.2 'https://video.test/bytes?n=5000000' 2>&1) || true
		printf '%s Device B     download video.test: %s\n' "$(date +%T)" "$out"
	fi
	if ((round % 5 == 0)) && [[ -s $LAB_DIR/state/status.json ]]; then
		printf '%s status: %s\n' "$(date +%T)" "$(tr -d ' \n' <"$LAB_DIR/state/status.json")"
	fi
}

# render CONF prints the path of CONF with @ROOT@, @UT1@ and @UT1_ENABLED@ filled in (the UT1
# lists are used when ../shared/data holds them).
render() {
	local ut1=$ROOT/../shared/data/ut1/blacklists.tar.gz enabled=1 out=$LAB_DIR/household.conf
	[[ -f $ut1 ]] && ut1=$(realpath "$ut1") || enabled=0
	mkdir -p "$LAB_DIR"
	sed -e "s|@ROOT@|$ROOT|g" -e "s|@UT1@|$ut1|g" -e "s|@UT1_ENABLED@|$enabled|g" "$1" >"$out"
	echo "$out"
}

main() {
	"$LAB" build
	local conf src
	src=$(pick_config)
	"$LAB" down >/dev/null 2>&1 || true
	trap cleanup EXIT
	trap 'cleanup; exit 130' INT TERM
	"$LAB" up
	conf=$(render "$src")
	# The host's clock is right: tell the agent so, as OpenWrt's NTP hotplug script would.
	date +%s >"$LAB_DIR/ntp-synced"
	# The system files the agent reads: none but dnsmasq's DHCP leases, which name device C on
	# the web page's "new device" card (the zone stays UTC).
	mkdir -p "$LAB_DIR/sysroot/tmp"
	echo "$(($(date +%s) + 43200)) 02:00:00:00:00:0c 192.168.50.12 Galaxy-Tab-A7 *" >"$LAB_DIR/sysroot/tmp/dhcp.leases"
	"$LAB" agent-start "$conf" --ntp-marker "$LAB_DIR/ntp-synced" --system-root "$LAB_DIR/sysroot"
	# The web page listens on the router's LAN address inside the lab; carry it to this host's
	# loopback so that a browser here opens it.
	"$LABTOOL" forward -listen "127.0.0.1:$DEMO_UI_PORT" -netns "${LAB_PREFIX}router" -to 192.168.50.1:8090 &
	PIDS+=($!)

	local color=""
	[[ -t 1 ]] && color=-color
	# tail --pid: the follower ends with this script whatever signal ends it.
	tail --pid=$$ -n +1 -F "$LAB_DIR/agent.log" 2>/dev/null | "$LABTOOL" decisions $color &
	PIDS+=($!)

	cat <<EOF

Safe Internet demo is running (household: ${src#"$ROOT"/}).
  Device A  ${LAB_PREFIX}a  02:00:00:00:00:0a  192.168.50.10  fd50::10   Ali (child)
  Device B  ${LAB_PREFIX}b  02:00:00:00:00:0b  192.168.50.11  fd50::11   Mom (adult)
  Device C  ${LAB_PREFIX}c  02:00:00:00:00:0c  192.168.50.12  fd50::12   nobody's: unassigned profile
  Router    ${LAB_PREFIX}router  br-lan 192.168.50.1 fd50::1 (dnsmasq, agent)   Upstream ${LAB_PREFIX}up 10.99.0.2 fd99::2

Open a shell on a device (in another terminal):
  sudo LAB_PREFIX=$LAB_PREFIX $LAB exec a bash       # or: sudo ip netns exec ${LAB_PREFIX}a bash
  then e.g.:  dig @192.168.50.1 games.test     dig @10.99.0.2 www.games.test AAAA
              curl -k --resolve video.test:443:10.99.0.2 https://video.test/   (A: reset by its TLS name)
              curl -H 'Host: games.test' http://10.99.0.2/                   (A: sent to the page's child view)
Agent log: $LAB_DIR/agent.log   status (people, their state and time used): $LAB_DIR/state/status.json
Change the household: edit $conf, then: sudo kill -HUP \$(cat $LAB_DIR/agent.pid)
Web page (parents; children see theirs from a device): http://127.0.0.1:$DEMO_UI_PORT/
  (on the LAN of the lab: http://192.168.50.1:8090/ ; the first visit sets the admin password)
Ctrl-C stops the demo and removes every namespace and process.

EOF

	local round=1
	while [[ $DEMO_CYCLES == 0 ]] || ((round <= DEMO_CYCLES)); do
		traffic "$round"
		sleep "$DEMO_INTERVAL" &
		wait $! || true
		round=$((round + 1))
	done
}

main "$@"
