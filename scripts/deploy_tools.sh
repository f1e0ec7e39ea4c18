#!/usr/bin/env bash
# The tools tests/test_deploy.py checks deploy/ with, in a virtualenv of its own under .cache/ (their
# dependencies are newer than Rasa 3.6 allows in .venv): check-jsonschema, which carries the Compose
# specification's schema, and Kubernetes' official Python client, whose object models
# scripts/check_kubernetes.py checks the manifests against. Made once, or again when the pins below change.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS=.cache/deploy-tools
PIN="check-jsonschema==0.38.2 kubernetes==37.0.2"
if [ "$(cat "$TOOLS/.installed" 2>/dev/null)" = "$PIN" ] && [ -x "$TOOLS/bin/check-jsonschema" ]; then exit 0; fi
PYTHON=$(command -v python3 || command -v python3.10)
echo "setup: installing $PIN for the deployment checks (.cache/deploy-tools)" >&2
rm -rf "$TOOLS"
"$PYTHON" -m venv "$TOOLS"
if ! "$TOOLS/bin/python" -m pip install -q --disable-pip-version-check $PIN >"$TOOLS.log" 2>&1; then
  tail -n 20 "$TOOLS.log" >&2
  echo "setup: installing $PIN failed (log above)." >&2
  exit 1
fi
echo "$PIN" > "$TOOLS/.installed"
