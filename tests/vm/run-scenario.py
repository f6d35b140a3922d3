#!/usr/bin/env python3
"""Boots the prepared second-kernel guest under qemu (TCG) with one or more scenarios and judges each.

A scenario is two files in tests/vm/scenarios/:
  NAME.sh  guest side, sourced by the guest's /init (helpers: tests/vm/guest-lib.sh); it leaves
           its results as files in /results.
  NAME.py  host side: check(r) asserts on those results with r.expect(condition, message);
           optional TIMEOUT (seconds from the scenario's own BEGIN marker), HOST_COMMANDS ({name:
           argv} run on this host before the boot, for contrast; argv[0] is looked up in the
           build's bin dir), EXPECT_FAILURE (a regex: the scenario must fail with a matching
           diagnosis; used by the harness's own self-tests), KERNEL_APPEND (extra kernel
           command-line words; such a scenario boots alone).

Several scenarios given together run one after the other in ONE boot (a batch): each gets its own
BEGIN/END markers, fresh /results and its own timeout, counted from its BEGIN marker. A scenario
passes only when the guest booted, ran it, printed every result intact between its markers, its
script exited 0, no kernel panic/BUG/Oops appeared between its BEGIN and the next scenario's
BEGIN, it ended within its timeout, and every check passed. Otherwise the reason is printed first,
then the whole guest console.

Modes:
  --scenario A [--scenario B ...]        boot once, judge each, exit 0 only if all pass;
  ... --verdict-dir DIR                  also write DIR/NAME.log and DIR/NAME.rc per scenario
                                         (the CTest batch fixture);
  --report NAME --verdict-dir DIR        print DIR/NAME.log, exit with DIR/NAME.rc (the CTest test
                                         of one scenario).
"""
import argparse
import contextlib
import ctypes
import hashlib
import importlib.util
import io
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
BOOT_TIMEOUT = 90      # qemu start to the first BEGIN marker (TCG boot: 4-10 s)
POWEROFF_TIMEOUT = 30  # last END marker to qemu exiting
BOOT_APPEND = "console=ttyS0 quiet panic=-1 no_timer_check"
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


# Complete marker lines only (a chunk may end inside one).
MARKER_RE = re.compile(rb"^" + re.escape(MARK) + rb" (BEGIN|END) scenario=(\S*)[^\n]*\n", re.M)


class Boot:
    """One qemu run: the console and, per scenario, host times of its markers."""

    def __init__(self):
        self.console = b""
        self.exit_code = None      # None: killed by us
        self.seconds = 0.0
        self.begun = {}            # scenario -> host seconds (since qemu start) of its BEGIN
        self.ended = {}            # scenario -> host seconds of its END
        self.hung = None           # (scenario, or None: the boot; limit in s; s since its BEGIN)
        self.powered_off_late = False


def boot(guest_dir, scenarios, timeouts, stream, append_extra=""):
    """Runs qemu with the scenarios in order; watches the console so that each scenario's timeout
    counts from its own BEGIN marker, whatever the boot took."""
    qemu = shutil.which("qemu-system-x86_64")
    if not qemu:
        raise ScenarioFailure("qemu-system-x86_64 not found: run scripts/install-deps.sh")
    append = f"{BOOT_APPEND} bpfscope.scenarios={','.join(scenarios)} {append_extra}".strip()
    command = [qemu, "-accel", "tcg", "-cpu", "max", "-m", "1024", "-smp", "2",
               "-kernel", os.path.join(guest_dir, "vmlinuz"),
               "-initrd", os.path.join(guest_dir, "initrd.gz"),
               "-append", append, "-nographic", "-no-reboot", "-nic", "none"]
    print(f"run-scenario: {' '.join(command)}", flush=True)
    started = time.monotonic()
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
    console = bytearray()
    lock = threading.Lock()
    result = Boot()

    def pump():
        for chunk in iter(lambda: process.stdout.read1(65536), b""):
            now = time.monotonic() - started
            with lock:
                scanned_from = max(0, len(console) - 4096)
                console.extend(chunk)
                for marker in MARKER_RE.finditer(bytes(console[scanned_from:])):
                    name = marker.group(2).decode()
                    seen = result.begun if marker.group(1) == b"BEGIN" else result.ended
                    seen.setdefault(name, now)
            if stream:
                sys.stdout.buffer.write(chunk)
                sys.stdout.flush()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        while process.poll() is None:
            time.sleep(0.1)
            now = time.monotonic() - started
            with lock:
                running = [name for name in scenarios if name in result.begun and name not in result.ended]
                if not result.begun:
                    if now > BOOT_TIMEOUT:
                        result.hung = (None, BOOT_TIMEOUT, now)
                elif running:
                    name = running[0]
                    if now - result.begun[name] > timeouts[name]:
                        result.hung = (name, timeouts[name], now - result.begun[name])
                elif all(name in result.ended for name in scenarios):
                    if now - max(result.ended.values()) > POWEROFF_TIMEOUT:
                        result.powered_off_late = True
                        result.hung = ("", POWEROFF_TIMEOUT, now)
            if result.hung:
                break
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        reader.join(timeout=5)
    result.exit_code = None if result.hung else process.returncode
    result.console = bytes(console)
    result.seconds = time.monotonic() - started
    return result


FILE_RE = re.compile(rb"^" + re.escape(MARK) + rb" FILE name=(\S+) bytes=(\d+) sha256=([0-9a-f]{64})"
                     rb" newline_added=([01])\n", re.M)


def kernel_trouble(text):
    """The first kernel panic, or BUG/Oops/GPF line, in text; None if there is none."""
    panic = re.search(rb"Kernel panic - not syncing[^\n]*", text)
    if panic:
        return "panicked", panic.group(0).decode(errors="replace").strip()
    bug = re.search(rb"^.*(BUG: |Oops: |general protection fault)[^\n]*", text, re.M)
    if bug:
        return "reported", bug.group(0).decode(errors="replace").strip()
    return None


def judge_boot(run, scenarios):
    """Whole-boot failures, or None. A panic or BUG before the first BEGIN marker belongs to the
    boot, not to any scenario."""
    text = run.console.replace(b"\r\n", b"\n")
    first_begin = re.search(rb"^" + re.escape(MARK) + rb" BEGIN ", text, re.M)
    trouble = kernel_trouble(text[:first_begin.start()] if first_begin else text)
    if trouble:
        return f"guest kernel {trouble[0]} while booting (before any BEGIN marker): {trouble[1]}"
    if run.hung and run.hung[0] is None:
        return f"guest hung while booting: no BEGIN marker within {run.hung[1]} s"
    if not first_begin:
        if run.exit_code not in (None, 0):
            return f"qemu exited with status {run.exit_code} before any BEGIN marker"
        return "no BEGIN marker: the guest kernel did not boot or /init failed"
    return None


def parse_console(run, scenario, scenarios):
    """Returns {name: text} of the scenario's results, or raises ScenarioFailure with the reason."""
    boot_failure = judge_boot(run, scenarios)
    if boot_failure:
        raise ScenarioFailure(boot_failure)
    text = run.console.replace(b"\r\n", b"\n")
    begins = list(re.finditer(rb"^" + re.escape(MARK) + rb" BEGIN scenario=(\S*) kernel=(\S+)$", text, re.M))
    order = [m.group(1).decode() for m in begins]
    if order != scenarios[:len(order)]:
        raise ScenarioFailure(f"guest ran scenarios {order}, not {scenarios}")
    index = scenarios.index(scenario)
    if index >= len(begins):
        before = scenarios[len(begins) - 1]
        if run.hung and run.hung[0]:
            raise ScenarioFailure(f"not run: the guest was killed when '{run.hung[0]}' hung")
        raise ScenarioFailure(f"no BEGIN marker: the guest stopped during '{before}' before "
                              f"reaching this scenario")
    begin = begins[index]
    # Kernel messages of a scenario may come after its END (a leftover timer, an RCU callback):
    # its part of the console runs to the next scenario's BEGIN.
    part_end = begins[index + 1].start() if index + 1 < len(begins) else len(text)
    part = text[begin.end():part_end]
    trouble = kernel_trouble(part)
    if trouble:
        raise ScenarioFailure(f"guest kernel {trouble[0]} during scenario '{scenario}' (after its "
                              f"BEGIN marker): {trouble[1]}")
    end = re.search(rb"^" + re.escape(MARK) + rb" END scenario=" + re.escape(scenario.encode()) +
                    rb" status=(-?\d+)$", part, re.M)
    if run.hung and run.hung[0] == scenario:
        raise ScenarioFailure(f"guest hung: scenario '{scenario}' gave no END marker within "
                              f"{run.hung[1]:g} s of its BEGIN marker (killed {run.hung[2]:.1f} s after it)")
    if not end:
        raise ScenarioFailure("no END marker: the guest stopped (crash or poweroff) mid-scenario")
    status = int(end.group(1))
    if run.powered_off_late:
        raise ScenarioFailure(f"guest hung after the last END marker: no poweroff within "
                              f"{POWEROFF_TIMEOUT} s")
    if run.exit_code not in (None, 0):
        raise ScenarioFailure(f"qemu exited with status {run.exit_code}")
    files = {}
    body = part[:end.start()]
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
    if status != 0:
        raise ScenarioFailure(f"scenario script exited with status {status} (its last command, or "
                              f"an error in the guest script: see the console)")
    return files


def judge(run, name, module, scenarios, guest_env, host):
    """Judges one scenario of a boot; returns (passed, text of its verdict)."""
    lines = []

    def say(line):
        lines.append(line)
        print(line, flush=True)

    failure = None
    results = None
    try:
        files = parse_console(run, name, scenarios)
        results = Results(files, guest_env.get("kernel_release"), host.get(name, {}))
        say(f"checks of '{name}':")
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            try:
                module.check(results)
            except Exception as error:  # a broken result or check is a failure, with its reason
                results.failed.append(f"check raised {type(error).__name__}: {error}")
                print(f"  FAIL check raised {type(error).__name__}: {error}")
        for line in printed.getvalue().splitlines():
            say(line)
        if results.failed:
            failure = f"{len(results.failed)} of {len(results.passed) + len(results.failed)} checks failed"
    except ScenarioFailure as error:
        failure = str(error)

    console = run.console.decode(errors="replace").replace("\r\n", "\n")
    expect_failure = getattr(module, "EXPECT_FAILURE", None)
    if expect_failure:
        # Harness self-test: the failure itself is what must happen.
        if failure and re.search(expect_failure, failure):
            say(f"run-scenario: PASS: failed as expected: {failure}")
            return True, "\n".join(lines)
        say(f"run-scenario: FAIL: expected a failure matching /{expect_failure}/, got: "
            f"{failure or 'success'}")
        lines.append(console)
        return False, "\n".join(lines)
    if failure:
        say(f"run-scenario: FAIL: scenario '{name}': {failure}")
        lines += ["----- guest console -----", console, "----- end of guest console -----"]
        return False, "\n".join(lines)
    say(f"run-scenario: PASS: scenario '{name}': {len(results.passed)} checks")
    return True, "\n".join(lines)


def report(verdict_dir, name):
    """The CTest test of one scenario: the verdict its batch left."""
    try:
        with open(os.path.join(verdict_dir, f"{name}.log")) as log:
            print(log.read())
        with open(os.path.join(verdict_dir, f"{name}.rc")) as rc:
            return int(rc.read().strip())
    except (OSError, ValueError) as error:
        print(f"run-scenario: FAIL: scenario '{name}': its batch left no verdict ({error})")
        return 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--guest", help="dir with vmlinuz, initrd.gz, guest.env")
    parser.add_argument("--scenario", action="append", default=[],
                        help="scenario to run (repeat, or A,B,C: one boot runs them in order)")
    parser.add_argument("--bin-dir", help="host build/bin, for HOST_COMMANDS (default: GUEST/../bin)")
    parser.add_argument("--timeout", type=float, help="seconds after its BEGIN before a scenario counts as hung")
    parser.add_argument("--stream", action="store_true", help="show the console while it runs")
    parser.add_argument("--append", default="", help="extra kernel command-line words")
    parser.add_argument("--verdict-dir", help="write NAME.log and NAME.rc per scenario here")
    parser.add_argument("--report", metavar="NAME", help="print the verdict of NAME from --verdict-dir")
    args = parser.parse_args()

    if args.report:
        if not args.verdict_dir:
            parser.error("--report needs --verdict-dir")
        return report(args.verdict_dir, args.report)
    if not args.guest or not args.scenario:
        parser.error("--guest and --scenario are required")
    scenarios = [name for arg in args.scenario for name in arg.split(",") if name]
    if len(set(scenarios)) != len(scenarios):
        parser.error(f"a scenario is named twice: {scenarios}")
    modules = {name: load_scenario(name) for name in scenarios}
    guest_env = read_guest_env(args.guest)
    timeouts = {name: args.timeout or getattr(module, "TIMEOUT", DEFAULT_TIMEOUT)
                for name, module in modules.items()}
    bin_dir = args.bin_dir or os.path.join(os.path.dirname(os.path.abspath(args.guest)), "bin")
    host = {name: run_host_commands(getattr(module, "HOST_COMMANDS", {}), bin_dir)
            for name, module in modules.items()}
    append = " ".join([args.append] + [getattr(module, "KERNEL_APPEND", "") for module in modules.values()])
    if len(scenarios) > 1 and any(getattr(module, "KERNEL_APPEND", "") for module in modules.values()):
        parser.error("a scenario with KERNEL_APPEND boots alone")

    if args.verdict_dir:
        os.makedirs(args.verdict_dir, exist_ok=True)
        for name in scenarios:  # no stale verdicts if this run dies
            for suffix in (".log", ".rc"):
                if os.path.exists(os.path.join(args.verdict_dir, name + suffix)):
                    os.remove(os.path.join(args.verdict_dir, name + suffix))
    run = boot(args.guest, scenarios, timeouts, args.stream, append.strip())
    print(f"run-scenario: guest {guest_env.get('kernel_release')} ran {','.join(scenarios)} "
          f"in {run.seconds:.1f} s", flush=True)
    all_passed = True
    for name in scenarios:
        seconds = ""
        if name in run.begun:
            stop = run.ended.get(name, run.seconds)
            seconds = f" ({stop - run.begun[name]:.1f} s from BEGIN to END, boot {min(run.begun.values()):.1f} s)"
        header = f"run-scenario: scenario '{name}' in boot of {','.join(scenarios)}{seconds}"
        print(header, flush=True)
        passed, text = judge(run, name, modules[name], scenarios, guest_env, host)
        all_passed = all_passed and passed
        if args.verdict_dir:
            with open(os.path.join(args.verdict_dir, f"{name}.log"), "w") as log:
                log.write(header + "\n" + text + "\n")
            with open(os.path.join(args.verdict_dir, f"{name}.rc"), "w") as rc:
                rc.write("0\n" if passed else "1\n")
    if args.verdict_dir:
        return 0  # the verdicts are the tests; this run only had to produce them
    return 0 if all_passed else 1


if __name__ == "__main__":
    sys.exit(main())
