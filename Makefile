# Safe Internet — build, test and lab targets. `make help` lists them.

GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
GOFLAGS_BUILD := -trimpath -ldflags "$(LDFLAGS)"
PKG      := ./agent/cmd/safeinternet
BIN      := bin
# Build tags of the router binaries: developer-only features left out
# (si_omit_inspect: the capture reader and gopacket behind it).
ROUTER_TAGS := si_omit_inspect
# Packages whose unit tests also run under qemu-user (big- and little-endian):
# the packet side and the hot path behind it.
QEMU_PKGS := ./nfq/... ./internal/... ./agent/daemon ./agent/judge ./agent/keeper ./agent/page ./agent/inventory ./agent/activity ./agent/policy ./agent/config ./agent/uci ./agent/category ./agent/clock ./agent/schedule ./agent/usage ./agent/oui ./ui/...
FUZZTIME ?= 20s

export CGO_ENABLED := 0

.PHONY: help build cross lint test test-unit test-qemu e2e vmtest demo bench bench-go bench-lists bench-lab fuzz clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z0-9-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/safeinternet for this machine: the developer build, with inspect
	$(GO) build $(GOFLAGS_BUILD) -o $(BIN)/safeinternet $(PKG)

cross: ## router builds (without inspect) for mips/mipsle (softfloat), arm v7, arm64, amd64 into bin/; prints sizes, plain and xz
	GOOS=linux GOARCH=mips   GOMIPS=softfloat $(GO) build $(GOFLAGS_BUILD) -tags $(ROUTER_TAGS) -o $(BIN)/safeinternet-linux-mips $(PKG)
	GOOS=linux GOARCH=mipsle GOMIPS=softfloat $(GO) build $(GOFLAGS_BUILD) -tags $(ROUTER_TAGS) -o $(BIN)/safeinternet-linux-mipsle $(PKG)
	GOOS=linux GOARCH=arm    GOARM=7          $(GO) build $(GOFLAGS_BUILD) -tags $(ROUTER_TAGS) -o $(BIN)/safeinternet-linux-armv7 $(PKG)
	GOOS=linux GOARCH=arm64                   $(GO) build $(GOFLAGS_BUILD) -tags $(ROUTER_TAGS) -o $(BIN)/safeinternet-linux-arm64 $(PKG)
	GOOS=linux GOARCH=amd64                   $(GO) build $(GOFLAGS_BUILD) -tags $(ROUTER_TAGS) -o $(BIN)/safeinternet-linux-amd64 $(PKG)
	@printf '%-34s %10s %10s\n' binary bytes xz-bytes
	@for f in $(BIN)/safeinternet-linux-mips $(BIN)/safeinternet-linux-mipsle $(BIN)/safeinternet-linux-armv7 \
		$(BIN)/safeinternet-linux-arm64 $(BIN)/safeinternet-linux-amd64; do \
		printf '%-34s %10d %10d\n' $$f $$(wc -c < $$f) $$(xz -9e -T1 -c $$f | wc -c); \
	done

lint: ## gofmt -l (fails if it lists a file), go vet, staticcheck (the version pinned in go.mod)
	@out=$$("$$($(GO) env GOROOT)/bin/gofmt" -l .); \
	if [ -n "$$out" ]; then echo "gofmt: these files need gofmt -w:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

test: lint test-unit test-qemu e2e vmtest ## all tests: lint, unit, nfq under qemu (MIPS, ARM), lab end to end, VM with an OpenWrt-like kernel (root)

# The race detector needs cgo (and a C compiler), for this go test only: the
# binaries we ship stay CGO_ENABLED=0.
test-unit: ## unit tests under the race detector, including kernel tests in throwaway network namespaces (root)
	CGO_ENABLED=1 $(GO) test -race -count=1 $$($(GO) list ./... | grep -v /scripts/e2e)

test-qemu: ## nfq/... and hot-path agent unit tests cross-compiled, run under qemu-mips-static and qemu-arm-static
	GOOS=linux GOARCH=mips GOMIPS=softfloat SAFEINTERNET_NO_KERNEL=1 $(GO) test -count=1 -exec qemu-mips-static $(QEMU_PKGS)
	GOOS=linux GOARCH=arm  GOARM=7          SAFEINTERNET_NO_KERNEL=1 $(GO) test -count=1 -exec qemu-arm-static $(QEMU_PKGS)

e2e: ## end-to-end tests in the network-namespace lab (root)
	$(GO) test -count=1 -v -timeout 20m ./scripts/e2e/

vmtest: ## nfq kernel tests and the lab e2e in a qemu VM booting Debian's kernel (native nft queue, ct mark set by the verdict)
	./scripts/vmtest.sh -e2e

demo: build ## run the agent in the lab with a default household; Ctrl-C cleans up
	./scripts/demo.sh

bench: bench-go bench-lists bench-lab ## all figures: hot path (go test -bench), category lists (vs a Go map, mipsle under qemu), lab ratios (TLS connections/s, iperf3, dnsperf)

bench-go: ## hot-path benchmarks: ns/op and allocs/op
	$(GO) test -run '^$$' -bench . -benchmem ./nfq/... ./agent/... ./ui/...

bench-lists: ## category matcher on the ~1 M-domain corpus vs a map[string]uint64: bytes/domain (mipsle, qemu), GC, rebuild peak, load
	./scripts/bench-lists.sh

bench-lab: ## lab figures, with the agent vs without in the same run (root)
	./scripts/bench.sh

fuzz: ## run every fuzz target for FUZZTIME each (default 20s)
	./scripts/fuzz.sh $(FUZZTIME)

clean: ## remove build output
	rm -rf $(BIN)
