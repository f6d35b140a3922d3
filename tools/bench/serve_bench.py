#!/usr/bin/env python3
"""Cost of `bpfscope serve`, in one run, with a real Prometheus beside it.

1. Idle: serve (default collectors: runqlat) pinned to CPU 0, scraped by a real
   Prometheus every 15 s (pinned to CPU 1). Serve's own CPU time (utime+stime
   from /proc) over the phase, as a share of one CPU (goal <= 0.5%), and the
   in-kernel run time of its BPF programs (bpfscope_bpf_run_seconds_total),
   which the scheduler pays on every wakeup and switch.
2. Scrape: about 1000 series, two ways: runqlat per cgroup (34 cgroups with a
   short ping-pong in each: one BPF map walk), and 28 funclatency targets (28
   BPF sessions, the worst case: a few syscalls each). The time of one GET
   /metrics (keep-alive, median of --scrapes) and serve's own collect time,
   next to Prometheus's own /metrics (a Go exporter, same client, same run) as
   a per-series ratio (goal: <= 5 ms for 1000 series).

Usage (root): tools/bench/serve_bench.py [--build build] [--idle-seconds 60] [--scrapes 200]
"""
import argparse
import http.client
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_serve_on(build, port, config):
    proc = subprocess.Popen(["taskset", "-c", "0", f"{build}/bin/bpfscope", "serve", "--listen",
                             f"127.0.0.1:{port}", "--config", config],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    seen = ""
    while time.time() < deadline:
        line = proc.stderr.readline()
        if not line:
            raise RuntimeError(f"serve exited:\n{seen}")
        seen += line
        if "Tracing... Hit Ctrl-C to end." in line:
            return proc
    proc.kill()
    raise RuntimeError("serve did not start in time")


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_prometheus(directory, serve_port, interval):
    port = free_port()
    config = os.path.join(directory, "prometheus.yml")
    with open(config, "w") as f:
        f.write(f"global:\n  scrape_interval: {interval}s\n  scrape_timeout: 5s\n"
                f"scrape_configs:\n  - job_name: bpfscope\n    static_configs:\n"
                f"      - targets: ['127.0.0.1:{serve_port}']\n")
    proc = subprocess.Popen(["taskset", "-c", "1", "prometheus", f"--config.file={config}",
                             f"--storage.tsdb.path={directory}/tsdb",
                             f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        line = proc.stderr.readline()
        if "Server is ready to receive web requests" in line:
            return proc, port
    raise RuntimeError("prometheus did not start")


def scrape_times(port, count, accept=None, server_pid=None):
    """Median wall time of one scrape, the series count, the last body, and
    (with server_pid) the server's CPU time per scrape: on a loaded machine the
    wall time is mostly waiting for a CPU, the CPU time is what a scrape costs."""
    cpu_before = cpu_seconds(server_pid) if server_pid else 0
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Accept": accept} if accept else {}
    times, body = [], ""
    for _ in range(count):
        started = time.perf_counter()
        connection.request("GET", "/metrics", headers=headers)
        body = connection.getresponse().read().decode()
        times.append(time.perf_counter() - started)
    connection.close()
    series = sum(1 for line in body.splitlines() if line and not line.startswith("#"))
    cpu = (cpu_seconds(server_pid) - cpu_before) / count if server_pid else 0
    return statistics.median(times), series, body, cpu


def metric(body, name):
    total = 0.0
    for line in body.splitlines():
        if line.startswith(name):
            total += float(line.rsplit(" ", 1)[1])
    return total


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "../../build"))
    parser.add_argument("--idle-seconds", type=float, default=60)
    parser.add_argument("--scrapes", type=int, default=200)
    parser.add_argument("--targets", type=int, default=28,
                        help="funclatency targets in the scrape phase (about 35 series each)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("serve_bench.py: must run as root (loads BPF programs)")
    for program in ("prometheus", "taskset"):
        if not shutil.which(program):
            sys.exit(f"serve_bench.py: needs {program} (scripts/install-deps.sh installs it)")
    build = os.path.abspath(args.build)
    directory = tempfile.mkdtemp(prefix="serve-bench-")
    try:
        # 1. Idle at a 15 s scrape interval.
        port = free_port()
        config = os.path.join(directory, "idle.yaml")
        with open(config, "w") as f:
            f.write("runqlat: {enabled: true}\n")
        serve = start_serve_on(build, port, config)
        prometheus, prometheus_port = start_prometheus(directory, port, 15)
        time.sleep(1)
        before_cpu, before = cpu_seconds(serve.pid), time.monotonic()
        body_before = scrape_times(port, 1)[2]
        time.sleep(args.idle_seconds)
        body_after = scrape_times(port, 1)[2]
        after_cpu, after = cpu_seconds(serve.pid), time.monotonic()
        wall = after - before
        idle_share = (after_cpu - before_cpu) / wall
        bpf_share = (metric(body_after, "bpfscope_bpf_run_seconds_total") -
                     metric(body_before, "bpfscope_bpf_run_seconds_total")) / wall
        scrapes = metric(body_after, "bpfscope_scrapes_total") - metric(body_before, "bpfscope_scrapes_total")
        prometheus_cpu = cpu_seconds(prometheus.pid)
        stop(prometheus)
        stop(serve)

        # 2. One scrape of ~1000 series: runqlat per cgroup.
        cgroup_root = next((line.split()[1] for line in open("/proc/mounts")
                            if line.split()[2] == "cgroup2"), None)
        if not cgroup_root:
            sys.exit("serve_bench.py: needs a cgroup2 mount for the per-cgroup phase")
        cgroups = [os.path.join(cgroup_root, f"serve-bench-{os.getpid()}-{i}") for i in range(34)]
        port = free_port()
        config = os.path.join(directory, "cgroups.yaml")
        with open(config, "w") as f:
            f.write("runqlat: {per_cgroup: true, max_cgroups: 100}\n")
        serve = start_serve_on(build, port, config)
        try:
            for cgroup in cgroups:
                os.mkdir(cgroup)
                subprocess.run(["taskset", "-c", "1", "sh", "-c",
                                f"echo $$ > {cgroup}/cgroup.procs && exec {build}/bin/pipewait 200 0"],
                               check=True, capture_output=True)
            prometheus, prometheus_port = start_prometheus(directory, port, 15)
            cgroup_time, cgroup_series, _, cgroup_cpu = scrape_times(port, args.scrapes,
                                                                     server_pid=serve.pid)
            cgroup_collect = metric(scrape_times(port, 1)[2], "bpfscope_last_scrape_duration_seconds")
            theirs, their_series, _, their_cpu = scrape_times(prometheus_port, args.scrapes,
                                                              server_pid=prometheus.pid)
            stop(prometheus)
            stop(serve)
        finally:
            for cgroup in cgroups:
                if os.path.isdir(cgroup):
                    os.rmdir(cgroup)

        # ... and 28 funclatency targets.
        port = free_port()
        config = os.path.join(directory, "scrape.yaml")
        with open(config, "w") as f:
            f.write("runqlat: {enabled: true}\nfunclatency:\n  targets:\n")
            for i in range(args.targets):
                f.write(f"    - {{target: 'syscalls:sys_enter_getppid..syscalls:sys_exit_getppid',"
                        f" name: t{i}}}\n")
        serve = start_serve_on(build, port, config)
        subprocess.run(["taskset", "-c", "1", f"{build}/bin/sleeper", "--syscalls", "10000"],
                       check=True, capture_output=True)
        ours, series, body, our_cpu = scrape_times(port, args.scrapes, server_pid=serve.pid)
        ours_open_metrics = scrape_times(port, args.scrapes, "application/openmetrics-text")[0]
        collect = metric(scrape_times(port, 1)[2], "bpfscope_last_scrape_duration_seconds")
        stop(serve)
    finally:
        shutil.rmtree(directory, ignore_errors=True)

    print(f"idle ({wall:.0f} s, Prometheus scraping every 15 s, {scrapes:.0f} scrapes):")
    print(f"  serve user+system CPU: {100 * idle_share:.3f}% of one CPU "
          f"(goal <= 0.5%: {idle_share / 0.005:.2f}x the goal)")
    print(f"  its BPF programs in the kernel (runqlat on every wakeup/switch): "
          f"{100 * bpf_share:.3f}% of one CPU")
    print(f"  prometheus itself over the same phase: {100 * prometheus_cpu / wall:.3f}% of one CPU "
          f"(since its start)")
    print(f"scrape ({args.scrapes} keep-alive GET /metrics, median; goal <= 5 ms per 1000 series):")
    def row(name, seconds, count, collect_seconds, cpu):
        print(f"  serve, {name}: {count} series in {1000 * seconds:.2f} ms wall (collect alone "
              f"{1000 * collect_seconds:.2f} ms), {1000 * cpu:.2f} ms of CPU; per 1000 series "
              f"{1e6 * seconds / count:.2f} ms wall = {seconds / count * 1000 / 0.005:.2f}x the goal, "
              f"{1e6 * cpu / count:.2f} ms CPU = {cpu / count * 1000 / 0.005:.2f}x the goal; "
              f"CPU per series vs prometheus: {(cpu / count) / (their_cpu / their_series):.2f}x")
    row("runqlat per cgroup", cgroup_time, cgroup_series, cgroup_collect, cgroup_cpu)
    row(f"{args.targets} funclatency targets", ours, series, collect, our_cpu)
    print(f"    (the same as OpenMetrics: {1000 * ours_open_metrics:.2f} ms)")
    print(f"  prometheus's own /metrics (Go client): {their_series} series in {1000 * theirs:.2f} ms "
          f"wall, {1000 * their_cpu:.2f} ms CPU (all its threads); per 1000 series "
          f"{1e6 * theirs / their_series:.2f} ms wall")
    print(f"  machine load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

if __name__ == "__main__":
    main()
