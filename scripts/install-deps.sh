#!/usr/bin/env bash
# Installs every Debian 12 package forage needs to build, test and benchmark.
# Idempotent: does nothing when everything is already there.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config python3
  libuv1-dev libcurl4-openssl-dev libgumbo-dev libfmt-dev doctest-dev
  libcli11-dev nlohmann-json3-dev libtomlplusplus-dev libsqlite3-dev libssl-dev zlib1g-dev libre2-dev curl
  ccache clang libfuzzer-14-dev
  redis-server libhiredis-dev nginx-light openssl tinyproxy librsvg2-bin
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "forage: installing ${missing[*]}" >&2
# redis-server, nginx-light and tinyproxy are for the tests, which start their
# own on free loopback ports: keep the packages from starting system services
# (ports 6379, 80, 8888) while they install, unless a policy already decides.
POLICY=/usr/sbin/policy-rc.d
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" > /dev/null
  $SUDO chmod 755 "$POLICY"
  trap '$SUDO rm -f "$POLICY"' EXIT
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
