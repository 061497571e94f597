#!/usr/bin/env bash
# Installs every Debian 12 package pgtally needs to build, test, benchmark and demo.
# Idempotent: asks apt only for what is missing. Run as root.
#   install-deps.sh         everything
#   install-deps.sh build   only what compiling pgtally needs (deploy/Dockerfile's build stage)
set -euo pipefail

build_packages=(
  build-essential cmake ninja-build g++ pkg-config ca-certificates
  libpq-dev libpg-query-dev libboost-dev libssl-dev libspdlog-dev libfmt-dev
  nlohmann-json3-dev libcli11-dev libinih-dev libgtest-dev libgmock-dev libbenchmark-dev
)
other_packages=(
  # checks and fuzzing
  clang clang-tidy clang-format libclang-rt-14-dev openssl util-linux iproute2
  # real peers for tests and benchmarks; promtool (prometheus) checks the alert rules
  postgresql-15 postgresql-client-15 postgresql-contrib pgbouncer prometheus
  # deployment file checks: YAML parsing, systemd-analyze verify, `docker-compose config` (1.29
  # validates compose.yml without a Docker engine)
  python3-yaml systemd docker-compose
  # real clients for tests
  openjdk-17-jdk-headless libpostgresql-jdbc-java python3 python3-psycopg python3-psycopg2
  nodejs chromium
)

case "${1:-all}" in
  build) packages=("${build_packages[@]}") ;;
  all) packages=("${build_packages[@]}" "${other_packages[@]}") ;;
  *)
    echo "usage: $0 [build|all]" >&2
    exit 2
    ;;
esac

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# npm comes with the nodejs package on some images and as its own package on others.
if [ "${1:-all}" = all ] && ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi

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
