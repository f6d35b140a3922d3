"""Host-side assertions shared by the VM scenarios (imported by tests/vm/scenarios/*.py)."""


def key_values(text):
    """Parses KEY=VALUE lines (the NAME.bpf results of trace_while) into numbers."""
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = float(value)
    return values


def readstats_summary(text):
    """Parses readstats' output: reads, reads_per_s, latency_us p50/p90/p99/max."""
    summary = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key == "latency_us":
            for pair in value.split():
                name, _, number = pair.partition("=")
                summary[f"latency_us_{name}"] = float(number)
        elif key in ("reads", "reads_per_s"):
            summary[key] = float(value)
    return summary


def latency_targets(report):
    return {section["title"]: section for section in report["sections"] if section.get("kind") == "target"}


def check_tool_ran(r, name, what):
    """The traced tool exited 0 and printed a JSON report; returns the report."""
    r.expect(r.rc(name) == 0, f"{what}: exit 0 (stderr: {r.text(name + '.err').strip()[:300]!r})")
    report = r.json(f"{name}.out")
    r.expect(report.get("schema_version") == 1 and report.get("header", {}).get("kernel_release")
             == r.kernel_release, f"{what}: JSON report from kernel {r.kernel_release}")
    return report


def check_attach_lifecycle(r, name, links):
    """While attached the tool held LINKS more BPF links; afterwards nothing stayed behind."""
    bpf = key_values(r.text(f"{name}.bpf"))
    r.expect(bpf["links_attached"] - bpf["links_before"] == links,
             f"{name}: {links} BPF links while attached "
             f"({bpf['links_before']:g} -> {bpf['links_attached']:g}, attach took {bpf['attach_s']:.1f} s)")
    r.expect(bpf["links_after"] == bpf["links_before"] and bpf["progs_after"] == bpf["progs_before"],
             f"{name}: nothing left attached after exit (links {bpf['links_after']:g}, "
             f"programs {bpf['progs_after']:g} of {bpf['progs_attached']:g})")
    r.expect(bpf["hooked_after"] == bpf["hooked_before"] and bpf["kprobe_events"] == 0,
             f"{name}: no ftrace hook or kprobe event left ({bpf['hooked_after']:g} hooked functions)")


def hooked_functions(r, name):
    """Function names in /sys/kernel/tracing/enabled_functions while the tool was attached."""
    return {line.split()[0] for line in r.lines(f"{name}.ftrace")}


def check_latency_target(r, report, target, backend, min_count, max_count=None, max_unmatched=0):
    """A target section measured by BACKEND with MIN_COUNT..MAX_COUNT calls and a histogram whose
    numbers agree with each other. MAX_UNMATCHED: exits allowed without a start (see
    WORKER_CALLS_IN_ATTACH_WINDOW). Returns the section's fields."""
    sections = latency_targets(report)
    r.expect(target in sections, f"{target}: section in the report (sections: {sorted(sections)})")
    if target not in sections:
        return None
    fields = sections[target]["fields"]
    histogram = sections[target].get("histogram") or {}
    buckets = histogram.get("buckets") or []
    count = fields["count"]
    r.expect(fields["backend"] == backend, f"{target}: backend {fields['backend']} (want {backend})")
    upper = f"..{max_count}" if max_count is not None else ""
    r.expect(count >= min_count and (max_count is None or count <= max_count),
             f"{target}: count {count} in [{min_count}{upper or '..'}]")
    r.expect(fields["lost_starts"] == 0 and fields["unmatched_exits"] <= max_unmatched
             and fields["depth_overflow"] == 0,
             f"{target}: no lost starts, at most {max_unmatched} unmatched exits, no depth overflow "
             f"({fields['lost_starts']}/{fields['unmatched_exits']}/{fields['depth_overflow']})")
    nonempty = [bucket for bucket in buckets if bucket["count"] > 0]
    r.expect(len(nonempty) > 0 and sum(bucket["count"] for bucket in buckets) == count,
             f"{target}: histogram holds all {count} calls in {len(nonempty)} non-empty buckets")
    if not nonempty:
        return fields
    r.expect(histogram.get("unit") == "ns", f"{target}: histogram unit ns")
    low, high = nonempty[0], nonempty[-1]
    r.expect(low["low"] <= fields["min"] < low["high"] and high["low"] <= fields["max"] < high["high"],
             f"{target}: min {fields['min']:g} ns and max {fields['max']:g} ns fall in the first/last "
             f"non-empty buckets [{low['low']}, {low['high']}) .. [{high['low']}, {high['high']})")
    r.expect(0 < fields["min"] <= fields["avg"] <= fields["max"]
             and abs(fields["avg"] * count - fields["total"]) <= 1e-6 * fields["total"] + 1,
             f"{target}: 0 < min <= avg {fields['avg']:.0f} ns <= max, avg x count = total")
    r.expect(fields["p50"] <= fields["p90"] <= fields["p99"] and low["low"] <= fields["p50"] <= high["high"],
             f"{target}: p50 {fields['p50']:.0f} <= p90 {fields['p90']:.0f} <= p99 {fields['p99']:.0f} ns, "
             f"inside the histogram")
    return fields


# funclatency attaches a target's end hook before its start hook (a start without its end would
# leave a depth behind and mis-pair later calls), so a call another thread makes in that window
# ends without a start. Only the memcg flush worker calls __mem_cgroup_flush_stats on its own
# (every 2 s), and the window is far shorter: at most one such call (seen once in the nested
# scenario with two guests running at once).
WORKER_CALLS_IN_ATTACH_WINDOW = 1


def periodic_flush_bound(report):
    """Most calls the memcg periodic flush worker (every 2 s) can make during the report."""
    return int(report["header"]["elapsed"] / 2) + 1


# ---- scenario families ------------------------------------------------------------------------

def check_memory_stat_path(r, backend):
    reads = int(key_values(r.text("params"))["reads"])
    report = check_tool_ran(r, "funclatency", f"funclatency ({backend})")
    check_attach_lifecycle(r, "funclatency", links=4)
    hooked = hooked_functions(r, "funclatency")
    r.expect({"memory_stat_show", "__mem_cgroup_flush_stats"} <= hooked,
             f"the kernel lists both functions as hooked while attached ({sorted(hooked)})")
    workload = readstats_summary(r.text("funclatency.workload"))
    r.expect(r.rc("funclatency.workload") == 0 and workload.get("reads") == reads,
             f"readstats read memory.stat {reads} times (p50 {workload.get('latency_us_p50')} us, "
             f"max {workload.get('latency_us_max')} us per open+read+close)")
    # memory_stat_show runs once per open+read of memory.stat (the output fits seq_file's first
    # buffer) and nothing else in the guest reads memory.stat.
    show = check_latency_target(r, report, "memory_stat_show", backend, reads, reads + reads // 100)
    # The flush below it: on 6.1 memory_stat_format inlines mem_cgroup_flush_stats (its
    # out-of-line copy in kallsyms is never called here), which calls __mem_cgroup_flush_stats
    # only when enough updates piled up; the periodic flush worker adds one call every 2 s.
    check_latency_target(r, report, "__mem_cgroup_flush_stats", backend, 1,
                         reads + periodic_flush_bound(report), WORKER_CALLS_IN_ATTACH_WINDOW)
    if show and workload.get("latency_us_max"):
        user_max_ns = workload["latency_us_max"] * 1000
        # Same clock (CLOCK_MONOTONIC) on both sides; the call happens inside one read.
        r.expect(show["max"] <= user_max_ns * 1.01,
                 f"memory_stat_show max {show['max']:g} ns <= readstats' slowest read {user_max_ns:g} ns")
    return report


def check_attach_lifecycle_loose(r, name):
    """Like check_attach_lifecycle for tools whose link count depends on the CPU count."""
    bpf = key_values(r.text(f"{name}.bpf"))
    r.expect(bpf["links_attached"] > bpf["links_before"],
             f"{name}: attached ({bpf['links_attached'] - bpf['links_before']:g} BPF links, "
             f"attach took {bpf['attach_s']:.1f} s)")
    r.expect(bpf["links_after"] == bpf["links_before"] and bpf["progs_after"] == bpf["progs_before"],
             f"{name}: nothing left attached after exit (links {bpf['links_after']:g}, "
             f"programs {bpf['progs_after']:g})")


def folded(text):
    """Folded stack lines 'a;b;c N' -> {'a;b;c': N} (summed)."""
    stacks = {}
    for line in text.splitlines():
        frames, _, value = line.rpartition(" ")
        if frames and value.isdigit():
            stacks[frames] = stacks.get(frames, 0) + int(value)
    return stacks
