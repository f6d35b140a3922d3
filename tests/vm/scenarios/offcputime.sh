# vm-batch: c
# requires-tool: offcputime
# offcputime on the stock kernel: blocker sleeps 20 x 50 ms in main -> outer -> inner ->
# nanosleep(2); the folded output must hold that stack with about the time blocker measured.
trace_while offcputime 1 "blocker 20 50" bpfscope offcputime -f -d 90
