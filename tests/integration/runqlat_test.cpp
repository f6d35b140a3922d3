// runqlat against the real kernel under the pipe ping-pong workload. The
// tracers attach first (readiness line), then the gated workload runs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "stack_tests_support.h"
#include "support/preconditions.h"

using bpfscope::test::BackgroundWorkload;
using bpfscope::test::bin;
using bpfscope::test::parse_json_lines;
using bpfscope::test::run_process;
using bpfscope::test::trace_gated;
using bpfscope::test::workload_figure;
using nlohmann::json;

namespace {

// A cgroup v2 directory of its own, removed at the end (its tasks have exited by then).
struct TestCgroup {
    std::string path;
    explicit TestCgroup(const std::string& root)
        : path(root + "/bpfscope-runqlat-test-" + std::to_string(getpid())) {
        std::filesystem::create_directory(path);
    }
    ~TestCgroup() { rmdir(path.c_str()); }
    bool add(pid_t pid) const {
        std::ofstream procs(path + "/cgroup.procs");
        procs << pid << "\n";
        procs.flush();
        return bool(procs);
    }
};

double field(const json& section, const char* name) {
    return section["fields"][name].get<double>();
}

}  // namespace

// One run of the pipe ping-pong (in a cgroup of its own, another ping-pong
// outside it), each option with a tracer of its own: the histogram itself,
// -m, -L, -c with -P, --raw-tp, -i with -T, -i with --count.
TEST(Runqlat, PipeWorkloadHistogramAndOptionsOnOneRun) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs and creates a cgroup");
    std::string root = bpfscope::test::cgroup2_mount();
    BPFSCOPE_REQUIRE(!root.empty(), "needs a cgroup2 mount for -c");
    TestCgroup cgroup(root);
    BackgroundWorkload outside({bin("pipewait"), "1000000", "0"});
    ASSERT_GT(outside.pid(), 0);
    bpfscope::test::BackgroundProcess counted(
        {bin("bpfscope"), "runqlat", "-j", "-i", "0.2", "--count", "2"});
    ASSERT_TRUE(counted.wait_until_ready()) << counted.output_so_far();

    auto run = trace_gated(
        "runqlat", {bin("pipewait"), "40000", "0"},
        {{"-p", "{pid}", "-j"},
         {"-p", "{pid}", "-j", "-m"},
         {"-p", "{pid}", "-j", "-L"},
         {"-j", "-P", "-c", cgroup.path},
         {"-p", "{pid}", "-j", "--raw-tp"},
         {"-p", "{pid}", "-j", "-T", "-i", "0.2"}},
        [&] { outside.start(); }, [&](pid_t pid) { EXPECT_TRUE(cgroup.add(pid)) << cgroup.path; });
    ASSERT_TRACED(run);
    long long trips = workload_figure(run.workload_out, "round_trips");
    ASSERT_EQ(trips, 40000) << run.workload_out;

    // The histogram: every round trip wakes the traced parent at least once.
    json base = json::parse(run.tools[0].out);
    ASSERT_EQ(base["sections"].size(), 1u) << run.tools[0].out;
    const auto& section = base["sections"][0];
    double count = field(section, "count");
    EXPECT_GE(count, double(trips)) << run.tools[0].out;
    uint64_t bucket_total = 0;
    for (const auto& bucket : section["histogram"]["buckets"])
        bucket_total += bucket["count"].get<uint64_t>();
    EXPECT_EQ(bucket_total, uint64_t(count));
    double p50 = field(section, "p50"), p90 = field(section, "p90"), p99 = field(section, "p99");
    EXPECT_GT(p50, 0);
    EXPECT_LE(p50, p90);
    EXPECT_LE(p90, p99);
    EXPECT_LE(p99, field(section, "max") + 1);
    EXPECT_EQ(section["histogram"]["unit"], "us");
    if (std::filesystem::exists("/sys/kernel/btf/vmlinux")) {
        EXPECT_EQ(base["header"]["attach"], "tp_btf");
    }

    // -m: the same latencies in milliseconds.
    json ms = json::parse(run.tools[1].out);
    ASSERT_EQ(ms["sections"].size(), 1u) << run.tools[1].out;
    EXPECT_EQ(ms["sections"][0]["histogram"]["unit"], "ms") << "-m ignored";
    EXPECT_NEAR(field(ms["sections"][0], "count"), count, 0.02 * count);
    EXPECT_LE(field(ms["sections"][0], "max"), field(section, "max") / 1000 + 1);
    EXPECT_GE(field(ms["sections"][0], "max") + 1, field(section, "max") / 1000);

    // -L: one histogram per thread, titled and tagged with the tid.
    json threads = json::parse(run.tools[2].out);
    ASSERT_EQ(threads["sections"].size(), 1u) << run.tools[2].out;
    EXPECT_EQ(threads["sections"][0]["fields"]["tid"], run.workload_pid) << "-L ignored";
    // (The comm is the one the first event saw: the gated child before its exec.)
    EXPECT_EQ(threads["sections"][0]["title"].get<std::string>().rfind(
                  "tid = " + std::to_string(run.workload_pid) + " ", 0),
              0u)
        << threads["sections"][0]["title"];

    // -c: the cgroup's processes (the workload and the child it forked) only.
    json in_cgroup = json::parse(run.tools[3].out);
    std::set<long> pids;
    for (const auto& s : in_cgroup["sections"]) pids.insert(s["fields"]["pid"].get<long>());
    EXPECT_EQ(pids.count(run.workload_pid), 1u) << run.tools[3].out;
    EXPECT_EQ(pids.count(outside.pid()), 0u) << "-c let the process outside through";
    EXPECT_LE(pids.size(), 2u) << run.tools[3].out;

    // --raw-tp: the fallback backend, named in the report, counts the same.
    json raw = json::parse(run.tools[4].out);
    EXPECT_EQ(raw["header"]["attach"], "raw_tp") << "--raw-tp ignored";
    ASSERT_EQ(raw["sections"].size(), 1u) << run.tools[4].out;
    EXPECT_NEAR(field(raw["sections"][0], "count"), count, 0.02 * count);

    // -i 0.2 -T: timestamped reports, reset each interval, adding up to the whole run.
    double interval_sum =
        bpfscope::test::check_timestamped_intervals(run.tools[5].out, [](const json& report) {
            double sum = 0;
            for (const auto& s : report["sections"]) sum += field(s, "count");
            return sum;
        });
    EXPECT_NEAR(interval_sum, count, 0.02 * count) << "reports not reset per interval?";

    // -i 0.2 --count 2: two reports, then runqlat ends by itself.
    bpfscope::test::check_counted_run(counted);
}

TEST(Runqlat, PerProcessHistogramsAndPositionalIntervals) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    BackgroundWorkload w({bin("pipewait"), "1000000", "0"});
    ASSERT_GT(w.pid(), 0);
    w.start();
    // Two 0.5 s intervals (positional, as libbpf-tools), one histogram per process, JSON lines.
    auto tool =
        run_process({bin("bpfscope"), "runqlat", "-P", "-j", "0.5", "2"}, std::chrono::seconds(60));
    ASSERT_EQ(tool.exit_code, 0) << tool.err;
    auto reports = parse_json_lines(tool.out);
    bool saw_pipewait = false;
    for (const auto& doc : reports) {
        for (const auto& section : doc["sections"]) {
            if (section["fields"].value("comm", "") == "pipewait" &&
                section["fields"]["pid"] == w.pid())
                saw_pipewait = true;
            EXPECT_TRUE(section["fields"].contains("pid"));
        }
    }
    EXPECT_EQ(reports.size(), 2u) << tool.out;
    EXPECT_TRUE(saw_pipewait) << tool.out;
}
