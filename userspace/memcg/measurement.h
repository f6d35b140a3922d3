#pragma once
// One `bpfscope memcg` measurement from options to report: kernel identity,
// the workload (temporary tree + writers, or an existing cgroup), the reader's
// runs, the kernel-side tracing, and the ordered cleanup.
#include <functional>
#include <memory>
#include <string>

#include "memcg/cgroup_tree.h"
#include "memcg/kernel_tracing.h"
#include "memcg/run_report.h"
#include "memcg/workload.h"

namespace bpfscope::memcg {

struct MeasurementOptions {
    CgroupTreeOptions tree;
    WriterOptions writer;
    size_t writer_anon_kb = 1024;
    std::string read_level = "mid";
    size_t reads = 2000;
    int runs = 1;
    unsigned read_delay_us = 0;
    int reader_cpu = -1;
    unsigned warmup_ms = 300;
    unsigned run_gap_ms = 100;
    std::string cgroup;  // read this existing cgroup instead of building a tree
    bool verbose = false;
    bool trace = true;  // kernel-side measurement (BPF)
    bool measure_overhead = true;
};

struct Measurement {
    MemcgReport report;
    std::unique_ptr<KernelTracing>
        tracing;  // still attached, for the text report; null with --no-trace
    size_t total_reads = 0;
    bool interrupted = false;
};

// Runs everything; `stop()` is polled (Ctrl-C). The tree and writers are gone
// when this returns, also when it throws.
Measurement run_memcg_measurement(const MeasurementOptions& options,
                                  const std::function<bool()>& stop);

}  // namespace bpfscope::memcg
