#pragma once
// perf event counters on a task: software events always, hardware events when the
// machine has a PMU, tracepoints by name. Each counter owns its perf event fd. Used
// around memcg's memory.stat reader and around a command (bpfscope stat).
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"

namespace bpfscope {

struct CounterSpec {
    std::string name;  // perf's name: "task-clock", "cycles", "sched:sched_switch", ...
    uint32_t type;     // PERF_TYPE_SOFTWARE / PERF_TYPE_HARDWARE / PERF_TYPE_TRACEPOINT
    uint64_t config;   // the event; a tracepoint's id
    std::string unit;  // "ns" for task-clock, "" for counts
};

// task-clock, context-switches, page-faults, cycles, instructions, cache-misses.
const std::vector<CounterSpec>& reader_counter_specs();
// perf stat's default set: task-clock, context-switches, cpu-migrations,
// page-faults, minor-faults, major-faults, cycles, instructions, cache-misses.
const std::vector<CounterSpec>& command_counter_specs();

// Tracepoints matching CAT:NAME, where either part may hold * and ? wildcards
// ("sched:*", "syscalls:sys_enter_*"), with their ids from tracefs (mounted if
// need be). Throws UserError naming the pattern when nothing matches or the
// spelling is not CAT:NAME.
std::vector<CounterSpec> tracepoint_counter_specs(const std::string& pattern);

struct CounterReading {
    std::string name;
    std::string unit;
    bool supported = false;
    std::string reason;  // why not, when !supported ("not supported: no PMU (ENOENT)")
    uint64_t value = 0;  // scaled by enabled/running when the PMU multiplexed
    bool scaled = false;
};

// A set of counters on one task (pid 0 = the calling thread), opened disabled,
// counting user and kernel work (memory.stat reads are kernel work).
class PerfCounterSet {
  public:
    struct Options {
        // Count the task's future children and threads too (summed in when they exit).
        bool inherit = false;
        // Start counting when the task calls exec (a command started behind a gate).
        bool enable_on_exec = false;
    };
    PerfCounterSet(pid_t pid, const std::vector<CounterSpec>& specs, Options options);
    explicit PerfCounterSet(pid_t pid) : PerfCounterSet(pid, reader_counter_specs(), {}) {}
    ~PerfCounterSet();
    PerfCounterSet(const PerfCounterSet&) = delete;
    PerfCounterSet& operator=(const PerfCounterSet&) = delete;

    void enable();
    void disable();
    std::vector<CounterReading> read() const;

  private:
    struct Counter {
        CounterSpec spec;
        int fd = -1;
        int open_errno = 0;
    };
    std::vector<Counter> counters_;
};

}  // namespace bpfscope
