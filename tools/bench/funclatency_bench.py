#!/usr/bin/env python3
"""Per-event overhead of funclatency, in one run, as ratios.

Two hooks:
  uprobe   sleeper:busy_call (uprobe + uretprobe), workload `sleeper --busy N`
  bracket  raw_syscalls:sys_enter..raw_syscalls:sys_exit, workload `sleeper --syscalls N`
Each is measured untraced, under an empty BPF program on the same hooks
(probe_floor), under bpfscope funclatency and under bpftrace doing the same
histogram. The workload is pinned to CPU 1 and the tracers to CPU 0; rounds
are interleaved and the median per configuration is used.

Usage (root): tools/bench/funclatency_bench.py [--build build] [--rounds 5]
"""
import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import time


def run_workload(args, build):
    out = subprocess.run(["taskset", "-c", "1", f"{build}/bin/sleeper"] + args,
                         check=True, capture_output=True, text=True).stdout
    return int(re.search(r"loop_ns: (\d+)", out).group(1))


def start_tracer(command, ready_pattern, stream):
    proc = subprocess.Popen(["taskset", "-c", "0"] + command, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    source = proc.stdout if stream == "stdout" else proc.stderr
    deadline = time.time() + 30
    seen = ""
    while time.time() < deadline:
        line = source.readline()
        if not line:
            raise RuntimeError(f"tracer exited before attaching: {' '.join(command)}\n{seen}")
        seen += line
        if re.search(ready_pattern, line):
            time.sleep(0.3)  # let the last probes settle
            return proc
    proc.kill()
    raise RuntimeError(f"tracer did not attach in time: {' '.join(command)}")


def stop_tracer(proc):
    proc.send_signal(signal.SIGINT)
    try:
        proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "../../build"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--uprobe-calls", type=int, default=200000)
    parser.add_argument("--syscalls", type=int, default=1000000)
    options = parser.parse_args()
    build = os.path.abspath(options.build)
    sleeper = f"{build}/bin/sleeper"
    bpfscope = f"{build}/bin/bpfscope"
    floor = f"{build}/bin/probe_floor"
    subprocess.run([bpfscope, "caps"], check=True, capture_output=True)  # mounts tracefs if needed

    hooks = {
        "uprobe": {
            "workload": ["--busy", str(options.uprobe_calls)],
            "events": options.uprobe_calls,
            "tracers": {
                "floor": ([floor, "uprobe", sleeper, "busy_call"], r"^ready", "stdout"),
                "bpfscope": ([bpfscope, "funclatency", f"{sleeper}:busy_call"], r"^Tracing", "stderr"),
                "bpfscope-no-ovh": ([bpfscope, "funclatency", "--no-overhead", f"{sleeper}:busy_call"],
                                    r"^Tracing", "stderr"),
                "bpftrace": (["bpftrace", "-e",
                              f"uprobe:{sleeper}:busy_call {{ @s[tid] = nsecs; }} "
                              f"uretprobe:{sleeper}:busy_call /@s[tid]/ "
                              f"{{ @h = hist(nsecs - @s[tid]); delete(@s[tid]); }}"],
                             r"^Attaching", "stdout"),
            },
        },
        "bracket": {
            "workload": ["--syscalls", str(options.syscalls)],
            "events": options.syscalls,
            "tracers": {
                "floor": ([floor, "raw_tp", "sys_enter", "sys_exit"], r"^ready", "stdout"),
                "bpfscope": ([bpfscope, "funclatency", "raw_syscalls:sys_enter..raw_syscalls:sys_exit"],
                             r"^Tracing", "stderr"),
                "bpfscope-no-ovh": ([bpfscope, "funclatency", "--no-overhead",
                                     "raw_syscalls:sys_enter..raw_syscalls:sys_exit"], r"^Tracing", "stderr"),
                "bpftrace": (["bpftrace", "-e",
                              "tracepoint:raw_syscalls:sys_enter { @s[tid] = nsecs; } "
                              "tracepoint:raw_syscalls:sys_exit /@s[tid]/ "
                              "{ @h = hist(nsecs - @s[tid]); delete(@s[tid]); }"],
                             r"^Attaching", "stdout"),
            },
        },
    }
    results = {}
    for hook, spec in hooks.items():
        samples = {name: [] for name in ["none"] + list(spec["tracers"])}
        for _ in range(options.rounds):
            samples["none"].append(run_workload(spec["workload"], build))
            for name, (command, ready, stream) in spec["tracers"].items():
                proc = start_tracer(command, ready, stream)
                try:
                    samples[name].append(run_workload(spec["workload"], build))
                finally:
                    stop_tracer(proc)
        base = statistics.median(samples["none"])
        added = {name: (statistics.median(v) - base) / spec["events"] for name, v in samples.items() if name != "none"}
        results[hook] = (base / spec["events"], added)

    names = ["floor", "bpfscope", "bpfscope-no-ovh", "bpftrace"]
    print(f"added ns per event (median of {options.rounds} rounds; workload on CPU 1, tracer on CPU 0)")
    print(f"{'hook':8} {'untraced':>9} " + " ".join(f"{n:>16}" for n in names))
    for hook, (base, added) in results.items():
        print(f"{hook:8} {base:9.1f} " + " ".join(f"{added[n]:16.1f}" for n in names))
    print()
    print(f"{'hook':8} {'variant':16} {'vs floor':>9} {'vs bpftrace':>12}   (targets <= 1.2 and <= 0.8)")
    for hook, (base, added) in results.items():
        for variant in ["bpfscope", "bpfscope-no-ovh"]:
            print(f"{hook:8} {variant:16} {added[variant] / added['floor']:9.2f} "
                  f"{added[variant] / added['bpftrace']:12.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
