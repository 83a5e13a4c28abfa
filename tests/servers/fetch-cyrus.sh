#!/usr/bin/env bash
# Fetch Debian's Cyrus IMAP into a private folder for tests/cyrus.py (idempotent).
#
# Why not `apt-get install cyrus-imapd`: it conflicts with dovecot-imapd (both provide
# imap-server) and Dovecot must stay. So the two packages are downloaded and unpacked with
# `dpkg-deb -x` (no maintainer scripts run, nothing registered with dpkg), and the daemon runs
# from there with a generated config. The shared libraries it needs that are not part of the
# base system (and conflict with nothing) are installed normally when we are root.
#
# Usage: fetch-cyrus.sh [DEST]   (default: $FOLLOWUP_CYRUS_ROOT or
#        /var/cache/followup-agent-tests/cyrus). Prints DEST on success.
set -euo pipefail
dest="${1:-${FOLLOWUP_CYRUS_ROOT:-/var/cache/followup-agent-tests/cyrus}}"
bin="$dest/usr/lib/cyrus/bin/master"
libs=(libical3 libpcre3 libxapian30)
mkdir -p "$(dirname "$dest")"
exec 9>"$dest.lock"
flock 9  # two pytest workers may call this at once

missing_libs=()
for pkg in "${libs[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing_libs+=("$pkg")
done
if [ ${#missing_libs[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "fetch-cyrus: need root to install ${missing_libs[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${missing_libs[@]}" >/dev/null 2>&1 || {
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing_libs[@]}" >/dev/null
  }
fi

if [ ! -x "$bin" ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  chmod 755 "$work"  # apt-get download drops privileges to _apt, which must write here
  (cd "$work" && { apt-get download cyrus-imapd cyrus-common >/dev/null 2>&1 || {
      apt-get update -qq && apt-get download cyrus-imapd cyrus-common >/dev/null; }; })
  mkdir -p "$dest.tmp"
  for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$dest.tmp"; done
  rm -rf "$dest"
  mv "$dest.tmp" "$dest"
fi
chmod 755 "$dest"
echo "$dest"
