#!/usr/bin/env bash
# Sets up, builds and runs the flagship job on its built-in workload: the cost
# of reading memory.stat (rstat flush path) on this kernel.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
build/bin/bpfscope funclatency -u -d 6 \
    cgroup:cgroup_rstat_locked..cgroup:cgroup_rstat_unlock \
    syscalls:sys_enter_read..syscalls:sys_exit_read &
tracer=$!
sleep 1.5
build/bin/readstats --count 20000
wait "$tracer"
