#!/usr/bin/env bash
# Safe Internet lab benchmark: the same traffic through the lab router without and with the
# agent, alternating (without, with) for BENCH_ROUNDS rounds because the machine is noisy, and
# a table of medians and ratios at the end.
#
#   TCP throughput   iperf3 si-a -> si-up (10.99.0.2), BENCH_IPERF_SECONDS s, BENCH_IPERF_STREAMS
#                    parallel streams. Goal: with/without >= 0.97.
#   verdicts/flow    queue verdicts during that transfer / TCP connections iperf3 opened (streams
#                    + its control connection). Goal: <= 25.
#   DNS queries/s    dnsperf from si-a against the router's dnsmasq (192.168.50.1, cached answers)
#                    and straight to the upstream (10.99.0.2, forwarded by the router).
#                    Goal: with/without >= 0.8.
#
# Usage: sudo scripts/bench.sh   (or: sudo make bench-lab)
# Environment (defaults in brackets): BENCH_ROUNDS [3], BENCH_IPERF_SECONDS [10],
#   BENCH_IPERF_STREAMS [4], BENCH_DNS_SECONDS [5], BENCH_DNS_CLIENTS [4], BENCH_DNS_QPS [0: no
#   cap], BENCH_OUT [out/bench] (raw results), LAB_PREFIX [sibench-], SAFEINTERNET_BIN.
# The agent runs with log_decisions '0': one log line per query would measure the logger.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export LAB_PREFIX=${LAB_PREFIX:-sibench-}
export LAB_DIR=${LAB_DIR:-/tmp/${LAB_PREFIX}lab}
export SAFEINTERNET_BIN=${SAFEINTERNET_BIN:-$ROOT/bin/safeinternet}
export LABSRV=${LABSRV:-$ROOT/bin/labsrv}
export LAB_DNS_LOG=0
LABTOOL=$ROOT/bin/labtool
LAB=$ROOT/scripts/lab.sh

ROUNDS=${BENCH_ROUNDS:-3}
IPERF_SECONDS=${BENCH_IPERF_SECONDS:-10}
IPERF_STREAMS=${BENCH_IPERF_STREAMS:-4}
DNS_SECONDS=${BENCH_DNS_SECONDS:-5}
DNS_CLIENTS=${BENCH_DNS_CLIENTS:-4}
DNS_QPS=${BENCH_DNS_QPS:-0}
OUT=${BENCH_OUT:-$ROOT/out/bench}/$(date +%Y%m%d-%H%M%S)

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (network namespaces, nftables)"
for tool in iperf3 dnsperf dnsmasq dig ip nft; do
	command -v "$tool" >/dev/null || die "missing tool: $tool"
done

build() {
	cd "$ROOT"
	export CGO_ENABLED=0
	if [[ $SAFEINTERNET_BIN == "$ROOT/bin/safeinternet" ]]; then
		go build -trimpath -o bin/safeinternet ./agent/cmd/safeinternet
	fi
	go build -o "$LABSRV" ./scripts/labsrv
	go build -o "$LABTOOL" ./scripts/labtool
}

write_inputs() {
	mkdir -p "$OUT"
	cat >"$OUT/household.conf" <<'EOF'
config agent 'main'
	list lan 'br-lan'
	option queue '0'
	option fail_mode 'closed'
	option dns_block 'nxdomain'
	option log_decisions '0'

config device 'a'
	option mac '02:00:00:00:00:0a'
	option name 'Device A'
	list block 'games.test'
	list block 'video.test'

config device 'b'
	option mac '02:00:00:00:00:0b'
	option name 'Device B'
EOF
	# Nine allowed questions to one blocked: the agent both lets through and answers.
	cat >"$OUT/queries.txt" <<'EOF'
school.test A
news.test A
school.test AAAA
news.test AAAA
www.games.test A
a.wild.test A
b.wild.test A
c.wild.test AAAA
d.wild.test A
games.test A
EOF
}

# counter NAME: a counter from the agent's status file (0 when absent).
counter() {
	"$LABTOOL" json "$LAB_DIR/state/status.json" "$1" 2>/dev/null || echo 0
}

# fresh_status waits until the agent has rewritten its status file (about every second).
fresh_status() {
	local f=$LAB_DIR/state/status.json before i
	before=$(stat -c '%i %y' "$f")
	for ((i = 0; i < 50; i++)); do
		sleep 0.1
		[[ $(stat -c '%i %y' "$f") != "$before" ]] && return 0
	done
	die "agent status file not rewritten"
}

# run_iperf MODE ROUND: prints "bps verdicts_per_flow".
run_iperf() {
	local mode=$1 round=$2 json=$OUT/iperf-$1-$2.json v0=0 v1=0 bps per=-
	if [[ $mode == with ]]; then fresh_status; v0=$(counter verdicts); fi
	"$LAB" exec a iperf3 -c 10.99.0.2 -t "$IPERF_SECONDS" -P "$IPERF_STREAMS" -J >"$json" ||
		die "iperf3 failed ($mode, round $round): $(head -c 400 "$json")"
	bps=$("$LABTOOL" json "$json" end.sum_received.bits_per_second)
	if [[ $mode == with ]]; then
		fresh_status
		v1=$(counter verdicts)
		per=$(awk -v a="$v0" -v b="$v1" -v n="$((IPERF_STREAMS + 1))" 'BEGIN { printf "%.1f", (b - a) / n }')
	fi
	echo "$bps $per"
}

# run_dnsperf MODE ROUND SERVER: prints queries per second.
run_dnsperf() {
	local mode=$1 round=$2 server=$3 out=$OUT/dnsperf-$1-$2-$3.txt qps args
	args=(-s "$server" -d "$OUT/queries.txt" -l "$DNS_SECONDS" -c "$DNS_CLIENTS" -t 2)
	[[ $DNS_QPS != 0 ]] && args+=(-Q "$DNS_QPS")
	"$LAB" exec a dnsperf "${args[@]}" >"$out" 2>&1 || die "dnsperf failed: $(tail -5 "$out")"
	qps=$(awk '/Queries per second:/ { print $4 }' "$out")
	[[ -n $qps ]] || die "dnsperf printed no rate: $(tail -5 "$out")"
	echo "$qps"
}

declare -A R # R[figure_mode] = space-separated values per round

measure() {
	local mode=$1 round=$2 res
	res=$(run_iperf "$mode" "$round")
	R[tcp_$mode]+=" ${res%% *}"
	[[ $mode == with ]] && R[vpf_$mode]+=" ${res##* }"
	R[dnsr_$mode]+=" $(run_dnsperf "$mode" "$round" 192.168.50.1)"
	R[dnsu_$mode]+=" $(run_dnsperf "$mode" "$round" 10.99.0.2)"
	log "round $round $mode: tcp ${res%% *} bit/s, verdicts/flow ${res##* }," \
		"dns router $(last "${R[dnsr_$mode]}") q/s, dns upstream $(last "${R[dnsu_$mode]}") q/s"
}

last() { local a=($1); echo "${a[-1]}"; }
med() { # shellcheck disable=SC2086
	"$LABTOOL" median $1
}

report() {
	local tw tg vpf rw rg uw ug
	tw=$(med "${R[tcp_without]}")
	tg=$(med "${R[tcp_with]}")
	vpf=$(med "${R[vpf_with]}")
	rw=$(med "${R[dnsr_without]}")
	rg=$(med "${R[dnsr_with]}")
	uw=$(med "${R[dnsu_without]}")
	ug=$(med "${R[dnsu_with]}")
	awk -v tw="$tw" -v tg="$tg" -v vpf="$vpf" -v rw="$rw" -v rg="$rg" -v uw="$uw" -v ug="$ug" \
		-v rounds="$ROUNDS" -v streams="$IPERF_STREAMS" 'BEGIN {
		printf "\nSafe Internet lab figures (median of %d rounds, without/with alternating)\n", rounds
		printf "%-40s %12s %12s %8s  %-8s %s\n", "figure", "without", "with", "ratio", "goal", ""
		row("TCP throughput, iperf3 -P " streams " (Gbit/s)", tw / 1e9, tg / 1e9, tg / tw, 0.97, ">=")
		printf "%-40s %12s %12.1f %8s  %-8s %s\n", "queue verdicts per TCP flow", "-", vpf, "-", "<= 25", (vpf <= 25 ? "ok" : "MISSED")
		row("DNS q/s via router dnsmasq", rw, rg, rg / rw, 0.8, ">=")
		row("DNS q/s to upstream (forwarded)", uw, ug, ug / uw, 0.8, ">=")
	}
	function row(name, a, b, r, goal, op) {
		printf "%-40s %12.2f %12.2f %8.3f  %-8s %s\n", name, a, b, r, op " " goal, (r >= goal ? "ok" : "MISSED")
	}' | tee "$OUT/summary.txt"
	printf '\nper round: tcp without:%s | with:%s\n' "${R[tcp_without]}" "${R[tcp_with]}"
	printf 'dns router without:%s | with:%s\n' "${R[dnsr_without]}" "${R[dnsr_with]}"
	printf 'dns upstream without:%s | with:%s\n' "${R[dnsu_without]}" "${R[dnsu_with]}"
	printf 'verdicts/flow:%s\nraw results: %s\n' "${R[vpf_with]}" "$OUT"
}

cleanup() {
	trap - EXIT INT TERM
	"$LAB" agent-stop >/dev/null 2>&1 || true
	"$LAB" down >/dev/null 2>&1 || true
}

main() {
	build
	write_inputs
	"$LAB" down >/dev/null 2>&1 || true
	trap cleanup EXIT
	trap 'cleanup; exit 130' INT TERM
	"$LAB" up
	local round
	for ((round = 1; round <= ROUNDS; round++)); do
		measure without "$round"
		"$LAB" agent-start "$OUT/household.conf" >/dev/null
		measure with "$round"
		cp "$LAB_DIR/state/status.json" "$OUT/status-$round.json"
		"$LAB" agent-stop >/dev/null
	done
	cp "$LAB_DIR/agent.log" "$OUT/agent.log" 2>/dev/null || true
	report
}

main "$@"
