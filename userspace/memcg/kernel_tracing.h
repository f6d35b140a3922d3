#pragma once
// The kernel side of `bpfscope memcg`: the flush-path function preset resolved
// against the running kernel (name aliases across versions), the latency
// engine on those functions and on tracepoint brackets (read syscall, rstat
// lock hold and wait), and memcg.bpf.c's flush counters.
#include <sys/types.h>

#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/latency_session.h"
#include "report/histogram.h"
#include "report/model.h"
#include "symbols/kallsyms.h"

namespace bpfscope::memcg {

// One function of the preset: its role on the memory.stat path and the names
// it has had across kernel versions (first that exists wins).
struct PresetFunction {
    std::string side;  // "read", "rstat" or "atomic"
    std::vector<std::string> aliases;
};
const std::vector<PresetFunction>& memcg_function_preset();

struct ResolvedFunction {
    std::string side;
    std::string label;     // "css_rstat_flush|cgroup_rstat_flush" as listed in the preset
    std::string resolved;  // the name present on this kernel; "" when absent
    std::string absent_reason;
};
// Resolves the preset; css_atomic_* names are expanded from the symbol table.
std::vector<ResolvedFunction> resolve_function_preset(const symbols::Kallsyms& kallsyms);

struct FlushCounters {
    uint64_t flush_attempts = 0, real_flushes = 0, forced = 0, stats_updates_sum = 0;
    report::Log2Histogram stats_updates;
    uint64_t rstat_locked = 0, rstat_contended = 0;
    void merge(const FlushCounters& other);
};

struct KernelTracingOptions {
    bool measure_overhead = true;
    bool verbose = false;
};

class KernelTracing {
  public:
    // Everything attached when this returns; throws UserError when nothing
    // kernel-side can be loaded at all (not root, no BPF).
    KernelTracing(pid_t reader_pid, const KernelTracingOptions& options);
    ~KernelTracing();
    KernelTracing(const KernelTracing&) = delete;
    KernelTracing& operator=(const KernelTracing&) = delete;

    // Zeroes every figure: call right before a run starts.
    void begin_run();
    // Collects the run's figures: returns the per-run document part and adds the numbers
    // compare puts side by side to `metrics` (per read where it makes sense).
    report::Data end_run(size_t reads, std::map<std::string, double>& metrics);
    // Run-wide: which backend measured what, absent functions, overhead.
    report::Data summary(size_t total_reads) const;
    // Report sections (all runs merged) for the text report.
    report::Report text_report(size_t total_reads) const;

  private:
    struct FlushTracer;
    pid_t reader_pid_ = 0;
    std::vector<ResolvedFunction> functions_;
    std::unique_ptr<LatencySession> reader_session_;  // filtered to the reader
    std::unique_ptr<LatencySession> system_session_;  // rstat lock brackets, every task
    std::unique_ptr<FlushTracer> flush_;
    std::string read_bracket_;
    std::vector<LatencyResult> reader_total_, system_total_;
    std::array<FlushCounters, 2> flush_total_;
    std::vector<std::string> notes_;
};

}  // namespace bpfscope::memcg
