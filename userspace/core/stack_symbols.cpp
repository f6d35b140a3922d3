#include "core/stack_symbols.h"

#include <fstream>
#include <map>
#include <sstream>

#if __has_include("symbols/symbolizer.h")
#include "symbols/symbolizer.h"
#define BPFSCOPE_HAVE_SYMBOLIZER 1
#else
#include "symbols/kallsyms.h"
#endif

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

#ifdef BPFSCOPE_HAVE_SYMBOLIZER
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
#else
// Minimal stand-in until symbols::Symbolizer is available: kernel names from
// kallsyms, user frames named "[unknown]" with their DSO from /proc/PID/maps.
struct StackSymbols::Impl {
    struct Mapping {
        uint64_t end;
        std::string path;
    };
    StackSymbolOptions options;
    std::map<uint32_t, std::map<uint64_t, Mapping>> maps;
    uint64_t unknown_frames = 0;
    uint64_t frames = 0;
};

StackSymbols::StackSymbols(const StackSymbolOptions& options) : impl_(std::make_unique<Impl>()) {
    impl_->options = options;
}
StackSymbols::~StackSymbols() = default;

void StackSymbols::observe_process(uint32_t pid) {
    if (!observed_.insert(pid).second)
        return;
    std::ifstream in("/proc/" + std::to_string(pid) + "/maps");
    std::string line;
    auto& table = impl_->maps[pid];
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string range, perms, offset, dev, inode, path;
        fields >> range >> perms >> offset >> dev >> inode >> path;
        auto dash = range.find('-');
        if (dash == std::string::npos)
            continue;
        uint64_t start = std::stoull(range.substr(0, dash), nullptr, 16);
        uint64_t end = std::stoull(range.substr(dash + 1), nullptr, 16);
        table[start] = Impl::Mapping{end, path};
    }
}

std::vector<report::StackFrame> StackSymbols::kernel_frames(std::span<const uint64_t> ips) {
    const auto& kallsyms = symbols::Kallsyms::system();
    std::vector<report::StackFrame> frames;
    for (auto it = ips.rbegin(); it != ips.rend(); ++it) {
        report::StackFrame frame;
        frame.kind = report::StackFrame::Kind::kKernel;
        frame.address = *it;
        frame.module = "[kernel]";
        auto resolved = kallsyms.resolve(*it);
        frame.name = resolved.symbol ? resolved.symbol->name : "[unknown]";
        impl_->frames++;
        if (!resolved.symbol)
            impl_->unknown_frames++;
        frames.push_back(std::move(frame));
    }
    return frames;
}

std::vector<report::StackFrame> StackSymbols::user_frames(uint32_t pid,
                                                          std::span<const uint64_t> ips) {
    observe_process(pid);
    const auto& table = impl_->maps[pid];
    std::vector<report::StackFrame> frames;
    for (auto it = ips.rbegin(); it != ips.rend(); ++it) {
        report::StackFrame frame;
        frame.address = *it;
        frame.name = "[unknown]";
        auto next = table.upper_bound(*it);
        if (next != table.begin()) {
            --next;
            if (*it < next->second.end)
                frame.module = next->second.path;
        }
        impl_->frames++;
        impl_->unknown_frames++;
        frames.push_back(std::move(frame));
    }
    return frames;
}

std::vector<std::pair<std::string, uint64_t>> StackSymbols::stats() const {
    return {{"frames", impl_->frames}, {"unknown_frames", impl_->unknown_frames}};
}
#endif

}  // namespace bpfscope
