#!/usr/bin/env bash
# Installs Debian packages for one of the install-*.sh scripts, which decide first whether
# anything is missing:
#
#	apt-install.sh <name> <what is missing> <what to do without apt-get> <what needs it> <package>...
#
# Without apt-get it says what is missing and how to go on, and fails; as a user other
# than root it installs through sudo.
set -euo pipefail

name=$1 missing=$2 otherwise=$3 why=$4
shift 4

if ! command -v apt-get >/dev/null 2>&1; then
	echo "$name: $missing and apt-get is not available;" >&2
	echo "$otherwise" >&2
	exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi

echo "$name: installing Debian's $* ($why)"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
