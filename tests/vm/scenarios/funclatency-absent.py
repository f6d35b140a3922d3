"""funclatency on a function missing from the 6.1 guest (css_rstat_flush, renamed in 6.16)."""
import vmcheck


def check(r):
    r.expect(r.number("kallsyms-matches") == 0, "css_rstat_flush is not in the guest's kallsyms")
    for run in ("default", "kprobe", "mixed"):
        error = r.text(f"{run}.err").strip()
        r.expect(r.rc(run) != 0, f"{run}: non-zero exit ({r.rc(run)})")
        r.expect(len(error.splitlines()) == 1 and "css_rstat_flush" in error and "not found" in error,
                 f"{run}: one line on stderr naming the function: {error!r}")
        r.expect(r.text(f"{run}.out").strip() == "", f"{run}: no report on stdout")
    r.expect("cgroup_rstat_flush" in r.text("default.err"),
             "the error suggests this kernel's name, cgroup_rstat_flush")
    bpf = vmcheck.key_values(r.text("bpf"))
    r.expect(bpf["links_after"] == bpf["links_before"] and bpf["progs_after"] == bpf["progs_before"],
             f"nothing attached or loaded afterwards (links {bpf['links_after']:g}, programs "
             f"{bpf['progs_after']:g})")
    r.expect(bpf["hooked_after"] == 0 and bpf["kprobe_events"] == 0, "no ftrace hook or kprobe event left")
