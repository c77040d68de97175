#!/usr/bin/env bash
# Installs Debian's python3 when it is missing: pkg/webhook's tests run the README's Python
# snippet for verifying webhooks with it, and docs/ and examples/ their Python parts.
set -euo pipefail

if command -v python3 >/dev/null 2>&1; then
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "install-python: python3 is missing and apt-get is not available;" >&2
	echo "install Python 3 yourself, or set FACEGATE_SKIP_PYTHON=1" >&2
	exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi

echo "install-python: installing Debian's python3 (needed by pkg/webhook's README snippet test, docs/ and examples/)"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends python3 >/dev/null
python3 --version
