// taskstat against the real kernel: context switch counts equal to the
// kernel's own counters (/proc/PID/status) over the same window, on-CPU shares
// of two CPU burners sharing one CPU, a pipe ping-pong, each option, bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "stack_tests_support.h"
#include "support/preconditions.h"

using bpfscope::test::BackgroundProcess;
using bpfscope::test::BackgroundWorkload;
using bpfscope::test::bin;
using bpfscope::test::contains;
using bpfscope::test::parse_json_lines;
using bpfscope::test::run_process;
using nlohmann::json;

namespace {

struct Switches {
    long voluntary = -1, involuntary = -1;
};

Switches proc_switches(long pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    Switches s;
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("voluntary_ctxt_switches:", 0) == 0)
            s.voluntary = std::stol(line.substr(line.find(':') + 1));
        if (line.rfind("nonvoluntary_ctxt_switches:", 0) == 0)
            s.involuntary = std::stol(line.substr(line.find(':') + 1));
    }
    return s;
}

// utime + stime of /proc/PID/stat, in clock ticks.
long proc_cpu_ticks(long pid) {
    std::string text = bpfscope::test::read_file("/proc/" + std::to_string(pid) + "/stat");
    std::istringstream fields(text.substr(text.rfind(')') + 2));
    std::string field;
    long ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; i++)
        if (i == 14 || i == 15)
            ticks += std::stol(field);
    return ticks;
}

// taskstat's table rows keyed by pid (or tid with -t): column -> value.
std::map<long, json> task_rows(const json& report) {
    std::map<long, json> rows;
    const json& table = report["sections"][0]["tables"][0];
    std::vector<std::string> columns = table["columns"];
    bool threads = columns[1] == "tid";
    for (const auto& row : table["rows"]) {
        json fields;
        for (size_t i = 0; i < columns.size(); i++) fields[columns[i]] = row[i];
        rows[fields[threads ? "tid" : "pid"].get<long>()] = fields;
    }
    return rows;
}

void expect_within_one_percent(double ours, double kernel, const std::string& what) {
    // 1%, and at least 2 switches: the two windows start a few microseconds apart.
    EXPECT_LE(std::fabs(ours - kernel), std::max(0.01 * kernel, 2.0))
        << what << ": taskstat " << ours << ", /proc " << kernel;
}

// Runs taskstat -d SECONDS on `pids` and reads /proc right after it is
// attached and right after it ends: the same window within milliseconds.
struct Window {
    std::map<long, Switches> before, after;
    std::map<long, long> ticks_before, ticks_after;
    json report;
    double seconds = 0;
};

Window measure(const std::vector<long>& pids, const std::string& seconds) {
    std::string list;
    for (long pid : pids) list += (list.empty() ? "" : ",") + std::to_string(pid);
    Window w;
    BackgroundProcess tool({bin("taskstat"), "-p", list, "-j", "-d", seconds});
    if (!tool.wait_until_ready()) {
        ADD_FAILURE() << tool.output_so_far();
        return w;
    }
    for (long pid : pids) {
        w.before[pid] = proc_switches(pid);
        w.ticks_before[pid] = proc_cpu_ticks(pid);
    }
    // Read /proc as soon as the report is out (the tool's last read is just
    // before it), not after the tool's exit, which takes a while (detaching).
    EXPECT_TRUE(tool.wait_for_output("\"warnings\"")) << tool.output_so_far();
    for (long pid : pids) {
        w.after[pid] = proc_switches(pid);
        w.ticks_after[pid] = proc_cpu_ticks(pid);
    }
    auto result = tool.wait(std::chrono::seconds(60));
    EXPECT_EQ(result.exit_code, 0) << result.err;
    w.report = json::parse(result.out);
    w.seconds = w.report["header"]["interval"].get<double>();
    return w;
}

}  // namespace

// Two CPU burners pinned to one CPU: involuntary switches as /proc counts
// them, on-CPU time as their own CPU time says, runnable all the time, an
// equal share each.
TEST(Taskstat, CpuBurnersSwitchesAndSharesMatchTheKernel) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    BackgroundWorkload a({"/usr/bin/taskset", "-c", "1", bin("cpuburn"), "12"});
    BackgroundWorkload b({"/usr/bin/taskset", "-c", "1", bin("cpuburn"), "12"});
    a.start();
    b.start();
    Window w = measure({a.pid(), b.pid()}, "5");
    auto rows = task_rows(w.report);
    ASSERT_EQ(rows.size(), 2u) << w.report;
    std::vector<double> shares;
    for (long pid : {long(a.pid()), long(b.pid())}) {
        const json& row = rows[pid];
        EXPECT_EQ(row["comm"], "cpuburn");
        expect_within_one_percent(row["ivcsw"].get<double>(),
                                  w.after[pid].involuntary - w.before[pid].involuntary,
                                  "involuntary switches of " + std::to_string(pid));
        expect_within_one_percent(row["vcsw"].get<double>(),
                                  w.after[pid].voluntary - w.before[pid].voluntary,
                                  "voluntary switches of " + std::to_string(pid));
        EXPECT_GT(row["ivcsw"].get<double>(), 50) << "burners sharing a CPU preempt each other";
        // On-CPU time against the kernel's utime+stime (10 ms ticks).
        double kernel_ms = 1000.0 * double(w.ticks_after[pid] - w.ticks_before[pid]) /
                           double(sysconf(_SC_CLK_TCK));
        EXPECT_NEAR(row["oncpu_ms"].get<double>(), kernel_ms, 0.05 * kernel_ms + 30) << row;
        // Always runnable: every moment of the window is on-CPU or waiting in the run queue.
        double accounted = row["oncpu_ms"].get<double>() + row["runq_ms"].get<double>();
        EXPECT_NEAR(accounted, 1000 * w.seconds, 0.05 * 1000 * w.seconds) << row;
        EXPECT_EQ(row["sleep_ms"].get<double>() + row["blocked_ms"].get<double>(), 0) << row;
        shares.push_back(row["cpu_pct"].get<double>());
    }
    // The two share their CPU fairly (whatever other tenants take).
    EXPECT_NEAR(shares[0], shares[1], 0.25 * std::max(shares[0], shares[1])) << w.report;
}

// A pipe ping-pong: both ends switch voluntarily once per round trip, as /proc
// counts; they sleep (S), are woken once per switch and hardly use the CPU.
TEST(Taskstat, PipePingPongSwitchesMatchTheKernel) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    BackgroundWorkload w({"/usr/bin/taskset", "-c", "1", bin("pipewait"), "100000000", "200"});
    w.start();
    std::vector<int> children;
    for (int i = 0; i < 200 && children.empty(); i++) {
        children = bpfscope::test::child_pids(w.pid());
        if (children.empty())
            usleep(10000);  // the fork is the workload's first act
    }
    ASSERT_EQ(children.size(), 1u);
    Window win = measure({w.pid(), children[0]}, "4");
    auto rows = task_rows(win.report);
    ASSERT_EQ(rows.size(), 2u) << win.report;
    for (long pid : {long(w.pid()), long(children[0])}) {
        const json& row = rows[pid];
        double voluntary = win.after[pid].voluntary - win.before[pid].voluntary;
        EXPECT_GT(voluntary, 1000);
        expect_within_one_percent(row["vcsw"].get<double>(), voluntary,
                                  "voluntary switches of " + std::to_string(pid));
        expect_within_one_percent(row["ivcsw"].get<double>(),
                                  win.after[pid].involuntary - win.before[pid].involuntary,
                                  "involuntary switches of " + std::to_string(pid));
        EXPECT_NEAR(row["wakeups"].get<double>(), row["vcsw"].get<double>(),
                    0.02 * row["vcsw"].get<double>() + 2);
        EXPECT_GT(row["sleep_ms"].get<double>(), 0) << row;
        EXPECT_EQ(row["blocked_ms"].get<double>(), 0) << row;
        EXPECT_LT(row["cpu_pct"].get<double>(), 100) << row;
    }
}

// Options on one ping-pong: -t, -c with --sort and --top, -i with -T and --count.
TEST(Taskstat, ThreadsFiltersSortTopAndIntervals) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    BackgroundWorkload w({bin("pipewait"), "100000000", "0"});
    w.start();
    std::string pid = std::to_string(w.pid());
    BackgroundProcess threads({bin("taskstat"), "-p", pid, "-t", "-j", "-d", "1"});
    BackgroundProcess named(
        {bin("taskstat"), "-c", "pipewait", "--sort", "vcsw", "--top", "1", "-j", "-d", "1"});
    BackgroundProcess intervals(
        {bin("taskstat"), "-p", pid, "-j", "-T", "-i", "0.3", "--count", "2"});
    for (auto* tool : {&threads, &named, &intervals})
        ASSERT_TRUE(tool->wait_until_ready()) << tool->output_so_far();
    auto t = threads.wait(std::chrono::seconds(30));
    ASSERT_EQ(t.exit_code, 0) << t.err;
    auto thread_rows = task_rows(json::parse(t.out));
    ASSERT_EQ(thread_rows.size(), 1u) << t.out;  // the parent; its child is another process
    EXPECT_EQ(thread_rows.begin()->second["tid"], w.pid()) << "-t ignored";
    auto n = named.wait(std::chrono::seconds(30));
    ASSERT_EQ(n.exit_code, 0) << n.err;
    auto named_rows = task_rows(json::parse(n.out));
    ASSERT_EQ(named_rows.size(), 1u) << "--top 1 ignored: " << n.out;
    EXPECT_EQ(named_rows.begin()->second["comm"], "pipewait") << "-c ignored";
    auto i = intervals.wait(std::chrono::seconds(30));
    ASSERT_EQ(i.exit_code, 0) << i.err;
    auto reports = parse_json_lines(i.out);
    ASSERT_EQ(reports.size(), 2u) << i.out;
    for (const auto& report : reports) {
        EXPECT_TRUE(bpfscope::test::is_wall_clock_timestamp(report["timestamp"])) << report;
        EXPECT_NEAR(report["header"]["interval"].get<double>(), 0.3, 0.15);
        // Each interval counts its own switches, not the run so far.
        EXPECT_LT(task_rows(report)[w.pid()]["vcsw"].get<double>(),
                  task_rows(json::parse(t.out))[w.pid()]["vcsw"].get<double>())
            << report;
    }
}

TEST(Taskstat, BadInputIsOneLineAndNonZero) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    auto no_pid = run_process({bin("taskstat"), "-p", "999999999"});
    EXPECT_NE(no_pid.exit_code, 0);
    EXPECT_TRUE(contains(no_pid.err, "no such process")) << no_pid.err;
    EXPECT_EQ(std::count(no_pid.err.begin(), no_pid.err.end(), '\n'), 1) << no_pid.err;
    auto sort = run_process({bin("taskstat"), "--sort", "speed"});
    EXPECT_EQ(sort.exit_code, 2);
    EXPECT_TRUE(contains(sort.err, "unknown field")) << sort.err;
    EXPECT_EQ(std::count(sort.err.begin(), sort.err.end(), '\n'), 1) << sort.err;
    // A process that exits mid-run: the report, then one line, non-zero.
    BackgroundWorkload w({bin("sleeper"), "10", "5000"});
    pid_t pid = w.pid();
    BackgroundProcess tool({bin("taskstat"), "-p", std::to_string(pid), "-j"});
    ASSERT_TRUE(tool.wait_until_ready()) << tool.output_so_far();
    w.finish();
    auto result = tool.wait(std::chrono::seconds(30));
    EXPECT_EQ(result.exit_code, 1) << result.err;
    EXPECT_TRUE(contains(result.err, "exited during the run")) << result.err;
    auto rows = task_rows(json::parse(result.out));
    EXPECT_GE(rows[pid]["vcsw"].get<double>(), 10) << result.out;
}
