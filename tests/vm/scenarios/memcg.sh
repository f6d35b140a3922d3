# requires-tool: memcg
# bpfscope memcg on the stock kernel (cgroup v2, fentry available): its own tree, writers and
# reader; the memory.stat path functions must be measured with fentry.
run_capture memcg bpfscope memcg --depth 2 --width 2 --writers 2 --reads 500 --runs 2 -j
