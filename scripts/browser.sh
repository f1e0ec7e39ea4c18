#!/usr/bin/env bash
# The browser for the web chat's end-to-end tests: Debian's chromium package (no browser download), and
# Debian's colour emoji font, so the widget's 👍/👎 buttons show as thumbs in the screenshots (not boxes).
set -euo pipefail
BROWSER=${HELPDESK_CHROMIUM:-/usr/bin/chromium}
EMOJI_FONT=/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf
if [ -x "$BROWSER" ]; then
  if [ ! -f "$EMOJI_FONT" ] && command -v apt-get >/dev/null 2>&1; then
    # Only the screenshots need it: without root, sudo or the package the tests still run.
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO="sudo -n"; fi
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends fonts-noto-color-emoji \
      >/dev/null 2>&1 || echo "setup: no colour emoji font (fonts-noto-color-emoji): the screenshots show boxes for 👍/👎." >&2
  fi
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: the web chat tests need Chromium at $BROWSER; install it, or set HELPDESK_CHROMIUM to its path." >&2
  exit 1
fi
exec bash "$(dirname "$0")/debian_install.sh" "the browser tests" chromium fonts-noto-color-emoji
