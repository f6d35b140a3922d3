# vm-batch: a
# The libbpf-tools drop-in funclatency (build/bin/funclatency, a symlink to bpfscope) on a kernel
# function, which needs fentry or kprobes (refused on the development VM): their text, with
# memory_stat_show counted once per read of memory.stat.
READS=300
echo "reads=$READS" > /results/params
trace_while funclatency 2 "readstats --path $MEMORY_STAT --count $READS" \
  funclatency -u memory_stat_show
