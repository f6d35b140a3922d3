// offcputime against the real kernel on workloads with known stacks.
#include <gtest/gtest.h>

#include <cmath>
#include <future>
#include <nlohmann/json.hpp>

#include "stack_workload.h"
#include "support/process.h"

using bpfscope::test::BackgroundWorkload;
using bpfscope::test::bin;
using bpfscope::test::parse_folded_lines;
using bpfscope::test::run_process;
using bpfscope::test::workload_figure;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// Runs offcputime -p PID on a workload started with a start delay (its last
// argument) so the tool is attached before the known work begins.
struct TracedRun {
    bpfscope::test::ProcessResult tool;
    std::string workload_out;
};

TracedRun trace_workload(std::vector<std::string> workload, std::vector<std::string> tool_args,
                         double seconds) {
    BackgroundWorkload w(workload);
    EXPECT_GT(w.pid(), 0) << "cannot start " << workload[0];
    std::vector<std::string> argv = {bin("offcputime"), "-p", std::to_string(w.pid()), "-d",
                                     std::to_string(seconds)};
    argv.insert(argv.end(), tool_args.begin(), tool_args.end());
    TracedRun run;
    run.tool = run_process(argv, std::chrono::seconds(60));
    run.workload_out = w.finish();
    return run;
}

}  // namespace

TEST(Offcputime, BlockerStackIsCompleteAndTotalMatchesSleep) {
    // 20 x 50 ms in main -> outer -> inner -> nanosleep, after a 700 ms start delay.
    auto run = trace_workload({bin("blocker"), "20", "50", "700"}, {"-f"}, 3.5);
    ASSERT_EQ(run.tool.exit_code, 0) << run.tool.err;
    long long slept_us = workload_figure(run.workload_out, "slept_us");
    ASSERT_GT(slept_us, 900000) << run.workload_out;

    auto stacks = parse_folded_lines(run.tool.out);
    double known_total = 0;
    std::string known;
    for (const auto& [stack, value] : stacks) {
        if (contains(stack, ";main;outer;inner;-;")) {
            known_total += value;
            known = stack;
        }
    }
    ASSERT_FALSE(known.empty()) << "no main;outer;inner stack in:\n" << run.tool.out;
    EXPECT_TRUE(known.rfind("blocker;", 0) == 0) << known;
    // The kernel half: the syscall entry down to the nanosleep implementation.
    EXPECT_TRUE(contains(known, ";-;entry_SYSCALL_64")) << known;
    EXPECT_TRUE(contains(known, "sys_nanosleep")) << known;
    EXPECT_TRUE(contains(known, "hrtimer_nanosleep")) << known;
    EXPECT_LT(std::fabs(known_total - double(slept_us)), 0.10 * double(slept_us))
        << "off-CPU " << known_total << " us vs slept " << slept_us << " us";
}

TEST(Offcputime, ExitedProcessKeepsItsUserFrames) {
    // The start delay leaves room for offcputime to attach on a loaded machine.
    auto run = trace_workload({bin("exiter"), "300", "1200"}, {"-f"}, 3.0);
    ASSERT_EQ(run.tool.exit_code, 0) << run.tool.err;
    bool found = false;
    for (const auto& [stack, value] : parse_folded_lines(run.tool.out)) {
        if (contains(stack, ";main;exiter_outer;exiter_block;-;")) {
            found = true;
            EXPECT_GT(value, 250000) << stack;
        }
    }
    EXPECT_TRUE(found) << "exiter's frames not symbolized after exit:\n" << run.tool.out;
}

TEST(Offcputime, CppFramesAreDemangledWithInlinedFrame) {
    auto run = trace_workload({bin("cppstack"), "10", "30", "600"}, {"-f"}, 2.5);
    ASSERT_EQ(run.tool.exit_code, 0) << run.tool.err;
    bool found = false;
    for (const auto& [stack, value] : parse_folded_lines(run.tool.out))
        found =
            found ||
            contains(stack,
                     ";main;stackwork::Worker::run(long);stackwork::Worker::pause_briefly();-;");
    EXPECT_TRUE(found) << run.tool.out;
}

TEST(Offcputime, JsonUserOnlyAndKernelOnly) {
    auto user = trace_workload({bin("blocker"), "5", "40", "600"}, {"-j", "-U"}, 2);
    ASSERT_EQ(user.tool.exit_code, 0) << user.tool.err;
    auto doc = nlohmann::json::parse(user.tool.out);
    ASSERT_EQ(doc["tool"], "offcputime");
    bool saw_inner = false;
    for (const auto& sample : doc["stacks"]["samples"]) {
        for (const auto& frame : sample["frames"]) {
            EXPECT_EQ(frame["kind"], "user") << frame;
            saw_inner = saw_inner || frame["name"] == "inner";
        }
    }
    EXPECT_TRUE(saw_inner) << user.tool.out;

    auto kernel = trace_workload({bin("blocker"), "5", "40", "600"}, {"-f", "-K"}, 2);
    ASSERT_EQ(kernel.tool.exit_code, 0) << kernel.tool.err;
    bool saw_kernel = false;
    for (const auto& [stack, value] : parse_folded_lines(kernel.tool.out)) {
        EXPECT_FALSE(contains(stack, "inner")) << stack;
        saw_kernel = saw_kernel || contains(stack, "hrtimer_nanosleep");
    }
    EXPECT_TRUE(saw_kernel) << kernel.tool.out;
}

TEST(Offcputime, MinBlockTimeFiltersShortBlocks) {
    // 40 ms sleeps pass -m 20000 (20 ms); the pipe ping-pong's blocks do not.
    auto run = trace_workload({bin("blocker"), "10", "40", "600"}, {"-f", "-m", "20000"}, 2.5);
    ASSERT_EQ(run.tool.exit_code, 0) << run.tool.err;
    for (const auto& [stack, value] : parse_folded_lines(run.tool.out)) {
        if (contains(stack, ";inner;")) {
            EXPECT_GT(value, 10 * 20000.0) << stack;
        }
    }
    EXPECT_TRUE(contains(run.tool.out, ";main;outer;inner;")) << run.tool.out;
}

TEST(Offcputime, RawTracepointFallbackGivesTheSameTotals) {
    auto run = trace_workload({bin("blocker"), "10", "50", "700"}, {"-f", "--raw-tp"}, 2.5);
    ASSERT_EQ(run.tool.exit_code, 0) << run.tool.err;
    long long slept_us = workload_figure(run.workload_out, "slept_us");
    double total = 0;
    for (const auto& [stack, value] : parse_folded_lines(run.tool.out))
        if (contains(stack, ";main;outer;inner;-;") && contains(stack, "hrtimer_nanosleep"))
            total += value;
    EXPECT_LT(std::fabs(total - double(slept_us)), 0.10 * double(slept_us)) << run.tool.out;
}

// The low-overhead design (kernel stack at switch-in, stacks reused while the
// registers say they are unchanged) against the straightforward one (both stacks
// walked at every switch-out), on one workload traced by both at once: every
// stack's total must agree within 2%.
TEST(Offcputime, DefaultDesignEqualsStraightforwardDesign) {
    BackgroundWorkload w({bin("pipewait"), "4000", "200", "800"});
    ASSERT_GT(w.pid(), 0);
    std::string pid = std::to_string(w.pid());
    auto reference = std::async(std::launch::async, [&] {
        return run_process(
            {bin("offcputime"), "-p", pid, "-d", "4", "-f", "--capture", "switch-out"},
            std::chrono::seconds(60));
    });
    auto fast =
        run_process({bin("offcputime"), "-p", pid, "-d", "4", "-f"}, std::chrono::seconds(60));
    auto ref = reference.get();
    std::string out = w.finish();
    ASSERT_EQ(fast.exit_code, 0) << fast.err;
    ASSERT_EQ(ref.exit_code, 0) << ref.err;
    ASSERT_GT(workload_figure(out, "round_trips"), 0) << out;
    auto a = parse_folded_lines(fast.out);
    auto b = parse_folded_lines(ref.out);
    // Stacks of the measured work (not the start delay, which began before the tools).
    double compared = 0;
    for (const auto& [stack, value] : b) {
        if (!contains(stack, "pipe_reader_loop") && !contains(stack, "pipe_echo_loop"))
            continue;
        if (value < 1000)
            continue;  // below 1 ms, 2% is under the tools' start/stop skew
        compared += value;
        ASSERT_TRUE(a.count(stack)) << "missing in the default design: " << stack << "\n"
                                    << fast.out;
        EXPECT_LT(std::fabs(a[stack] - value), 0.02 * value)
            << stack << ": " << a[stack] << " vs " << value;
    }
    EXPECT_GT(compared, 500000) << ref.out;
}
