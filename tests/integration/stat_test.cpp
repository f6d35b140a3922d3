// bpfscope stat against perf stat on the same deterministic workloads (counts of
// the command and of the children it forks), and stat compare's verdict on two
// runs of the same thing and on a deliberately slowed one.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/preconditions.h"
#include "support/process.h"

namespace {

using bpfscope::test::bin;
using bpfscope::test::run_process;
using json = nlohmann::json;

// counter -> mean value, from `stat -j`.
std::map<std::string, double> our_counts(const std::string& text) {
    std::map<std::string, double> counts;
    json doc = json::parse(text);
    for (const auto& section : doc["sections"])
        for (const auto& table : section["tables"])
            for (const auto& row : table["rows"])
                if (row.size() > 1 && row[1].is_number())
                    counts[row[0]] = row[1].get<double>();
    return counts;
}

// perf stat -x, output on stderr: "value,unit,event,..." lines.
std::map<std::string, double> perf_counts(const std::string& text) {
    std::map<std::string, double> counts;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        std::vector<std::string> fields;
        std::stringstream parts(line);
        std::string field;
        while (std::getline(parts, field, ',')) fields.push_back(field);
        if (fields.size() >= 3 && !fields[0].empty() && std::isdigit(fields[0][0]))
            counts[fields[2]] = std::stod(fields[0]);
    }
    return counts;
}

std::string temp_path(const std::string& name) {
    return (std::filesystem::temp_directory_path() /
            ("bpfscope-stat-" + std::to_string(getpid()) + "-" + name))
        .string();
}

TEST(Stat, CountsEqualPerfStatIncludingChildren) {
    BPFSCOPE_REQUIRE_ROOT("opens tracepoint counters");
    BPFSCOPE_REQUIRE_PROGRAM("perf");
    // Two children in a row, each making 20000 getppid calls, and a dd that faults in
    // its 64 MB buffer (~16k page faults: start-up's few faults of jitter are then far
    // below 1%): the counters follow forks.
    std::string script = bin("sleeper") + " --syscalls 20000 >/dev/null; " + bin("sleeper") +
                         " --syscalls 20000 >/dev/null; dd if=/dev/zero of=/dev/null bs=64M " +
                         "count=1 2>/dev/null";
    std::vector<std::string> events = {"syscalls:sys_enter_getppid", "sched:sched_process_exec",
                                       "sched:sched_process_fork"};
    std::vector<std::string> ours_argv = {bin("bpfscope"), "stat", "-j"};
    std::string perf_events = "page-faults,minor-faults";
    for (const auto& event : events) {
        ours_argv.insert(ours_argv.end(), {"-e", event});
        perf_events += "," + event;
    }
    ours_argv.insert(ours_argv.end(), {"--", "sh", "-c", script});
    auto ours = run_process(ours_argv);
    ASSERT_EQ(ours.exit_code, 0) << ours.err;
    auto perf =
        run_process({"perf", "stat", "-x", ",", "-e", perf_events, "--", "sh", "-c", script});
    ASSERT_EQ(perf.exit_code, 0) << perf.err;
    auto a = our_counts(ours.out);
    auto p = perf_counts(perf.err);
    // The sleepers' 40000, and the shell's own getppid.
    EXPECT_GE(a["syscalls:sys_enter_getppid"], 40000) << ours.out;
    EXPECT_LE(a["syscalls:sys_enter_getppid"], 40002) << ours.out;
    for (const auto& event : events) {
        ASSERT_TRUE(p.count(event)) << perf.err;
        EXPECT_EQ(a[event], p[event]) << event;
    }
    EXPECT_EQ(a["sched:sched_process_exec"], 4);  // sh, two sleepers, dd
    EXPECT_GT(a["page-faults"], 16000);
    for (const std::string counter : {"page-faults", "minor-faults"}) {
        ASSERT_TRUE(p.count(counter)) << perf.err;
        EXPECT_NEAR(a[counter], p[counter], 0.01 * p[counter]) << counter;
    }
    EXPECT_GT(a["task-clock"], 0);
    EXPECT_GT(a["wall-time"], a["task-clock"] * 0.5);
    // No PMU here: the hardware counters say so rather than print a zero.
    if (perf_counts(run_process({"perf", "stat", "-x", ",", "-e", "cycles", "true"}).err)
            .count("cycles") == 0) {
        EXPECT_NE(ours.out.find("unavailable, no PMU"), std::string::npos) << ours.out;
    }
}

TEST(Stat, CompareSameIsNoDifferenceAndSlowedIsHigher) {
    BPFSCOPE_REQUIRE_ROOT("opens tracepoint counters");
    std::string a = temp_path("a.json"), b = temp_path("b.json"), slow = temp_path("slow.json");
    auto run = [](const std::string& out, const std::string& calls) {
        return run_process({bin("bpfscope"), "stat", "--runs", "5", "--out", out, "-q", "--",
                            bin("sleeper"), "--busy", calls});
    };
    ASSERT_EQ(run(a, "20000000").exit_code, 0);
    ASSERT_EQ(run(b, "20000000").exit_code, 0);
    ASSERT_EQ(run(slow, "60000000").exit_code, 0);
    json saved = json::parse(std::ifstream(a));
    EXPECT_EQ(saved["schema"], "bpfscope.stat.report");
    EXPECT_EQ(saved["runs"].size(), 5u);

    auto same = run_process({bin("bpfscope"), "stat", "compare", a, b});
    ASSERT_EQ(same.exit_code, 0) << same.err;
    EXPECT_NE(same.out.find("verdict: no significant difference"), std::string::npos) << same.out;
    auto slowed = run_process({bin("bpfscope"), "stat", "compare", a, slow, "-j"});
    ASSERT_EQ(slowed.exit_code, 0) << slowed.err;
    json doc = json::parse(slowed.out);
    std::string task_clock_verdict;
    for (const auto& section : doc["sections"])
        for (const auto& table : section["tables"])
            for (const auto& row : table["rows"])
                if (row[0] == "task-clock")
                    task_clock_verdict = row[5];
    EXPECT_EQ(task_clock_verdict, "B higher") << slowed.out;
    std::filesystem::remove(a);
    std::filesystem::remove(b);
    std::filesystem::remove(slow);
}

TEST(Stat, BadInputIsOneLine) {
    BPFSCOPE_REQUIRE_ROOT("opens tracepoint counters");
    auto missing = run_process({bin("bpfscope"), "stat", "--", "/nonexistent/command"});
    EXPECT_NE(missing.exit_code, 0);
    EXPECT_NE(missing.err.find("cannot execute '/nonexistent/command'"), std::string::npos)
        << missing.err;
    EXPECT_EQ(std::count(missing.err.begin(), missing.err.end(), '\n'), 1) << missing.err;
    EXPECT_TRUE(missing.out.empty()) << missing.out;

    auto unknown = run_process({bin("bpfscope"), "stat", "-e", "nosuch:event", "--", "true"});
    EXPECT_NE(unknown.exit_code, 0);
    EXPECT_NE(unknown.err.find("no such tracepoint"), std::string::npos) << unknown.err;

    std::string other = temp_path("other.json");
    std::ofstream(other) << R"({"schema": "bpfscope.memcg.report", "schema_version": 1})";
    auto wrong = run_process({bin("bpfscope"), "stat", "compare", other, other});
    EXPECT_NE(wrong.exit_code, 0);
    EXPECT_NE(wrong.err.find("not a bpfscope stat report"), std::string::npos) << wrong.err;
    std::filesystem::remove(other);

    // A failed run leaves no --out file behind.
    std::string out = temp_path("never.json");
    auto failed = run_process({bin("bpfscope"), "stat", "--out", out, "--", "/nonexistent/x"});
    EXPECT_NE(failed.exit_code, 0);
    EXPECT_FALSE(std::filesystem::exists(out));
}

}  // namespace
