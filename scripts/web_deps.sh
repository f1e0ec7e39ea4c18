#!/usr/bin/env bash
# Installs the web chat's browser dependency (socket.io-client, pinned in web/package-lock.json) with npm,
# when the lock file changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/../web"

STAMP=node_modules/.installed
want=$(sha256sum package.json package-lock.json | sha256sum | cut -d' ' -f1)
if [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ] && [ -f node_modules/socket.io-client/dist/socket.io.min.js ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "setup: npm is needed for the web chat's socket.io client; install Node.js (e.g. 'apt-get install nodejs npm')." >&2
  exit 1
fi
echo "setup: installing the web chat's socket.io client (npm ci)" >&2
if ! npm ci --no-audit --no-fund --loglevel=error >npm-install.log 2>&1; then
  tail -n 20 npm-install.log >&2
  echo "setup: npm ci failed; the whole log is in web/npm-install.log." >&2
  exit 1
fi
rm -f npm-install.log
echo "$want" > "$STAMP"
