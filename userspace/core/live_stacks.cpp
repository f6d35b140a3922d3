#include "core/live_stacks.h"

#include <dirent.h>
#include <elfutils/libdwfl.h>
#include <fmt/format.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "base/error.h"
#include "base/logging.h"
#include "symbols/symbolizer.h"

namespace bpfscope {

namespace {

uint64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::string read_first_line(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

// comm and state from /proc/.../stat ("123 (some name) S ..."; the name may hold
// spaces and parentheses, so the state follows the LAST ')').
bool read_stat(const std::string& dir, std::string& comm, char& state) {
    std::string stat = read_first_line(dir + "/stat");
    auto open = stat.find('(');
    auto close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close + 2 >= stat.size())
        return false;
    comm = stat.substr(open + 1, close - open - 1);
    state = stat[close + 2];
    return true;
}

std::vector<uint32_t> list_threads(uint32_t pid) {
    std::vector<uint32_t> tids;
    std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(fmt::format("/proc/{}/task", pid).c_str()),
                                            closedir);
    if (!dir)
        return tids;
    while (dirent* entry = readdir(dir.get())) {
        char* end = nullptr;
        unsigned long tid = std::strtoul(entry->d_name, &end, 10);
        if (end != entry->d_name && *end == '\0')
            tids.push_back(uint32_t(tid));
    }
    std::sort(tids.begin(), tids.end());
    return tids;
}

// "[<0>] do_nanosleep+0x6c/0x100" lines, leaf first. Names only: the kernel
// zeroes the addresses here.
std::vector<StackFrame> read_kernel_stack(const std::string& path, std::string& problem) {
    std::ifstream in(path);
    std::vector<StackFrame> frames;
    if (!in) {
        problem = errno_message("cannot read " + path, errno);
        return frames;
    }
    std::string line;
    while (std::getline(in, line)) {
        auto space = line.find(' ');
        if (space == std::string::npos)
            continue;
        std::string symbol = line.substr(space + 1);
        StackFrame frame;
        frame.name = symbol.substr(0, symbol.find('+'));
        frame.module = "[kernel]";
        frame.kind = StackFrame::Kind::kKernel;
        frames.push_back(std::move(frame));
    }
    return frames;
}

// One thread held stopped for as long as this object lives. PTRACE_SEIZE sends
// no signal, and a seized thread that is detached (or whose tracer dies) runs on.
class HeldThread {
  public:
    HeldThread() = default;
    HeldThread(const HeldThread&) = delete;
    HeldThread& operator=(const HeldThread&) = delete;
    ~HeldThread() { release(); }

    // 0, or the errno of the step that failed.
    int hold(uint32_t tid) {
        if (ptrace(PTRACE_SEIZE, pid_t(tid), nullptr, nullptr) != 0)
            return errno;
        tid_ = tid;
        held_at_ = now_ns();
        if (ptrace(PTRACE_INTERRUPT, pid_t(tid), nullptr, nullptr) != 0)
            return errno;
        for (;;) {
            int status = 0;
            if (waitpid(pid_t(tid), &status, __WALL) < 0) {
                if (errno == EINTR)
                    continue;
                return errno;
            }
            if (WIFEXITED(status) || WIFSIGNALED(status)) {
                tid_ = 0;  // gone: nothing to detach
                return ESRCH;
            }
            if (!WIFSTOPPED(status))
                continue;
            // A signal that arrived before our interrupt stops the thread first: it is
            // stopped all the same; hand the signal back when we let it go.
            if ((status >> 16) != PTRACE_EVENT_STOP)
                pending_signal_ = WSTOPSIG(status);
            return 0;
        }
    }

    // Lets the thread run again; returns how long it was held.
    uint64_t release() {
        if (tid_ == 0)
            return 0;
        ptrace(PTRACE_DETACH, pid_t(tid_), nullptr, reinterpret_cast<void*>(long(pending_signal_)));
        tid_ = 0;
        return now_ns() - held_at_;
    }

  private:
    uint32_t tid_ = 0;
    int pending_signal_ = 0;
    uint64_t held_at_ = 0;
};

struct DwflDeleter {
    void operator()(Dwfl* dwfl) const { dwfl_end(dwfl); }
};
using DwflOwner = std::unique_ptr<Dwfl, DwflDeleter>;

std::string dwfl_problem(const std::string& what) {
    const char* message = dwfl_errmsg(-1);
    return what + ": " + (message ? message : "unknown elfutils error");
}

// Opens every module's ELF file and call frame information now, while the threads
// run, so that a held thread waits for the unwind alone, not for file loading.
void preload_modules(Dwfl* dwfl) {
    dwfl_getmodules(
        dwfl,
        [](Dwfl_Module* module, void**, const char*, Dwarf_Addr, void*) {
            Dwarf_Addr bias = 0;
            if (dwfl_module_getelf(module, &bias) != nullptr && !dwfl_module_eh_cfi(module, &bias))
                dwfl_module_dwarf_cfi(module, &bias);
            return int(DWARF_CB_OK);
        },
        nullptr, 0);
}

// elfutils' view of the process: its modules (from /proc/PID/maps) and a thread
// state reader that trusts us to have stopped each thread before it is unwound.
DwflOwner open_process(uint32_t pid, std::string& problem) {
    static char* debuginfo_path = nullptr;
    static const Dwfl_Callbacks callbacks = {
        .find_elf = dwfl_linux_proc_find_elf,
        .find_debuginfo = dwfl_standard_find_debuginfo,
        .section_address = nullptr,
        .debuginfo_path = &debuginfo_path,
    };
    DwflOwner dwfl(dwfl_begin(&callbacks));
    if (!dwfl) {
        problem = dwfl_problem("dwfl_begin");
        return nullptr;
    }
    if (int err = dwfl_linux_proc_report(dwfl.get(), pid_t(pid)); err != 0) {
        problem = err > 0 ? errno_message("reading its mappings", err)
                          : dwfl_problem("reading its mappings");
        return nullptr;
    }
    if (dwfl_report_end(dwfl.get(), nullptr, nullptr) != 0) {
        problem = dwfl_problem("reading its mappings");
        return nullptr;
    }
    if (int err = dwfl_linux_proc_attach(dwfl.get(), pid_t(pid), true); err != 0) {
        problem = err > 0 ? errno_message("preparing the unwinder", err)
                          : dwfl_problem("preparing the unwinder");
        return nullptr;
    }
    preload_modules(dwfl.get());
    return dwfl;
}

struct UnwindState {
    std::vector<uint64_t> ips;  // leaf first
    unsigned max_depth;
};

int collect_frame(Dwfl_Frame* frame, void* arg) {
    auto* state = static_cast<UnwindState*>(arg);
    Dwarf_Addr pc = 0;
    bool activation = false;
    if (!dwfl_frame_pc(frame, &pc, &activation) || pc == 0)
        return DWARF_CB_ABORT;
    state->ips.push_back(pc);
    return state->ips.size() < state->max_depth ? DWARF_CB_OK : DWARF_CB_ABORT;
}

}  // namespace

LiveStacks capture_live_stacks(uint32_t pid, const LiveStackOptions& options) {
    uint64_t started = now_ns();
    LiveStacks result;
    result.pid = pid;
    std::string process_dir = fmt::format("/proc/{}", pid);
    char state = '?';
    if (!read_stat(process_dir, result.comm, state))
        throw UserError(
            fmt::format("process {} does not exist; give the pid of a running process", pid));
    if (state == 'Z' || state == 'X')
        throw UserError(
            fmt::format("process {} ({}) is a zombie: it has exited and has no stack "
                        "left (its parent has not reaped it yet)",
                        pid, result.comm));
    // A kernel thread has no mappings: kernel stacks only.
    bool kernel_thread = read_first_line(process_dir + "/cmdline").empty() &&
                         list_threads(pid).size() <= 1 &&
                         std::ifstream(process_dir + "/maps").peek() == EOF;

    std::vector<uint32_t> tids = options.tids.empty() ? list_threads(pid) : options.tids;
    for (uint32_t tid : options.tids) {
        std::string comm;
        char thread_state = '?';
        if (!read_stat(fmt::format("{}/task/{}", process_dir, tid), comm, thread_state))
            throw UserError(fmt::format(
                "thread {} is not a thread of process {}; see /proc/{}/task for its threads", tid,
                pid, pid));
    }

    std::string process_problem;
    DwflOwner dwfl;
    if (options.user && !kernel_thread)
        dwfl = open_process(pid, process_problem);
    else if (kernel_thread)
        process_problem = "a kernel thread has no user stack";
    uint64_t opened = now_ns();
    uint64_t held_total = 0, symbolize_total = 0;
    symbols::Symbolizer::Options symbolizer_options;
    symbolizer_options.source_lines = options.source_lines;
    symbols::Symbolizer symbolizer(symbolizer_options);

    for (uint32_t tid : tids) {
        ThreadStack thread;
        thread.tid = tid;
        std::string thread_dir = fmt::format("{}/task/{}", process_dir, tid);
        if (!read_stat(thread_dir, thread.comm, thread.state)) {
            result.threads_gone++;
            continue;
        }
        thread.wchan = read_first_line(thread_dir + "/wchan");
        // The kernel stack first: once held, a thread shows ptrace's stop instead of
        // where it was waiting.
        if (options.kernel)
            thread.kernel = read_kernel_stack(thread_dir + "/stack", thread.kernel_problem);
        if (!options.user) {
            thread.user_problem = "not asked for";
        } else if (!dwfl) {
            thread.user_problem = process_problem;
        } else {
            UnwindState unwind{{}, options.max_depth};
            HeldThread held;
            if (int err = held.hold(tid); err != 0) {
                if (err == ESRCH) {
                    result.threads_gone++;
                    continue;
                }
                thread.user_problem = errno_message(
                    "cannot stop the thread to read its registers"
                    " (ptrace)",
                    err);
            } else {
                int rc = dwfl_getthread_frames(dwfl.get(), pid_t(tid), collect_frame, &unwind);
                thread.stopped_ns = held.release();
                if (rc != 0 && unwind.ips.empty())
                    thread.user_problem = dwfl_problem("unwinding");
            }
            // Symbolized after the thread runs again: it is not held for name lookups.
            uint64_t symbolize_start = now_ns();
            auto frames = symbolizer.user_frames(pid, unwind.ips);
            thread.user.assign(frames.rbegin(), frames.rend());
            symbolize_total += now_ns() - symbolize_start;
            held_total += thread.stopped_ns;
        }
        result.threads.push_back(std::move(thread));
    }
    result.elapsed_ns = now_ns() - started;
    spdlog::debug(
        "pstack: unwinder ready in {:.1f} ms, threads held {:.1f} ms in all, "
        "symbolization {:.1f} ms, whole capture {:.1f} ms",
        double(opened - started) / 1e6, double(held_total) / 1e6, double(symbolize_total) / 1e6,
        double(result.elapsed_ns) / 1e6);
    return result;
}

}  // namespace bpfscope
