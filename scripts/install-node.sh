#!/usr/bin/env bash
# Installs Debian's nodejs and npm for the Node.js SDK conformance test (conformance/)
# when either is missing. The test installs the SDK itself with `npm ci` from the npm
# registry; only the runtime and its package manager come from the distribution.
set -euo pipefail

if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "install-node: node or npm is missing and apt-get is not available;" >&2
	echo "install Node.js 18 or later with npm yourself, or set FACEGATE_SKIP_NODE=1" >&2
	exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi

echo "install-node: installing Debian's nodejs and npm (needed by the Node.js SDK test in conformance/, docs/ and examples/)"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
node --version
npm --version
