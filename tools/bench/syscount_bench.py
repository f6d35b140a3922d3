#!/usr/bin/env python3
"""Per-syscall cost of bpfscope syscount, in one run, as ratios.

Workload: `sleeper --syscalls N` (N getppid calls) pinned to CPU 1, measured
by its CPU time (getrusage of the children: the tracer's programs run in the
traced task; waiting for other tenants of the shared machine does not count). Configurations, interleaved round by round, median per
configuration:
  none          untraced
  bpfscope      bpfscope syscount (counts, errors, latency histograms)
  libbpf-tools  /usr/sbin/syscount -L (counts and total latency)
  strace        the workload under `strace -f -c` (its slowdown)
Tracers run on CPU 0. After each tracer is ready a short warm-up run goes first
(bpfscope learns the syscall's name on its first calls, then detaches the
learner; the warm-up is run for every tracer alike).

Targets: bpfscope <= 0.7x libbpf-tools' added cost, <= 0.05x strace's.
Usage (root): tools/bench/syscount_bench.py [--build build] [--rounds 5] [--syscalls 1000000]
"""
import argparse
import os
import re
import resource
import statistics
import subprocess
import sys

from tracers import start_tracer, stop_tracer
import time


def run_workload(build, calls, prefix=()):
    """CPU time (user + system, ns) the workload (and what it runs under) used. The
    tracer's programs run in the traced task, so their cost is in it; time the
    workload spends waiting for other tenants of a shared CPU is not."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(list(prefix) + ["taskset", "-c", "1", f"{build}/bin/sleeper", "--syscalls", str(calls)],
                   check=True, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return 1e9 * ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "../../build"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--syscalls", type=int, default=1000000)
    parser.add_argument("--strace-syscalls", type=int, default=100000,
                        help="strace is slow: fewer calls under it (cost is per call)")
    options = parser.parse_args()
    build = os.path.abspath(options.build)
    bpfscope = f"{build}/bin/bpfscope"
    tracers = {
        "bpfscope": ([bpfscope, "syscount"], r"Tracing\.\.\.", "stderr"),
        "libbpf-tools": (["stdbuf", "-oL", "/usr/sbin/syscount", "-L"], r"^Tracing syscalls", "stdout"),
    }
    per_call = {name: [] for name in ["none", "none-small", "strace"] + list(tracers)}
    for _ in range(options.rounds):
        per_call["none"].append(run_workload(build, options.syscalls) / options.syscalls)
        for name, (command, ready, stream) in tracers.items():
            proc = start_tracer(command, ready, stream)
            try:
                run_workload(build, 10000)  # warm-up (see above)
                time.sleep(0.3)
                per_call[name].append(run_workload(build, options.syscalls) / options.syscalls)
            finally:
                stop_tracer(proc)
        per_call["none-small"].append(run_workload(build, options.strace_syscalls) / options.strace_syscalls)
        per_call["strace"].append(
            run_workload(build, options.strace_syscalls, ["strace", "-f", "-c", "-o", "/dev/null", "--"])
            / options.strace_syscalls)
    median = {name: statistics.median(v) for name, v in per_call.items()}
    added = {name: median[name] - median["none"] for name in tracers}
    added["strace"] = median["strace"] - median["none-small"]
    print(f"CPU ns per getppid call, median of {options.rounds} rounds (workload CPU 1, tracer CPU 0)")
    print(f"  untraced {median['none']:.1f}")
    for name in ["bpfscope", "libbpf-tools", "strace"]:
        print(f"  {name:13} added {added[name]:10.1f}")
    print(f"bpfscope / libbpf-tools syscount -L: {added['bpfscope'] / added['libbpf-tools']:.2f} (target <= 0.7)")
    print(f"bpfscope / strace -c:               {added['bpfscope'] / added['strace']:.4f} (target <= 0.05)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
