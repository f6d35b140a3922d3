// runqlat against the real kernel under the pipe ping-pong workload.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "stack_workload.h"
#include "support/process.h"

using bpfscope::test::BackgroundWorkload;
using bpfscope::test::bin;
using bpfscope::test::run_process;
using bpfscope::test::workload_figure;

TEST(Runqlat, PipeWorkloadFillsTheHistogram) {
    BackgroundWorkload w({bin("pipewait"), "20000", "0", "300"});
    ASSERT_GT(w.pid(), 0);
    auto tool = run_process({bin("runqlat"), "-p", std::to_string(w.pid()), "-d", "2.5", "-j"},
                            std::chrono::seconds(60));
    std::string out = w.finish();
    ASSERT_EQ(tool.exit_code, 0) << tool.err;
    long long trips = workload_figure(out, "round_trips");
    ASSERT_GT(trips, 0) << out;
    auto doc = nlohmann::json::parse(tool.out);
    ASSERT_EQ(doc["sections"].size(), 1u) << tool.out;
    const auto& fields = doc["sections"][0]["fields"];
    const auto& hist = doc["sections"][0]["histogram"];
    // Every round trip wakes the traced parent at least once (unless it is still running).
    EXPECT_GT(fields["count"].get<double>(), 1000) << tool.out;
    uint64_t bucket_total = 0;
    for (const auto& bucket : hist["buckets"]) bucket_total += bucket["count"].get<uint64_t>();
    EXPECT_EQ(bucket_total, fields["count"].get<uint64_t>());
    double p50 = fields["p50"], p90 = fields["p90"], p99 = fields["p99"];
    EXPECT_GT(p50, 0);
    EXPECT_LE(p50, p90);
    EXPECT_LE(p90, p99);
    EXPECT_LE(p99, fields["max"].get<double>() + 1);
}

TEST(Runqlat, PerProcessHistogramsAndIntervals) {
    BackgroundWorkload w({bin("pipewait"), "200000", "0", "100"});
    ASSERT_GT(w.pid(), 0);
    // Two 1 s intervals, one histogram per process, JSON lines.
    auto tool = run_process({bin("runqlat"), "-P", "-j", "1", "2"}, std::chrono::seconds(60));
    ASSERT_EQ(tool.exit_code, 0) << tool.err;
    std::istringstream lines(tool.out);
    std::string line;
    int reports = 0;
    bool saw_pipewait = false;
    while (std::getline(lines, line)) {
        if (line.empty())
            continue;
        auto doc = nlohmann::json::parse(line);
        reports++;
        for (const auto& section : doc["sections"]) {
            if (section["fields"].value("comm", "") == "pipewait")
                saw_pipewait = true;
            EXPECT_TRUE(section["fields"].contains("pid"));
        }
    }
    EXPECT_EQ(reports, 2) << tool.out;
    EXPECT_TRUE(saw_pipewait) << tool.out;
}
