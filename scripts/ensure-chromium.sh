#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests when it is missing and we may install it.
# Without it the browser tests are skipped with a visible reason, except under CI where they fail.
set -u
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo -n"
else
  echo "chromium is not installed and this user may not install it; browser tests will be skipped" \
       "(install it with: apt-get install chromium)" >&2
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium is missing and this is not a Debian system: install Chromium by hand" >&2
  exit 0
fi
echo "Installing Debian's chromium for the browser tests..." >&2
$SUDO apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
