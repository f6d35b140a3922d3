#pragma once
// The stack tools' view of symbolization: pin a process's mappings when its
// pid first shows up (so it can exit before the report), then turn raw
// instruction pointers into frames, root first. Wraps symbols::Symbolizer; the
// tool frames BPF introduces (the program, the tracepoint glue) are trimmed here.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

#include "report/stack_profile.h"

namespace bpfscope {

struct StackSymbolOptions {
    bool source_lines = false;    // -v: file:line of every frame
    bool kernel_offsets = false;  // -v: "sym+0x1a"
};

class StackSymbols {
  public:
    explicit StackSymbols(const StackSymbolOptions& options);
    ~StackSymbols();
    StackSymbols(const StackSymbols&) = delete;
    StackSymbols& operator=(const StackSymbols&) = delete;

    // First sight of a process: open and pin its mappings now. Idempotent.
    void observe_process(uint32_t pid);
    // BPF announced the pid (again, after an exec): observe or re-read its maps.
    void process_announced(uint32_t pid);
    bool observed(uint32_t pid) const { return observed_.count(pid) != 0; }

    std::vector<report::StackFrame> kernel_frames(std::span<const uint64_t> ips_leaf_first);
    std::vector<report::StackFrame> user_frames(uint32_t pid,
                                                std::span<const uint64_t> ips_leaf_first);

    // Symbolizer figures (frames resolved, unknown frames, ...), for the report.
    std::vector<std::pair<std::string, uint64_t>> stats() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::unordered_set<uint32_t> observed_;
};

// True for kernel frames that belong to the tracing machinery rather than to
// the traced task (the BPF program, bpf helpers, tracepoint dispatch).
bool is_tracing_frame(const std::string& name);

}  // namespace bpfscope
