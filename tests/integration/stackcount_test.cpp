// stackcount against the real kernel: malloc by user stack on probe_target's
// two known call sites (exact counts, symbolized frames, in text, JSON, folded
// and SVG), kernel stacks of a syscall tracepoint, -P, and bad input.
#include <fstream>

#include "probe_tools_support.h"
#include "support/preconditions.h"

using namespace bpfscope::test;
using namespace bpfscope::test::probe_tools;

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream content;
    content << in.rdbuf();
    return content.str();
}

bool has_frame(const json& sample, const std::string& name) {
    for (const auto& frame : sample["frames"])
        if (frame["name"] == name)
            return true;
    return false;
}

// The sample whose frames include `name` (exactly one expected).
const json* sample_with(const json& stacks, const std::string& name) {
    const json* found = nullptr;
    for (const auto& sample : stacks["samples"])
        if (has_frame(sample, name)) {
            EXPECT_EQ(found, nullptr) << "more than one stack through " << name;
            found = &sample;
        }
    return found;
}

struct TempDir {
    std::filesystem::path path = std::filesystem::temp_directory_path() /
                                 ("bpfscope-stackcount-" + std::to_string(getpid()));
    TempDir() { std::filesystem::create_directories(path); }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
};

}  // namespace

TEST(Stackcount, MallocByUserStackShowsTheTwoCallSitesWithTheirCounts) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    WaitingTarget target({"--add-calls", "0"});
    BackgroundProcess counter(
        tool("stackcount", {"-j", "-U", "-p", target.pid_text(), "c:malloc"}));
    ASSERT_TRUE(counter.wait_until_ready()) << counter.output_so_far();
    auto account = target.run();  // the process has exited before the report
    auto result = counter.stop();
    ASSERT_EQ(result.exit_code, 0) << result.err;
    json report = last_report(result.out);
    const json& stacks = report["stacks"];
    ASSERT_EQ(stacks["samples"].size(), 2u) << stacks.dump();
    const json* site_a = sample_with(stacks, "run_site_a");
    const json* site_b = sample_with(stacks, "run_site_b");
    ASSERT_TRUE(site_a && site_b) << stacks.dump();
    EXPECT_EQ((*site_a)["value"], double(account.site_a));
    EXPECT_EQ((*site_b)["value"], double(account.site_b));
    for (const json* sample : {site_a, site_b}) {
        const json& frames = (*sample)["frames"];
        // Root first: ... main, run_site_X, and malloc at the leaf; user frames only.
        EXPECT_EQ(frames.back()["name"], "malloc") << frames.dump();
        EXPECT_TRUE(has_frame(*sample, "main"));
        for (const auto& frame : frames) EXPECT_EQ(frame["kind"], "user") << frame.dump();
        EXPECT_EQ((*sample)["pid"], target.pid());
        EXPECT_EQ((*sample)["comm"], "probe_target");
    }
    const json& summary = section_of_kind(report, "summary")["fields"];
    EXPECT_EQ(summary["events"], account.site_a + account.site_b);
    EXPECT_EQ(section_of_kind(report, "probe_counters")["fields"]["stacks_missing"], 0);
}

TEST(Stackcount, FoldedSvgAndTextOutputsCarryTheSameCounts) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    TempDir dir;
    std::string folded = (dir.path / "m.folded").string(), svg = (dir.path / "m.svg").string();
    WaitingTarget target({"--add-calls", "0", "--site-a", "40", "--site-b", "90"});
    BackgroundProcess counter(tool("stackcount", {"-U", "-p", target.pid_text(), "--folded", folded,
                                                  "--svg", svg, "c:malloc"}));
    ASSERT_TRUE(counter.wait_until_ready()) << counter.output_so_far();
    target.run();
    auto result = counter.stop();
    ASSERT_EQ(result.exit_code, 0) << result.err;
    // Text: bcc-style stacks, each followed by its count.
    EXPECT_NE(result.out.find("run_site_a"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("40 count"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("90 count"), std::string::npos) << result.out;
    std::string lines = read_file(folded);
    EXPECT_TRUE(std::regex_search(
        lines, std::regex(R"((^|\n)probe_target;[^\n]*main;run_site_a;malloc 40(\n|$))")))
        << lines;
    EXPECT_TRUE(std::regex_search(
        lines, std::regex(R"((^|\n)probe_target;[^\n]*main;run_site_b;malloc 90(\n|$))")))
        << lines;
    std::string graph = read_file(svg);
    EXPECT_NE(graph.find("<svg"), std::string::npos);
    EXPECT_NE(graph.find("run_site_b"), std::string::npos);
}

TEST(Stackcount, KernelStacksOfASyscallTracepoint) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    WaitingTarget target(
        {"--add-calls", "0", "--site-a", "0", "--site-b", "0", "--syscalls", "700"});
    BackgroundProcess counter(
        tool("stackcount", {"-j", "-K", "-p", target.pid_text(), "t:syscalls:sys_enter_getppid"}));
    ASSERT_TRUE(counter.wait_until_ready()) << counter.output_so_far();
    auto account = target.run();
    auto result = counter.stop();
    ASSERT_EQ(result.exit_code, 0) << result.err;
    json report = last_report(result.out);
    double total = 0;
    for (const auto& sample : report["stacks"]["samples"]) {
        total += sample["value"].get<double>();
        for (const auto& frame : sample["frames"]) EXPECT_EQ(frame["kind"], "kernel");
        // A syscall entered from user space: the entry code is at the root.
        EXPECT_TRUE(has_frame(sample, "do_syscall_64") ||
                    has_frame(sample, "entry_SYSCALL_64_after_hwframe"))
            << sample.dump();
    }
    EXPECT_EQ(total, double(account.getppid));
}

TEST(Stackcount, PerProcessKeepsProcessesApart) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    WaitingTarget first({"--add-calls", "0", "--site-a", "11", "--site-b", "0"});
    WaitingTarget second({"--add-calls", "0", "--site-a", "23", "--site-b", "0"});
    BackgroundProcess counter(
        tool("stackcount", {"-j", "-P", "-U", "-p", first.pid_text() + "," + second.pid_text(),
                            target_function("malloc_site_a")}));
    ASSERT_TRUE(counter.wait_until_ready()) << counter.output_so_far();
    first.run();
    second.run();
    auto result = counter.stop();
    ASSERT_EQ(result.exit_code, 0) << result.err;
    std::map<uint32_t, double> by_pid;
    json report = last_report(result.out);
    for (const auto& sample : report["stacks"]["samples"])
        by_pid[sample["pid"].get<uint32_t>()] += sample["value"].get<double>();
    EXPECT_EQ(by_pid[uint32_t(first.pid())], 11.0);
    EXPECT_EQ(by_pid[uint32_t(second.pid())], 23.0);
    EXPECT_EQ(by_pid.size(), 2u);
}

TEST(Stackcount, BadInputIsOneLineAndNothingStaysAttached) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    struct Case {
        std::vector<std::string> arguments;
        const char* says;
        int exit_code;
    } cases[] = {
        {{"-K", "-U", "c:malloc"}, "-K and -U exclude each other", 2},
        {{"t:sched:no_such_event"}, "no_such_event", 1},
        {{"--max-matches", "2", "t:sched:*"}, "2", 1},
        {{"c:no_such_function_xyz"}, "no_such_function_xyz", 1},
    };
    for (const auto& c : cases) {
        auto result = run_process(tool("stackcount", c.arguments), 60s);
        EXPECT_EQ(result.exit_code, c.exit_code) << result.err;
        std::string err = result.err;
        while (!err.empty() && err.back() == '\n') err.pop_back();
        EXPECT_EQ(err.find('\n'), std::string::npos) << "one line: " << result.err;
        EXPECT_NE(err.find(c.says), std::string::npos) << result.err;
    }
    EXPECT_EQ(probe_programs_left(), 0u);
}
