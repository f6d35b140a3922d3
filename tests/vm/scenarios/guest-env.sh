# vm-batch: b
# Harness self-check: the guest offers what the bpfscope scenarios rely on (BTF with the functions
# they trace, kallsyms, tracefs, debugfs, bpffs, cgroup2 with the memory controller, bpftool).
functions='memory_stat_show|mem_cgroup_flush_stats|__mem_cgroup_flush_stats|cgroup_rstat_flush_irqsafe|cgroup_rstat_flush|css_rstat_flush|mem_cgroup_css_rstat_flush|ep_poll_callback'
uname -r > /results/uname
wc -c < /sys/kernel/btf/vmlinux > /results/btf.bytes
grep -E " ($functions)\$" /proc/kallsyms > /results/kallsyms.txt
bpftool btf dump file /sys/kernel/btf/vmlinux | grep -E "^\[[0-9]+\] FUNC '($functions)'" > /results/btf-funcs.txt
cat /sys/fs/cgroup/cgroup.subtree_control > /results/subtree_control
cat "$MEMORY_STAT" > /results/memory.stat
cat /proc/self/cgroup > /results/self.cgroup
cat /proc/mounts > /results/mounts
ls /sys/kernel/tracing/events > /results/tracing-event-groups
run_capture bpftool bpftool version
