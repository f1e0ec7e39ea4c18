#!/usr/bin/env bash
# Installs Debian packages for the set-up scripts (browser.sh, cluster_deps.sh): as root, or with sudo when it
# asks no password; never starts a service the packages bring (policy-rc.d). Says what to run otherwise.
# Usage: debian_install.sh "what needs them" PACKAGE...
set -euo pipefail
purpose=$1
shift
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: $purpose need $*; install them with your package manager, then try again." >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "setup: $purpose need Debian's $*: run 'sudo apt-get install $*', then try again." >&2
    exit 1
  fi
fi
echo "setup: installing Debian's $* for $purpose (one-off)" >&2
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null && $SUDO chmod +x "$policy"
  trap '$SUDO rm -f "$policy"' EXIT  # also when interrupted
fi
log=$(mktemp)
if ! { $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "$@"; } >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  echo "setup: installing $* failed (log above)." >&2
  exit 1
fi
rm -f "$log"
