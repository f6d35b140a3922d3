#!/usr/bin/env python3
"""Per-context-switch cost of bpfscope taskstat, in one run, as ratios.

Workload: `perf bench sched pipe -l N` pinned to CPU 1 (two processes ping-pong
over pipes: 2 context switches per loop), measured by the CPU time of its processes. Configurations, interleaved round by
round, median per configuration: untraced, bpfscope taskstat, libbpf-tools'
runqlat (/usr/sbin/runqlat) and bpfscope runqlat for scale. Tracers on CPU 0.

Target: taskstat's added cost per context switch <= 0.5x libbpf-tools runqlat's.
Usage (root): tools/bench/taskstat_bench.py [--build build] [--rounds 5] [--loops 200000]
"""
import argparse
import os
import re
import resource
import statistics
import subprocess
import sys

from tracers import start_tracer, stop_tracer


def run_workload(loops):
    """CPU time (user + system, ns) of the two ping-pong processes: the tracers'
    sched_switch programs run in them; waiting for other tenants does not count."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(["taskset", "-c", "1", "perf", "bench", "sched", "pipe", "-l", str(loops)],
                   check=True, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return 1e9 * ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "../../build"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--loops", type=int, default=200000)
    options = parser.parse_args()
    bpfscope = f"{os.path.abspath(options.build)}/bin/bpfscope"
    tracers = {
        "taskstat": ([bpfscope, "taskstat"], r"Tracing\.\.\.", "stderr"),
        "libbpf-tools runqlat": (["stdbuf", "-oL", "/usr/sbin/runqlat"], r"^Tracing run queue", "stdout"),
        "bpfscope runqlat": ([bpfscope, "runqlat"], r"Tracing\.\.\.", "stderr"),
    }
    switches = 2 * options.loops
    samples = {name: [] for name in ["none"] + list(tracers)}
    for _ in range(options.rounds):
        samples["none"].append(run_workload(options.loops))
        for name, (command, ready, stream) in tracers.items():
            proc = start_tracer(command, ready, stream)
            try:
                samples[name].append(run_workload(options.loops))
            finally:
                stop_tracer(proc)
    base = statistics.median(samples["none"])
    added = {name: (statistics.median(samples[name]) - base) / switches for name in tracers}
    print(f"ns per context switch, median of {options.rounds} rounds (workload CPU 1, tracer CPU 0)")
    print(f"  untraced {base / switches:.1f}")
    for name in tracers:
        print(f"  {name:22} added {added[name]:8.1f}")
    print(f"taskstat / libbpf-tools runqlat: {added['taskstat'] / added['libbpf-tools runqlat']:.2f} (target <= 0.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
