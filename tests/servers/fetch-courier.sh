#!/usr/bin/env bash
# Put Debian's Courier-IMAP where tests/courier.py runs it from, beside an installed Dovecot.
#
# Why not `apt-get install courier-imap`: it conflicts with dovecot-imapd (both provide the
# imap-server virtual package) and Dovecot must stay. So the Courier packages are downloaded and
# unpacked into a private folder (dpkg-deb -x, no maintainer scripts, nothing registered with
# dpkg); tests/courier.py runs its imapd from there. The libraries it links against conflict with
# nothing and are installed normally, and so is gamin: imapd's file-change notification (FAM)
# finds gam_server only at its compiled-in /usr/libexec path, and without it every session opens
# with an "[ALERT] Filesystem notification initialization error" a real Debian install never shows.
#
# Usage: tests/servers/fetch-courier.sh [PREFIX]   (default: $COURIER_PREFIX or
# /opt/followup-test/courier). Idempotent: does nothing when PREFIX/usr/bin/imapd is there.
# Needs root (apt-get). Exit status 0 on success; anything else means "could not fetch".
set -euo pipefail
prefix="${1:-${COURIER_PREFIX:-/opt/followup-test/courier}}"
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-y -qq --no-install-recommends -o DPkg::Lock::Timeout=300)
# two pytest workers may call this at once: one fetches, the other waits and finds it done
mkdir -p "$(dirname "$prefix")"
exec 9>"$prefix.lock"
flock 9

libs=(libidn12 libcourier-unicode4 libgamin0 gamin)
missing=()
for p in "${libs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get install "${apt_opts[@]}" "${missing[@]}" >/dev/null \
    || { apt-get update -qq && apt-get install "${apt_opts[@]}" "${missing[@]}" >/dev/null; }
fi

if [ -x "$prefix/usr/bin/imapd" ]; then
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"  # apt's download sandbox user (_apt) writes here
pkgs=(courier-imap courier-base courier-authlib)
(cd "$work" && { apt-get download "${pkgs[@]}" 2>/dev/null \
  || { apt-get update -qq && apt-get download "${pkgs[@]}"; }; })
mkdir -p "$work/root"
for deb in "$work"/*.deb; do
  dpkg-deb -x "$deb" "$work/root"
done
# move into place in one step, so a half-unpacked folder is never taken for a whole one
rm -rf "$prefix.tmp"
mv "$work/root" "$prefix.tmp"
mv -T "$prefix.tmp" "$prefix"
echo "Courier-IMAP unpacked into $prefix"
