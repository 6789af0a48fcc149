#!/usr/bin/env bash
# Installs the Debian 12 packages padlock needs. Idempotent: installs only
# what is missing, and says what it installs. Run as root (CI and the
# development machines run as root).
#
#   scripts/deps.sh              everything: building, running and testing
#   scripts/deps.sh --runtime    only building and running padlock (make demo)
#   scripts/deps.sh --tests      only what the tests add (peers, tools)
#   scripts/deps.sh [...] --list print the packages, install nothing
set -euo pipefail

# Building padlock and running it: the compiler and CMake, the libraries
# it links, python3 for the man pages, the CA bundle `padlock get` and
# `padlock check` trust, the Public Suffix List (no wildcard over a
# registry), certutil for `padlock cert --install`, and curl,
# which `make demo` shows the server to.
runtime=(
  build-essential cmake pkg-config python3
  libssl-dev libjansson-dev libsystemd-dev libconfuse-dev libseccomp-dev
  libnghttp2-dev
  ca-certificates publicsuffix libnss3-tools curl
)
# What the tests add: real peers (openssl, gnutls, Python's ssl, Chromium,
# testssl.sh), the fuzzing toolchain, packet decryption, fake time,
# valgrind, network namespaces and firewalls, man(1) for the installed
# pages, ccache, pebble and pebble-challtestsrv (a real ACME CA and its DNS),
# python3-cryptography (tests/acme/fake_ca.py: a CA that offers ARI).
tests=(
  openssl gnutls-bin nghttp2-server tshark faketime valgrind gdb
  clang libclang-rt-14-dev llvm
  iproute2 nftables iptables
  chromium testssl.sh man-db ccache
  nghttp2-client python3-h2
  pebble python3-cryptography
  gunicorn python3-websockets haproxy h2o
)

which=all
list=false
for arg in "$@"; do
  case $arg in
    --runtime) which=runtime ;;
    --tests) which=tests ;;
    --list) list=true ;;
    *) echo "usage: scripts/deps.sh [--runtime | --tests] [--list]" >&2; exit 2 ;;
  esac
done
case $which in
  runtime) packages=("${runtime[@]}") ;;
  tests) packages=("${tests[@]}") ;;
  *) packages=("${runtime[@]}" "${tests[@]}") ;;
esac
case $which in
  runtime) label="runtime " ;;
  tests) label="test " ;;
  *) label="" ;;
esac

if $list; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#packages[@]} ${label}packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing packages: ${missing[*]}" >&2
  echo "deps: run 'sudo scripts/deps.sh${label:+ --$which}' to install them" >&2
  exit 1
fi

echo "deps: installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "deps: done"
