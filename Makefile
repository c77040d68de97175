# facegate: Tencent Cloud eKYC web verification as three serverless Go functions.
# `make run` starts the whole local stack; `make test` runs every test.

GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: run test bench build package deploy-aws deploy-scf coldstart clean

run:
	$(GO) run ./cmd/local

test:
	$(GO) mod download
	$(GO) test -race ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
