# vm-batch: b
# Depth handling of funclatency on both kernel backends, in one boot:
#  - recursion: nested_epoll chains DEPTH epoll instances behind an eventfd, so each of its WRITES
#    writes runs ep_poll_callback() DEPTH times nested on the same thread;
#  - nesting of different functions: memory_stat_show -> memory_stat_format ->
#    __mem_cgroup_flush_stats on every memory.stat read (READS reads).
DEPTH=3
WRITES=300
READS=100
printf 'depth=%s\nwrites=%s\nreads=%s\n' $DEPTH $WRITES $READS > /results/params
workload="nested_epoll --depth $DEPTH --count $WRITES && readstats --path $MEMORY_STAT --count $READS"
targets="ep_poll_callback memory_stat_show __mem_cgroup_flush_stats"
trace_while fentry 6 "$workload" bpfscope funclatency -j -d 90 $targets
trace_while kprobe 6 "$workload" bpfscope funclatency -j -d 90 --backend kprobe $targets
