# vm-batch: c
# bpfscope memcg on the guest's cgroup v2: its own tree (2x2), writers and reader, every kernel
# function of the preset through the attach planner (fentry on the stock kernel).
nproc > /results/cpus
# Cgroups before the tool makes its tree (the root included): bounds the per-cpu flush callbacks.
find /sys/fs/cgroup -name cgroup.controllers | wc -l > /results/cgroups-before
run_capture memcg bpfscope memcg --depth 2 --width 2 --writers 2 --reads 300 --runs 2 -j
ls /sys/fs/cgroup > /results/cgroups-after
