"""Harness self-check: the guest environment every bpfscope scenario relies on."""


def check(r):
    r.expect(r.text("uname").strip() == r.kernel_release,
             f"guest runs the prepared kernel {r.kernel_release}")
    btf_bytes = r.number("btf.bytes")
    r.expect(btf_bytes > 1_000_000, f"/sys/kernel/btf/vmlinux present ({btf_bytes} bytes)")
    symbols = {line.split()[2] for line in r.lines("kallsyms.txt")}
    r.expect("memory_stat_show" in symbols, f"memory.stat read path in kallsyms: {sorted(symbols)}")
    r.expect("__mem_cgroup_flush_stats" in symbols, "__mem_cgroup_flush_stats in kallsyms")
    r.expect("ep_poll_callback" in symbols, "ep_poll_callback (nested-scenario target) in kallsyms")
    # fentry needs each function in BTF (kprobes only need kallsyms).
    btf_funcs = {line.split("'")[1] for line in r.lines("btf-funcs.txt")}
    for function in ("memory_stat_show", "__mem_cgroup_flush_stats", "ep_poll_callback"):
        r.expect(function in btf_funcs, f"{function} has a BTF FUNC record")
    r.expect("memory" in r.text("subtree_control").split(),
             "cgroup2 root delegates +memory to its children")
    stat_keys = {line.split()[0] for line in r.lines("memory.stat")}
    r.expect({"anon", "file", "pgfault"} <= stat_keys,
             f"child cgroup memory.stat readable ({len(stat_keys)} keys)")
    r.expect(r.text("self.cgroup").strip() == "0::/bpfscope-test",
             "scenario runs in the child cgroup /bpfscope-test")
    mounted = {line.split()[2] for line in r.lines("mounts")}
    for fstype in ("tracefs", "debugfs", "bpf", "cgroup2", "devtmpfs", "proc", "sysfs"):
        r.expect(fstype in mounted, f"{fstype} mounted")
    groups = r.lines("tracing-event-groups")
    r.expect({"sched", "syscalls", "cgroup"} <= set(groups), f"tracefs lists {len(groups)} event groups")
    r.expect(r.rc("bpftool") == 0, f"bpftool runs in the guest: {r.text('bpftool.out').splitlines()[:1]}")
