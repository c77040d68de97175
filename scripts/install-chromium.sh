#!/usr/bin/env bash
# Installs Debian's chromium for the browser end-to-end test when it is missing.
# Test tools that download their own browser builds do not work on closed networks,
# so the test uses the distribution package at /usr/bin/chromium.
set -euo pipefail

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "install-chromium: $CHROMIUM is missing and apt-get is not available;" >&2
	echo "install Chromium yourself and set CHROMIUM=/path/to/chromium, or set FACEGATE_SKIP_BROWSER=1" >&2
	exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi

echo "install-chromium: installing Debian's chromium (needed by the browser test in e2e/)"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
"$CHROMIUM" --version
