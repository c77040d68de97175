#!/usr/bin/env bash
# Installs Debian's nodejs and npm for the Node.js SDK conformance test (conformance/)
# when either is missing. The test installs the SDK itself with `npm ci` from the npm
# registry; only the runtime and its package manager come from the distribution.
set -euo pipefail

if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
	exit 0
fi

"$(dirname "$0")/apt-install.sh" install-node "node or npm is missing" \
	"install Node.js 18 or later with npm yourself, or set FACEGATE_SKIP_NODE=1" \
	"needed by the Node.js SDK test in conformance/, docs/ and examples/" nodejs npm
node --version
npm --version
