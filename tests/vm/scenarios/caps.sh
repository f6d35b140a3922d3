# vm-batch: a
# bpfscope caps on the stock kernel: every program kind should load and attach here.
run_capture caps bpfscope caps -j
run_capture caps-text bpfscope caps
