# vm-batch: b
# A kernel function this kernel does not have: css_rstat_flush (the >= 6.16 name of
# cgroup_rstat_flush, present on the development host). Both the planner's choice and a forced
# kprobe must fail cleanly: non-zero exit, one clear line, nothing attached.
links_before=$(bpf_link_count)
progs_before=$(bpf_prog_count)
t0=$(uptime_s)
run_capture default bpfscope funclatency -j -d 5 css_rstat_flush
t1=$(uptime_s)
run_capture kprobe bpfscope funclatency -j -d 5 --backend kprobe css_rstat_flush
t2=$(uptime_s)
# A real target next to the missing one: the whole run must be refused, not half attached.
run_capture mixed bpfscope funclatency -j -d 5 memory_stat_show css_rstat_flush
t3=$(uptime_s)
echo "$t0 $t1 $t2 $t3" > /results/times
{
  echo "links_before=$links_before"
  echo "links_after=$(bpf_link_count)"
  echo "progs_before=$progs_before"
  echo "progs_after=$(bpf_prog_count)"
  echo "hooked_after=$(ftrace_hooked_count)"
  echo "kprobe_events=$(wc -l < /sys/kernel/tracing/kprobe_events)"
} > /results/bpf
# grep -c exits 1 when it counts 0: the scenario must still exit 0.
grep -c ' css_rstat_flush$' /proc/kallsyms > /results/kallsyms-matches || true
