#pragma once
// The tool's own cost: run_time_ns/run_cnt of its BPF programs. Statistics are
// switched on with BPF_ENABLE_STATS, which the kernel keeps on only while the
// returned fd is open: kernel.bpf_stats_enabled goes back to its old value when
// the tool exits, even if it crashes.
#include <cstdint>
#include <vector>

#include "base/owners.h"

namespace bpfscope {

struct ProgramRunStats {
    uint64_t run_time_ns = 0;
    uint64_t run_count = 0;
    double average_ns() const { return run_count ? double(run_time_ns) / double(run_count) : 0.0; }
};

class BpfStatsScope {
  public:
    BpfStatsScope();  // best effort; enabled() tells whether it worked
    bool enabled() const { return fd_.valid(); }

  private:
    UniqueFd fd_;
};

ProgramRunStats read_program_stats(int program_fd);
ProgramRunStats sum_program_stats(const std::vector<int>& program_fds);

}  // namespace bpfscope
