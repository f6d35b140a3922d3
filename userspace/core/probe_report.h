#pragma once
// Report pieces the probe tools share (funccount, stackcount, argdist): what
// was attached and by which backend, the engine's counters and losses, count
// tables and value histograms. Built from ProbeSession results; the writers
// (report/text_writer.h, json_writer.h) render them.
#include <cstdint>
#include <string>
#include <vector>

#include "core/probe_session.h"
#include "report/model.h"

namespace bpfscope {

// kind "attach": how many points, the backends that reached them (with counts),
// and, once per distinct reason, why better backends were not used.
report::Section probe_points_section(const std::vector<ProbePoint>& points);

// kind "probe_counters": the engine's counters (hits, filtered out, losses).
report::Section probe_stats_section(const ProbeStats& stats);
// A report warning for every counter that means lost data.
void add_probe_loss_warnings(report::Report& report, const ProbeStats& stats);
// Both: the counters section and the loss warnings.
void add_probe_stats(report::Report& report, const ProbeStats& stats);

// funccount: FUNC COUNT rows (PID COMM FUNC COUNT with per_process), in the
// order given (ProbeSession::counts sorts by count).
report::Table probe_count_table(const std::vector<ProbePoint>& points,
                                const std::vector<ProbeCount>& counts, bool per_process);

// argdist --hist: count, avg, min, max, p50, p90, p99 (estimated from the log2
// buckets, as funclatency does) and the histogram; its value column is
// headed by `expression`.
report::Section value_histogram_section(const std::string& expression,
                                        report::Log2Histogram histogram, uint64_t negative_values);

// argdist --count: VALUE COUNT rows, the `top` most frequent (0: all).
report::Table value_count_table(const std::string& expression,
                                const std::vector<ValueCount>& counts, size_t top);

report::Value field_value(const FieldValue& value);

}  // namespace bpfscope
