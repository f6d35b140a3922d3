#pragma once
// Turns raw BPF stack traces (instruction addresses, leaf first) into named frames
// (root first), for kernel stacks (/proc/kallsyms) and user stacks (/proc/PID/maps +
// ELF/DWARF through elfutils). User symbols survive process exit: observe_process()
// opens and pins a process's ELF files while it lives, so its stacks can still be
// symbolized at report time.
// Single-threaded by construction: a Symbolizer belongs to the first thread that
// calls it (its caches and pinned files are unsynchronised), and a call from any
// other thread throws std::logic_error instead of racing. One Symbolizer per
// thread; hand one over with release_thread() on its owner first.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/stack_frame.h"

namespace bpfscope::symbols {

class Symbolizer {
  public:
    struct Options {
        bool source_lines = false;    // -v: fill StackFrame::file/line from DWARF
        bool kernel_offsets = false;  // -v: kernel names as "sym+0x1f"
        // Remove the frames a tracing tool introduces at the leaf of kernel stacks
        // (bpf_prog_*, bpf_trampoline_*, and the tracepoint glue that called them).
        bool trim_tool_frames = true;
        // Kallsyms text to use instead of /proc/kallsyms (tests); empty = /proc/kallsyms.
        std::string kallsyms_path = {};
        // A live process's maps (and perf map) are re-read when an address falls outside
        // every known mapping (dlopen, exec after the first look), at most this often.
        uint32_t maps_refresh_ms = 1000;
        // Search path for separate debug files (.gnu_debuglink, .build-id), elfutils
        // syntax; empty = ":.debug:/usr/lib/debug".
        std::string debuginfo_path = {};
    };

    struct Stats {
        uint64_t frames = 0;                     // addresses symbolized (one per input address)
        uint64_t unknown_frames = 0;             // of those, printed as "[unknown]"
        uint64_t processes_gone_unobserved = 0;  // user stacks of pids that had exited
                                                 // before observe_process() saw them
        uint64_t trimmed_frames = 0;             // tool frames removed from kernel stacks
        uint64_t elf_files_loaded = 0;           // distinct ELF files opened (cache misses)
        uint64_t processes_observed = 0;
    };

    Symbolizer();
    explicit Symbolizer(Options options);
    ~Symbolizer();
    Symbolizer(Symbolizer&&) noexcept;
    Symbolizer& operator=(Symbolizer&&) noexcept;

    // `pid` is a process id (tgid): threads share their process's mappings, and a
    // thread id would read and keep them once per thread.
    // Call on first sight of a pid, while it lives: reads /proc/PID/maps and opens and
    // pins the ELF files of its executable mappings (through /proc/PID/map_files, or
    // /proc/PID/root/<path> for other mount namespaces and unprivileged callers), so
    // its stacks can be symbolized after it exits. A known pid costs one hash lookup.
    // Returns false when the process is gone (or its maps cannot be read).
    bool observe_process(uint32_t pid);

    // Drop what is kept for a pid (its mappings; shared ELF files stay cached).
    void forget_process(uint32_t pid);
    // The process changed its mappings (it exec'ed): re-read them now, keeping
    // the old ones that do not overlap. Observes it if it was not known.
    bool refresh_process(uint32_t pid);

    // BPF stack traces come leaf first (a zero address ends the trace); both return
    // frames ROOT FIRST, inlined functions expanded into frames of their own
    // (StackFrame::inlined, sharing the address of the real frame after them), names
    // demangled. Every address but the leaf is a return address and is looked up at
    // address-1, so the call instruction's function and line are reported. An empty
    // user stack (kernel threads, idle) returns no frames and touches no process.
    std::vector<StackFrame> kernel_frames(std::span<const uint64_t> ips_leaf_first);
    std::vector<StackFrame> user_frames(uint32_t pid, std::span<const uint64_t> ips_leaf_first);

    // A whole sample, root first: the user frames, then (when both parts are present
    // and `separator` is set) a "-" frame of Kind::kSeparator, then the kernel frames:
    // the order folded stacks and flame graphs show ("main;read;-;ksys_read;...").
    std::vector<StackFrame> stack(uint32_t pid, std::span<const uint64_t> user_ips_leaf_first,
                                  std::span<const uint64_t> kernel_ips_leaf_first,
                                  bool separator = true);

    Stats stats() const;

    // Unbinds it from its owner thread (call from that thread): the next thread
    // to call it becomes the owner. For handing a Symbolizer to a worker.
    void release_thread();

  private:
    // Binds the calling thread as the owner on first use; throws
    // std::logic_error when another thread owns it.
    void check_thread(const char* operation) const;

    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace bpfscope::symbols
