#pragma once
// The attach planner: which backend can reach a target on the running kernel,
// and why the better ones could not. Order for kernel functions:
// fentry/fexit, then kprobe/kretprobe; user functions: uprobe/uretprobe;
// tracepoint brackets: raw tracepoints.
#include <optional>
#include <string>
#include <vector>

#include "core/target_spec.h"

namespace bpfscope {

enum class Backend { kFentry, kKprobe, kUprobe, kTracepoint };

const char* backend_name(Backend backend);
std::optional<Backend> parse_backend(const std::string& name);
std::vector<Backend> candidate_backends(TargetSpec::Type type);

struct TargetPlan {
    TargetSpec target;
    std::optional<Backend> backend;  // the backend that measures it, once attached
    std::vector<std::string>
        not_used;             // "fentry: refused by kernel (EPERM), ..." per skipped backend
    std::string unreachable;  // one line when no backend could reach it
    std::vector<std::string> suggestions;  // similar names when the function was not found
    std::string resolved_binary;           // user targets: the file the uprobe sits in
    bool reachable() const { return backend.has_value(); }
};

}  // namespace bpfscope
