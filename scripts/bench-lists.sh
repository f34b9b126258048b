#!/bin/sh
# bench-lists.sh — the category matcher's figures on the real corpus
# (../shared/data next to the repository: UT1 and lists/, ~0.92 M mapped
# domains): retained heap per domain against a map[string]uint64 of the same
# domains, the GC cost of a loaded matcher, the peak live heap of a shard-by-
# shard rebuild, the load time of the compiled form and lookup speed.
#
# The memory figures that count are the 32-bit ones: the program is
# cross-compiled for mipsle (softfloat) and run under qemu-mipsel-static.
# The package's tests also run on big-endian mips under qemu-mips-static, to
# prove the compiled form is portable. Install qemu with
#   apt-get install -y qemu-user-static
#
# Usage: scripts/bench-lists.sh [group]   (shards rebuilt per pass, default 1)
set -eu
cd "$(dirname "$0")/.."
group=${1:-1}
pkg=./agent/category
prog=$pkg/internal/listbench

if [ ! -f ../shared/data/ut1/blacklists.tar.gz ]; then
	echo "bench-lists: ../shared/data is absent; nothing to measure" >&2
	exit 1
fi

echo "== native ($(go env GOARCH))"
go run "$prog" -group "$group"

echo
echo "== go test benchmarks ($(go env GOARCH))"
go test -run '^$' -bench 'Lookup|Suffix|ReadMatcher|Memory' -count 3 "$pkg"

for q in qemu-mipsel-static qemu-mips-static; do
	if ! command -v "$q" >/dev/null 2>&1; then
		echo "bench-lists: $q not found: apt-get install -y qemu-user-static" >&2
		exit 1
	fi
done

bin=$(mktemp -d)/listbench-mipsle
trap 'rm -rf "$(dirname "$bin")"' EXIT
CGO_ENABLED=0 GOOS=linux GOARCH=mipsle GOMIPS=softfloat go build -trimpath -o "$bin" "$prog"
echo
echo "== mipsle softfloat under qemu-mipsel-static (timings are emulated: information only)"
qemu-mipsel-static "$bin" -group "$group" -lookups 200000

echo
echo "== package tests on big-endian mips softfloat under qemu-mips-static"
CGO_ENABLED=0 GOOS=linux GOARCH=mips GOMIPS=softfloat go test -count 1 -exec qemu-mips-static "$pkg"
echo "== package tests on mipsle softfloat under qemu-mipsel-static"
CGO_ENABLED=0 GOOS=linux GOARCH=mipsle GOMIPS=softfloat go test -count 1 -exec qemu-mipsel-static "$pkg"
