#!/usr/bin/env bash
# Make sure Debian's Dovecot IMAP server is installed for the email channel's tests (they
# start their own unprivileged instance on a free port; the system service is not used).
set -euo pipefail
if [ -x /usr/sbin/dovecot ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
  echo "Dovecot is missing and this user cannot install it: run 'apt-get install dovecot-imapd' as root." >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "Installing Debian's dovecot-imapd for the IMAP tests…"
$SUDO apt-get update -qq
# The package's own service is not wanted: the tests run their own instance.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq dovecot-imapd >/dev/null
if command -v systemctl >/dev/null && systemctl is-active --quiet dovecot 2>/dev/null; then
  $SUDO systemctl disable --now dovecot >/dev/null 2>&1 || true
fi
