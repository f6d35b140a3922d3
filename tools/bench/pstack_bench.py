#!/usr/bin/env python3
"""pstack on a 50-thread process against eu-stack (elfutils), in one run.

The target (pstack_target 50: a main thread blocked in read(), 50 workers in
nanosleep) is pinned to CPU 1 and the stack tools to CPU 0. Each round runs
`bpfscope pstack PID -j` and `eu-stack -p PID`, interleaved; the medians of
the whole-command wall time are compared as a ratio, and pstack's own report
gives the longest time one thread was held stopped (eu-stack holds every thread
of the process stopped for its whole run).

Usage (root): tools/bench/pstack_bench.py [--build build] [--rounds 7] [--threads 50]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def timed(command):
    start = time.perf_counter()
    result = subprocess.run(["taskset", "-c", "0"] + command, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {result.stderr.strip()}")
    return elapsed, result.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "../../build"))
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=50)
    args = parser.parse_args()
    target = subprocess.Popen(["taskset", "-c", "1", f"{args.build}/bin/pstack_target",
                               str(args.threads)], stdout=subprocess.PIPE, text=True)
    try:
        if not target.stdout.readline().startswith("ready"):
            sys.exit("pstack_bench: the target did not start")
        time.sleep(0.2)  # let the workers reach their sleep
        pid = str(target.pid)
        ours, reference, holds, captures = [], [], [], []
        for _ in range(args.rounds):
            elapsed, out = timed([f"{args.build}/bin/bpfscope", "pstack", pid, "-j"])
            header = json.loads(out)["header"]
            ours.append(elapsed)
            holds.append(header["longest_hold"])
            captures.append(header["elapsed"])
            elapsed, _ = timed(["eu-stack", "-p", pid])
            reference.append(elapsed)
    finally:
        target.kill()
        target.wait()
    ours_ms = statistics.median(ours) * 1e3
    reference_ms = statistics.median(reference) * 1e3
    print(f"threads: {args.threads + 1}, rounds: {args.rounds}")
    print(f"bpfscope pstack  wall {ours_ms:7.1f} ms (capture {statistics.median(captures):.1f} ms), "
          f"longest hold of one thread {statistics.median(holds):.2f} ms (max {max(holds):.2f})")
    print(f"eu-stack         wall {reference_ms:7.1f} ms (every thread held for the whole run)")
    print(f"ratio bpfscope/eu-stack: {ours_ms / reference_ms:.2f}x")


if __name__ == "__main__":
    main()
