#!/usr/bin/env bash
# Make sure a Debian package a test needs is installed: ensure_debian_package.sh BINARY PACKAGE
# (the browser tests need chromium, the IMAP tests dovecot-imapd; both run their own
# instances, so a service the package starts is stopped again).
set -euo pipefail
binary="$1"
package="$2"
if [ -x "$binary" ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
  echo "$package is missing and this user cannot install it: run 'apt-get install $package' as root." >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "Installing Debian's $package for the tests…"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$package" >/dev/null
service="$(basename "$binary")"
if command -v systemctl >/dev/null && systemctl is-active --quiet "$service" 2>/dev/null; then
  $SUDO systemctl disable --now "$service" >/dev/null 2>&1 || true
fi
