#pragma once
// Stack profiles (on-CPU samples, off-CPU time) after symbolization. Writers:
// folded stacks, SVG flame graph, pprof. Frames are stored root first.
#include <cstdint>
#include <string>
#include <vector>

#include "base/stack_frame.h"

namespace bpfscope::report {

using StackFrame = ::bpfscope::StackFrame;

struct StackSample {
    std::string comm;  // process/thread name, the root frame in folded output
    uint32_t pid = 0;
    uint32_t tid = 0;
    std::vector<StackFrame> frames;  // root first, leaf last
    // In StackProfile::unit. An integer all the way from the kernel's counters
    // to every output: pprof stores int64, and a double loses counts above 2^53.
    uint64_t value = 0;
};

struct StackProfile {
    std::string sample_type;  // "samples", "cpu", "offcpu"
    std::string unit;         // "count", "nanoseconds", "microseconds"
    uint64_t period = 0;      // sampling period in period_unit (profile), 0 otherwise
    std::string period_unit;  // e.g. "nanoseconds"
    uint64_t duration_ns = 0;
    std::vector<StackSample> samples;
};

}  // namespace bpfscope::report
