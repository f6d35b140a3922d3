// funccount against the real kernel: a tracepoint wildcard counted alongside
// perf stat on the same process and window, user-function wildcards and -P on
// probe_target's known calls, intervals, and bad input. Tracers are waited on
// with their readiness line (perf with its control fifo), never fixed sleeps.
#include "probe_tools_support.h"
#include "support/preconditions.h"

using namespace bpfscope::test;
using namespace bpfscope::test::probe_tools;

namespace {

// FUNC -> COUNT of a funccount JSON report (-P: "PID FUNC" -> COUNT).
std::map<std::string, uint64_t> counts_of(const json& report) {
    std::map<std::string, uint64_t> out;
    const json& table = section_of_kind(report, "counts")["tables"][0];
    bool per_process = table["columns"].size() == 4;
    for (const auto& row : table["rows"]) {
        if (per_process)
            out[std::to_string(row[0].get<uint64_t>()) + " " + row[2].get<std::string>()] =
                row[3].get<uint64_t>();
        else
            out[row[0].get<std::string>()] = row[1].get<uint64_t>();
    }
    return out;
}

}  // namespace

TEST(Funccount, TracepointWildcardEqualsPerfStatOnTheSameWindow) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    BPFSCOPE_REQUIRE_PROGRAM("perf");
    // 20000 getppid syscalls, plus the few the workload makes around them.
    WaitingTarget target(
        {"--add-calls", "0", "--site-a", "0", "--site-b", "0", "--syscalls", "20000"});
    BackgroundProcess counter(
        tool("funccount", {"-j", "-p", target.pid_text(), "t:raw_syscalls:*",
                           "t:syscalls:sys_enter_getppid", "t:syscalls:sys_exit_getppid"}));
    ASSERT_TRUE(counter.wait_until_ready()) << counter.output_so_far();
    PerfStat perf(target.pid(),
                  "raw_syscalls:*,syscalls:sys_enter_getppid,syscalls:sys_exit_getppid");
    ASSERT_TRUE(perf.wait_until_counting());
    auto account = target.run();
    auto perf_counts = perf.counts();
    auto result = counter.stop();
    ASSERT_EQ(result.exit_code, 0) << result.err;
    auto ours = counts_of(last_report(result.out));
    ASSERT_EQ(account.getppid, 20000u);
    for (const char* event : {"raw_syscalls:sys_enter", "raw_syscalls:sys_exit",
                              "syscalls:sys_enter_getppid", "syscalls:sys_exit_getppid"}) {
        ASSERT_TRUE(perf_counts.count(event)) << "perf did not count " << event;
        uint64_t theirs = perf_counts[event];
        uint64_t mine = ours[std::string("t:") + event];
        EXPECT_GE(theirs, 20000u) << event;
        EXPECT_NEAR(double(mine), double(theirs), 0.01 * double(theirs))
            << event << ": funccount " << mine << ", perf stat " << theirs;
    }
    // Both watch the same process over the same window: in fact exact.
    EXPECT_EQ(ours["t:syscalls:sys_enter_getppid"], 20000u);
    EXPECT_EQ(ours["t:raw_syscalls:sys_enter"], perf_counts["raw_syscalls:sys_enter"]);
}

TEST(Funccount, UserWildcardCountsEachFunctionExactly) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    WaitingTarget target({"--add-calls", "250"});
    BackgroundProcess counter(
        tool("funccount", {"-j", "-p", target.pid_text(), target_function("malloc_site_*"),
                           target_function("probe_add")}));
    ASSERT_TRUE(counter.wait_until_ready()) << counter.output_so_far();
    auto account = target.run();
    auto result = counter.stop();
    ASSERT_EQ(result.exit_code, 0) << result.err;
    json report = last_report(result.out);
    auto ours = counts_of(report);
    EXPECT_EQ(ours[target_function("malloc_site_a")], account.site_a);
    EXPECT_EQ(ours[target_function("malloc_site_b")], account.site_b);
    EXPECT_EQ(ours[target_function("probe_add")], 250u);
    EXPECT_EQ(ours.size(), 3u);
    // Sorted by count, descending.
    const json& rows = section_of_kind(report, "counts")["tables"][0]["rows"];
    EXPECT_EQ(rows[0][0], target_function("malloc_site_b"));
    EXPECT_EQ(section_of_kind(report, "attach")["fields"]["points"], 3);
    EXPECT_EQ(section_of_kind(report, "attach")["fields"]["uprobe"], 3);
}

TEST(Funccount, PerProcessCountsEachProcessApart) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    WaitingTarget first({"--add-calls", "100"});
    WaitingTarget second({"--add-calls", "370"});
    BackgroundProcess counter(
        tool("funccount", {"-j", "-P", "-p", first.pid_text() + "," + second.pid_text(),
                           target_function("probe_add")}));
    ASSERT_TRUE(counter.wait_until_ready()) << counter.output_so_far();
    first.run();
    second.run();
    auto result = counter.stop();
    ASSERT_EQ(result.exit_code, 0) << result.err;
    json report = last_report(result.out);
    auto ours = counts_of(report);
    EXPECT_EQ(ours[first.pid_text() + " " + target_function("probe_add")], 100u);
    EXPECT_EQ(ours[second.pid_text() + " " + target_function("probe_add")], 370u);
    EXPECT_EQ(ours.size(), 2u);
    const json& table = section_of_kind(report, "counts")["tables"][0];
    EXPECT_EQ(table["columns"][1], "COMM");
    EXPECT_EQ(table["rows"][0][1], "probe_target");
}

TEST(Funccount, PidFilterCountsOnlyThatProcess) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    WaitingTarget watched({"--add-calls", "120"});
    WaitingTarget other({"--add-calls", "80"});
    BackgroundProcess counter(
        tool("funccount", {"-j", "-p", watched.pid_text(), target_function("probe_add")}));
    ASSERT_TRUE(counter.wait_until_ready()) << counter.output_so_far();
    other.run();
    watched.run();
    auto result = counter.stop();
    ASSERT_EQ(result.exit_code, 0) << result.err;
    json report = last_report(result.out);
    EXPECT_EQ(counts_of(report)[target_function("probe_add")], 120u);
    // The other process's 80 calls are not counted (the uprobe may not even fire there).
    EXPECT_EQ(counts_of(report).size(), 1u);
}

TEST(Funccount, IntervalsReportAndReset) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    WaitingTarget target({"--add-calls", "300"});
    BackgroundProcess counter(tool(
        "funccount", {"-j", "-i", "0.2", "-p", target.pid_text(), target_function("probe_add")}));
    ASSERT_TRUE(counter.wait_until_ready()) << counter.output_so_far();
    target.run();
    // Interval reports until one after the calls were all counted.
    auto tally = [](const std::string& out, uint64_t& total, uint64_t& reports_after) {
        total = 0;
        reports_after = 0;
        std::istringstream lines(out);
        for (std::string line; std::getline(lines, line);) {
            if (line.empty() || line[0] != '{')
                continue;
            json report = json::parse(line, nullptr, false);
            if (report.is_discarded())
                continue;  // a line still being written
            EXPECT_TRUE(report.contains("timestamp"));
            if (total == 300)
                reports_after++;
            for (const auto& [name, count] : counts_of(report)) total += count;
        }
    };
    uint64_t total = 0, reports_after = 0;
    for (auto deadline = std::chrono::steady_clock::now() + 30s;
         std::chrono::steady_clock::now() < deadline && reports_after == 0;) {
        std::this_thread::sleep_for(50ms);
        tally(counter.output_so_far(), total, reports_after);
    }
    auto result = counter.stop();
    ASSERT_EQ(result.exit_code, 0) << result.err;
    tally(result.out, total, reports_after);
    EXPECT_EQ(total, 300u) << "each call is in exactly one interval: " << result.out;
    // The report after the calls starts again from zero.
    EXPECT_GE(reports_after, 1u) << result.out;
}

TEST(Funccount, BadInputIsOneLineAndNothingStaysAttached) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    struct Case {
        std::vector<std::string> arguments;
        const char* says;
    } cases[] = {
        {{"t:no_such_category:*"}, "no_such_category"},
        {{"t:sched:no_such_event"}, "no_such_event"},
        {{"--max-matches", "3", "t:syscalls:sys_enter_*"}, "3"},
        {{bin("probe_target") + ":no_such_function"}, "no_such_function"},
        {{"c:no_such_function_xyz"}, "no_such_function_xyz"},
        {{"q:bad:spec:x:y"}, "q:bad:spec:x"},
    };
    for (const auto& c : cases) {
        auto result = run_process(tool("funccount", c.arguments), 60s);
        EXPECT_NE(result.exit_code, 0) << c.says;
        EXPECT_TRUE(result.out.empty()) << result.out;
        std::string err = result.err;
        while (!err.empty() && err.back() == '\n') err.pop_back();
        EXPECT_EQ(err.find('\n'), std::string::npos) << "one line: " << result.err;
        EXPECT_NE(err.find(c.says), std::string::npos) << result.err;
    }
    EXPECT_EQ(probe_programs_left(), 0u);
}
