#!/usr/bin/env bash
# The servers of the scale-out (README "Several servers"): Debian's Postgres, Redis and HAProxy, for
# `make run-cluster` and for the tests that run on them. Installed once if missing; never started here
# (bot/ops/cluster.py starts its own, with data directories under var/).
set -euo pipefail
missing=()
[ -x /usr/lib/postgresql/15/bin/postgres ] || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: the cluster needs ${missing[*]}; install them with your package manager, then try again." >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "setup: the cluster needs Debian's ${missing[*]}: run 'sudo apt-get install ${missing[*]}', then try again." >&2
    exit 1
  fi
fi
echo "setup: installing Debian's ${missing[*]} for the cluster (one-off; none of them is started as a service)" >&2
log=$(mktemp)
# policy-rc.d 101: the packages must not start their own system-wide servers on install.
policy=/usr/sbin/policy-rc.d
created_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null && $SUDO chmod +x "$policy" && created_policy=1
  trap '$SUDO rm -f "$policy"' EXIT  # also when interrupted
fi
status=0
{ $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"; } >"$log" 2>&1 || status=$?
[ -n "$created_policy" ] && $SUDO rm -f "$policy"
if [ $status -ne 0 ]; then
  tail -n 20 "$log" >&2
  echo "setup: installing ${missing[*]} failed (log above)." >&2
  exit 1
fi
rm -f "$log"
