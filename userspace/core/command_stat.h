#pragma once
// `bpfscope stat`: run a command under perf event counters (its children and
// threads included) N times, keep every run, and compare two such files with
// the A/B rule memcg compare uses (core/statistics.h judge_differences).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/perf_counters.h"

namespace bpfscope::report {
struct Report;
}

namespace bpfscope {

struct CommandRun {
    uint64_t wall_ns = 0;
    int exit_status = 0;  // the command's exit code (128 + signal when killed)
    std::vector<CounterReading> counters;
};

// Forks the command held at a gate, opens the counters on it (inherited by
// its children, enabled at exec), releases it and waits. Throws UserError when
// the command cannot be executed.
CommandRun run_counted(const std::vector<std::string>& command,
                       const std::vector<CounterSpec>& specs);

inline constexpr const char* kStatSchema = "bpfscope.stat.report";
inline constexpr int kStatSchemaVersion = 1;

struct StatRuns {
    std::vector<std::string> command;
    std::string kernel_release;
    std::vector<CommandRun> runs;
};

// Per counter: the mean over runs, the spread, and why a counter is missing.
report::Report stat_report(const StatRuns& runs);
// The --out file (JSON, schema bpfscope.stat.report v1): every run's figures.
std::string stat_document(const StatRuns& runs);
// Reads a --out file back. Throws UserError naming the file and the problem
// (unreadable, not JSON, another schema or version, no runs).
StatRuns load_stat_file(const std::string& path);
// A against B, counter by counter (wall time included): the bootstrap verdict.
report::Report stat_comparison(const StatRuns& a, const StatRuns& b, const std::string& a_label,
                               const std::string& b_label);

}  // namespace bpfscope
