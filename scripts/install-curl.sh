#!/usr/bin/env bash
# Installs Debian's curl and openssl when either is missing: docs/'s tests run the
# integration guide's shell blocks, which make secrets with openssl and call facegate
# with curl.
set -euo pipefail

if command -v curl >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1; then
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "install-curl: curl or openssl is missing and apt-get is not available;" >&2
	echo "install both yourself to run the guide's shell blocks (go test ./docs)" >&2
	exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi

echo "install-curl: installing Debian's curl and openssl (needed by the guide's tests in docs/)"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends curl openssl ca-certificates >/dev/null
curl --version | head -1
openssl version
