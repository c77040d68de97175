# facegate: Tencent Cloud eKYC web verification as four serverless Go functions.
# `make run` starts the whole local stack; `make test` runs every test.

GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: run test lint fuzz bench build package deploy-aws deploy-scf coldstart emulate clean
.PHONY: chromium fonts node python curl screenshots

# Built, then run as itself rather than through `go run`: after Ctrl-C `go run` exits 1
# even when the program shut down cleanly, and make would then report "Error 1".
# Flags go in RUN_FLAGS, e.g. make run RUN_FLAGS="-port 9000".
RUN_FLAGS ?=
run:
	$(GO) build -o $(abspath $(DIST))/facegate-local ./cmd/local
	$(abspath $(DIST))/facegate-local $(RUN_FLAGS)

# The browser test in e2e/ needs Chromium; `make test` installs Debian's package when
# /usr/bin/chromium is missing. FACEGATE_SKIP_BROWSER=1 skips only that test.
# The Node.js SDK test in conformance/ needs node and npm, and the merchant's kit (docs/
# and examples/) node and python3; `make test` installs Debian's nodejs, npm and python3
# when missing. FACEGATE_SKIP_NODE=1 and FACEGATE_SKIP_PYTHON=1 skip only what needs them.
# The guide's shell blocks (docs/) need curl and openssl, installed the same way.
# Everything runs with -race: on 2 cores it adds about 15% to a cold run (2m35s against
# 2m13s, most of it compiling), too little to leave any package without it.
test: chromium node python curl lint
	$(GO) test -race ./...

# The lint gate `make test` runs first: gofmt, go vet and staticcheck (pinned in go.mod as
# a Go tool dependency, so CI needs only the module proxy), all clean, for the build that
# carries everything and for each platform build.
lint:
	$(GO) mod download
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	@# The platform builds compile other files (pkg/platform variant_*.go, pkg/app stores_*.go).
	@set -e; for tags in "$(TAGS_lambda)" "$(TAGS_scf)"; do \
		echo "vet and staticcheck with -tags '$$tags'"; \
		$(GO) vet -tags "$$tags" ./...; \
		$(GO) tool staticcheck -tags "$$tags" ./...; \
	done

chromium:
	@if [ "$(FACEGATE_SKIP_BROWSER)" != "1" ]; then ./scripts/install-chromium.sh; fi

node:
	@if [ "$(FACEGATE_SKIP_NODE)" != "1" ]; then ./scripts/install-node.sh; fi

# pkg/webhook runs the README's Python snippet, docs/ and examples/ their Python parts;
# FACEGATE_SKIP_PYTHON=1 skips only those checks.
python:
	@if [ "$(FACEGATE_SKIP_PYTHON)" != "1" ]; then ./scripts/install-python.sh; fi

curl:
	@./scripts/install-curl.sh

# Every fuzz target of the module, each for FUZZTIME (go test runs their seed corpora in
# make test; this searches further). README, "Fuzzing", lists them.
FUZZTIME ?= 30s
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "== $$pkg $$f ($(FUZZTIME))"; \
			$(GO) test -run '^$$$$' -fuzz "^$$f\$$$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

# Go benchmarks, then a bounded load test of the in-process local stack (loopback only).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(GO) run ./cmd/loadgen

# Regenerates docs/screenshots/*.png from the browser tests: the demo page, the sandbox
# page, the return page in each language, facegate's error page in Thai, and a handoff:
# the desktop's QR code (1280x800) and the phone's last page. The pages
# speak Thai and Chinese, so it installs fonts for them first (the tests compare text and
# need none).
screenshots: chromium fonts
	FACEGATE_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run 'TestBrowserFlow|TestErrorPagesLeadBack|TestHandoffDesktopToPhone' ./e2e

fonts:
	./scripts/install-fonts.sh

# ---- Builds, packages, deployment ----
FUNCTIONS ?= start callback result sweep
# Functions that run on timer events only: SCF web functions take HTTP triggers only, so
# these get no SCF web package (cmd/pack).
SCHEDULED ?= sweep
ARCHES    ?= amd64 arm64
DIST      ?= dist
LDFLAGS   := -s -w -X main.version=$(VERSION)

# Every function for linux amd64 and arm64, once per platform: static, trimmed, version
# stamped. dist/<arch>/lambda/<fn> is the AWS Lambda build (-tags lambda: the Lambda
# runtime and the S3 store only, without aws-lambda-go's legacy RPC server), and
# dist/<arch>/scf/<fn> the Tencent SCF build (-tags scf: the SCF event and web runtimes
# and the COS store only). Neither links net/http's HTTP/2 (nethttpomithttp2): S3 and COS
# speak HTTP/1.1, Tencent's API and webhooks work over it, and the platforms' proxies
# speak HTTP/1.1 to the functions. A plain `go build ./functions/<fn>`, and the local
# binary, carry everything. internal/runtimetest.VariantTags holds the same tags.
VARIANTS    := lambda scf
TAGS_lambda := lambda lambda.norpc nethttpomithttp2
TAGS_scf    := scf nethttpomithttp2
build:
	@set -e; for arch in $(ARCHES); do for v in $(VARIANTS); do for fn in $(FUNCTIONS); do \
		tags="$(TAGS_lambda)"; [ $$v = scf ] && tags="$(TAGS_scf)"; \
		echo "build $(DIST)/$$arch/$$v/$$fn"; \
		CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) build -trimpath -tags "$$tags" \
			-ldflags "$(LDFLAGS)" -o $(DIST)/$$arch/$$v/$$fn ./functions/$$fn; \
	done; done; done

# dist/lambda-<fn>-<arch>.zip (the Lambda build), dist/scf-event-<fn>-<arch>.zip and
# dist/scf-web-<fn>-<arch>.zip (the SCF build; no web zip for SCHEDULED functions) and
# dist/scf-<arch>/ (serverless.yml's code directory). cmd/pack fails when a zip is over
# MAX_ZIP bytes (4.0 MB, decimal).
MAX_ZIP ?= 4000000
package: build
	$(GO) run ./cmd/pack -dist $(DIST) -functions "$(FUNCTIONS)" -scheduled "$(SCHEDULED)" -arches "$(ARCHES)" -bootstrap deploy/scf_bootstrap -max-zip $(MAX_ZIP)

# AWS: the AWS SAM CLI deploys template.yaml with the Lambda zips (no `sam build`).
# First time: `sam deploy --guided --template-file template.yaml` writes samconfig.toml;
# afterwards `make deploy-aws` (parameters can also be given as SAM_PARAMS="Key=Value ...").
STACK     ?= facegate
SAM_FLAGS ?= --stack-name $(STACK) --resolve-s3 --capabilities CAPABILITY_IAM --no-fail-on-empty-changeset
deploy-aws: check-sam package
	sam deploy --template-file template.yaml $(SAM_FLAGS) $(if $(SAM_PARAMS),--parameter-overrides $(SAM_PARAMS))

check-sam:
	@command -v sam >/dev/null 2>&1 || { \
		echo "make deploy-aws needs the AWS SAM CLI ('sam'), which is not installed."; \
		echo "Install it (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/install-sam-cli.html),"; \
		echo "configure an AWS account (aws configure), then see README, 'Deploy to AWS Lambda'."; \
		exit 1; }

# Tencent: the Serverless Cloud Framework CLI ('scf', npm i -g serverless-cloud-framework)
# deploys the bucket (deploy/cos), its lifecycle rule, then the functions (serverless.yml).
# Settings come from the environment or .env; see README, 'Deploy to Tencent SCF'.
deploy-scf: check-scf package
	cd deploy/cos && scf deploy
	$(GO) run ./deploy/coslifecycle
	scf deploy

check-scf:
	@command -v scf >/dev/null 2>&1 || { \
		echo "make deploy-scf needs Tencent's Serverless Cloud Framework CLI ('scf'), which is not installed."; \
		echo "Install it with 'npm install -g serverless-cloud-framework', log in with 'scf login'"; \
		echo "(or put TENCENT_SECRET_ID / TENCENT_SECRET_KEY in .env), then see README, 'Deploy to Tencent SCF'."; \
		exit 1; }

# The README's tables: zip sizes; process start -> first answered event for every
# function on its runtimes; and the callback under AWS's Runtime Interface Emulator
# beside a Node.js twin (bench/node-callback, installed here with npm ci), 20 cold
# starts each, in turn, with warm calls and the peak RSS after 1,000 callbacks.
coldstart: package node-bench
	$(GO) run ./cmd/coldstart -dist $(DIST) -functions "$(FUNCTIONS)" -scheduled "$(SCHEDULED)" -runs 15 \
		-node bench/node-callback -rie-runs 20 -invocations 1000

# The Node.js twin's packages, exactly as package-lock.json pins them.
node-bench: node
	cd bench/node-callback && npm ci --no-audit --no-fund

# Runs each package of this machine's architecture as its platform would and replays the
# recorded events in deploy/events (HTTP events, and the sweep function's scheduled and
# timer events): the Lambda zips' bootstrap under AWS's Runtime Interface Emulator (the
# go.mod tool aws-lambda-rie), the SCF event zips' main under the SCF runtime stand-in,
# against the in-process sandbox and a temporary local store. Prints each answer.
emulate: package
	$(GO) run ./cmd/emulate -dist $(DIST) -functions "$(FUNCTIONS)"

clean:
	rm -rf $(DIST)

.PHONY: check-sam check-scf node-bench
