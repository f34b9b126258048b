#!/usr/bin/env bash
# Safe Internet lab benchmark: the same traffic through the lab router without and with the
# agent, alternating (without, with) for BENCH_ROUNDS rounds because the machine is noisy, and
# a table of medians and ratios at the end.
#
#   TCP throughput   iperf3 si-a -> si-up (10.99.0.2), BENCH_IPERF_SECONDS s, BENCH_IPERF_STREAMS
#                    parallel streams. Goal: with/without >= 0.97.
#   verdicts/flow    queue verdicts during that transfer / TCP connections iperf3 opened (streams
#                    + its control connection). Goal: <= 25.
#   TLS conns/s      new TLS connections per second from si-a to labsrv (10.99.0.2:443, SNI
#                    BENCH_TLS_SNI, an allowed name): labtool tlsrate, Go's default post-quantum
#                    ClientHello (two TCP segments), a full handshake and a close per connection,
#                    BENCH_TLS_PARALLEL at a time for BENCH_TLS_SECONDS s (at most BENCH_TLS_CONNS
#                    connections). Device A has a restricted profile and a block list, so the
#                    agent reassembles and judges every ClientHello. Also counted with the agent:
#                    flows it judged, queue verdicts and its CPU time per TLS connection.
#   DNS queries/s    dnsperf from si-a against the router's dnsmasq (192.168.50.1, cached answers)
#                    and straight to the upstream (10.99.0.2, forwarded by the router), as fast
#                    as it goes. Goal: with/without >= 0.8. Then at a fixed offered rate
#                    (BENCH_DNS_FIXED_QPS) via the router: achieved rate and loss.
#   agent CPU        the agent's user+system CPU time per DNS query, flat out and at the fixed rate.
#
# Baseline: BENCH_BASELINE=fw4 (default) runs both modes with the lab's OpenWrt-like firewall
# (lab.sh fw4 on), so conntrack is paid in both as on a real router; plain runs without it, so
# the agent's mode also pays for conntrack.
#
# Usage: sudo scripts/bench.sh   (or: sudo make bench-lab)
# Environment (defaults in brackets): BENCH_ROUNDS [3], BENCH_IPERF_SECONDS [10],
#   BENCH_IPERF_STREAMS [4], BENCH_TLS_SECONDS [5], BENCH_TLS_PARALLEL [8], BENCH_TLS_CONNS
#   [20000], BENCH_TLS_SNI [school.test], BENCH_DNS_SECONDS [5], BENCH_DNS_CLIENTS [4],
#   BENCH_DNS_FIXED_QPS [10000], BENCH_BASELINE [fw4], BENCH_OUT [out/bench] (raw results),
#   LAB_PREFIX [sibench-], SAFEINTERNET_BIN.
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
TLS_SECONDS=${BENCH_TLS_SECONDS:-5}
TLS_PARALLEL=${BENCH_TLS_PARALLEL:-8}
TLS_CONNS=${BENCH_TLS_CONNS:-20000}
TLS_SNI=${BENCH_TLS_SNI:-school.test}
DNS_SECONDS=${BENCH_DNS_SECONDS:-5}
DNS_CLIENTS=${BENCH_DNS_CLIENTS:-4}
DNS_FIXED_QPS=${BENCH_DNS_FIXED_QPS:-10000}
BASELINE=${BENCH_BASELINE:-fw4}
case $BASELINE in fw4 | plain) ;; *) echo "bench: BENCH_BASELINE must be fw4 or plain" >&2; exit 2 ;; esac
CLK_TCK=$(getconf CLK_TCK)
OUT=${BENCH_OUT:-$ROOT/out/bench}/$(date +%Y%m%d-%H%M%S)

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (network namespaces, nftables)"
for tool in iperf3 dnsperf dnsmasq dig ip nft; do
	command -v "$tool" >/dev/null || die "missing tool: $tool"
done
case $TLS_SNI in games.test | *.games.test | video.test | *.video.test)
	die "BENCH_TLS_SNI must be a name device A may reach" ;;
esac


write_inputs() {
	mkdir -p "$OUT"
	cat >"$OUT/household.conf" <<'EOF'
config agent 'main'
	list lan 'br-lan'
	option queue '0'
	option fail_mode 'closed'
	option dns_block 'nxdomain'
	option log_decisions '0'
	option resolver '192.168.50.1'

config profile 'child'
	option restricted '1'

config device 'a'
	option mac '02:00:00:00:00:0a'
	option name 'Device A'
	option profile 'child'
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

# run_tlsrate MODE ROUND: prints "conns_per_second failures hello_bytes flows_per_conn
# verdicts_per_conn cpu_us_per_conn" (the last three "-" without the agent).
run_tlsrate() {
	local mode=$1 round=$2 json=$OUT/tls-$1-$2.json rate fails conns hello f0=0 f1=0 v0=0 v1=0 \
		t0 t1 flows=- verdicts=- cpu=-
	if [[ $mode == with ]]; then
		fresh_status
		f0=$(($(counter flows_allowed) + $(counter flows_blocked)))
		v0=$(counter verdicts)
	fi
	t0=$(agent_ticks)
	"$LAB" exec a "$LABTOOL" tlsrate -addr 10.99.0.2:443 -sni "$TLS_SNI" -conns "$TLS_CONNS" \
		-parallel "$TLS_PARALLEL" -duration "${TLS_SECONDS}s" -timeout 5s >"$json" ||
		die "tlsrate failed ($mode, round $round): $(head -c 400 "$json")"
	t1=$(agent_ticks)
	rate=$("$LABTOOL" json "$json" conns_per_second)
	fails=$("$LABTOOL" json "$json" failures)
	conns=$("$LABTOOL" json "$json" conns)
	hello=$("$LABTOOL" json "$json" hello_bytes)
	if [[ $mode == with ]]; then
		fresh_status
		f1=$(($(counter flows_allowed) + $(counter flows_blocked)))
		v1=$(counter verdicts)
		flows=$(awk -v d="$((f1 - f0))" -v n="$((conns + fails))" 'BEGIN { printf "%.2f", d / n }')
		verdicts=$(awk -v d="$((v1 - v0))" -v n="$((conns + fails))" 'BEGIN { printf "%.2f", d / n }')
		cpu=$(awk -v d="$((t1 - t0))" -v hz="$CLK_TCK" -v n="$((conns + fails))" \
			'BEGIN { printf "%.1f", d / hz * 1e6 / n }')
	fi
	echo "$rate $fails $hello $flows $verdicts $cpu"
}

# agent_ticks: the agent's user+system CPU time so far, in clock ticks (0 without an agent).
agent_ticks() {
	local pid
	pid=$("$LAB" agent-pid 2>/dev/null) || { echo 0; return; }
	awk '{ print $14 + $15 }' "/proc/$pid/stat"
}

# run_dnsperf MODE ROUND SERVER [QPS]: prints "queries_per_second lost_percent cpu_us_per_query"
# (QPS 0 or absent: no cap; cpu "-" without the agent).
run_dnsperf() {
	local mode=$1 round=$2 server=$3 cap=${4:-0} out qps lost t0 t1 cpu=- args
	out=$OUT/dnsperf-$mode-$round-$server-q$cap.txt
	args=(-s "$server" -d "$OUT/queries.txt" -l "$DNS_SECONDS" -c "$DNS_CLIENTS" -t 2)
	[[ $cap != 0 ]] && args+=(-Q "$cap")
	t0=$(agent_ticks)
	"$LAB" exec a dnsperf "${args[@]}" >"$out" 2>&1 || die "dnsperf failed: $(tail -5 "$out")"
	t1=$(agent_ticks)
	qps=$(awk '/Queries per second:/ { print $4 }' "$out")
	lost=$(awk '/Queries lost:/ { gsub(/[()%]/, "", $4); print $4 }' "$out")
	[[ -n $qps ]] || die "dnsperf printed no rate: $(tail -5 "$out")"
	if [[ $mode == with ]]; then
		cpu=$(awk -v d="$((t1 - t0))" -v hz="$CLK_TCK" -v q="$qps" -v s="$DNS_SECONDS" \
			'BEGIN { printf "%.1f", d / hz * 1e6 / (q * s) }')
	fi
	echo "$qps ${lost:-0} $cpu"
}

declare -A R # R[figure_mode] = space-separated values per round

measure() {
	local mode=$1 round=$2 tcp vpf r u f tls
	read -r tcp vpf < <(run_iperf "$mode" "$round")
	R[tcp_$mode]+=" $tcp"
	R[vpf_$mode]+=" $vpf"
	tls=($(run_tlsrate "$mode" "$round"))
	R[tls_$mode]+=" ${tls[0]}"
	R[tlsfail_$mode]+=" ${tls[1]}"
	R[tlsflows_$mode]+=" ${tls[3]}"
	R[tlsvpc_$mode]+=" ${tls[4]}"
	R[cput_$mode]+=" ${tls[5]}"
	r=($(run_dnsperf "$mode" "$round" 192.168.50.1))
	u=($(run_dnsperf "$mode" "$round" 10.99.0.2))
	f=($(run_dnsperf "$mode" "$round" 192.168.50.1 "$DNS_FIXED_QPS"))
	R[dnsr_$mode]+=" ${r[0]}"
	R[cpur_$mode]+=" ${r[2]}"
	R[dnsu_$mode]+=" ${u[0]}"
	R[dnsf_$mode]+=" ${f[0]}"
	R[lossf_$mode]+=" ${f[1]}"
	R[cpuf_$mode]+=" ${f[2]}"
	log "round $round $mode: tcp $tcp bit/s, verdicts/flow $vpf; tls ${tls[0]} conn/s (failed ${tls[1]}," \
		"hello ${tls[2]} B, judged flows/conn ${tls[3]}, verdicts/conn ${tls[4]}, agent ${tls[5]} us/conn);" \
		"dns router ${r[0]} q/s (lost ${r[1]}%," \
		"agent ${r[2]} us/q), upstream ${u[0]} q/s (lost ${u[1]}%), at $DNS_FIXED_QPS: ${f[0]} q/s" \
		"(lost ${f[1]}%, agent ${f[2]} us/q)"
}

last() { local a=($1); echo "${a[-1]}"; }
med() { # shellcheck disable=SC2086
	"$LABTOOL" median $1
}

report() {
	local -A M
	local k
	for k in tcp_without tcp_with vpf_with tls_without tls_with tlsfail_without tlsfail_with \
		tlsflows_with tlsvpc_with cput_with dnsr_without dnsr_with dnsu_without dnsu_with \
		dnsf_without dnsf_with lossf_without lossf_with cpur_with cpuf_with; do
		M[$k]=$(med "${R[$k]}")
	done
	awk -v tw="${M[tcp_without]}" -v tg="${M[tcp_with]}" -v vpf="${M[vpf_with]}" \
		-v rw="${M[dnsr_without]}" -v rg="${M[dnsr_with]}" -v uw="${M[dnsu_without]}" -v ug="${M[dnsu_with]}" \
		-v fw="${M[dnsf_without]}" -v fg="${M[dnsf_with]}" -v lw="${M[lossf_without]}" -v lg="${M[lossf_with]}" \
		-v cr="${M[cpur_with]}" -v cf="${M[cpuf_with]}" -v fixed="$DNS_FIXED_QPS" \
		-v sw="${M[tls_without]}" -v sg="${M[tls_with]}" -v xw="${M[tlsfail_without]}" -v xg="${M[tlsfail_with]}" \
		-v sf="${M[tlsflows_with]}" -v sv="${M[tlsvpc_with]}" -v st="${M[cput_with]}" -v par="$TLS_PARALLEL" \
		-v rounds="$ROUNDS" -v streams="$IPERF_STREAMS" -v base="$BASELINE" 'BEGIN {
		printf "\nSafe Internet lab figures (median of %d rounds, without/with alternating, baseline %s)\n", rounds, base
		printf "%-44s %12s %12s %8s  %-8s %s\n", "figure", "without", "with", "ratio", "goal", ""
		row("TCP throughput, iperf3 -P " streams " (Gbit/s)", tw / 1e9, tg / 1e9, 0.97)
		printf "%-44s %12s %12.1f %8s  %-8s %s\n", "queue verdicts per TCP flow", "-", vpf, "-", "<= 25", (vpf <= 25 ? "ok" : "MISSED")
		printf "%-44s %12.0f %12.0f %8.3f\n", "new TLS connections/s, " par " at a time", sw, sg, sg / sw
		printf "%-44s %12.0f %12.0f\n", "  failed TLS connections per run", xw, xg
		printf "%-44s %12s %12.2f\n", "  flows judged by the agent per TLS conn", "-", sf
		printf "%-44s %12s %12.2f\n", "  queue verdicts per TLS connection", "-", sv
		printf "%-44s %12s %12.1f\n", "  agent CPU per TLS connection (us)", "-", st
		row("DNS q/s via router dnsmasq, flat out", rw, rg, 0.8)
		row("DNS q/s to upstream (forwarded), flat out", uw, ug, 0.8)
		row("DNS q/s via router at " fixed " q/s offered", fw, fg, 0.8)
		printf "%-44s %11.2f%% %11.2f%%\n", "  lost queries at " fixed " q/s", lw, lg
		printf "%-44s %12s %12.1f\n", "agent CPU per DNS query (us), flat out", "-", cr
		printf "%-44s %12s %12.1f\n", "agent CPU per DNS query (us), at " fixed " q/s", "-", cf
	}
	function row(name, a, b, goal) {
		printf "%-44s %12.2f %12.2f %8.3f  >= %-5s %s\n", name, a, b, b / a, goal, (b / a >= goal ? "ok" : "MISSED")
	}' | tee "$OUT/summary.txt"
	{
		echo
		echo "per round (without | with):"
		for k in tcp tls tlsfail dnsr dnsu dnsf lossf; do
			printf '  %-9s%s |%s\n' "$k" "${R[${k}_without]}" "${R[${k}_with]}"
		done
		printf '  %-9s%s\n' vpf "${R[vpf_with]}" tlsflows "${R[tlsflows_with]}" tlsvpc "${R[tlsvpc_with]}" cput "${R[cput_with]}" cpur "${R[cpur_with]}" cpuf "${R[cpuf_with]}"
		echo "raw results: $OUT"
	} | tee -a "$OUT/summary.txt"
}

cleanup() {
	trap - EXIT INT TERM
	"$LAB" agent-stop >/dev/null 2>&1 || true
	"$LAB" down >/dev/null 2>&1 || true
}

main() {
	"$LAB" build
	write_inputs
	"$LAB" down >/dev/null 2>&1 || true
	trap cleanup EXIT
	trap 'cleanup; exit 130' INT TERM
	"$LAB" up
	[[ $BASELINE == fw4 ]] && "$LAB" fw4 on
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
