#include "core/probe_report.h"

#include <map>
#include <set>

namespace bpfscope {

report::Section probe_points_section(const std::vector<ProbePoint>& points) {
    report::Section section;
    section.title = "attached";
    section.kind = "attach";
    std::map<std::string, uint64_t> by_backend;
    std::set<std::string> reasons;
    for (const auto& point : points) {
        by_backend[point.plan.backend ? backend_name(*point.plan.backend) : "none"]++;
        for (const auto& reason : point.plan.not_used) reasons.insert(reason);
    }
    section.add("points", uint64_t(points.size()));
    for (const auto& [backend, count] : by_backend) section.add(backend, count);
    for (const auto& reason : reasons) section.notes.push_back("not used: " + reason);
    return section;
}

report::Section probe_stats_section(const ProbeStats& stats) {
    report::Section section;
    section.title = "probe counters (since start)";
    section.kind = "probe_counters";
    section.add("hits", stats.hits)
        .add("filtered_out", stats.filtered_out)
        .add("ring_buffer_lost", stats.ring_buffer_lost)
        .add("map_full", stats.map_full)
        .add("stacks_missing", stats.stacks_missing)
        .add("read_errors", stats.read_errors);
    return section;
}

void add_probe_stats(report::Report& report, const ProbeStats& stats) {
    report.sections.push_back(probe_stats_section(stats));
    add_probe_loss_warnings(report, stats);
}

void add_probe_loss_warnings(report::Report& report, const ProbeStats& stats) {
    auto warn = [&](uint64_t count, const std::string& what) {
        if (count)
            report.warnings.push_back(std::to_string(count) + " " + what);
    };
    warn(stats.ring_buffer_lost, "events lost: ring buffer full (the reader was too slow)");
    warn(stats.map_full, "events not counted: aggregation map full (raise --max-entries)");
    warn(stats.stacks_missing, "stacks could not be captured (counted as missing stacks)");
    warn(stats.read_errors, "field reads faulted (their value reads as 0)");
}

report::Table probe_count_table(const std::vector<ProbePoint>& points,
                                const std::vector<ProbeCount>& counts, bool per_process) {
    report::Table table;
    table.columns = per_process ? std::vector<std::string>{"PID", "COMM", "FUNC", "COUNT"}
                                : std::vector<std::string>{"FUNC", "COUNT"};
    for (const auto& count : counts) {
        std::string name = count.point < points.size() ? points[count.point].name : "?";
        if (per_process)
            table.rows.push_back({uint64_t(count.tgid), count.comm, name, count.count});
        else
            table.rows.push_back({name, count.count});
    }
    return table;
}

report::Section value_histogram_section(const std::string& expression,
                                        report::Log2Histogram histogram, uint64_t negative_values) {
    report::Section section;
    section.title = expression;
    section.kind = "histogram";
    histogram.unit = expression;
    bool any = histogram.count > 0;
    auto when_any = [&](report::Value value) { return any ? value : report::Value(); };
    section.add("count", histogram.count);
    section.add("avg", when_any(histogram.mean()));
    section.add("min", when_any(histogram.min));
    section.add("max", when_any(histogram.max));
    section.add("p50", when_any(histogram.percentile(0.50)));
    section.add("p90", when_any(histogram.percentile(0.90)));
    section.add("p99", when_any(histogram.percentile(0.99)));
    section.add("sum", histogram.sum);
    section.add("negative_values", negative_values);
    if (negative_values)
        section.notes.push_back(std::to_string(negative_values) +
                                " negative values are counted in the [0] slot "
                                "(use --count to see them)");
    section.histogram = std::move(histogram);
    return section;
}

report::Value field_value(const FieldValue& value) {
    return std::visit([](const auto& v) { return report::Value(v); }, value);
}

report::Table value_count_table(const std::string& expression,
                                const std::vector<ValueCount>& counts, size_t top) {
    report::Table table;
    table.columns = {expression, "COUNT"};
    uint64_t other_values = 0, other_count = 0;
    for (const auto& count : counts) {
        if (top && table.rows.size() >= top) {
            other_values++;
            other_count += count.count;
            continue;
        }
        table.rows.push_back({field_value(count.value), count.count});
    }
    // Past --top the rest is summed, never dropped.
    if (other_values)
        table.rows.push_back({"[" + std::to_string(other_values) + " other values]", other_count});
    return table;
}

}  // namespace bpfscope
