# vm-batch: a
# funclatency on the memory.stat read path with the default backend (fentry on this kernel) while
# readstats reads the test cgroup's memory.stat READS times.
READS=300
echo "reads=$READS" > /results/params
trace_while funclatency 4 "readstats --path $MEMORY_STAT --count $READS" \
  bpfscope funclatency -j -d 90 memory_stat_show __mem_cgroup_flush_stats
