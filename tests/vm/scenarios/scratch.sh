bpfscope funclatency -v -d 1 memory_stat_show > /results/v.out 2> /results/v.err
