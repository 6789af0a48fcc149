#!/usr/bin/env bash
# Installs every Debian 12 package that padlock's build and tests need.
# Idempotent: installs only what is missing, and says what it installs.
# Run as root (CI and the development machines run as root).
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libssl-dev openssl
  libjansson-dev libsystemd-dev libconfuse-dev
  clang libclang-rt-14-dev llvm
  gnutls-bin curl python3 tshark faketime
  ca-certificates iproute2 publicsuffix
  libnss3-tools chromium
  testssl.sh nftables iptables
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#packages[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing packages: ${missing[*]}" >&2
  echo "deps: run 'sudo scripts/deps.sh' to install them" >&2
  exit 1
fi

echo "deps: installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "deps: done"
