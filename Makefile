# TfPilot build and test entry points. `make test` is the README's test command:
# it installs the pinned tools the tests need into .bin/ and runs every test.
SHELL := /bin/bash
BIN := $(CURDIR)/.bin

TERRAFORM_VERSION  := v1.5.7
ACTIONLINT_VERSION := v1.7.12
VERSITYGW_VERSION  := v1.8.0
# govulncheck reads a database built here from the pinned golang.org/x/vulndb
# module's OSV reports (data/osv), so `make vulncheck` needs no network once
# the module cache holds them; bump VULNDB_VERSION to take newer reports
# (GOTOOLCHAIN=go1.27.3 go list -m -versions golang.org/x/vulndb, or @master).
GOVULNCHECK_VERSION := v1.9.0
VULNDB_VERSION      := v0.0.0-20261105234957-e22db6528018

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

.PHONY: test tools bench lint stress pin-images vulncheck faults

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

$(BIN)/govulncheck-$(GOVULNCHECK_VERSION):
	GOBIN=$(BIN) go install golang.org/x/vuln/cmd/govulncheck@$(GOVULNCHECK_VERSION)
	touch $@

# indexdb is vulndb's own tool that turns a folder of OSV files into a v1
# database (the layout govulncheck's -db file:// reads).
$(BIN)/indexdb-$(VULNDB_VERSION):
	GOBIN=$(BIN) go install golang.org/x/vulndb/cmd/indexdb@$(VULNDB_VERSION)
	touch $@

VULNDB := $(BIN)/vulndb-$(VULNDB_VERSION)
$(VULNDB): $(BIN)/indexdb-$(VULNDB_VERSION)
	@src=$$(go mod download -json golang.org/x/vulndb@$(VULNDB_VERSION) | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p'); \
	test -d "$$src/data/osv" || { echo "golang.org/x/vulndb@$(VULNDB_VERSION) has no data/osv"; exit 1; }; \
	rm -rf $@.tmp && indexdb -vulns "$$src/data/osv" -out $@.tmp; \
	n=$$(ls $@.tmp/ID | wc -l); test "$$n" -ge 1000 || { echo "vulndb: only $$n reports in $$src/data/osv; an empty database would find nothing"; exit 1; }; \
	mv $@.tmp $@

# vulncheck reports the known vulnerabilities our code reaches (the symbols
# it calls), offline, from the pinned database.
vulncheck: $(BIN)/govulncheck-$(GOVULNCHECK_VERSION) $(VULNDB)
	govulncheck -db file://$(VULNDB) ./...

# faults runs the full fault matrix (docs/RELIABILITY.md, "Fault matrix
# (issue 13)"): 20 requests, 20 SIGKILL points, each GitHub, S3 and Slack
# fault three times. `make test` runs its short form.
faults: tools
	TFPILOT_FAULTS=full go test -count=1 -timeout=40m -run '^TestFaultMatrix$$' -v ./cmd/bot/

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

# pin-images pins the Dockerfile's FROM images to their tags' current
# digests (image:tag@sha256:…), for an operator with network access and
# crane or docker buildx; Dependabot keeps them current from then on.
DOCKERFILE ?= Dockerfile
pin-images:
	@deploy/pin-images.sh $(DOCKERFILE)
