#include "core/bpf_stats.h"

#include <bpf/bpf.h>

namespace bpfscope {

BpfStatsScope::BpfStatsScope() : fd_(bpf_enable_stats(BPF_STATS_RUN_TIME)) {}

ProgramRunStats read_program_stats(int program_fd) {
    ProgramRunStats stats;
    bpf_prog_info info{};
    __u32 length = sizeof info;
    if (program_fd >= 0 && bpf_obj_get_info_by_fd(program_fd, &info, &length) == 0) {
        stats.run_time_ns = info.run_time_ns;
        stats.run_count = info.run_cnt;
    }
    return stats;
}

ProgramRunStats sum_program_stats(const std::vector<int>& program_fds) {
    ProgramRunStats total;
    for (int fd : program_fds) {
        auto stats = read_program_stats(fd);
        total.run_time_ns += stats.run_time_ns;
        total.run_count += stats.run_count;
    }
    return total;
}

}  // namespace bpfscope
