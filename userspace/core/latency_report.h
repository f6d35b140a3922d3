#pragma once
// Turns latency measurements into report sections, the same way for every
// tool that measures latency (funclatency, memcg).
#include "core/bpf_stats.h"
#include "core/latency_session.h"
#include "report/model.h"

namespace bpfscope {

// kind "target": backend, count, avg/min/max (in the run's unit), p50/p90/p99
// (estimated from the log2 buckets), loss counters, and the histogram. An
// unreachable target gets kind "unreachable" with the reason.
report::Section latency_section(const TargetPlan& plan, const LatencyResult& result,
                                const std::string& unit);

// kind "overhead": run count, total and average run time of our programs.
report::Section overhead_section(const ProgramRunStats& stats, bool known, bool wanted = true);

// Adds a report warning for every target that lost data.
void add_loss_warnings(report::Report& report, const std::vector<TargetPlan>& plans,
                       const std::vector<LatencyResult>& results);

}  // namespace bpfscope
