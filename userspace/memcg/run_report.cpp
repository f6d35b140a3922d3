#include "memcg/run_report.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <ctime>

#include "report/json_writer.h"

namespace bpfscope::memcg {

namespace {

std::string metric_name_for_counter(const CounterReading& counter) {
    std::string name = counter.name;
    std::replace(name.begin(), name.end(), '-', '_');
    return name + (counter.unit.empty() ? "" : "_" + counter.unit) + "_per_read";
}

report::Data summary_data(const SampleSummary& s) {
    return report::Data::record({{"count", s.count},
                                 {"p50", s.p50},
                                 {"p90", s.p90},
                                 {"p99", s.p99},
                                 {"mean", s.mean},
                                 {"min", s.min},
                                 {"max", s.max}});
}

std::string utc_now() {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

std::string joined(const std::vector<std::string>& items, const char* separator) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
    return out;
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

namespace {

report::Data document(const MemcgReport& report) {
    using report::Data;
    const auto& k = report.kernel;
    Data kernel = Data::record(
        {{"release", k.release},
         {"version", k.version},
         {"machine", k.machine},
         {"config_source", k.config_source},
         {"config_problem", k.config_problem},
         {"config", k.memcg_config},
         {"cmdline", k.cmdline},
         {"boot_parameters", k.boot_parameters},
         {"implementation", Data::record({{"kind", k.implementation.kind},
                                          {"rstat_symbols", k.implementation.rstat_symbols},
                                          {"atomic_symbols", k.implementation.atomic_symbols},
                                          {"symbols_source", k.symbols_source}})}});
    const auto& w = report.workload;
    Data workload = Data::record({{"mode", w.mode},
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
                                  {"tree_left", w.tree_left}});
    Data runs = Data::list();
    std::vector<double> all_samples, run_medians;
    std::map<std::string, std::vector<double>> metric_values;
    for (const auto& run : report.runs) {
        Data counters = Data::list();
        for (const auto& c : run.reader.counters) {
            Data counter =
                Data::record({{"name", c.name}, {"unit", c.unit}, {"supported", c.supported}});
            if (c.supported) {
                counter["value"] = c.value;
                counter["scaled"] = c.scaled;
            } else {
                counter["reason"] = c.reason;
            }
            counters.push_back(counter);
        }
        runs.push_back(Data::record({{"index", run.index},
                                     {"reads", run.reader.latency_ns.size()},
                                     {"interrupted", run.reader.interrupted},
                                     {"wall_ns", run.reader.wall_ns},
                                     {"bytes_per_read", run.reader.bytes_per_read},
                                     {"latency_ns", summary_data(run.latency)},
                                     {"counters", counters},
                                     {"metrics", run.metrics},
                                     {"tracing", run.tracing},
                                     {"samples_ns", run.reader.latency_ns}}));
        all_samples.insert(all_samples.end(), run.reader.latency_ns.begin(),
                           run.reader.latency_ns.end());
        run_medians.push_back(run.latency.p50);
        for (const auto& [name, value] : run.metrics) metric_values[name].push_back(value);
    }
    Data metric_medians = Data::record();
    for (const auto& [name, values] : metric_values) metric_medians[name] = median_of(values);
    Data summary = Data::record({{"latency_ns", summary_data(summarize(all_samples))},
                                 {"run_p50_ns", run_medians},
                                 {"run_p50_spread_ns", range_of(run_medians)},
                                 {"metrics_median", metric_medians}});
    return Data::record(
        {{"schema", kReportSchema},
         {"schema_version", kReportSchemaVersion},
         {"tool", "bpfscope memcg"},
         {"created_utc", report.created_utc.empty() ? utc_now() : report.created_utc},
         {"kernel", kernel},
         {"workload", workload},
         {"summary", summary},
         {"tracing", report.tracing},
         {"runs", runs},
         {"notes", report.notes},
         {"warnings", report.warnings}});
}

// Latency in microseconds with enough digits for a few-microsecond read.
constexpr int kUsPrecision = 2;
report::Value us(double ns) {
    return ns / 1000.0;
}

std::vector<report::Value> latency_row(report::Value run, const SampleSummary& s) {
    return {std::move(run), s.count,    us(s.p50), us(s.p90),
            us(s.p99),      us(s.mean), us(s.min), us(s.max)};
}

void add_text_sections(const MemcgReport& report, report::Report& out) {
    using report::ColumnFormat;
    const auto& k = report.kernel;
    const auto& w = report.workload;
    report::Section& run = out.add_section("", "run");
    run.layout = report::FieldLayout::kAligned;
    run.key_width = 12;
    run.indent = 0;
    run.add("kernel", fmt::format("{} ({}), memcg stats implementation: {}", k.release, k.machine,
                                  k.implementation.kind));
    if (w.mode == "builtin")
        run.add("workload",
                fmt::format("cgroup v{} at {}: tree depth {} x width {} ({} cgroups), {} writers",
                            w.cgroup_version, w.controller_mount, w.depth, w.width, w.cgroups,
                            w.writer.count));
    else
        run.add("workload",
                fmt::format("existing cgroup (cgroup v{}), no writers", w.cgroup_version));
    run.add("reader",
            fmt::format(
                "{} reads x {} runs of {} ({}){}", w.reads, report.runs.size(), w.read_path,
                w.read_level,
                w.read_delay_us ? fmt::format(", slowed by {} us per read", w.read_delay_us) : ""));

    report::Section& latency = out.add_section(
        "per-read latency of memory.stat (open+read+close, measured in the reader), us", "latency");
    report::Table runs{"", {"run", "reads", "p50", "p90", "p99", "mean", "min", "max"}, {}};
    runs.formats = {{2, 5}, {1, 7}};
    for (int i = 0; i < 6; i++) runs.formats.push_back({1, 9, report::Align::kRight, kUsPrecision});
    runs.formats[0].align = runs.formats[1].align = report::Align::kRight;
    std::vector<double> all;
    for (const auto& r : report.runs) {
        runs.rows.push_back(latency_row(int64_t(r.index), r.latency));
        all.insert(all.end(), r.reader.latency_ns.begin(), r.reader.latency_ns.end());
    }
    if (report.runs.size() > 1)
        runs.rows.push_back(latency_row(std::string("all"), summarize(all)));
    latency.tables.push_back(runs);
    if (report.runs.size() > 1) {
        std::vector<double> medians;
        for (const auto& r : report.runs) medians.push_back(r.latency.p50);
        report::Section& spread = out.add_section("", "spread");
        spread.layout = report::FieldLayout::kLines;
        spread.fields.push_back(
            {"run-to-run spread of the median", us(range_of(medians)), "us", kUsPrecision});
    }

    report::Section& counters =
        out.add_section("counters around the reader, per read (median of runs)", "counters");
    report::Table table{"", {"counter", "per read", "unit"}, {}};
    table.header = false;
    table.formats = {{2, 18, report::Align::kLeft},
                     {1, 12, report::Align::kRight, 2},
                     {1, 0, report::Align::kLeft}};
    if (!report.runs.empty()) {
        for (const auto& counter : report.runs.front().reader.counters) {
            if (!counter.supported) {
                table.rows.push_back({counter.name, counter.reason});
                continue;
            }
            std::vector<double> values;
            for (const auto& r : report.runs) {
                for (const auto& c : r.reader.counters)
                    if (c.name == counter.name && c.supported && !r.reader.latency_ns.empty())
                        values.push_back(double(c.value) / double(r.reader.latency_ns.size()));
            }
            table.rows.push_back({counter.name, median_of(values), counter.unit});
        }
    }
    counters.tables.push_back(table);

    report::Section& identity = out.add_section("kernel identity", "kernel");
    identity.layout = report::FieldLayout::kAligned;
    identity.key_width = 16;
    identity.add("release", k.release);
    if (!k.config_source.empty()) {
        std::vector<std::string> options;
        for (const auto& [name, value] : k.memcg_config) options.push_back(name + "=" + value);
        identity.add(
            "config",
            fmt::format("{} (from {})", options.empty() ? "no CONFIG_MEMCG*" : joined(options, " "),
                        k.config_source));
    } else {
        identity.add("config", "unknown: " + k.config_problem);
    }
    identity.add("boot parameters", k.boot_parameters.empty()
                                        ? std::string("(none relevant to memcg)")
                                        : joined(k.boot_parameters, " "));
    std::string rstat = joined(k.implementation.rstat_symbols, ", ");
    std::string atomic = joined(k.implementation.atomic_symbols, ", ");
    identity.add("implementation",
                 fmt::format("{} (rstat: {}; atomic: {})", k.implementation.kind,
                             rstat.empty() ? "none" : rstat, atomic.empty() ? "none" : atomic));
    if (!report.notes.empty()) {
        report::Section& notes = out.add_section("", "notes");
        notes.indent = 0;
        notes.notes = report.notes;
    }
}

}  // namespace

report::Report memcg_report(const MemcgReport& report, const report::Report* kernel_side) {
    report::Report out;
    out.tool = "memcg";
    out.document = document(report);
    add_text_sections(report, out);
    if (kernel_side) {
        out.add_section("where the time goes (kernel side, all runs)", "kernel_side");
        out.sections.insert(out.sections.end(), kernel_side->sections.begin(),
                            kernel_side->sections.end());
        out.warnings = kernel_side->warnings;
    }
    out.warnings.insert(out.warnings.begin(), report.warnings.begin(), report.warnings.end());
    return out;
}

report::Report passive_report(const MemcgReport& report, double window_s,
                              const report::Report& kernel_side) {
    report::Report out;
    out.tool = "memcg";
    out.document = document(report);
    report::Section& kernel = out.add_section("", "run");
    kernel.layout = report::FieldLayout::kAligned;
    kernel.key_width = 12;
    kernel.indent = 0;
    kernel.add("kernel", fmt::format("{}, memcg stats implementation: {}", report.kernel.release,
                                     report.kernel.implementation.kind));
    report::Section& window = out.add_section("", "window");
    window.layout = report::FieldLayout::kLines;
    window.indent = 0;
    window.add("no workload",
               fmt::format("system-wide for {:.1f} s (no per-read figures)", window_s));
    out.sections.insert(out.sections.end(), kernel_side.sections.begin(),
                        kernel_side.sections.end());
    out.warnings = kernel_side.warnings;
    return out;
}

}  // namespace bpfscope::memcg
