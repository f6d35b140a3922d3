#pragma once
// One `bpfscope memcg` measurement as data: the kernel, the workload, and K
// runs with their raw per-read samples (compare needs them for its intervals).
// Serialized as the versioned JSON schema documented in docs/memcg.md.
#include <map>
#include <string>
#include <vector>

#include "memcg/kernel_identity.h"
#include "core/statistics.h"
#include "memcg/workload.h"
#include "report/model.h"

namespace bpfscope::memcg {

inline constexpr const char* kReportSchema = "bpfscope.memcg.report";
inline constexpr int kReportSchemaVersion = 1;

struct WorkloadDescription {
    std::string mode;  // "builtin" (own tree + writers + reader), "cgroup" (reader on --cgroup)
    int cgroup_version = 0;
    std::string controller_mount;
    int depth = 0, width = 0;
    size_t cgroups = 0;
    WriterOptions writer{0};
    std::string read_level;  // root|mid|leaf, or "cgroup" for --cgroup
    std::string read_path;   // the memory.stat read
    size_t reads = 0;        // per run
    unsigned read_delay_us = 0;
    int reader_cpu = -1;
    int runs = 0;
    unsigned warmup_ms = 0;
    unsigned run_gap_ms = 0;
    std::string tree_top;                // the temporary tree (builtin mode)
    bool tree_removed = false;           // everything the run created is gone
    std::vector<std::string> tree_left;  // directories that could not be removed
};

struct RunRecord {
    int index = 0;
    ReaderRun reader;
    SampleSummary latency;                  // of reader.latency_ns
    std::map<std::string, double> metrics;  // per-run figures compare can put side by side
    report::Data tracing;                   // what the kernel-side measurement saw (may be null)
};

struct MemcgReport {
    KernelIdentity kernel;
    WorkloadDescription workload;
    std::vector<RunRecord> runs;
    report::Data tracing;  // run-wide kernel-side figures (backends, overhead); may be null
    std::vector<std::string> notes;
    std::vector<std::string> warnings;
    std::string created_utc;  // "" = now, when the report is built
};

// Fills run.latency and the counter metrics ("task_clock_ns_per_read", ...).
void derive_run_figures(RunRecord& run);

// The measurement as a Report for the writers: `document` is the file schema
// (docs/memcg.md; report::write_json prints it), the sections are the text
// report. kernel_side: KernelTracing::text_report(), shown under "where the time
// goes" (null without kernel-side measurement).
report::Report memcg_report(const MemcgReport& report, const report::Report* kernel_side = nullptr);

// --no-workload: the same document; as text the kernel, the window watched
// system-wide, then the kernel-side sections.
report::Report passive_report(const MemcgReport& report, double window_s,
                              const report::Report& kernel_side);

}  // namespace bpfscope::memcg
