#!/usr/bin/env bash
# Install the Debian 12 packages cogov builds and tests with (idempotent).
set -euo pipefail
PKGS=(build-essential cmake pkg-config libzmq3-dev libprotobuf-c-dev
      protobuf-c-compiler libsqlite3-dev libuv1-dev libcmocka-dev sqlite3
      clang clang-format libclang-rt-14-dev libsystemd-dev systemd dpkg-dev fakeroot
      iproute2 libseccomp-dev)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
