#pragma once
// `bpfscope memcg compare A.json B.json [...]`: loads reports, refuses what
// cannot be compared, and calls a difference only when it is outside both the
// bootstrap confidence interval and the run-to-run spread.
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/statistics.h"
#include "report/model.h"

namespace bpfscope::memcg {

struct LoadedReport {
    std::string path;
    nlohmann::json json;
    std::vector<std::vector<double>> run_samples;            // per-read latency (ns), per run
    std::vector<std::map<std::string, double>> run_metrics;  // per run
};

// Reads and validates a report file. Throws UserError naming the file and the
// problem (unreadable, not JSON, not a memcg report, other schema version
// unless `force`, no runs, runs without samples).
LoadedReport load_report(const std::string& path, bool force);
LoadedReport parse_report(const std::string& text, const std::string& label, bool force);

// Workload parameters that differ between two reports ("writers: 4 vs 8").
std::vector<std::string> workload_mismatches(const LoadedReport& a, const LoadedReport& b);

struct CompareOptions {
    bool force = false;
    double min_effect = 0.05;  // a relative difference below this is never called (drift between
                               // invocations on a shared machine is a few percent)
    BootstrapOptions bootstrap;
};

inline constexpr const char* kCompareSchema = "bpfscope.memcg.compare";
inline constexpr int kCompareSchemaVersion = 1;

// The first report is the baseline; every other one is compared with it.
// Throws UserError on mismatched workloads unless options.force.
nlohmann::json compare_reports(const std::vector<LoadedReport>& reports,
                               const CompareOptions& options);
// The comparison as a Report for the writers: `document` is the JSON above,
// the sections the side-by-side text.
report::Report comparison_report(const nlohmann::json& comparison);

}  // namespace bpfscope::memcg
