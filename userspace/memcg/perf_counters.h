#pragma once
// Counters around the memory.stat reader: software events always, hardware
// events when the machine has a PMU. Each counter owns its perf event fd.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"

namespace bpfscope::memcg {

struct CounterSpec {
    const char* name;  // perf's name: "task-clock", "cycles", ...
    uint32_t type;     // PERF_TYPE_SOFTWARE / PERF_TYPE_HARDWARE
    uint64_t config;
    const char* unit;  // "ns" for task-clock, "" for counts
};

// task-clock, context-switches, page-faults, cycles, instructions, cache-misses.
const std::vector<CounterSpec>& reader_counter_specs();

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
    explicit PerfCounterSet(pid_t pid);
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

}  // namespace bpfscope::memcg
