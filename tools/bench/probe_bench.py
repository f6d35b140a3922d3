#!/usr/bin/env python3
"""Per-event cost of the probe tools against bpftrace and an empty program, in one run, as ratios.

Four comparisons (issue 10's goals):
  trace       uprobe on probe_target:probe_add printing its 2 args (`probe_target --busy N`)
              vs bpftrace `printf("%d %d\\n", arg0, arg1)`                        goal <= 1.1
  funccount   tracepoint raw_syscalls:sys_enter (`sleeper --syscalls N`)
              vs bpftrace `@ = count()`                                          goal <= 0.7
  stackcount  the same tracepoint, kernel and user stacks
              vs bpftrace `@[kstack, ustack] = count()`                          goal <= 0.8
  filter      the same tracepoint, every event rejected by a kernel-side filter
              (argdist --filter 'pid == 1') vs an empty raw_tp program (probe_floor)  goal <= 1.3
Each workload runs untraced and under each tracer; the workload is pinned to CPU 1 and the tracers to
CPU 0, rounds are interleaved and medians used. The cost per event is (traced - untraced) / events.
Tracer output is drained by this script for every tracer alike.

Usage (root): tools/bench/probe_bench.py [--build build] [--rounds 5]
"""
import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from funclatency_bench import start_tracer  # noqa: E402  (the house helper: waits for readiness)


def run_workload(command):
    out = subprocess.run(["taskset", "-c", "1"] + command, check=True, capture_output=True,
                         text=True).stdout
    return int(re.search(r"loop_ns: (\d+)", out).group(1))


def drain(stream):
    for _ in stream:
        pass


class Tracer:
    """A tracer on CPU 0, attached, its stdout and stderr drained until it stops."""

    def __init__(self, command, ready, stream):
        self.proc = start_tracer(command, ready, stream)
        self.threads = [threading.Thread(target=drain, args=(s,), daemon=True)
                        for s in (self.proc.stdout, self.proc.stderr)]
        for thread in self.threads:
            thread.start()

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for thread in self.threads:
            thread.join(timeout=10)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "../../build"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--uprobe-calls", type=int, default=100000)
    parser.add_argument("--syscalls", type=int, default=500000)
    options = parser.parse_args()
    build = os.path.abspath(options.build)
    bpfscope = f"{build}/bin/bpfscope"
    target = f"{build}/bin/probe_target"
    sleeper = f"{build}/bin/sleeper"
    floor = f"{build}/bin/probe_floor"
    subprocess.run([bpfscope, "caps"], check=True, capture_output=True)  # mounts tracefs if needed
    ours = r"Tracing\.\.\. Hit Ctrl-C"
    theirs = r"^Attaching"

    uprobe_workload = ([target, "--busy", str(options.uprobe_calls)], options.uprobe_calls)
    syscall_workload = ([sleeper, "--syscalls", str(options.syscalls)], options.syscalls)
    # name -> (workload, {variant: (command, ready pattern, stream)}, goal, ours, reference)
    comparisons = {
        "trace": (uprobe_workload, {
            "bpfscope": ([bpfscope, "trace", f"{target}:probe_add", '"%d %d", arg1, arg2'],
                         ours, "stderr"),
            "bpftrace": (["bpftrace", "-e",
                          f'uprobe:{target}:probe_add {{ printf("%d %d\\n", arg0, arg1); }}'],
                         theirs, "stdout"),
        }, 1.1),
        "funccount": (syscall_workload, {
            "bpfscope": ([bpfscope, "funccount", "t:raw_syscalls:sys_enter"], ours, "stderr"),
            "bpftrace": (["bpftrace", "-e", "tracepoint:raw_syscalls:sys_enter { @ = count(); }"],
                         theirs, "stdout"),
        }, 0.7),
        "stackcount": (syscall_workload, {
            "bpfscope": ([bpfscope, "stackcount", "t:raw_syscalls:sys_enter"], ours, "stderr"),
            "bpftrace": (["bpftrace", "-e",
                          "tracepoint:raw_syscalls:sys_enter { @[kstack, ustack] = count(); }"],
                         theirs, "stdout"),
        }, 0.8),
        "filter": (syscall_workload, {
            "bpfscope": ([bpfscope, "argdist", "t:raw_syscalls:sys_enter", "--count", "cpu",
                          "--filter", "pid == 1"], ours, "stderr"),
            "floor": ([floor, "raw_tp", "sys_enter"], r"^ready", "stdout"),
        }, 1.3),
    }

    results = {}
    for name, ((workload, events), tracers, goal) in comparisons.items():
        samples = {variant: [] for variant in ["none"] + list(tracers)}
        for _ in range(options.rounds):
            samples["none"].append(run_workload(workload))
            for variant, (command, ready, stream) in tracers.items():
                tracer = Tracer(command, ready, stream)
                try:
                    samples[variant].append(run_workload(workload))
                finally:
                    tracer.stop()
        base = statistics.median(samples["none"])
        added = {v: (statistics.median(s) - base) / events for v, s in samples.items() if v != "none"}
        reference = "bpftrace" if "bpftrace" in added else "floor"
        results[name] = (base / events, added, reference, goal)
        time.sleep(0.2)

    print(f"added ns per event (median of {options.rounds} rounds; workload on CPU 1, tracer on CPU 0)")
    print(f"{'comparison':11} {'untraced':>9} {'bpfscope':>10} {'reference':>22} {'ratio':>7} {'goal':>6}")
    for name, (base, added, reference, goal) in results.items():
        ratio = added["bpfscope"] / added[reference] if added[reference] > 0 else float("inf")
        verdict = "met" if ratio <= goal else "MISSED"
        print(f"{name:11} {base:9.1f} {added['bpfscope']:10.1f} {reference + ' ' + format(added[reference], '.1f'):>22} "
              f"{ratio:7.2f} {goal:6.1f}  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
