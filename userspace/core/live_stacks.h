#pragma once
// The stacks of a live process's threads, right now (pstack, eu-stack). User stacks
// are unwound with DWARF CFI by elfutils (libdwfl), so they go through code built
// without frame pointers (Debian's libc); kernel stacks come from
// /proc/PID/task/TID/stack. Each thread is stopped only while its own user stack is
// read, with PTRACE_SEIZE + PTRACE_INTERRUPT: no SIGSTOP is ever sent, so a thread
// resumes by itself if this process dies mid-way (PTRACE_ATTACH would leave it in a
// group stop).
#include <cstdint>
#include <string>
#include <vector>

#include "base/stack_frame.h"

namespace bpfscope {

struct LiveStackOptions {
    std::vector<uint32_t> tids;  // empty: every thread of the process
    bool user = true;            // unwind user stacks
    bool kernel = true;          // read kernel stacks
    unsigned max_depth = 256;    // user frames per thread
    bool source_lines = false;   // file:line of every user frame
};

struct ThreadStack {
    uint32_t tid = 0;
    std::string comm;
    char state = '?';                // /proc state letter (R, S, D, T, Z, ...)
    std::string wchan;               // where the kernel keeps it waiting ("0": running)
    std::vector<StackFrame> kernel;  // leaf first
    std::vector<StackFrame> user;    // leaf first; inlined frames before the frame holding them
    uint64_t stopped_ns = 0;         // how long the thread was held stopped for its user stack
    std::string user_problem;        // why there is no user stack ("" when there is one)
    std::string kernel_problem;      // why there is no kernel stack
};

struct LiveStacks {
    uint32_t pid = 0;
    std::string comm;
    std::vector<ThreadStack> threads;  // in /proc/PID/task order
    uint64_t elapsed_ns = 0;           // the whole capture, symbolization included
    uint32_t threads_gone = 0;         // threads that exited while we looked
};

// Throws UserError when the process does not exist or is a zombie; per-thread
// failures (a thread that exits, a kernel thread, a thread we may not trace) are
// recorded in its ThreadStack::*_problem and the capture goes on.
LiveStacks capture_live_stacks(uint32_t pid, const LiveStackOptions& options);

}  // namespace bpfscope

namespace bpfscope::report {
struct Report;
}

namespace bpfscope {
// One section per thread: its state and wait channel, how long it was held, its
// user stack (leaf first, inlined frames marked) and its kernel stack.
report::Report live_stacks_report(const LiveStacks& stacks, bool source_lines);
}  // namespace bpfscope
