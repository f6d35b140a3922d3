"""bpfscope memcg in the guest: cgroup v2 workload, path functions measured with fentry."""


def check(r):
    r.expect(r.rc("memcg") == 0, f"memcg exits 0 ({r.text('memcg.err').strip()[-300:]!r})")
    report = r.json("memcg.out")
    workload = report["workload"]
    r.expect(report["kernel"]["release"] == r.kernel_release, f"report from kernel {r.kernel_release}")
    r.expect(workload["cgroup_version"] == 2, f"cgroup v2 workload ({workload['controller_mount']})")
    r.expect(workload["tree_removed"] is True, f"its cgroup tree is gone ({workload.get('tree_left')})")
    r.expect(len(report["runs"]) == 2 and all(run["reads"] == 500 for run in report["runs"]),
             "2 runs x 500 reads")
    functions = report["tracing"]["functions"]
    present = [f for f in functions if f.get("present")]
    for function in present:
        r.expect(function.get("backend") == "fentry",
                 f"{function['function']} measured with {function.get('backend') or function.get('unreachable')}")
    show = [f for f in present if f["function"] == "memory_stat_show"]
    r.expect(len(show) == 1, f"memory_stat_show is among the measured functions ({[f['function'] for f in present]})")
    if show:
        per_read = show[0]["calls_per_read"]
        r.expect(0.99 <= per_read <= 1.05, f"memory_stat_show: {per_read:.3f} calls per read (one per read)")
