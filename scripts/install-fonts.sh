#!/usr/bin/env bash
# Installs the fonts the README's screenshots need when they are missing: the pages speak
# Thai and Chinese (Simplified, and Traditional as written in Hong Kong), and a machine
# with only Latin fonts draws those as empty boxes. Debian's Noto CJK and TLWG Thai fonts.
# Only `make screenshots` needs them; the browser tests compare text, not pixels.
set -euo pipefail

if command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=th)" ] && [ -n "$(fc-list :lang=zh-hk)" ]; then
	exit 0
fi

"$(dirname "$0")/apt-install.sh" install-fonts "Thai or Chinese fonts are missing" \
	"install fonts for Thai and Chinese yourself, or the screenshots will show empty boxes" \
	"for the screenshots" fonts-noto-cjk fonts-thai-tlwg
