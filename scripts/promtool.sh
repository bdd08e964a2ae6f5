#!/usr/bin/env bash
# `scripts/promtool.sh ARGS...` runs Prometheus's promtool with ARGS (the alert rules'
# check and unit tests, deploy/prometheus/); `scripts/promtool.sh --install` only makes sure
# it is there and prints its path.
#
# Which promtool: $SPW_PROMTOOL, else one on PATH, else .spillway/promtool/promtool, else it
# fetches Debian's `prometheus` package with `apt-get download` (no install: the package
# would also install and start the Prometheus daemon) and extracts only usr/bin/promtool
# into .spillway/promtool/. When the download fails because the package lists are missing
# (a fresh container), it runs `apt-get update` once, as root, and tries again.
# On failure it prints one line saying what to do and exits 1.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
local_bin="$root/.spillway/promtool/promtool"

fail() {
  echo "promtool.sh: $*; install Prometheus's promtool on PATH (Debian: the prometheus package), or set SPW_PROMTOOL" >&2
  exit 1
}

find_promtool() {
  if [ -n "${SPW_PROMTOOL:-}" ]; then
    echo "$SPW_PROMTOOL"
  elif command -v promtool >/dev/null; then
    command -v promtool
  elif [ -x "$local_bin" ]; then
    echo "$local_bin"
  else
    return 1
  fi
}

fetch_promtool() {
  command -v apt-get >/dev/null || fail "no promtool found and no apt-get to fetch it"
  command -v dpkg-deb >/dev/null || fail "no promtool found and no dpkg-deb to unpack it"
  local tmp
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/spw-promtool.XXXXXX") || fail "cannot create a temp directory"
  # apt's download sandbox user must be able to write here (else apt warns and downloads as root).
  chmod 0777 "$tmp"
  # shellcheck disable=SC2064 # $tmp is fixed now; expand it now.
  trap "rm -rf '$tmp'" EXIT
  echo "promtool.sh: fetching promtool from Debian's prometheus package into .spillway/promtool (once)" >&2
  if ! (cd "$tmp" && apt-get download -qq prometheus >"$tmp/apt.log" 2>&1); then
    # A fresh container has no package lists yet: read them once (root only), then retry.
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq >>"$tmp/apt.log" 2>&1 || fail "apt-get update failed ($(tail -n 1 "$tmp/apt.log"))"
      (cd "$tmp" && apt-get download -qq prometheus >>"$tmp/apt.log" 2>&1) ||
        fail "apt-get download prometheus failed ($(tail -n 1 "$tmp/apt.log"))"
    else
      fail "apt-get download prometheus failed ($(tail -n 1 "$tmp/apt.log")); as root this script would run apt-get update first"
    fi
  fi
  local deb
  deb=$(ls "$tmp"/prometheus_*.deb 2>/dev/null | head -n 1)
  [ -n "$deb" ] || fail "apt-get download left no prometheus_*.deb"
  # Only the one binary: the package's daemon, units and web assets are of no use here.
  mkdir -p "$tmp/x"
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp/x" ./usr/bin/promtool ||
    fail "could not extract usr/bin/promtool from $(basename "$deb")"
  mkdir -p "$(dirname "$local_bin")"
  # Rename into place: two runs fetching at once never leave a half-written binary.
  mv -f "$tmp/x/usr/bin/promtool" "$local_bin.$$" && mv -f "$local_bin.$$" "$local_bin" ||
    fail "could not write $local_bin"
  "$local_bin" --version >/dev/null 2>&1 || fail "the extracted $local_bin does not run"
  echo "$local_bin"
}

# Asked for one by name: that one or none.
if [ -n "${SPW_PROMTOOL:-}" ] && [ ! -x "$SPW_PROMTOOL" ]; then
  fail "SPW_PROMTOOL=$SPW_PROMTOOL is not an executable"
fi
promtool=$(find_promtool) || promtool=$(fetch_promtool) || exit 1

if [ "${1:-}" = --install ]; then
  echo "$promtool"
  exit 0
fi
exec "$promtool" "$@"
