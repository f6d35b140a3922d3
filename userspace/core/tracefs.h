#pragma once
// tracefs is where libbpf finds tracepoint ids. Many machines (this VM among
// them) boot without it mounted.
#include <string>

namespace bpfscope {

struct TracefsState {
    bool mounted = false;
    std::string path;  // where it is mounted
    bool mounted_by_us = false;
    std::string problem;  // why it is not usable, when !mounted
};

// Finds tracefs; if absent and we are root, mounts it at /sys/kernel/tracing
// and says so once on stderr. Cached per process.
const TracefsState& ensure_tracefs();
// Looks without mounting anything.
TracefsState probe_tracefs();

}  // namespace bpfscope
