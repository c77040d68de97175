#!/usr/bin/env bash
# Installs Debian's python3 when it is missing: pkg/webhook's tests run the README's Python
# snippet for verifying webhooks with it, and docs/ and examples/ their Python parts.
set -euo pipefail

if command -v python3 >/dev/null 2>&1; then
	exit 0
fi

"$(dirname "$0")/apt-install.sh" install-python "python3 is missing" \
	"install Python 3 yourself, or set FACEGATE_SKIP_PYTHON=1" \
	"needed by pkg/webhook's README snippet test, docs/ and examples/" python3
python3 --version
