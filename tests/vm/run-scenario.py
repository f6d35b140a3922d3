#!/usr/bin/env python3
"""Boots the prepared second-kernel guest under qemu (TCG) with one scenario and judges it.

A scenario is two files in tests/vm/scenarios/:
  NAME.sh  guest side, sourced by the guest's /init (helpers: tests/vm/guest-lib.sh); it leaves
           its results as files in /results.
  NAME.py  host side: check(r) asserts on those results with r.expect(condition, message);
           optional TIMEOUT (seconds), HOST_COMMANDS ({name: argv} run on this host before the
           boot, for contrast; argv[0] is looked up in the build's bin dir), EXPECT_FAILURE (a
           regex: the scenario must fail with a matching diagnosis; used by the harness's own
           self-tests).

Exit status 0 only when the guest booted, ran the scenario, printed every result intact between
the markers, powered off in time without a kernel panic/BUG/Oops, and every check passed.
Otherwise the reason is printed first, then the whole guest console.
"""
import argparse
import ctypes
import hashlib
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)  # scenarios import vmcheck
MARK = b"@@BPFSCOPE-VM@@"
DEFAULT_TIMEOUT = 120
PR_SET_PDEATHSIG = 1


class ScenarioFailure(Exception):
    """The guest run itself went wrong (boot, panic, hang, markers, corrupted results)."""


class Results:
    """What the guest left in /results, with typed accessors and the expectation log."""

    def __init__(self, files, kernel_release, host):
        self.files = files
        self.kernel_release = kernel_release
        self.host = host  # name -> {"rc", "out", "err"} of HOST_COMMANDS
        self.passed = []
        self.failed = []

    def has(self, name):
        return name in self.files

    def text(self, name):
        if name not in self.files:
            raise KeyError(f"the guest left no result '{name}' (results: {sorted(self.files)})")
        return self.files[name]

    def lines(self, name):
        return [line for line in self.text(name).splitlines() if line.strip()]

    def number(self, name):
        return float(self.text(name).strip())

    def rc(self, name):
        """Exit code of a command run with run_capture NAME ... in the guest."""
        return int(self.text(f"{name}.rc").strip())

    def json(self, name):
        try:
            return json.loads(self.text(name))
        except json.JSONDecodeError as error:
            raise ValueError(f"result '{name}' is not JSON ({error}): {self.text(name)[:300]!r}")

    def expect(self, condition, message):
        (self.passed if condition else self.failed).append(message)
        print(f"  {'ok  ' if condition else 'FAIL'} {message}", flush=True)
        return bool(condition)


def load_scenario(name):
    path = os.path.join(HERE, "scenarios", f"{name}.py")
    if not os.path.exists(path) or not os.path.exists(os.path.join(HERE, "scenarios", f"{name}.sh")):
        raise SystemExit(f"run-scenario: no scenario '{name}' (need scenarios/{name}.sh and .py)")
    spec = importlib.util.spec_from_file_location(f"vm_scenario_{name.replace('-', '_')}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, "check"):
        raise SystemExit(f"run-scenario: scenarios/{name}.py defines no check(r)")
    return module


def read_guest_env(guest_dir):
    env = {}
    path = os.path.join(guest_dir, "guest.env")
    if not os.path.exists(path):
        raise SystemExit(f"run-scenario: {path} missing: run tests/vm/prepare-guest.sh first")
    with open(path) as env_file:
        for line in env_file:
            key, _, value = line.strip().partition("=")
            env[key] = value
    return env


def run_host_commands(commands, bin_dir):
    results = {}
    for name, argv in commands.items():
        executable = os.path.join(bin_dir, argv[0])
        try:
            done = subprocess.run([executable] + list(argv[1:]), capture_output=True, text=True,
                                  timeout=60)
            results[name] = {"rc": done.returncode, "out": done.stdout, "err": done.stderr}
        except (OSError, subprocess.TimeoutExpired) as error:
            results[name] = {"rc": None, "out": "", "err": str(error)}
    return results


def die_with_parent():
    # qemu must not outlive the runner, even when CTest kills the runner on its timeout.
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def boot(guest_dir, scenario, timeout, stream):
    """Runs qemu; returns (console bytes, qemu exit code or None if it had to be killed, seconds)."""
    qemu = shutil.which("qemu-system-x86_64")
    if not qemu:
        raise ScenarioFailure("qemu-system-x86_64 not found: run scripts/install-deps.sh")
    append = f"console=ttyS0 quiet panic=-1 bpfscope.scenario={scenario}"
    command = [qemu, "-accel", "tcg", "-cpu", "max", "-m", "1024", "-smp", "2",
               "-kernel", os.path.join(guest_dir, "vmlinuz"),
               "-initrd", os.path.join(guest_dir, "initrd.gz"),
               "-append", append, "-nographic", "-no-reboot", "-nic", "none"]
    print(f"run-scenario: {' '.join(command)}", flush=True)
    started = time.monotonic()
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
    console = bytearray()

    def pump():
        for chunk in iter(lambda: process.stdout.read1(65536), b""):
            console.extend(chunk)
            if stream:
                sys.stdout.buffer.write(chunk)
                sys.stdout.flush()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        exit_code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        exit_code = None
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        reader.join(timeout=5)
    return bytes(console), exit_code, time.monotonic() - started


FILE_RE = re.compile(rb"^" + re.escape(MARK) + rb" FILE name=(\S+) bytes=(\d+) sha256=([0-9a-f]{64})"
                     rb" newline_added=([01])\n", re.M)


def parse_console(console, scenario, exit_code, timeout):
    """Returns {name: text} of the guest's results, or raises ScenarioFailure with the reason."""
    text = console.replace(b"\r\n", b"\n")
    panic = re.search(rb"Kernel panic - not syncing[^\n]*", text)
    if panic:
        raise ScenarioFailure(f"guest kernel panicked: {panic.group(0).decode(errors='replace')}")
    bug = re.search(rb"^.*(BUG: |Oops: |general protection fault)[^\n]*", text, re.M)
    if bug:
        raise ScenarioFailure(f"guest kernel reported: {bug.group(0).decode(errors='replace')}")
    begin = re.search(rb"^" + re.escape(MARK) + rb" BEGIN scenario=(\S*) kernel=(\S+)$", text, re.M)
    end = re.search(rb"^" + re.escape(MARK) + rb" END scenario=(\S*) status=(\d+)$", text, re.M)
    if exit_code is None:
        where = "after the END marker" if end else ("during the scenario" if begin else "before /init ran")
        raise ScenarioFailure(f"guest hung: no poweroff within {timeout} s ({where})")
    if not begin:
        raise ScenarioFailure("no BEGIN marker: the guest kernel did not boot or /init failed")
    if begin.group(1).decode() != scenario:
        raise ScenarioFailure(f"guest ran scenario '{begin.group(1).decode()}', not '{scenario}'")
    if not end:
        raise ScenarioFailure("no END marker: the guest stopped (crash or poweroff) mid-scenario")
    if exit_code != 0:
        raise ScenarioFailure(f"qemu exited with status {exit_code}")
    files = {}
    body = text[begin.end():end.start()]
    for header in FILE_RE.finditer(body):
        name = header.group(1).decode()
        footer = b"\n" + MARK + b" ENDFILE name=" + header.group(1) + b"\n"
        stop = body.find(footer, header.end() - 1)
        if stop < 0:
            raise ScenarioFailure(f"result '{name}' has no ENDFILE marker")
        content = body[header.end():stop + 1]
        if header.group(4) == b"1":
            content = content[:-1]
        if len(content) != int(header.group(2)) or \
                hashlib.sha256(content).hexdigest() != header.group(3).decode():
            raise ScenarioFailure(f"result '{name}' arrived corrupted on the console "
                                  f"({len(content)} bytes, guest wrote {int(header.group(2))})")
        files[name] = content.decode(errors="replace")
    if "init.error" in files:
        raise ScenarioFailure(f"guest /init: {files['init.error'].strip()}")
    return files


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--guest", required=True, help="dir with vmlinuz, initrd.gz, guest.env")
    parser.add_argument("--scenario", required=True)
    parser.add_argument("--bin-dir", help="host build/bin, for HOST_COMMANDS (default: GUEST/../bin)")
    parser.add_argument("--timeout", type=float, help="seconds before the guest counts as hung")
    parser.add_argument("--stream", action="store_true", help="show the console while it runs")
    args = parser.parse_args()

    module = load_scenario(args.scenario)
    guest_env = read_guest_env(args.guest)
    timeout = args.timeout or getattr(module, "TIMEOUT", DEFAULT_TIMEOUT)
    bin_dir = args.bin_dir or os.path.join(os.path.dirname(os.path.abspath(args.guest)), "bin")
    expect_failure = getattr(module, "EXPECT_FAILURE", None)
    host = run_host_commands(getattr(module, "HOST_COMMANDS", {}), bin_dir)

    console, exit_code, seconds = boot(args.guest, args.scenario, timeout, args.stream)
    print(f"run-scenario: guest {guest_env.get('kernel_release')} ran '{args.scenario}' "
          f"in {seconds:.1f} s", flush=True)
    failure = None
    results = None
    try:
        files = parse_console(console, args.scenario, exit_code, timeout)
        results = Results(files, guest_env.get("kernel_release"), host)
        print("checks:", flush=True)
        try:
            module.check(results)
        except Exception as error:  # a broken result or check is a failure, with its reason
            results.failed.append(f"check raised {type(error).__name__}: {error}")
            print(f"  FAIL check raised {type(error).__name__}: {error}", flush=True)
        if results.failed:
            failure = f"{len(results.failed)} of {len(results.passed) + len(results.failed)} checks failed"
    except ScenarioFailure as error:
        failure = str(error)

    if expect_failure:
        # Harness self-test: the failure itself is what must happen.
        if failure and re.search(expect_failure, failure):
            print(f"run-scenario: PASS: failed as expected: {failure}")
            return 0
        print(f"run-scenario: FAIL: expected a failure matching /{expect_failure}/, got: "
              f"{failure or 'success'}")
        print(console.decode(errors="replace").replace("\r\n", "\n"))
        return 1
    if failure:
        print(f"run-scenario: FAIL: scenario '{args.scenario}': {failure}")
        if not args.stream:
            print("----- guest console -----")
            print(console.decode(errors="replace").replace("\r\n", "\n"))
            print("----- end of guest console -----")
        return 1
    print(f"run-scenario: PASS: scenario '{args.scenario}': {len(results.passed)} checks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
