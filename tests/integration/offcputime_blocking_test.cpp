// offcputime's blocking frames: the kernel stack of a block goes down to the
// function that blocked (a kernel mutex, a futex wait), as libbpf-tools'
// offcputime shows it below __schedule. Each test runs both of our designs and
// /usr/sbin/offcputime on the same gated workload window.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <set>
#include <sstream>
#include <thread>

#include "stack_tests_support.h"
#include "support/preconditions.h"

using bpfscope::test::BackgroundProcess;
using bpfscope::test::BackgroundWorkload;
using bpfscope::test::bin;
using bpfscope::test::contains;
using bpfscope::test::parse_folded_lines;
using bpfscope::test::ProcessResult;
using bpfscope::test::workload_figure;

namespace {

constexpr const char* kLibbpfToolsOffcputime = "/usr/sbin/offcputime";

// One stack of libbpf-tools' offcputime output: frames leaf first (kernel
// frames, then user frames), and its total in microseconds.
struct ReferenceStack {
    std::vector<std::string> frames;
    double value = 0;
};

// libbpf-tools prints each stack as indented frames (leaf first), a
// "    -   comm (pid)" line and a value line, stacks separated by blank lines.
std::vector<ReferenceStack> parse_libbpf_tools(const std::string& text) {
    std::vector<ReferenceStack> stacks;
    ReferenceStack current;
    bool after_comm = false;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        auto first = line.find_first_not_of(' ');
        if (first == std::string::npos) {
            current = {};
            after_comm = false;
            continue;
        }
        std::string word = line.substr(first);
        if (after_comm) {
            current.value = std::stod(word);
            stacks.push_back(current);
            current = {};
            after_comm = false;
        } else if (word.rfind("- ", 0) == 0) {
            after_comm = true;
        } else {
            current.frames.push_back(word);
        }
    }
    return stacks;
}

// Our folded stack's kernel frames, leaf first ("...;-;a;b;c" -> c, b, a).
std::vector<std::string> kernel_leaf_first(const std::string& folded) {
    auto separator = folded.find(";-;");
    std::vector<std::string> frames;
    if (separator == std::string::npos)
        return frames;
    std::istringstream in(folded.substr(separator + 3));
    std::string frame;
    while (std::getline(in, frame, ';')) frames.insert(frames.begin(), frame);
    return frames;
}

// The reference's frames below __schedule start with `kernel` (our kernel
// frames, leaf first): the same blocking frames, the same callers.
bool same_kernel_frames(const ReferenceStack& reference, const std::vector<std::string>& kernel) {
    auto schedule = std::find(reference.frames.begin(), reference.frames.end(), "__schedule");
    if (schedule == reference.frames.end() || kernel.empty())
        return false;
    auto below = std::vector<std::string>(schedule + 1, reference.frames.end());
    return below.size() >= kernel.size() && std::equal(kernel.begin(), kernel.end(), below.begin());
}

// libbpf-tools prints no readiness line: it is attached once it holds a BPF link.
bool holds_bpf_link(pid_t pid) {
    std::error_code ec;
    for (const auto& fd :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
        auto target = std::filesystem::read_symlink(fd.path(), ec);
        if (!ec && target.string() == "anon_inode:bpf_link")
            return true;
    }
    return false;
}

struct BlockingRun {
    std::map<std::string, double> default_design, switch_out;
    std::vector<ReferenceStack> reference;
    std::string workload_out, error;
};

BlockingRun trace_blocking(const std::vector<std::string>& workload) {
    BlockingRun run;
    BackgroundWorkload w(workload);
    std::string pid = std::to_string(w.pid());
    BackgroundProcess ours(
        {bin("bpfscope"), "offcputime", "-p", pid, "-f", "--stack-storage-size", "4096"});
    BackgroundProcess reference_design({bin("bpfscope"), "offcputime", "-p", pid, "-f", "--capture",
                                        "switch-out", "--stack-storage-size", "4096"});
    BackgroundProcess reference({kLibbpfToolsOffcputime, "-p", pid});
    if (!ours.wait_until_ready() || !reference_design.wait_until_ready()) {
        run.error = "offcputime never became ready: " + ours.output_so_far() +
                    reference_design.output_so_far();
        return run;
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!holds_bpf_link(reference.pid())) {
        if (std::chrono::steady_clock::now() > deadline || reference.exited_within({})) {
            run.error = "libbpf-tools' offcputime never attached: " + reference.output_so_far();
            return run;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling, not a fixed wait
    }
    w.start();
    run.workload_out = w.finish();
    ours.signal(SIGINT);
    reference_design.signal(SIGINT);
    reference.signal(SIGINT);
    ProcessResult a = ours.wait(), b = reference_design.wait(), c = reference.wait();
    if (a.exit_code != 0 || b.exit_code != 0 || c.exit_code != 0) {
        run.error = "a tracer failed: " + a.err + b.err + c.err;
        return run;
    }
    run.default_design = parse_folded_lines(a.out);
    run.switch_out = parse_folded_lines(b.out);
    run.reference = parse_libbpf_tools(c.out);
    return run;
}

// Checks the stacks whose kernel frames contain `blocking` (e.g. a mutex slow
// path): ours has them with `schedule` as the leaf, both designs agree, and
// libbpf-tools shows the same frames below __schedule with the same time.
void check_blocking_stacks(const BlockingRun& run, const std::string& blocking,
                           double min_total_us) {
    double ours_total = 0, switch_out_total = 0;
    std::set<size_t> matched;  // reference stacks, each counted once
    for (const auto& [stack, value] : run.default_design) {
        auto kernel = kernel_leaf_first(stack);
        if (kernel.empty() || !contains(stack, blocking))
            continue;
        ours_total += value;
        EXPECT_EQ(kernel.front(), "schedule") << stack;
        auto same = run.switch_out.find(stack);
        EXPECT_TRUE(same != run.switch_out.end()) << "not in the switch-out design: " << stack;
        if (same != run.switch_out.end())
            switch_out_total += same->second;
        bool found = false;
        for (size_t i = 0; i < run.reference.size(); i++) {
            if (same_kernel_frames(run.reference[i], kernel)) {
                matched.insert(i);
                found = true;
            }
        }
        EXPECT_TRUE(found || value < 1000)
            << "libbpf-tools has no stack with these kernel frames: " << stack;
    }
    double reference_total = 0;
    for (size_t i : matched) reference_total += run.reference[i].value;
    EXPECT_GT(ours_total, min_total_us) << "no stack with " << blocking;
    EXPECT_NEAR(switch_out_total, ours_total, 0.03 * ours_total);
    EXPECT_NEAR(reference_total, ours_total, 0.10 * ours_total);
}

}  // namespace

// Three threads read one byte at a time from one pseudo-terminal: the tty
// reader holds a kernel mutex while it waits for input, so the other two
// sleep in the mutex slow path (__mutex_lock) under n_tty_read.
TEST(OffcputimeBlockingFrames, KernelMutexWaitShowsTheMutexSlowPath) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    BPFSCOPE_REQUIRE_PROGRAM(kLibbpfToolsOffcputime);
    auto run = trace_blocking({bin("lockwait"), "kmutex", "3", "40", "3000"});
    ASSERT_TRUE(run.error.empty()) << run.error;
    ASSERT_EQ(workload_figure(run.workload_out, "lock_rounds"), 120) << run.workload_out;
    // Two of three threads wait for the mutex for most of the 360 ms.
    check_blocking_stacks(run, "n_tty_read;__mutex_lock", 300000);
}

// Three threads take turns on one pthread mutex held for 3 ms: the others
// wait in the kernel's futex wait.
TEST(OffcputimeBlockingFrames, FutexWaitShowsTheFutexWait) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    BPFSCOPE_REQUIRE_PROGRAM(kLibbpfToolsOffcputime);
    auto run = trace_blocking({bin("lockwait"), "futex", "3", "40", "3000"});
    ASSERT_TRUE(run.error.empty()) << run.error;
    ASSERT_EQ(workload_figure(run.workload_out, "lock_rounds"), 120) << run.workload_out;
    check_blocking_stacks(run, "futex_wait", 300000);
    // The holder's sleep: do_nanosleep is a scheduler function, kept too.
    bool nanosleep = false;
    for (const auto& [stack, value] : run.default_design)
        nanosleep = nanosleep || stack.ends_with("hrtimer_nanosleep;do_nanosleep;schedule");
    EXPECT_TRUE(nanosleep);
}
