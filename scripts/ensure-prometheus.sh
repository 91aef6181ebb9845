#!/usr/bin/env bash
# Make promtool and prometheus available: install Debian's `prometheus` package when they are
# missing and this machine allows it; otherwise print a one-line hint and fail.
set -euo pipefail
if command -v promtool >/dev/null && command -v prometheus >/dev/null; then
  exit 0
fi
hint="promtool/prometheus not found: install them (Debian/Ubuntu: sudo apt-get install --no-install-recommends prometheus; elsewhere: https://prometheus.io/download/) and re-run."
if command -v apt-get >/dev/null && [[ $(id -u) -eq 0 ]]; then
  echo "installing Debian's prometheus package (promtool + prometheus)..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  # The package starts a system service where an init system runs; the tests start their own.
  if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
    systemctl stop prometheus || true
  fi
  command -v promtool >/dev/null && command -v prometheus >/dev/null && exit 0
fi
echo "$hint" >&2
exit 1
