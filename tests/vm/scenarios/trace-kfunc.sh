# vm-batch: c
# requires-tool: trace
# trace on kernel functions with both backends: dd reads /dev/zero 20 x 4096 bytes, so vfs_read
# has count (its BTF name for arg3) = 4096 and returns 4096 exactly 20 times for comm dd; the
# kernel stack goes through ksys_read; a wildcard reaches vfs_read among its matches.
DD="dd if=/dev/zero of=/dev/null bs=4096 count=20"
for backend in fentry kprobe; do
  trace_while "entry-$backend" 1 "$DD" \
    bpfscope trace -j -K --comm dd --backend $backend vfs_read '"%d %llx", count, arg1'
  trace_while "return-$backend" 1 "$DD" \
    bpfscope trace -j --comm dd --backend $backend r:vfs_read '"%d", retval'
  trace_while "wildcard-$backend" 1 "$DD" \
    bpfscope trace -j --comm dd --backend $backend 'vfs_rea*'
done
