#include "core/stack_symbols.h"

#include <fstream>
#include <map>
#include <sstream>

#include "symbols/symbolizer.h"

namespace bpfscope {

namespace {
bool starts_with(const std::string& s, const char* prefix) {
    return s.rfind(prefix, 0) == 0;
}
}  // namespace

bool is_tracing_frame(const std::string& name) {
    return starts_with(name, "bpf_prog_") || starts_with(name, "bpf_trace_") ||
           starts_with(name, "__bpf_trace_") || starts_with(name, "__traceiter_") ||
           starts_with(name, "bpf_get_stack") || starts_with(name, "__bpf_get_stack") ||
           starts_with(name, "bpf_trampoline_") || starts_with(name, "perf_trace_") ||
           starts_with(name, "__bpf_prog_") || name == "bpf_dispatcher_xdp_func" ||
           starts_with(name, "__probestub_");
}

struct StackSymbols::Impl {
    explicit Impl(const StackSymbolOptions& options) : symbolizer(make_options(options)) {}
    static symbols::Symbolizer::Options make_options(const StackSymbolOptions& options) {
        symbols::Symbolizer::Options result;
        result.source_lines = options.source_lines;
        result.kernel_offsets = options.kernel_offsets;
        result.trim_tool_frames = true;
        return result;
    }
    symbols::Symbolizer symbolizer;
};

StackSymbols::StackSymbols(const StackSymbolOptions& options)
    : impl_(std::make_unique<Impl>(options)) {}
StackSymbols::~StackSymbols() = default;

void StackSymbols::observe_process(uint32_t pid) {
    if (!observed_.insert(pid).second)
        return;
    impl_->symbolizer.observe_process(pid);
}

void StackSymbols::process_announced(uint32_t pid) {
    // BPF announces a pid again when its executable mappings changed (exec, dlopen).
    if (!observed_.insert(pid).second) {
        impl_->symbolizer.refresh_process(pid);
        return;
    }
    impl_->symbolizer.observe_process(pid);
}

std::vector<report::StackFrame> StackSymbols::kernel_frames(std::span<const uint64_t> ips) {
    return impl_->symbolizer.kernel_frames(ips);
}

std::vector<report::StackFrame> StackSymbols::user_frames(uint32_t pid,
                                                          std::span<const uint64_t> ips) {
    observe_process(pid);
    return impl_->symbolizer.user_frames(pid, ips);
}

std::vector<std::pair<std::string, uint64_t>> StackSymbols::stats() const {
    auto stats = impl_->symbolizer.stats();
    return {{"frames", stats.frames},
            {"unknown_frames", stats.unknown_frames},
            {"processes_observed", stats.processes_observed},
            {"processes_gone_unobserved", stats.processes_gone_unobserved},
            {"trimmed_tool_frames", stats.trimmed_frames}};
}

}  // namespace bpfscope
