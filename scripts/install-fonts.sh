#!/usr/bin/env bash
# Installs the fonts the README's screenshots need when they are missing: the pages speak
# Thai and Chinese (Simplified, and Traditional as written in Hong Kong), and a machine
# with only Latin fonts draws those as empty boxes. Debian's Noto CJK and TLWG Thai fonts.
# Only `make screenshots` needs them; the browser tests compare text, not pixels.
set -euo pipefail

if command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=th)" ] && [ -n "$(fc-list :lang=zh-hk)" ]; then
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "install-fonts: Thai or Chinese fonts are missing and apt-get is not available;" >&2
	echo "install fonts for Thai and Chinese yourself, or the screenshots will show empty boxes" >&2
	exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi

echo "install-fonts: installing Debian's fonts-noto-cjk and fonts-thai-tlwg (for the screenshots)"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends fonts-noto-cjk fonts-thai-tlwg >/dev/null
