#pragma once
// The probe engine: resolves probe specs (core/probe_spec.h) on the running
// kernel, attaches one generic family of BPF programs (bpf/probe.bpf.c, set up
// through rodata and maps, nothing compiled at run time) and hands back events
// or aggregates. trace, funccount, stackcount and argdist are thin drivers on it.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/attach_plan.h"
#include "core/probe_expression.h"
#include "core/probe_spec.h"
#include "report/histogram.h"

namespace bpfscope {

struct RawStack;  // core/stack_collect.h

// What the BPF side does with an event that passed the filters.
enum class ProbeMode {
    kEvents,      // ring buffer, one record per event (trace)
    kCount,       // count per attach point [and per process] (funccount)
    kStackCount,  // count per attach point, process and stack (stackcount)
    kHistogram,   // log2 histogram of one integer field (argdist --hist)
    kValueCount,  // count per value of one field (argdist --count)
};

struct ProbeOptions {
    std::vector<std::string> probes;  // specs as written; wildcards allowed in count modes
    ProbeMode mode = ProbeMode::kEvents;
    std::vector<FieldExpression> fields;  // captured per event (kEvents), or the one field
                                          // of kHistogram / kValueCount
    FilterExpression filter;              // runs in the kernel
    std::vector<uint32_t> pids;           // tgids; empty: all
    std::vector<uint32_t> tids;
    std::string comm;          // exact comm; empty: all
    std::string cgroup_path;   // cgroup v2 directory (and below); empty: all
    bool per_process = false;  // count modes: key by tgid and comm too
    bool kernel_stack = false;
    bool user_stack = false;
    size_t max_matches = 1000;  // wildcard cap; past it: UserError naming the count
    size_t string_bytes = 64;   // bound of str() reads
    size_t ring_buffer_bytes = 4u << 20;
    uint32_t max_entries = 10240;  // aggregation maps
    std::optional<Backend> forced_backend;
};

// One attach point after resolution (a wildcard gives many).
struct ProbePoint {
    std::string name;  // "vfs_read", "r:c:malloc", "t:sched:sched_switch", ...
    ProbeSpec spec;    // the spec it came from
    TargetPlan plan;   // backend used, backends not used and why
};

using FieldValue = std::variant<int64_t, uint64_t, std::string>;

struct ProbeEvent {
    uint64_t timestamp_ns = 0;  // CLOCK_MONOTONIC
    uint32_t cpu = 0, tgid = 0, tid = 0, uid = 0;
    uint64_t cgroup_id = 0;
    std::string comm;
    size_t point = 0;                  // index into points()
    std::vector<FieldValue> fields;    // one per ProbeOptions::fields
    std::vector<uint64_t> kernel_ips;  // leaf first, when asked for
    std::vector<uint64_t> user_ips;
    bool kernel_stack_missing = false, user_stack_missing = false;
};

struct ProbeCount {
    size_t point = 0;
    uint32_t tgid = 0;  // 0 unless per_process
    std::string comm;   // empty unless per_process
    uint64_t count = 0;
};

struct ValueCount {
    FieldValue value;
    uint64_t count = 0;
};

// Everything that did not become output, counted (the "nothing lost silently" rule).
struct ProbeStats {
    uint64_t hits = 0;              // program runs that reached the filter
    uint64_t filtered_out = 0;      // rejected by pid/comm/cgroup/field filters in the kernel
    uint64_t ring_buffer_lost = 0;  // reserve failed: the consumer was too slow
    uint64_t map_full = 0;          // aggregation map full: counted nowhere else
    uint64_t stacks_missing = 0;    // stack asked for but not captured
    uint64_t read_errors = 0;       // argument/string/member reads that faulted
};

class ProbeSession {
  public:
    // Parses, resolves, loads and attaches. Throws UserError (one line: what is
    // wrong and what to do) for an unknown function/tracepoint, a field the probe
    // does not have, str() on a non-pointer, too many wildcard matches or an
    // unreachable function; nothing stays attached after a throw.
    explicit ProbeSession(ProbeOptions options);
    ~ProbeSession();
    ProbeSession(const ProbeSession&) = delete;
    ProbeSession& operator=(const ProbeSession&) = delete;

    // Detaches every probe (maps stay readable): the final drain of a busy
    // probe then ends.
    void detach();

    const std::vector<ProbePoint>& points() const;
    const ProbeOptions& options() const;

    // kEvents: delivers the events that arrived within timeout_ms (0: no wait).
    // Comm names of processes that already exited are the ones the kernel recorded.
    // Returns how many arrived (at most 65536 per call, so a caller polling a
    // busy probe still gets control back).
    size_t poll_events(int timeout_ms, const std::function<void(const ProbeEvent&)>& on_event);
    // kCount: counts sorted by count, descending. With reset, start from zero.
    std::vector<ProbeCount> counts(bool reset);
    // kStackCount: one RawStack per (point, process, stack); value = count.
    // `point_of[i]` gives the point index of stacks[i].
    std::vector<RawStack> stacks(bool reset, std::vector<size_t>* point_of = nullptr);
    // kHistogram: log2 histogram of the field's value (unsigned; negatives in slot 0,
    // and counted in negative_values()).
    report::Log2Histogram histogram(bool reset);
    uint64_t negative_values() const;
    // kValueCount: counts per value, descending.
    std::vector<ValueCount> value_counts(bool reset);

    ProbeStats stats() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace bpfscope
