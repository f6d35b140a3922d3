#!/usr/bin/env bash
# Sets up, builds and runs the flagship job on its built-in workload: the cost
# of reading memory.stat (rstat flush path) on this kernel.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
build/bin/bpfscope memcg
