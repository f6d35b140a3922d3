#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite: unit, integration (root, the
# real kernel) and vm (a stock kernel under qemu). Extra arguments go to ctest,
# e.g. scripts/test.sh -L unit.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
cd build
# -j2: unit tests and the VM batches (two guests at once) run in parallel; the
# integration tests are RUN_SERIAL, each alone on the kernel.
ctest --output-on-failure --timeout 900 -j2 "$@"
