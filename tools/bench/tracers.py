"""Starting and stopping a tracer for the benchmarks in tools/bench: the tracer
runs on CPU 0 (the workloads run on CPU 1) and is ready once it prints its
readiness line."""
import re
import signal
import subprocess


def start_tracer(command, ready_pattern, stream):
    proc = subprocess.Popen(["taskset", "-c", "0"] + command, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    source = proc.stdout if stream == "stdout" else proc.stderr
    seen = ""
    while True:
        line = source.readline()
        if not line:
            raise RuntimeError(f"tracer exited before attaching: {' '.join(command)}\n{seen}")
        seen += line
        if re.search(ready_pattern, line):
            return proc


def stop_tracer(proc):
    proc.send_signal(signal.SIGINT)
    try:
        proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
