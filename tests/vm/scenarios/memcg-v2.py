"""bpfscope memcg on cgroup v2 in the stock-kernel guest: tree made and removed, fentry on the
preset, and the calls per memory.stat read of each function on the 6.1 read path.

Where the numbers come from (6.1 mm/memcontrol.c and kernel/cgroup/rstat.c; docs/vm.md):
  memory_stat_show(seq)            once per open+read of memory.stat (the text fits seq_file's
                                   first buffer), so exactly one call per read;
  -> memory_stat_format()          inlines mem_cgroup_flush_stats(): "if (threshold > online
                                   cpus) __mem_cgroup_flush_stats()" -- so the out-of-line
                                   mem_cgroup_flush_stats in kallsyms is never called here (0);
  -> __mem_cgroup_flush_stats()    at most once per read; >0 because the writers keep pushing
                                   the update threshold over the line between reads;
     spin_trylock(stats_flush_lock) may fail (the periodic worker flushing) ->
  -> cgroup_rstat_flush_irqsafe()  at most once per __mem_cgroup_flush_stats;
  -> cgroup_rstat_flush_locked()   exactly once per cgroup_rstat_flush_irqsafe;
  -> mem_cgroup_css_rstat_flush()  once per (cpu, updated memcg) the flush pops: at least one per
                                   flush (the threshold was crossed by updates, which put at least
                                   one memcg on a cpu's updated list), at most cpus x memcgs.
  cgroup_rstat_flush()             the sleepable variant: not on this path (0).
All counts are the reader's own calls (the tool filters the reader's thread group).
"""
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
    reads = sum(run["reads"] for run in report["runs"])
    functions = {f.get("resolved"): f for f in report["tracing"]["functions"] if f["present"]}
    for name, f in functions.items():
        r.expect(f.get("backend") == "fentry", f"{name} measured with fentry ({f.get('unreachable')})")

    def calls(name):
        f = functions.get(name)
        return f["result"]["count"] if f and f.get("result") else None

    show = calls("memory_stat_show")
    r.expect(show == reads, f"memory_stat_show exactly once per read: {show} calls for {reads} reads")
    r.expect(calls("mem_cgroup_flush_stats") == 0,
             f"mem_cgroup_flush_stats (inlined into memory_stat_format on 6.1) never called out of "
             f"line: {calls('mem_cgroup_flush_stats')}")
    flush = calls("__mem_cgroup_flush_stats")
    r.expect(flush is not None and 0 < flush <= reads,
             f"__mem_cgroup_flush_stats at most once per read, and some reads flush: {flush} for {reads} reads")
    irqsafe, locked = calls("cgroup_rstat_flush_irqsafe"), calls("cgroup_rstat_flush_locked")
    r.expect(irqsafe is not None and flush is not None and 0 < irqsafe <= flush,
             f"cgroup_rstat_flush_irqsafe at most once per __mem_cgroup_flush_stats (trylock): {irqsafe} <= {flush}")
    r.expect(locked == irqsafe, f"cgroup_rstat_flush_locked once per cgroup_rstat_flush_irqsafe: {locked} == {irqsafe}")
    r.expect(calls("cgroup_rstat_flush") == 0,
             f"cgroup_rstat_flush (sleepable) not on the memory.stat path: {calls('cgroup_rstat_flush')}")
    callback = calls("mem_cgroup_css_rstat_flush")
    cpus = int(r.number("cpus"))
    memcgs = int(r.number("cgroups-before")) + workload["cgroups"]
    r.expect(callback is not None and locked is not None and locked <= callback <= locked * cpus * memcgs,
             f"mem_cgroup_css_rstat_flush once per (cpu, updated memcg) of each flush: {locked} flushes "
             f"<= {callback} calls <= {locked} x {cpus} cpus x {memcgs} memcgs")
    for name in ("memory_stat_show", "__mem_cgroup_flush_stats", "cgroup_rstat_flush_locked",
                 "mem_cgroup_css_rstat_flush"):
        f = functions.get(name) or {}
        print(f"  calls per read: {name} {f.get('calls_per_read')}")
