#include "core/latency_report.h"

namespace bpfscope {

report::Section latency_section(const TargetPlan& plan, const LatencyResult& result,
                                const std::string& unit) {
    report::Section section;
    section.title = plan.target.text;
    section.add("type", std::string(target_type_name(plan.target.type)));
    if (!plan.reachable()) {
        section.kind = "unreachable";
        section.add("reason", plan.unreachable);
        if (!plan.suggestions.empty()) {
            std::string names;
            for (const auto& name : plan.suggestions) names += (names.empty() ? "" : " ") + name;
            section.add("similar", names);
        }
        section.notes = plan.not_used;
        return section;
    }
    section.kind = "target";
    const double divisor = double(unit_divisor(unit));
    section.add("backend", std::string(backend_name(*plan.backend)));
    section.add("count", result.count);
    const auto& h = result.histogram;
    bool any = result.count > 0;
    auto in_unit = [&](double ns) { return any ? report::Value(ns / divisor) : report::Value(); };
    section.add("avg", in_unit(double(result.sum_ns) / double(std::max<uint64_t>(result.count, 1))),
                unit);
    section.add("min", in_unit(double(result.min_ns)), unit);
    section.add("max", in_unit(double(result.max_ns)), unit);
    section.add("p50", any ? report::Value(h.percentile(0.50)) : report::Value(), unit);
    section.add("p90", any ? report::Value(h.percentile(0.90)) : report::Value(), unit);
    section.add("p99", any ? report::Value(h.percentile(0.99)) : report::Value(), unit);
    section.add("total", in_unit(double(result.sum_ns)), unit);
    section.add("lost_starts", result.lost_starts);
    section.add("unmatched_exits", result.unmatched_exits);
    section.add("open_calls", result.open_calls);
    section.add("depth_overflow", result.depth_overflow);
    if (!plan.resolved_binary.empty())
        section.add("binary", plan.resolved_binary);
    for (const auto& reason : plan.not_used) section.notes.push_back("not used: " + reason);
    section.histogram = h;
    return section;
}

report::Section overhead_section(const ProgramRunStats& stats, bool known, bool wanted) {
    report::Section section;
    section.title = "bpfscope overhead (BPF program run time)";
    section.kind = "overhead";
    if (!known) {
        section.add("known", false);
        section.notes.push_back(
            wanted ? "BPF run-time statistics could not be enabled (BPF_ENABLE_STATS failed)"
                   : "not measured (--no-overhead)");
        return section;
    }
    section.add("known", true);
    section.add("program_runs", stats.run_count);
    section.add("program_time", double(stats.run_time_ns) / 1e6, "ms");
    section.add("per_run", stats.average_ns(), "ns");
    return section;
}

void add_loss_warnings(report::Report& report, const std::vector<TargetPlan>& plans,
                       const std::vector<LatencyResult>& results) {
    for (size_t i = 0; i < plans.size() && i < results.size(); i++) {
        const auto& r = results[i];
        const std::string& name = plans[i].target.text;
        if (r.lost_starts)
            report.warnings.push_back(
                name + ": " + std::to_string(r.lost_starts) +
                " starts lost because the start map was full (raise --start-map-size)");
        if (r.depth_overflow)
            report.warnings.push_back(name + ": " + std::to_string(r.depth_overflow) +
                                      " nested calls deeper than the depth bound were not timed");
    }
}

}  // namespace bpfscope
