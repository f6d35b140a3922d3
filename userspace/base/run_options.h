#pragma once
// The figures every measuring tool shares, without the command-line parser:
// core/run_loop.h and the layers read them, base/options.h registers them.

namespace bpfscope {

struct RunOptions {
    double duration_s = 0;    // -d: 0 runs until Ctrl-C
    double interval_s = 0;    // -i: print (and reset) every interval; 0 prints once at the end
    int interval_count = 0;   // --count: stop after this many intervals (0: no limit)
    bool timestamps = false;  // -T
    bool json = false;        // -j
    bool verbose = false;     // -v: libbpf debug output and extra detail
    bool quiet = false;       // -q: errors only
};

}  // namespace bpfscope
