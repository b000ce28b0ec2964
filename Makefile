# TfPilot build and test entry points. `make test` is the README's test command:
# it installs the pinned tools the tests need into .bin/ and runs every test.
SHELL := /bin/bash
BIN := $(CURDIR)/.bin

TERRAFORM_VERSION  := v1.5.7
ACTIONLINT_VERSION := v1.7.12
VERSITYGW_VERSION  := v1.8.0

TOOLS := $(BIN)/terraform-$(TERRAFORM_VERSION) $(BIN)/actionlint-$(ACTIONLINT_VERSION) $(BIN)/versitygw-$(VERSITYGW_VERSION)

# Build, test and benchmark with the toolchain go.mod names (its toolchain
# line), which the go command fetches from the module proxy: a machine set to
# GOTOOLCHAIN=local would otherwise use its own Go. Go 1.27's encoding/json
# decodes Slack's payloads much faster (BenchmarkAckUnderLoad: 36-43 CPU-us
# per envelope against 46-58 on Go 1.26). go.mod still says go 1.26.0, so
# `go run ./cmd/bot local` works on Go 1.26 as it is.
export GOTOOLCHAIN := $(shell sed -n 's/^toolchain //p' go.mod)
export PATH := $(BIN):$(PATH)
export CHECKPOINT_DISABLE := 1

.PHONY: test tools bench lint stress faults

test: tools
	go test -race -count=1 ./...

tools: $(TOOLS)

# Each tool is installed at its pinned version; the versioned stamp file makes a
# version bump reinstall it.
$(BIN)/terraform-$(TERRAFORM_VERSION):
	GOBIN=$(BIN) go install github.com/hashicorp/terraform@$(TERRAFORM_VERSION)
	touch $@

$(BIN)/actionlint-$(ACTIONLINT_VERSION):
	GOBIN=$(BIN) go install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)
	touch $@

$(BIN)/versitygw-$(VERSITYGW_VERSION):
	GOBIN=$(BIN) go install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION)
	touch $@

# faults runs the full fault matrix (docs/RELIABILITY.md, "Fault matrix
# (issue 13)"): 20 requests, 20 SIGKILL points, each GitHub, S3 and Slack
# fault three times. `make test` runs its short form.
faults: tools
	TFPILOT_FAULTS=full go test -count=1 -timeout=30m -run '^TestFaultMatrix$$' -v ./cmd/bot/

lint: tools
	actionlint
	go run ./cmd/bot check --modules modules

bench:
	go test -run '^$$' -bench . -benchmem ./...

# stress runs one package's tests COUNT times under the race detector, to
# catch tests that depend on timing: `make stress PKG=./bot/console`.
# LOAD=N keeps N busy loops spinning meanwhile, as on a shared CI machine;
# they are killed when the tests end, fail or are interrupted. TIMEOUT
# bounds the whole run: go test's default of 10m is too short for some
# packages at COUNT=20 under load.
COUNT   ?= 20
LOAD    ?= 0
TIMEOUT ?= 60m
stress: tools
	@test -n "$(PKG)" || { echo 'make stress needs a package: make stress PKG=./bot/console [COUNT=20] [LOAD=2]'; exit 2; }
	@pids=(); trap 'kill "$${pids[@]}" 2>/dev/null; wait' EXIT; trap 'exit 130' INT TERM; \
	for ((i = 0; i < $(LOAD); i++)); do (while :; do :; done) & pids+=($$!); done; \
	go test -race -count=$(COUNT) -timeout=$(TIMEOUT) $(PKG)
