// syscount against the real kernel: exact counts equal to strace -c -f on the
// same run of a workload with known syscalls (tools/syscalls.c), its known
// errno, its known slow call printed by --slower, each option, bad input.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "stack_tests_support.h"
#include "support/preconditions.h"

using bpfscope::test::bin;
using bpfscope::test::contains;
using bpfscope::test::parse_json_lines;
using bpfscope::test::run_process;
using bpfscope::test::trace_gated;
using bpfscope::test::workload_figure;
using nlohmann::json;

namespace {

struct Figures {
    uint64_t count = 0, errors = 0;
    double max_us = 0, p99_us = 0, total_ms = 0;
};

// The syscall table of one syscount JSON report: (pid or 0, syscall) -> figures.
std::map<std::pair<long, std::string>, Figures> syscall_rows(const json& report) {
    std::map<std::pair<long, std::string>, Figures> rows;
    const json& table = report["sections"][0]["tables"][0];
    std::vector<std::string> columns = table["columns"];
    auto at = [&](const json& row, const std::string& name) -> const json& {
        return row[std::find(columns.begin(), columns.end(), name) - columns.begin()];
    };
    bool per_process = columns[0] == "pid";
    for (const auto& row : table["rows"]) {
        Figures f;
        f.count = at(row, "count").get<uint64_t>();
        f.errors = at(row, "errors").get<uint64_t>();
        if (!at(row, "max_us").is_null()) {
            f.max_us = at(row, "max_us").get<double>();
            f.p99_us = at(row, "p99_us").get<double>();
            f.total_ms = at(row, "total_ms").get<double>();
        }
        rows[{per_process ? at(row, "pid").get<long>() : 0, at(row, "syscall")}] = f;
    }
    return rows;
}

using SyscallRows = std::map<std::pair<long, std::string>, Figures>;

// The row of (pid or 0, syscall); zeros when absent.
Figures row_of(const SyscallRows& rows, long pid, const std::string& name) {
    auto found = rows.find({pid, name});
    return found == rows.end() ? Figures{} : found->second;
}

// strace -c's table: syscall -> (calls, errors).
std::map<std::string, std::pair<uint64_t, uint64_t>> strace_table(const std::string& text) {
    std::map<std::string, std::pair<uint64_t, uint64_t>> rows;
    std::istringstream in(text);
    std::string line;
    int rules = 0;
    while (std::getline(in, line)) {
        if (line.rfind("------", 0) == 0) {
            rules++;
            continue;
        }
        if (rules != 1)
            continue;
        std::istringstream fields(line);
        std::vector<std::string> words;
        for (std::string w; fields >> w;) words.push_back(w);
        if (words.size() == 5)
            rows[words[4]] = {std::stoull(words[3]), 0};
        else if (words.size() == 6)
            rows[words[5]] = {std::stoull(words[3]), std::stoull(words[4])};
    }
    return rows;
}

}  // namespace

// One run of the workload under `strace -f -c`, syscount watching it by name:
// every syscall strace counted, with the same count and errors; nothing else
// but exit_group (strace -c counts a call when it returns, and exit_group never
// does; syscount counts it when the task exits inside it).
TEST(Syscount, CountsEqualStraceOnTheSameRun) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    BPFSCOPE_REQUIRE_PROGRAM("strace");
    std::string strace_out = ::testing::TempDir() + "syscount_strace.txt";
    auto run = trace_gated(
        "syscount",
        {"/usr/bin/strace", "-f", "-c", "-o", strace_out, "--", bin("syscalls"), "1000", "7", "20"},
        {{"-c", "syscalls", "-j"}});
    ASSERT_TRACED(run);
    ASSERT_EQ(workload_figure(run.workload_out, "getppid"), 1000) << run.workload_out;
    auto ours = syscall_rows(json::parse(run.tools[0].out));
    auto theirs = strace_table(bpfscope::test::read_file(strace_out));
    ASSERT_GT(theirs.size(), 5u) << bpfscope::test::read_file(strace_out);
    EXPECT_EQ(theirs["getppid"].first, 1000u);
    // Kernel names where strace uses the libc one.
    const std::map<std::string, std::string> aliases = {
        {"newfstat", "fstat"}, {"newstat", "stat"}, {"newlstat", "lstat"}, {"newuname", "uname"}};
    std::map<std::string, std::pair<uint64_t, uint64_t>> mine;
    for (const auto& [key, f] : ours) {
        auto alias = aliases.find(key.second);
        mine[alias == aliases.end() ? key.second : alias->second] = {f.count, f.errors};
    }
    EXPECT_EQ(mine["exit_group"], std::make_pair(uint64_t(1), uint64_t(0)));
    mine.erase("exit_group");
    EXPECT_EQ(mine, theirs) << run.tools[0].out << "\nstrace:\n"
                            << bpfscope::test::read_file(strace_out);
}

// The workload alone, one tracer per option: the known errno, --slower with the
// slow call's arguments, -P, --top, --sort, --raw-tp, -i with -T.
TEST(Syscount, KnownErrnoSlowCallAndOptionsOnOneRun) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    auto run = trace_gated("syscount", {bin("syscalls"), "500", "7", "150"},
                           {{"-c", "syscalls", "-j"},
                            {"-c", "syscalls", "-j", "--slower", "100"},
                            {"-c", "syscalls", "-j", "-P"},
                            {"-c", "syscalls", "-j", "--top", "2", "--sort", "errors"},
                            {"-c", "syscalls", "-j", "--sort", "max", "--top", "1"},
                            {"-c", "syscalls", "-j", "--raw-tp"},
                            {"-c", "syscalls", "-j", "-T", "-i", "0.1"}});
    ASSERT_TRACED(run);
    ASSERT_EQ(workload_figure(run.workload_out, "errno"), 2) << run.workload_out;  // ENOENT

    json report = json::parse(run.tools[0].out);
    auto rows = syscall_rows(report);
    EXPECT_EQ(row_of(rows, 0, "getppid").count, 500u) << run.tools[0].out;
    EXPECT_EQ(row_of(rows, 0, "getppid").errors, 0u);
    Figures sleep = row_of(rows, 0, "clock_nanosleep");
    EXPECT_EQ(sleep.count, 1u) << run.tools[0].out;
    EXPECT_GE(sleep.max_us, 150000);
    EXPECT_LT(sleep.max_us, 150000 * 3);
    EXPECT_EQ(report["header"]["attach"], "tp_btf");
    // The errno breakdown: 7 ENOENT from openat (and the loader's own misses, if any).
    bool seen = false;
    for (const auto& row : report["sections"][0]["tables"][1]["rows"])
        if (row[0] == "openat" && row[1] == "ENOENT") {
            EXPECT_GE(row[2].get<uint64_t>(), 7u);
            EXPECT_EQ(row[2].get<uint64_t>(), row_of(rows, 0, "openat").errors);
            seen = true;
        }
    EXPECT_TRUE(seen) << run.tools[0].out;

    // --slower 100: exactly the one slow call, with its arguments and result.
    auto printed = parse_json_lines(run.tools[1].out);
    std::vector<json> slow;
    for (const auto& doc : printed)
        if (doc["sections"][0]["kind"] == "slow_calls")
            for (const auto& row : doc["sections"][0]["tables"][0]["rows"]) slow.push_back(row);
    ASSERT_EQ(slow.size(), 1u) << run.tools[1].out;
    EXPECT_EQ(slow[0][1], run.workload_pid);
    EXPECT_EQ(slow[0][3], "syscalls");
    std::string call = slow[0][4];
    EXPECT_EQ(call.rfind("clock_nanosleep(which_clock=", 0), 0u) << call;
    EXPECT_EQ(slow[0][5], "= 0");
    EXPECT_GE(slow[0][6].get<double>(), 0.150);

    // -P: one row per process and syscall, under the workload's pid.
    auto per_process = syscall_rows(parse_json_lines(run.tools[2].out).back());
    EXPECT_EQ(row_of(per_process, run.workload_pid, "getppid").count, 500u) << run.tools[2].out;

    // --top 2 --sort errors: openat first.
    json top = json::parse(run.tools[3].out);
    ASSERT_EQ(top["sections"][0]["tables"][0]["rows"].size(), 2u) << run.tools[3].out;
    EXPECT_EQ(top["sections"][0]["tables"][0]["rows"][0][0], "openat");
    // --sort max --top 1: the slow sleep.
    json slowest = json::parse(run.tools[4].out);
    EXPECT_EQ(slowest["sections"][0]["tables"][0]["rows"][0][0], "clock_nanosleep");

    // --raw-tp: the fallback counts the same.
    json raw = json::parse(run.tools[5].out);
    EXPECT_EQ(raw["header"]["attach"], "raw_tp");
    EXPECT_EQ(row_of(syscall_rows(raw), 0, "getppid").count, 500u) << run.tools[5].out;

    // -i 0.1 -T: reports reset each interval, adding up to the run.
    double getppid = bpfscope::test::check_timestamped_intervals(
        run.tools[6].out,
        [](const json& doc) { return double(row_of(syscall_rows(doc), 0, "getppid").count); });
    EXPECT_EQ(getppid, 500);
}

// -p PID: the process's calls; when it exits the run ends with the report and
// one line saying so (non-zero exit).
TEST(Syscount, PidExitingMidRunEndsTheRun) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    bpfscope::test::BackgroundWorkload w({bin("sleeper"), "20", "5000"});
    pid_t pid = w.pid();
    ASSERT_GT(pid, 0);
    bpfscope::test::BackgroundProcess tool({bin("syscount"), "-p", std::to_string(pid), "-j"});
    ASSERT_TRUE(tool.wait_until_ready()) << tool.output_so_far();
    w.finish();
    auto result = tool.wait(std::chrono::seconds(30));
    EXPECT_EQ(result.exit_code, 1) << result.err;
    EXPECT_TRUE(contains(result.err, "process " + std::to_string(pid) + " exited")) << result.err;
    auto rows = syscall_rows(json::parse(result.out));
    EXPECT_EQ(row_of(rows, 0, "clock_nanosleep").count, 20u) << result.out;
}

TEST(Syscount, BadInputIsOneLineAndNonZero) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    auto no_pid = run_process({bin("syscount"), "-p", "999999999"});
    EXPECT_NE(no_pid.exit_code, 0);
    EXPECT_TRUE(contains(no_pid.err, "no such process")) << no_pid.err;
    EXPECT_EQ(std::count(no_pid.err.begin(), no_pid.err.end(), '\n'), 1) << no_pid.err;
    auto sort = run_process({bin("syscount"), "--sort", "speed"});
    EXPECT_EQ(sort.exit_code, 2);
    EXPECT_TRUE(contains(sort.err, "unknown field")) << sort.err;
    auto comm = run_process({bin("syscount"), "-c", "a-name-longer-than-15"});
    EXPECT_EQ(comm.exit_code, 2);
    EXPECT_EQ(std::count(comm.err.begin(), comm.err.end(), '\n'), 1) << comm.err;
    auto slower = run_process({bin("syscount"), "--slower", "-1"});
    EXPECT_NE(slower.exit_code, 0);
    EXPECT_EQ(std::count(slower.err.begin(), slower.err.end(), '\n'), 1) << slower.err;
}
