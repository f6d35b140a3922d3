// probe_floor: attaches empty BPF programs to the hooks funclatency uses, so a
// benchmark can subtract the cost of the hook itself.
//   probe_floor uprobe BINARY FUNCTION
//   probe_floor raw_tp START_EVENT END_EVENT
//   probe_floor raw_tp EVENT          (one empty program: tools/bench/probe_bench.py)
// Prints "ready" once attached and runs until SIGINT/SIGTERM.
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "base/owners.h"
#include "bench_floor.skel.h"
#include "core/run_loop.h"

int main(int argc, char** argv) {
    if (argc != 4 && !(argc == 3 && std::string(argv[1]) == "raw_tp")) {
        std::fprintf(stderr, "usage: probe_floor uprobe BINARY FUNCTION | raw_tp START [END]\n");
        return 2;
    }
    std::string mode = argv[1];
    bpfscope::Skeleton<bench_floor_bpf, bench_floor_bpf__destroy> skel(
        bench_floor_bpf__open_and_load());
    if (!skel) {
        std::perror("probe_floor: load");
        return 1;
    }
    std::vector<bpfscope::BpfLink> links;
    if (mode == "uprobe") {
        for (bool ret : {true, false}) {
            LIBBPF_OPTS(bpf_uprobe_opts, options, .retprobe = ret, .func_name = argv[3]);
            links.emplace_back(bpf_program__attach_uprobe_opts(
                ret ? skel->progs.empty_uretprobe : skel->progs.empty_uprobe, -1, argv[2], 0,
                &options));
        }
    } else if (mode == "raw_tp") {
        if (argc == 4)
            links.emplace_back(
                bpf_program__attach_raw_tracepoint(skel->progs.empty_raw_tp_end, argv[3]));
        links.emplace_back(
            bpf_program__attach_raw_tracepoint(skel->progs.empty_raw_tp_start, argv[2]));
    } else {
        std::fprintf(stderr, "probe_floor: unknown mode '%s'\n", mode.c_str());
        return 2;
    }
    for (const auto& link : links) {
        if (!link) {
            std::perror("probe_floor: attach");
            return 1;
        }
    }
    std::printf("ready\n");
    std::fflush(stdout);
    bpfscope::install_stop_signals();
    while (!bpfscope::stop_requested()) pause();
    return 0;
}
