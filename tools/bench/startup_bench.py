#!/usr/bin/env python3
"""Start-up time and memory of 1 s runs, against libbpf-tools, one command:

    sudo tools/bench/startup_bench.py [--build build] [--runs 5]

For each tool (runqlat; offcputime system-wide) both implementations run for
1 s, `runs` times, interleaved, pinned to CPU 0. Reported: median wall time and
peak RSS (wait4's ru_maxrss), and their ratios to libbpf-tools. For bpfscope the
wall time is also split where the readiness line allows it:
  start-up  = exec to "Tracing... Hit Ctrl-C to end." (open, load incl. the
              verifier, attach, symbol tables read before tracing);
  report    = end of the 1 s window to exit (reading the maps, symbolization,
              output).
libbpf-tools prints no such line to a pipe in time, so only its totals are shown.
"""
import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

READY = b"Tracing... Hit Ctrl-C to end."


def run_once(argv):
    """(wall s, peak RSS MB, start-up s or None, report s or None)."""
    start = time.monotonic()
    proc = subprocess.Popen(["taskset", "-c", "0"] + argv, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    ready_at = None
    seen = b""
    while True:
        chunk = proc.stderr.read1(4096)
        if not chunk:
            break
        seen += chunk
        if ready_at is None and READY in seen:
            ready_at = time.monotonic()
    _, status, usage = os.wait4(proc.pid, 0)
    end = time.monotonic()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({proc.returncode}):\n{seen.decode(errors='replace')}")
    startup = ready_at - start if ready_at else None
    report = end - (ready_at + 1.0) if ready_at else None
    return end - start, usage.ru_maxrss / 1024.0, startup, report


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default="build")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root")
    bpfscope = os.path.join(args.build, "bin", "bpfscope")
    configs = {
        "runqlat": ([bpfscope, "runqlat", "-d", "1"], ["/usr/sbin/runqlat", "1", "1"]),
        "offcputime -f (system-wide)": ([bpfscope, "offcputime", "-f", "-d", "1"],
                                        ["/usr/sbin/offcputime", "1"]),
    }
    results = {name: ([], []) for name in configs}
    for round_number in range(args.runs):
        for name, (ours, theirs) in configs.items():
            results[name][0].append(run_once(ours))
            if os.path.exists(theirs[0]):
                results[name][1].append(run_once(theirs))
        print(f"round {round_number + 1} done", file=sys.stderr)

    print(f"1 s runs, median of {args.runs}, pinned to CPU 0")
    print(f"{'tool':<30}{'wall s':>8}{'lt wall':>9}{'ratio':>7}{'RSS MB':>8}{'lt RSS':>8}"
          f"{'ratio':>7}{'start-up s':>12}{'report s':>10}")
    for name, (ours, theirs) in results.items():
        wall, rss = median([r[0] for r in ours]), median([r[1] for r in ours])
        startup, report = median([r[2] for r in ours]), median([r[3] for r in ours])
        lt_wall = median([r[0] for r in theirs]) if theirs else None
        lt_rss = median([r[1] for r in theirs]) if theirs else None
        fmt = lambda v, spec: format(v, spec) if v is not None else "-"
        print(f"{name:<30}{wall:>8.2f}{fmt(lt_wall, '>9.2f')}"
              f"{fmt(wall / lt_wall if lt_wall else None, '>7.2f')}{rss:>8.1f}"
              f"{fmt(lt_rss, '>8.1f')}{fmt(rss / lt_rss if lt_rss else None, '>7.2f')}"
              f"{fmt(startup, '>12.2f')}{fmt(report, '>10.3f')}")


if __name__ == "__main__":
    main()
