#pragma once
// Measures the latency of any number of targets at once (funclatency, memcg).
// Each target gets its own instance of bpf/funclatency.bpf.c with its target
// id in rodata and only its backend's two programs loaded; all instances share
// the statistics and start maps of one master instance.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/attach_plan.h"
#include "core/bpf_stats.h"
#include "core/target_spec.h"
#include "report/histogram.h"

namespace bpfscope {

struct LatencyOptions {
    std::string unit = "ns";  // "ns", "us" or "ms": the histogram's unit
    uint32_t pid = 0;         // only this process (tgid); 0: all
    std::string cgroup_path;  // only tasks in this cgroup v2 (and below)
    std::optional<Backend> forced_backend;
    uint32_t start_map_entries = 10240;
    // Presets (memcg) list unreachable targets instead of failing the run.
    bool allow_unreachable = false;
    // BPF run-time statistics for the overhead report. They cost about 40 ns
    // per program run (two clock reads), so --no-overhead turns them off.
    bool measure_overhead = true;
};

struct LatencyResult {
    report::Log2Histogram histogram;  // slots in the run's unit; count/sum/min/max in that unit too
    uint64_t count = 0;
    uint64_t sum_ns = 0, min_ns = 0, max_ns = 0;
    uint64_t lost_starts = 0;      // the start map was full
    uint64_t unmatched_exits = 0;  // end without start (in flight at attach, or lost start)
    uint64_t depth_overflow = 0;   // nesting deeper than the bound: not timed
    uint64_t open_calls = 0;       // starts without end when collected (in flight, or thread died)
};

uint64_t unit_divisor(const std::string& unit);

class LatencySession {
  public:
    // Plans, loads and attaches. Throws UserError when a target cannot be
    // reached (unless allow_unreachable) or the options are wrong; nothing
    // stays attached after a throw.
    LatencySession(std::vector<TargetSpec> targets, LatencyOptions options);
    ~LatencySession();
    LatencySession(const LatencySession&) = delete;
    LatencySession& operator=(const LatencySession&) = delete;

    const std::vector<TargetPlan>& plans() const { return plans_; }
    // One result per plan (empty for unreachable targets). With reset, the
    // statistics start again from zero (interval output).
    std::vector<LatencyResult> collect(bool reset);
    // Cost of our programs since attach (needs BPF stats; see bpf_stats.h).
    ProgramRunStats overhead() const;
    bool overhead_known() const { return stats_scope_ && stats_scope_->enabled(); }
    const LatencyOptions& options() const { return options_; }

  private:
    struct Impl;
    LatencyOptions options_;
    std::vector<TargetPlan> plans_;
    std::optional<BpfStatsScope> stats_scope_;
    std::unique_ptr<Impl> impl_;
};

}  // namespace bpfscope
