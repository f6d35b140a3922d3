#include "memcg/run_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>

namespace bpfscope::memcg {

namespace {

std::string metric_name_for_counter(const CounterReading& counter) {
    std::string name = counter.name;
    std::replace(name.begin(), name.end(), '-', '_');
    return name + (counter.unit.empty() ? "" : "_" + counter.unit) + "_per_read";
}

nlohmann::json summary_json(const SampleSummary& s) {
    return {{"count", s.count}, {"p50", s.p50}, {"p90", s.p90}, {"p99", s.p99},
            {"mean", s.mean},   {"min", s.min}, {"max", s.max}};
}

std::string utc_now() {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

// Latency in microseconds with enough digits for a few-microsecond read.
std::string us(double ns) {
    return fmt::format("{:.2f}", ns / 1000.0);
}

}  // namespace

void derive_run_figures(RunRecord& run) {
    run.latency = summarize(run.reader.latency_ns);
    size_t reads = run.reader.latency_ns.size();
    if (reads == 0)
        return;
    for (const auto& counter : run.reader.counters) {
        if (!counter.supported)
            continue;
        run.metrics[metric_name_for_counter(counter)] = double(counter.value) / double(reads);
    }
}

nlohmann::json report_to_json(const MemcgReport& report) {
    using nlohmann::json;
    const auto& k = report.kernel;
    json kernel = {{"release", k.release},
                   {"version", k.version},
                   {"machine", k.machine},
                   {"config_source", k.config_source},
                   {"config_problem", k.config_problem},
                   {"config", k.memcg_config},
                   {"cmdline", k.cmdline},
                   {"boot_parameters", k.boot_parameters},
                   {"implementation",
                    {{"kind", k.implementation.kind},
                     {"rstat_symbols", k.implementation.rstat_symbols},
                     {"atomic_symbols", k.implementation.atomic_symbols},
                     {"symbols_source", k.symbols_source}}}};
    const auto& w = report.workload;
    json workload = {{"mode", w.mode},
                     {"cgroup_version", w.cgroup_version},
                     {"controller_mount", w.controller_mount},
                     {"depth", w.depth},
                     {"width", w.width},
                     {"cgroups", w.cgroups},
                     {"writers", w.writer.count},
                     {"writer_anon_bytes", w.writer.anon_bytes},
                     {"writer_file_bytes", w.writer.file_bytes},
                     {"writer_pause_us", w.writer.pause_us},
                     {"read_level", w.read_level},
                     {"read_path", w.read_path},
                     {"reads", w.reads},
                     {"read_delay_us", w.read_delay_us},
                     {"reader_cpu", w.reader_cpu},
                     {"runs", w.runs},
                     {"warmup_ms", w.warmup_ms},
                     {"run_gap_ms", w.run_gap_ms},
                     {"tree_top", w.tree_top},
                     {"tree_removed", w.tree_removed},
                     {"tree_left", w.tree_left}};
    json runs = json::array();
    std::vector<double> all_samples, run_medians;
    std::map<std::string, std::vector<double>> metric_values;
    for (const auto& run : report.runs) {
        json counters = json::array();
        for (const auto& c : run.reader.counters) {
            json counter = {{"name", c.name}, {"unit", c.unit}, {"supported", c.supported}};
            if (c.supported) {
                counter["value"] = c.value;
                counter["scaled"] = c.scaled;
            } else {
                counter["reason"] = c.reason;
            }
            counters.push_back(counter);
        }
        runs.push_back({{"index", run.index},
                        {"reads", run.reader.latency_ns.size()},
                        {"interrupted", run.reader.interrupted},
                        {"wall_ns", run.reader.wall_ns},
                        {"bytes_per_read", run.reader.bytes_per_read},
                        {"latency_ns", summary_json(run.latency)},
                        {"counters", counters},
                        {"metrics", run.metrics},
                        {"tracing", run.tracing},
                        {"samples_ns", run.reader.latency_ns}});
        all_samples.insert(all_samples.end(), run.reader.latency_ns.begin(),
                           run.reader.latency_ns.end());
        run_medians.push_back(run.latency.p50);
        for (const auto& [name, value] : run.metrics) metric_values[name].push_back(value);
    }
    json metric_medians = json::object();
    for (const auto& [name, values] : metric_values) metric_medians[name] = median_of(values);
    json summary = {{"latency_ns", summary_json(summarize(all_samples))},
                    {"run_p50_ns", run_medians},
                    {"run_p50_spread_ns", range_of(run_medians)},
                    {"metrics_median", metric_medians}};
    return {{"schema", kReportSchema},
            {"schema_version", kReportSchemaVersion},
            {"tool", "bpfscope memcg"},
            {"created_utc", utc_now()},
            {"kernel", kernel},
            {"workload", workload},
            {"summary", summary},
            {"tracing", report.tracing},
            {"runs", runs},
            {"notes", report.notes},
            {"warnings", report.warnings}};
}

std::string render_report_text(const MemcgReport& report) {
    std::string out;
    auto line = [&out](const std::string& text) { out += text + "\n"; };
    const auto& k = report.kernel;
    const auto& w = report.workload;
    line(fmt::format("kernel      {} ({}), memcg stats implementation: {}", k.release, k.machine,
                     k.implementation.kind));
    if (w.mode == "builtin") {
        line(fmt::format(
            "workload    cgroup v{} at {}: tree depth {} x width {} ({} cgroups), "
            "{} writers",
            w.cgroup_version, w.controller_mount, w.depth, w.width, w.cgroups, w.writer.count));
    } else {
        line(fmt::format("workload    existing cgroup (cgroup v{}), no writers", w.cgroup_version));
    }
    line(fmt::format(
        "reader      {} reads x {} runs of {} ({}){}", w.reads, report.runs.size(), w.read_path,
        w.read_level,
        w.read_delay_us ? fmt::format(", slowed by {} us per read", w.read_delay_us) : ""));
    line("");
    line("per-read latency of memory.stat (open+read+close, measured in the reader), us");
    line(fmt::format("  {:>5} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}", "run", "reads", "p50",
                     "p90", "p99", "mean", "min", "max"));
    std::vector<double> all;
    for (const auto& run : report.runs) {
        const auto& s = run.latency;
        line(fmt::format("  {:>5} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}", run.index, s.count,
                         us(s.p50), us(s.p90), us(s.p99), us(s.mean), us(s.min), us(s.max)));
        all.insert(all.end(), run.reader.latency_ns.begin(), run.reader.latency_ns.end());
    }
    if (report.runs.size() > 1) {
        auto s = summarize(all);
        line(fmt::format("  {:>5} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}", "all", s.count,
                         us(s.p50), us(s.p90), us(s.p99), us(s.mean), us(s.min), us(s.max)));
        std::vector<double> medians;
        for (const auto& run : report.runs) medians.push_back(run.latency.p50);
        line(fmt::format("  run-to-run spread of the median: {} us", us(range_of(medians))));
    }
    line("");
    line("counters around the reader, per read (median of runs)");
    if (!report.runs.empty()) {
        for (const auto& counter : report.runs.front().reader.counters) {
            if (!counter.supported) {
                line(fmt::format("  {:<18} {}", counter.name, counter.reason));
                continue;
            }
            std::vector<double> values;
            for (const auto& run : report.runs) {
                for (const auto& c : run.reader.counters)
                    if (c.name == counter.name && c.supported && !run.reader.latency_ns.empty())
                        values.push_back(double(c.value) / double(run.reader.latency_ns.size()));
            }
            line(fmt::format("  {:<18} {:>12.2f} {}", counter.name, median_of(values),
                             counter.unit));
        }
    }
    line("");
    line("kernel identity");
    line(fmt::format("  release         {}", k.release));
    if (!k.config_source.empty()) {
        std::string options;
        for (const auto& [name, value] : k.memcg_config)
            options += (options.empty() ? "" : " ") + name + "=" + value;
        line(fmt::format("  config          {} (from {})",
                         options.empty() ? "no CONFIG_MEMCG*" : options, k.config_source));
    } else {
        line(fmt::format("  config          unknown: {}", k.config_problem));
    }
    std::string params;
    for (const auto& p : k.boot_parameters) params += (params.empty() ? "" : " ") + p;
    line(fmt::format("  boot parameters {}", params.empty() ? "(none relevant to memcg)" : params));
    std::string rstat, atomic;
    for (const auto& s : k.implementation.rstat_symbols) rstat += (rstat.empty() ? "" : ", ") + s;
    for (const auto& s : k.implementation.atomic_symbols)
        atomic += (atomic.empty() ? "" : ", ") + s;
    line(fmt::format("  implementation  {} (rstat: {}; atomic: {})", k.implementation.kind,
                     rstat.empty() ? "none" : rstat, atomic.empty() ? "none" : atomic));
    for (const auto& note : report.notes) line("note: " + note);
    for (const auto& warning : report.warnings) line("WARNING: " + warning);
    return out;
}

}  // namespace bpfscope::memcg
