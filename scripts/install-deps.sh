#!/usr/bin/env bash
# Installs every Debian package bpfscope needs to build, test and benchmark.
# Usage (as root on Debian 12): scripts/install-deps.sh
set -euo pipefail
if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps.sh: must run as root (apt-get install)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
packages=(
  # build
  build-essential cmake clang-14 llvm-14 bpftool pkg-config ccache
  libbpf-dev libelf-dev libdw-dev zlib1g-dev
  libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libprotobuf-dev protobuf-compiler
  libcpp-httplib-dev libyaml-cpp-dev
  # tests and benchmarks (anchors and real consumers)
  linux-perf trace-cmd bpftrace libbpf-tools util-linux procps
  qemu-system-x86 busybox-static cpio xz-utils
  golang-go chromium python3 libxml2-utils time bc
  elfutils  # eu-stack, the reference for pstack
  strace  # the reference for syscount
  prometheus
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
