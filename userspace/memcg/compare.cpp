#include "memcg/compare.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "base/error.h"
#include "memcg/run_report.h"
#include "report/json_writer.h"

namespace bpfscope::memcg {

using nlohmann::json;

namespace {

// The parameters that change what a read costs; the artificial reader delay is
// deliberately not among them (it exists to test that compare sees it).
const std::vector<std::string> kWorkloadKeys = {"mode",  "cgroup_version", "depth",
                                                "width", "writers",        "read_level"};

std::string value_text(const json& value) {
    return value.is_string() ? value.get<std::string>() : value.dump();
}

}  // namespace

LoadedReport parse_report(const std::string& text, const std::string& label, bool force) {
    LoadedReport report;
    report.path = label;
    try {
        report.json = json::parse(text);
    } catch (const json::parse_error& error) {
        throw UserError(label + " is not valid JSON (" + error.what() + ")");
    }
    const json& j = report.json;
    if (!j.is_object() || j.value("schema", "") != kReportSchema)
        throw UserError(label + " is not a bpfscope memcg report (expected \"schema\": \"" +
                        kReportSchema + "\"; write one with bpfscope memcg --out FILE)");
    if (!j.contains("schema_version") || !j["schema_version"].is_number_integer())
        throw UserError(label + " has no integer schema_version");
    int version = j["schema_version"].get<int>();
    if (version != kReportSchemaVersion && !force)
        throw UserError(fmt::format(
            "{} has schema version {}, this bpfscope reads version {} (use the matching "
            "bpfscope, or --force to compare what can be read)",
            label, version, kReportSchemaVersion));
    if (!j.contains("workload") || !j["workload"].is_object())
        throw UserError(label + " has no workload object");
    if (!j.contains("runs") || !j["runs"].is_array() || j["runs"].empty())
        throw UserError(label + " has no runs");
    size_t index = 0;
    for (const auto& run : j["runs"]) {
        index++;
        if (!run.is_object() || !run.contains("samples_ns") || !run["samples_ns"].is_array())
            throw UserError(fmt::format(
                "{}: run {} has no samples_ns array (the per-read samples are needed for the "
                "confidence interval)",
                label, index));
        std::vector<double> samples;
        samples.reserve(run["samples_ns"].size());
        for (const auto& sample : run["samples_ns"]) {
            if (!sample.is_number() || sample.get<double>() < 0)
                throw UserError(
                    fmt::format("{}: run {} has a sample that is not a non-negative "
                                "number: {}",
                                label, index, sample.dump()));
            samples.push_back(sample.get<double>());
        }
        if (samples.empty())
            throw UserError(fmt::format("{}: run {} has no samples", label, index));
        std::map<std::string, double> metrics;
        if (run.contains("metrics") && run["metrics"].is_object()) {
            for (const auto& [name, value] : run["metrics"].items())
                if (value.is_number())
                    metrics[name] = value.get<double>();
        }
        report.run_samples.push_back(std::move(samples));
        report.run_metrics.push_back(std::move(metrics));
    }
    return report;
}

LoadedReport load_report(const std::string& path, bool force) {
    std::ifstream in(path);
    if (!in)
        throw UserError(errno_message("cannot open " + path, errno));
    std::stringstream text;
    text << in.rdbuf();
    return parse_report(text.str(), path, force);
}

std::vector<std::string> workload_mismatches(const LoadedReport& a, const LoadedReport& b) {
    std::vector<std::string> mismatches;
    const json& wa = a.json["workload"];
    const json& wb = b.json["workload"];
    for (const auto& key : kWorkloadKeys) {
        json va = wa.value(key, json()), vb = wb.value(key, json());
        if (va != vb)
            mismatches.push_back(key + ": " + value_text(va) + " vs " + value_text(vb));
    }
    if (wa.value("mode", "") == "cgroup" && wa.value("read_path", "") != wb.value("read_path", ""))
        mismatches.push_back("read_path: " + wa.value("read_path", "") + " vs " +
                             wb.value("read_path", ""));
    return mismatches;
}

namespace {

struct NamedStatistic {
    const char* name;
    Statistic statistic;
};
const std::vector<NamedStatistic> kLatencyStatistics = {
    {"p50", {0.5}}, {"p90", {0.9}}, {"p99", {0.99}}, {"mean", {Statistic::kMean}}};

std::string verdict_text(bool significant, double diff) {
    if (!significant)
        return "no significant difference";
    return diff > 0 ? "B slower" : "B faster";
}

json describe(const LoadedReport& report) {
    const json& j = report.json;
    json kernel = j.value("kernel", json::object());
    json implementation = kernel.value("implementation", json::object());
    return {{"file", report.path},
            {"kernel_release", kernel.value("release", "")},
            {"implementation", implementation.value("kind", "")},
            {"runs", report.run_samples.size()},
            {"workload", j["workload"]}};
}

json compare_pair(const LoadedReport& a, const LoadedReport& b, const CompareOptions& options) {
    json result;
    result["a"] = describe(a);
    result["b"] = describe(b);
    std::vector<Statistic> statistics;
    for (const auto& named : kLatencyStatistics) statistics.push_back(named.statistic);
    DifferenceOptions difference_options{options.min_effect, options.bootstrap};
    auto differences =
        judge_differences(a.run_samples, b.run_samples, statistics, difference_options);
    bool spread_known = a.run_samples.size() > 1 || b.run_samples.size() > 1;
    json latency = json::array();
    for (size_t s = 0; s < statistics.size(); s++) {
        const Difference& d = differences[s];
        latency.push_back({{"statistic", kLatencyStatistics[s].name},
                           {"a_ns", d.a},
                           {"b_ns", d.b},
                           {"ratio", d.a != 0 ? d.b / d.a : 0.0},
                           {"diff_ns", d.diff},
                           {"ci_low_ns", d.ci.low},
                           {"ci_high_ns", d.ci.high},
                           {"run_spread_ns", d.spread},
                           {"significant", d.significant},
                           {"verdict", verdict_text(d.significant, d.diff)},
                           {"reason", d.reason}});
    }
    result["latency"] = latency;
    result["confidence"] = options.bootstrap.confidence;
    result["spread_known"] = spread_known;

    // Per-run figures (counters, kernel-side counts per read): medians side by
    // side; called different only when the run ranges do not overlap.
    std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> metrics;
    for (const auto& run : a.run_metrics)
        for (const auto& [name, value] : run) metrics[name].first.push_back(value);
    for (const auto& run : b.run_metrics)
        for (const auto& [name, value] : run) metrics[name].second.push_back(value);
    json metric_rows = json::array();
    for (const auto& [name, values] : metrics) {
        const auto& [va, vb] = values;
        json row = {{"name", name}};
        row["a"] = va.empty() ? json() : json(median_of(va));
        row["b"] = vb.empty() ? json() : json(median_of(vb));
        std::string verdict = "-";
        if (!va.empty() && !vb.empty()) {
            double ma = median_of(va), mb = median_of(vb);
            row["ratio"] = ma != 0 ? json(mb / ma) : json();
            auto [a_low, a_high] = std::minmax_element(va.begin(), va.end());
            auto [b_low, b_high] = std::minmax_element(vb.begin(), vb.end());
            bool separated = *b_low > *a_high || *b_high < *a_low;
            bool big_enough = ma != 0 && std::fabs(mb - ma) / std::fabs(ma) >= options.min_effect;
            if (va.size() < 2 || vb.size() < 2)
                verdict = "- (needs --runs >= 2)";
            else
                verdict = separated && big_enough ? (mb > ma ? "B higher" : "B lower")
                                                  : "no significant difference";
        }
        row["verdict"] = verdict;
        metric_rows.push_back(row);
    }
    result["metrics"] = metric_rows;
    const json& p50 = latency[0];
    result["verdict"] = p50["significant"].get<bool>()
                            ? fmt::format("{} by {:+.1f}% in median latency per read",
                                          p50["verdict"].get<std::string>(),
                                          (p50["ratio"].get<double>() - 1.0) * 100.0)
                            : "no significant difference in median latency per read";
    if (!spread_known)
        result["warnings"] = {
            "both files hold a single run: the run-to-run spread is unknown, "
            "the verdict rests on the confidence interval alone (use --runs 3)"};
    return result;
}

}  // namespace

json compare_reports(const std::vector<LoadedReport>& reports, const CompareOptions& options) {
    if (reports.size() < 2)
        throw UserError("compare needs at least two report files");
    json comparisons = json::array();
    std::vector<std::string> forced;
    for (size_t i = 1; i < reports.size(); i++) {
        auto mismatches = workload_mismatches(reports[0], reports[i]);
        if (!mismatches.empty()) {
            std::string list;
            for (const auto& m : mismatches) list += (list.empty() ? "" : "; ") + m;
            if (!options.force)
                throw UserError(
                    fmt::format("{} and {} ran different workloads ({}); compare runs "
                                "of the same workload, or pass --force",
                                reports[0].path, reports[i].path, list));
            forced.push_back(reports[i].path + ": " + list);
        }
        json pair = compare_pair(reports[0], reports[i], options);
        if (!mismatches.empty())
            pair["workload_mismatches"] = mismatches;
        comparisons.push_back(pair);
    }
    return {{"schema", kCompareSchema},
            {"schema_version", kCompareSchemaVersion},
            {"baseline", reports[0].path},
            {"min_effect", options.min_effect},
            {"bootstrap",
             {{"iterations", options.bootstrap.iterations},
              {"confidence", options.bootstrap.confidence},
              {"seed", options.bootstrap.seed}}},
            {"comparisons", comparisons}};
}

namespace {

report::Value number(const json& value, double scale) {
    if (!value.is_number())
        return {};
    return value.get<double>() / scale;
}

// A table whose header line starts with its title at the left margin, in place
// of the first column's name: {the header line, the rows (to be filled)}.
std::pair<report::Table, report::Table> titled_table(std::string title,
                                                     const std::vector<std::string>& names,
                                                     std::vector<report::ColumnFormat> formats) {
    report::Table heading, rows;
    heading.header = rows.header = false;
    std::vector<report::Value> cells{std::move(title)};
    cells.insert(cells.end(), names.begin(), names.end());
    heading.rows.push_back(std::move(cells));
    heading.formats = formats;
    heading.formats[0] = {0, formats[0].gap + formats[0].width, report::Align::kLeft};
    rows.formats = std::move(formats);
    return {std::move(heading), std::move(rows)};
}

void add_pair_sections(const json& pair, bool first, report::Report& out) {
    using report::Align;
    report::Section& files = out.add_section("", "files");
    files.layout = report::FieldLayout::kLines;
    files.indent = 0;
    files.blank_before = !first;
    for (const char* side : {"a", "b"}) {
        const json& d = pair[side];
        const json& w = d["workload"];
        files.add(
            side == std::string("a") ? "A" : "B",
            fmt::format("{}  kernel {} ({}), {} runs x {} reads, {} {}x{} tree, {} writers, "
                        "read {}{}",
                        d["file"].get<std::string>(), d["kernel_release"].get<std::string>(),
                        d["implementation"].get<std::string>(), d["runs"].get<size_t>(),
                        value_text(w.value("reads", json())),
                        "v" + value_text(w.value("cgroup_version", json())),
                        value_text(w.value("depth", json())), value_text(w.value("width", json())),
                        value_text(w.value("writers", json())),
                        value_text(w.value("read_level", json())),
                        w.value("read_delay_us", 0)
                            ? fmt::format(" (slowed by {} us)", w.value("read_delay_us", 0))
                            : ""));
    }
    report::Section& latency = out.add_section("", "latency");
    latency.blank_before = true;
    auto [latency_heading, rows] =
        titled_table("per-read latency, us", {"A", "B", "B/A", "B-A [95% CI]", "spread", "verdict"},
                     {{2, 25, Align::kLeft},
                      {1, 9, Align::kRight, 2},
                      {1, 9, Align::kRight, 2},
                      {1, 7, Align::kRight, 3},
                      {2, 28, Align::kLeft},
                      {1, 8, Align::kRight, 2},
                      {2, 0, Align::kLeft}});
    latency.tables.push_back(latency_heading);
    for (const auto& row : pair["latency"]) {
        std::string ci = fmt::format(
            "{:+.2f} [{:+.2f}, {:+.2f}]", row["diff_ns"].get<double>() / 1000,
            row["ci_low_ns"].get<double>() / 1000, row["ci_high_ns"].get<double>() / 1000);
        std::string verdict = row["verdict"].get<std::string>();
        if (!row["significant"].get<bool>() && !row["reason"].get<std::string>().empty())
            verdict += " (" + row["reason"].get<std::string>() + ")";
        rows.rows.push_back({row["statistic"].get<std::string>(), number(row["a_ns"], 1000),
                             number(row["b_ns"], 1000), number(row["ratio"], 1), ci,
                             number(row["run_spread_ns"], 1000), verdict});
    }
    latency.tables.push_back(rows);
    if (!pair["metrics"].empty()) {
        report::Section& metrics = out.add_section("", "metrics");
        metrics.blank_before = true;
        auto [metrics_heading, figures] =
            titled_table("per-run figures (median of runs)", {"A", "B", "B/A", "verdict"},
                         {{2, 30, Align::kLeft},
                          {1, 12, Align::kRight, 2},
                          {1, 12, Align::kRight, 2},
                          {1, 7, Align::kRight, 3},
                          {2, 0, Align::kLeft}});
        metrics.tables.push_back(metrics_heading);
        for (const auto& row : pair["metrics"])
            figures.rows.push_back({row["name"].get<std::string>(), number(row["a"], 1),
                                    number(row["b"], 1), number(row.value("ratio", json()), 1),
                                    row["verdict"].get<std::string>()});
        metrics.tables.push_back(figures);
    }
    report::Section& warnings = out.add_section("", "warnings");
    warnings.layout = report::FieldLayout::kLines;
    warnings.indent = 0;
    if (pair.contains("workload_mismatches"))
        for (const auto& m : pair["workload_mismatches"])
            warnings.add("WARNING", "workloads differ (--force): " + m.get<std::string>());
    if (pair.contains("warnings"))
        for (const auto& w : pair["warnings"]) warnings.add("WARNING", w.get<std::string>());
    report::Section& verdict = out.add_section("", "verdict");
    verdict.layout = report::FieldLayout::kLines;
    verdict.indent = 0;
    verdict.blank_before = true;
    verdict.add("verdict", pair["verdict"].get<std::string>());
}

}  // namespace

report::Report comparison_report(const json& comparison) {
    report::Report out;
    out.tool = "memcg compare";
    out.document = report::from_json(comparison);
    bool first = true;
    for (const auto& pair : comparison["comparisons"]) {
        add_pair_sections(pair, first, out);
        first = false;
    }
    if (!first)
        out.add_section("", "end").blank_before = true;
    return out;
}

}  // namespace bpfscope::memcg
