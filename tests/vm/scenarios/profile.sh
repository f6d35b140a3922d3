# vm-batch: c
# requires-tool: profile
# profile on the stock kernel: cpuburn spends 75% of 3 s in burn_heavy, 25% in burn_light.
trace_while profile 2 "cpuburn 3 75" bpfscope profile -f -F 99 -d 90
