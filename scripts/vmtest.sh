#!/usr/bin/env bash
# vmtest.sh — runs the kernel-facing tests of nfq/firewall, nfq/conntrack,
# nfq/queue and nfq/inject inside a qemu VM that boots Debian's own kernel.
#
# Why: the agent has two code paths per kernel feature, and the CI kernel can
# run only one of each:
#   - queue encoding: the native nft `queue` expression (OpenWrt:
#     kmod-nft-queue) vs the xtables NFQUEUE target through nft_compat;
#   - the verdict's ct mark: set directly by the verdict (NFQA_CT with
#     CTA_MARK + CTA_MARK_MASK; needs CONFIG_NETFILTER_NETLINK_GLUE_CT, OpenWrt
#     has it) vs the packet mark plus the nft copy chain.
# The CI kernel lacks CONFIG_NFT_QUEUE and the conntrack glue, so `go test`
# there proves only xtables-compat + packet-mark. Debian 12's kernel
# (linux-image-amd64) has CONFIG_NFT_QUEUE=m and
# CONFIG_NETFILTER_NETLINK_GLUE_CT=y: booted in qemu, the same tests prove
# that Probe picks the native encoding (and the table matches
# testdata/table-native.golden), that queue.Open picks MarkConntrack, and
# that a verdict marks its flow end to end (TestVerdictMarksFlow).
#
# How: an initramfs (cpio, no disk image, no root needed) holds busybox as
# init and shell, the kernel modules the tests need (dependencies from
# modules.dep), the host's ip, nft, conntrack and sysctl with their shared
# libraries, and the test binaries (CGO_ENABLED=0 go test -c). /init loads the
# modules, runs each test binary with -test.v, prints the output and a
# result line per package on the serial console, and powers off. This script
# reads the console and exits non-zero unless every package passed. The VM
# has no network device.
#
# Usage: scripts/vmtest.sh [-update] [-e2e]
#   -update  also rewrite nfq/firewall/testdata/table-<encoding>.golden from
#            the VM's kernel (review the diff, then commit it)
#   -e2e     also run the agent: the scripts/e2e suite, and the lab
#            (scripts/lab.sh) with the lab household, checking the agent's
#            status (native, conntrack), an allowed HTTP flow's ct mark set by
#            the verdict, a blocked DNS name and the table's chains
# Environment:
#   VMTEST_KERNEL   kernel image (default: the newest /boot/vmlinuz-* whose
#                   config has both features); config-<version> sits next to it
#   VMTEST_MODULES  its module tree (default: /lib/modules/<version>)
#   Without installing the kernel package (no postinst, no initramfs-tools):
#     apt-get download linux-image-6.1.0-<abi>-amd64 && dpkg-deb -x linux-image-*.deb k
#     VMTEST_KERNEL=k/boot/vmlinuz-<version> VMTEST_MODULES=k/lib/modules/<version>
#   (modules.dep is then made with depmod -b, from kmod).
#   VMTEST_ACCEL    kvm, tcg or auto (default: kvm when /dev/kvm is usable)
#   VMTEST_TIMEOUT  seconds for the whole VM run (default 600 kvm, 1800 tcg)
#   VMTEST_RUN      -test.run pattern for every package (default: all tests)
#   VMTEST_VERBOSE  1: show the whole console, not only results and proofs
#   VMTEST_DIR      work directory (default out/vmtest; rebuilt every run)
# Needs (Debian 12): linux-image-amd64 qemu-system-x86 busybox-static cpio
# iproute2 nftables conntrack procps, and go; with -e2e also bash
# dnsmasq-base bind9-dnsutils curl iperf3 coreutils.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
GO=${GO:-go}

update=0 e2e=0
for arg in "$@"; do
	case $arg in
	-update) update=1 ;;
	-e2e) e2e=1 ;;
	*)
		echo "usage: $0 [-update] [-e2e]" >&2
		exit 2
		;;
	esac
done

die() {
	echo "vmtest: $*" >&2
	exit 1
}

# Test packages run in the VM, in this order.
pkgs=(nfq/firewall nfq/conntrack nfq/queue nfq/inject)
# Modules /init loads, in this order (busybox modprobe resolves modules.dep
# but not modules.softdep: libcrc32c wants a crc32c implementation first);
# each and its dependencies from modules.dep go into the initramfs.
modules=(
	crc32c_generic nf_conntrack nf_conntrack_netlink nf_tables nft_ct nft_queue
	nft_compat x_tables xt_NFQUEUE nfnetlink_queue
	nft_reject nft_reject_inet nft_reject_ipv4 nft_reject_ipv6
	nf_nat nft_chain_nat nft_nat nft_redir
	veth
)
# Host binaries copied with their libraries.
tools=(ip nft conntrack sysctl)
if ((e2e)); then
	modules+=(bridge) # the lab's br-lan
	tools+=(bash dnsmasq dig curl iperf3 nohup)
fi

# --- kernel -----------------------------------------------------------------
# has_paths CONFIG: the kernel can run both paths this script is for.
has_paths() {
	grep -Eq '^CONFIG_NFT_QUEUE=(y|m)$' "$1" && grep -q '^CONFIG_NETFILTER_NETLINK_GLUE_CT=y$' "$1"
}
kernel=${VMTEST_KERNEL:-}
if [[ -z $kernel ]]; then
	for k in $(ls /boot/vmlinuz-* 2>/dev/null | sort -rV); do
		c=/boot/config-${k##*/vmlinuz-}
		if [[ -r $k && -r $c ]] && has_paths "$c"; then
			kernel=$k
			break
		fi
	done
	[[ -n $kernel ]] || die "no readable /boot/vmlinuz-* with CONFIG_NFT_QUEUE and CONFIG_NETFILTER_NETLINK_GLUE_CT: apt-get install linux-image-amd64"
fi
[[ -r $kernel ]] || die "cannot read $kernel"
kver=${kernel##*/vmlinuz-}
moddir=${VMTEST_MODULES:-/lib/modules/$kver}
[[ -d $moddir/kernel ]] || die "no modules in $moddir for kernel $kver"
if [[ ! -r $moddir/modules.dep && $moddir == */lib/modules/$kver ]] && command -v depmod >/dev/null; then
	# An unpacked .deb (dpkg-deb -x) has no modules.dep: its postinst makes it.
	echo "vmtest: depmod -b ${moddir%/lib/modules/$kver} $kver"
	depmod -b "${moddir%/lib/modules/$kver}" "$kver"
fi
[[ -r $moddir/modules.dep ]] || die "no $moddir/modules.dep for kernel $kver (run depmod)"
config=$(dirname "$kernel")/config-$kver
[[ -r $config ]] || die "no $config: the kernel's configuration says which paths it can prove"
# The point of the VM is the paths CI cannot run: insist that this kernel has them.
grep -Eq '^CONFIG_NFT_QUEUE=(y|m)$' "$config" || die "$kver lacks CONFIG_NFT_QUEUE: it cannot prove the native queue encoding"
grep -q '^CONFIG_NETFILTER_NETLINK_GLUE_CT=y$' "$config" || die "$kver lacks CONFIG_NETFILTER_NETLINK_GLUE_CT: it cannot prove the direct ct mark"

for t in qemu-system-x86_64 busybox cpio ldd "${tools[@]}"; do
	command -v "$t" >/dev/null || die "missing $t (see the header for the packages)"
done
busybox=$(command -v busybox)
{ ldd "$busybox" 2>&1 || true; } | grep -q 'not a dynamic executable' ||
	die "$busybox is not static: apt-get install busybox-static"

# --- accelerator --------------------------------------------------------------
# auto tries KVM and falls back to TCG when the kernel does not reach /init
# under it within 60 s: qemu may refuse the CPU model, or /dev/kvm may be a
# paravirtual flavour (kvm-pvm) that boots only kernels built for it.
accel=${VMTEST_ACCEL:-auto}
case $accel in
auto)
	if [[ -r /dev/kvm && -w /dev/kvm ]]; then accels=(kvm tcg); else accels=(tcg); fi
	;;
kvm | tcg) accels=("$accel") ;;
*) die "VMTEST_ACCEL=$accel: want kvm, tcg or auto" ;;
esac

# --- work directory -------------------------------------------------------------
work=${VMTEST_DIR:-$root/out/vmtest}
rm -rf "$work"
mkdir -p "$work"
r=$work/root
mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc,proc,sys,dev,run,tmp,var,src}
ln -s ../run "$r/var/run"
ln -s ../../bin/busybox "$r/usr/bin/env" # for #!/usr/bin/env

echo "vmtest: kernel $kver ($kernel), work $work"

# --- test binaries ----------------------------------------------------------------
for p in "${pkgs[@]}"; do
	name=${p##*/}
	mkdir -p "$r/src/$p"
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 "$GO" test -c -o "$r/src/$p/$name.test" "./$p"
	if [[ -d $p/testdata ]]; then
		cp -a "$p/testdata" "$r/src/$p/"
	fi
done
if ((e2e)); then
	mkdir -p "$r/src/bin" "$r/src/scripts/e2e"
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 "$GO" build -trimpath -ldflags "-X main.version=vmtest" \
		-o "$r/src/bin/safeinternet" ./agent/cmd/safeinternet
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 "$GO" build -o "$r/src/bin/labsrv" ./scripts/labsrv
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 "$GO" test -c -o "$r/src/scripts/e2e/e2e.test" ./scripts/e2e
	cp go.mod "$r/src/" # the e2e tests find the tree by it
	cp -a scripts/lab.sh scripts/lab "$r/src/scripts/"
	# The household test reads UT1 from ../shared/data next to the tree (2 MB).
	if [[ -f ../shared/data/ut1/blacklists.tar.gz ]]; then
		mkdir -p "$r/shared/data/ut1"
		cp ../shared/data/ut1/blacklists.tar.gz "$r/shared/data/ut1/"
	fi
fi

# --- busybox, tools and their libraries --------------------------------------------
cp "$busybox" "$r/bin/busybox"
for applet in $("$busybox" --list); do
	if [[ $applet != busybox ]]; then
		ln -sf busybox "$r/bin/$applet"
	fi
done
ln -sf ../bin/busybox "$r/sbin/modprobe"
copy_with_libs() {
	local f=$1 dst=$2
	cp -L "$f" "$r$dst"
	ldd "$f" | grep -o '/[^ ]*' | while read -r lib; do
		mkdir -p "$r$(dirname "$lib")"
		[[ -e $r$lib ]] || cp -L "$lib" "$r$lib"
	done
}
for t in "${tools[@]}"; do
	copy_with_libs "$(command -v "$t")" "/usr/sbin/$t"
done
for f in /etc/protocols /etc/services /etc/nsswitch.conf; do
	if [[ -r $f ]]; then cp "$f" "$r/etc/"; fi
done
echo "root:x:0:0:root:/root:/bin/sh" >"$r/etc/passwd"
echo "root:x:0:" >"$r/etc/group"

# --- kernel modules -------------------------------------------------------------------
# modules.dep lines: "kernel/a/b.ko: kernel/c.ko kernel/d.ko".
mkdir -p "$r/lib/modules/$kver"
for f in modules.dep modules.alias modules.builtin modules.order modules.softdep modules.symbols; do
	if [[ -r $moddir/$f ]]; then cp "$moddir/$f" "$r/lib/modules/$kver/"; fi
done
for m in "${modules[@]}"; do
	line=$(grep -E "(^|/)${m}\.ko(\.[a-z]+)?:" "$moddir/modules.dep" || true)
	if [[ -z $line ]]; then
		grep -Eq "(^|/)${m}\.ko$" "$moddir/modules.builtin" || die "module $m: not in $moddir"
		continue # built in
	fi
	for f in ${line/:/}; do
		mkdir -p "$r/lib/modules/$kver/$(dirname "$f")"
		cp "$moddir/$f" "$r/lib/modules/$kver/$f"
	done
done
case $(ls "$r/lib/modules/$kver"/kernel/net/netfilter/ | head -n 1) in
*.ko) ;;
*) die "compressed modules in $moddir: busybox insmod wants plain .ko" ;;
esac

# --- /init ---------------------------------------------------------------------------
env_expect="SAFEINTERNET_EXPECT_NATIVE_QUEUE=1 SAFEINTERNET_EXPECT_GLUE_CT=1"
run=${VMTEST_RUN:-}
{
	cat <<EOF
#!/bin/sh
# Generated by scripts/vmtest.sh.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TMPDIR=/tmp
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
mkdir -p /root
echo /sbin/modprobe >/proc/sys/kernel/modprobe
echo "VMTEST-KERNEL \$(uname -r) cpus=\$(nproc)"
for m in ${modules[*]}; do
	modprobe \$m || echo "VMTEST-MODULE-FAILED \$m"
done
echo "VMTEST-MODULES \$(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ')"
ip link set lo up
EOF
	if ((update)); then
		cat <<EOF
cd /src/nfq/firewall
touch /tmp/update.start
sleep 1
$env_expect ./firewall.test -test.run '^TestInstallListsExpectedRules\$' -test.count=1 -test.timeout=5m -update >/tmp/update.log 2>&1
echo "VMTEST-UPDATE rc=\$?"
for f in \$(find testdata -name '*.golden' -newer /tmp/update.start); do
	echo "VMTEST-FILE-BEGIN nfq/firewall/\$f"
	base64 "\$f"
	echo "VMTEST-FILE-END"
done
EOF
	fi
	for p in "${pkgs[@]}"; do
		name=${p##*/}
		cat <<EOF
cd /src/$p
echo "VMTEST-START $p"
$env_expect ./$name.test -test.v -test.count=1 -test.timeout=8m ${run:+-test.run '$run'} 2>&1
echo "VMTEST-RESULT $p rc=\$?"
EOF
	done
	if ((e2e)); then
		cat <<EOF
cd /src/scripts/e2e
echo "VMTEST-START scripts/e2e"
SAFEINTERNET_BIN=/src/bin/safeinternet LABSRV=/src/bin/labsrv ./e2e.test -test.v -test.count=1 -test.timeout=25m ${run:+-test.run '$run'} 2>&1
echo "VMTEST-RESULT scripts/e2e rc=\$?"
EOF
		# The agent in the lab, run as on a router (a quoted here-document;
		# busybox sh prefers its own applets, so the real ip is named by path).
		cat <<'EOF'
cd /src
export LAB_PREFIX=vm- LAB_DIR=/tmp/vm-lab SAFEINTERNET_BIN=/src/bin/safeinternet LABSRV=/src/bin/labsrv
echo "VMTEST-START agent"
# The lab household as demo.sh renders it, without UT1 (../shared/data is not in the VM).
sed -e "s|@ROOT@|$PWD|g" -e "s|@UT1@|/nonexistent|g" -e "s|@UT1_ENABLED@|0|g" scripts/lab/household.conf >/tmp/household.conf
bash scripts/lab.sh up 2>&1 && bash scripts/lab.sh agent-start /tmp/household.conf 2>&1
echo "VMTEST-AGENT-STATUS $(tr -d ' \n' <$LAB_DIR/state/status.json)"
echo "VMTEST-AGENT-HTTP $(bash scripts/lab.sh exec a curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H 'Host: school.test' http://10.99.0.2/)"
/usr/sbin/ip netns exec vm-router conntrack -L -p tcp --dport 80 2>/dev/null | sed 's/^/VMTEST-AGENT-CT /'
for n in games.test school.test; do
	echo "VMTEST-AGENT-DNS $n $(bash scripts/lab.sh exec a dig +time=3 +tries=1 @192.168.50.1 $n | sed -n 's/.*status: \([A-Z]*\).*/\1/p')"
done
/usr/sbin/ip netns exec vm-router nft list table inet safeinternet >/tmp/table.txt
echo "VMTEST-AGENT-CHAINS $(sed -n 's/^[[:space:]]*chain \([a-z_]*\) .*/\1/p' /tmp/table.txt | tr '\n' ' ')"
echo "VMTEST-AGENT-QUEUE-RULES $(grep -c ' queue ' /tmp/table.txt)"
sed 's/^/VMTEST-AGENT-TABLE /' /tmp/table.txt
sed 's/^/VMTEST-AGENT-LOG /' $LAB_DIR/agent.log
bash scripts/lab.sh agent-stop 2>&1
bash scripts/lab.sh down 2>&1
EOF
	fi
	cat <<EOF
echo VMTEST-DONE
poweroff -f
EOF
} >"$r/init"
chmod +x "$r/init"

(cd "$r" && find . -print0 | sort -z | cpio --null -o -H newc --quiet) | gzip -1 >"$work/initramfs.cpio.gz"
echo "vmtest: initramfs $(du -h "$work/initramfs.cpio.gz" | cut -f1)"

# --- boot ------------------------------------------------------------------------------
log=$work/console.log
# Lines of the tests that state what was proven (kept in the summary).
proof_re='as expected \(|matches testdata/|mark mode |ct mark 0x|blocked flow \('
# show filters the console for the terminal: results and proof lines only.
show() {
	if [[ ${VMTEST_VERBOSE:-0} == 1 ]]; then
		cat
	else
		grep --line-buffered -E "^(VMTEST|--- |ok |FAIL|PASS\$|panic:)|^ +--- |$proof_re" |
			grep --line-buffered -vE '^VMTEST-AGENT-(TABLE|LOG) '
	fi
}
# boot runs the VM with accelerator $1 until it powers off or time runs out,
# the console going to $raw. It returns 0 when the VM powered off, 124 on
# timeout, 125 when the kernel did not start /init within boot_s seconds (the
# VM is stopped then).
raw=$work/console.raw
boot() {
	local a=$1 args qpid t0 t rc=0
	case $a in
	kvm) args=(-accel kvm -cpu host) ;;
	tcg) args=(-accel tcg -cpu max) ;;
	esac
	: >"$raw"
	rm -f "$work/qemu.pid"
	# In a subshell that outlives qemu, so that a crash is reported in qemu.err.
	(
		qemu-system-x86_64 "${args[@]}" -pidfile "$work/qemu.pid" \
			-m 512 -smp 2 -display none -monitor none -serial "file:$raw" \
			-no-reboot -nic none -no-user-config \
			-kernel "$kernel" -initrd "$work/initramfs.cpio.gz" \
			-append "console=ttyS0 panic=-1 quiet"
		exit $?
	) </dev/null >"$work/qemu.err" 2>&1 &
	qpid=$!
	tail -n +1 -f --pid="$qpid" "$raw" | tr -d '\r' | show &
	t0=$(date +%s)
	while kill -0 "$qpid" 2>/dev/null; do
		t=$(($(date +%s) - t0))
		if ((t >= boot_s)) && ! grep -q '^VMTEST-KERNEL' "$raw"; then
			rc=125
		elif ((t >= timeout_s)); then
			rc=124
		fi
		if ((rc)); then
			kill "$(cat "$work/qemu.pid" 2>/dev/null || echo "$qpid")" 2>/dev/null || true
			break
		fi
		sleep 1
	done
	wait "$qpid" 2>/dev/null || true
	wait # the console follower
	tr -d '\r' <"$raw" >"$log"
	if ((rc == 0)) && ! grep -q '^VMTEST-KERNEL' "$raw"; then
		rc=125 # qemu failed to start the VM at all
	fi
	return "$rc"
}

start=0
for accel in "${accels[@]}"; do
	case $accel in
	kvm) timeout_s=${VMTEST_TIMEOUT:-600} boot_s=60 ;;
	tcg) timeout_s=${VMTEST_TIMEOUT:-1800} boot_s=300 ;;
	esac
	echo "vmtest: booting with $accel (timeout ${timeout_s}s)"
	start=$(date +%s)
	rc=0
	boot "$accel" || rc=$?
	case $rc in
	0) break ;;
	124) die "VM timed out after ${timeout_s}s ($accel); console: $log" ;;
	125)
		echo "vmtest: no boot with $accel (qemu failed, or no /init within ${boot_s}s):" >&2
		cat "$work/qemu.err" >&2
		{ grep -av '^$' "$log" || true; } | tail -n 3 >&2
		;;
	esac
done
((rc == 0)) || die "the VM did not boot with any of: ${accels[*]}"
elapsed=$(($(date +%s) - start))

# --- verdict ------------------------------------------------------------------------------
if ((update)); then
	for f in $(sed -n 's/^VMTEST-FILE-BEGIN //p' "$log"); do
		sed -n "\\|^VMTEST-FILE-BEGIN $f\$|,/^VMTEST-FILE-END/p" "$log" | sed '1d;$d' | base64 -d >"$root/$f"
		echo "vmtest: wrote $f"
	done
	grep -q '^VMTEST-UPDATE rc=0' "$log" || echo "vmtest: the -update run failed (console: $log)" >&2
	echo "vmtest: review: git diff nfq/firewall/testdata; git status nfq/firewall/testdata"
fi
fail=0
results=("${pkgs[@]}")
if ((e2e)); then results+=(scripts/e2e); fi
for p in "${results[@]}"; do
	line=$(grep -E "^VMTEST-RESULT $p rc=" "$log" || true)
	if [[ $line != "VMTEST-RESULT $p rc=0" ]]; then
		echo "vmtest: $p: ${line:-no result (VM stopped early)}" >&2
		fail=1
	fi
done
grep -q '^VMTEST-DONE' "$log" || {
	echo "vmtest: the VM did not finish its run" >&2
	fail=1
}
if grep -q '^VMTEST-MODULE-FAILED' "$log"; then
	grep '^VMTEST-MODULE-FAILED' "$log" >&2
	fail=1
fi
# Every test runs here: this kernel has what each one needs. Browser tests excepted: the VM has
# no chromium or node (they run on the host, and prove nothing about the kernel).
if grep -E '^ *--- SKIP' "$log" | grep -v 'Browser' >&2; then
	echo "vmtest: tests skipped in the VM (see their reasons in $log)" >&2
	fail=1
fi
# The proofs this script exists for: a pass without them proves nothing.
if [[ -z $run ]]; then
	for want in \
		'--- PASS: TestProbe ' 'Probe = native, as expected' \
		'--- PASS: TestInstallListsExpectedRules ' 'table (native) matches testdata/table-native.golden' \
		'--- PASS: TestOpenProbesMarkMode ' 'Mode = conntrack, as expected' \
		'--- PASS: TestVerdictMarksFlow ' 'mark mode conntrack, queue encoding native'; do
		if ! grep -qF -- "$want" "$log"; then
			echo "vmtest: missing from the console: $want" >&2
			fail=1
		fi
	done
fi
# need DESCRIPTION CMD...: fails the run unless CMD succeeds.
need() {
	local what=$1
	shift
	if ! "$@"; then
		echo "vmtest: not proven: $what" >&2
		fail=1
	fi
}
if ((e2e)); then
	agent_status=$(sed -n 's/^VMTEST-AGENT-STATUS //p' "$log")
	need "agent status says native" grep -qF '"queue_encoding":"native"' <<<"$agent_status"
	need "agent status says conntrack" grep -qF '"ct_mark":"conntrack"' <<<"$agent_status"
	need "HTTP through the agent" grep -qx 'VMTEST-AGENT-HTTP 200' "$log"
	# ALLOW, category 0, under the default mask 0x7f000000: 0x01000000.
	# school.test is on the lab's allowlist: ALLOW with category 16 (allowlist) under the mask
	# 0x7f000000 is (1 | 16<<2) << 24.
	need "the HTTP flow's ct mark is ALLOW, category allowlist (1090519040)" grep -qE '^VMTEST-AGENT-CT .*dport=80 .* mark=1090519040 ' "$log"
	need "games.test blocked for device A" grep -qx 'VMTEST-AGENT-DNS games.test NXDOMAIN' "$log"
	need "school.test allowed for device A" grep -qx 'VMTEST-AGENT-DNS school.test NOERROR' "$log"
	need "no mark-copy chains (stopped_device, forward, input, output only)" grep -qx 'VMTEST-AGENT-CHAINS stopped_device forward input output ' "$log"
	need "eleven native queue rules" grep -qx 'VMTEST-AGENT-QUEUE-RULES 11' "$log"
fi
echo "vmtest: proofs:"
grep -E "$proof_re|^VMTEST-AGENT-(STATUS|HTTP|CT|DNS|CHAINS|QUEUE)" "$log" | grep -v 'mark mode ' | sed 's/^ */  /' || true
for p in "${results[@]}"; do
	section=$(sed -n "\|^VMTEST-START $p\$|,\|^VMTEST-RESULT $p |p" "$log")
	printf 'vmtest: %-13s %3d passed, %d skipped, %d failed (top-level tests)\n' "$p" \
		"$(grep -c '^--- PASS' <<<"$section" || true)" \
		"$(grep -c '^--- SKIP' <<<"$section" || true)" \
		"$(grep -c '^--- FAIL' <<<"$section" || true)"
done
echo "vmtest: ${elapsed}s with $accel; console: $log"
if ((fail)); then
	echo "vmtest: FAIL" >&2
	exit 1
fi
echo "vmtest: PASS"
