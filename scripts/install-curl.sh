#!/usr/bin/env bash
# Installs Debian's curl and openssl when either is missing: docs/'s tests run the
# integration guide's shell blocks, which make secrets with openssl and call facegate
# with curl.
set -euo pipefail

if command -v curl >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1; then
	exit 0
fi

"$(dirname "$0")/apt-install.sh" install-curl "curl or openssl is missing" \
	"install both yourself to run the guide's shell blocks (go test ./docs)" \
	"needed by the guide's tests in docs/" curl openssl ca-certificates
curl --version | head -1
openssl version
