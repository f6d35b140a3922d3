"""bpfscope memcg on cgroup v2 in the stock-kernel guest: tree made and removed, fentry on the preset."""
import json

TIMEOUT = 240


def check(r):
    r.expect(r.text("memcg.rc").strip() == "0", "memcg exits 0: " + r.text("memcg.err")[-2000:])
    report = json.loads(r.text("memcg.out"))
    workload = report["workload"]
    r.expect(workload["cgroup_version"] == 2, f"built the tree on cgroup v2 ({workload['cgroup_version']})")
    r.expect(workload["tree_removed"], "removed its tree")
    r.expect("bpfscope-memcg" not in r.text("cgroups-after"), "no bpfscope-memcg-* left in /sys/fs/cgroup")
    r.expect(len(report["runs"]) == 2 and all(run["reads"] == 300 for run in report["runs"]), "2 runs x 300 reads")
    functions = {f.get("resolved"): f for f in report["tracing"]["functions"] if f["present"]}
    for name, f in functions.items():
        r.expect(f.get("backend") == "fentry", f"{name} measured with fentry ({f.get('unreachable')})")
    show = functions.get("memory_stat_show")
    r.expect(show is not None and abs(show.get("calls_per_read", 0) - 1.0) < 0.05,
             f"memory_stat_show once per read ({show and show.get('calls_per_read')})")
    callback = functions.get("mem_cgroup_css_rstat_flush")
    r.expect(callback is not None and callback.get("calls_per_read", 0) > 0,
             "the per-cpu rstat callback ran during the reads")
