#!/usr/bin/env bash
# Installs Debian's chromium for the browser end-to-end test when it is missing.
# Test tools that download their own browser builds do not work on closed networks,
# so the test uses the distribution package at /usr/bin/chromium.
set -euo pipefail

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
	exit 0
fi

"$(dirname "$0")/apt-install.sh" install-chromium "$CHROMIUM is missing" \
	"install Chromium yourself and set CHROMIUM=/path/to/chromium, or set FACEGATE_SKIP_BROWSER=1" \
	"needed by the browser test in e2e/" chromium
"$CHROMIUM" --version
