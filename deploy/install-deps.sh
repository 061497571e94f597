#!/usr/bin/env bash
# Installs every Debian 12 package pgtally needs to build, test, benchmark and demo.
# Idempotent: asks apt only for what is missing. Run as root.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build g++ clang clang-tidy clang-format libclang-rt-14-dev
  pkg-config ca-certificates openssl util-linux iproute2
  # libraries
  libpq-dev libpg-query-dev libboost-dev libssl-dev libspdlog-dev libfmt-dev
  nlohmann-json3-dev libcli11-dev libinih-dev libgtest-dev libgmock-dev libbenchmark-dev
  # real peers for tests and benchmarks
  postgresql-15 postgresql-client-15 postgresql-contrib pgbouncer prometheus
  # real clients for tests
  openjdk-17-jdk-headless libpostgresql-jdbc-java python3 python3-psycopg python3-psycopg2
  nodejs chromium
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# npm comes with the nodejs package on some images and as its own package on others.
if ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages (${missing[*]}); run as root to install them" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
