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
exec bash "$(dirname "$0")/debian_install.sh" "the cluster and its tests" "${missing[@]}"
