// profile against the real kernel on the CPU burner with a known 75/25 split.
// The tracers attach first (readiness line), then the gated workload runs.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "report/pprof.h"
#include "stack_tests_support.h"
#include "support/preconditions.h"

using bpfscope::test::BackgroundWorkload;
using bpfscope::test::bin;
using bpfscope::test::contains;
using bpfscope::test::json_stacks;
using bpfscope::test::parse_folded_lines;
using bpfscope::test::parse_json_lines;
using bpfscope::test::read_file;
using bpfscope::test::section_fields;
using bpfscope::test::trace_gated;
using bpfscope::test::workload_figure;
using nlohmann::json;

namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

double sum_values(const std::map<std::string, double>& stacks) {
    double total = 0;
    for (const auto& [stack, value] : stacks) total += value;
    return total;
}

}  // namespace

// One run of the burner (2 s, 75% in burn_heavy) beside a syscall-heavy pipe
// ping-pong, each option with a tracer of its own: the ratio (-F), -c, -L, -U,
// the file outputs, --stack-storage-size, -i with -T, -i with --count.
TEST(Profile, CpuBurnerRatioAndOptionsOnOneRun) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs and opens perf events");
    std::string dir = std::string(BPFSCOPE_BUILD_DIR) + "/test-artifacts/profile";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    std::string folded = dir + "/out.folded", svg = dir + "/out.svg", pprof = dir + "/out.pb.gz";
    BackgroundWorkload pipes({bin("pipewait"), "1000000", "0"});
    ASSERT_GT(pipes.pid(), 0);
    std::string pipes_pid = std::to_string(pipes.pid());
    bpfscope::test::BackgroundProcess counted(
        {bin("bpfscope"), "profile", "-j", "-i", "0.2", "--count", "2", "-p", pipes_pid});
    ASSERT_TRUE(counted.wait_until_ready()) << counted.output_so_far();
    constexpr double kPeriodNs = 5'000'000;  // -c: one sample per 5 ms of CPU (200 Hz)
    auto run = trace_gated(
        "profile", {bin("cpuburn"), "2", "75"},
        {{"-p", "{pid}", "-F", "499", "-j"},
         {"-p", "{pid}", "-c", std::to_string(int64_t(kPeriodNs)), "-j"},
         {"-L", "{pid}", "-F", "499", "-j"},
         {"-p", pipes_pid, "-U", "-F", "499", "-j"},
         {"-p", pipes_pid, "-F", "499", "-j"},
         {"-p", "{pid}", "-F", "499", "-j", "--folded", folded, "--svg", svg, "--pprof", pprof},
         {"-F", "499", "-j", "--stack-storage-size", "16"},
         {"-p", "{pid}", "-F", "499", "-j", "-T", "-i", "0.4"}},
        [&] { pipes.start(); });
    ASSERT_TRACED(run);
    ASSERT_NE(run.workload_out.find("rounds="), std::string::npos) << run.workload_out;
    long long cpu_us = workload_figure(run.workload_out, "cpu_us");
    ASSERT_GT(cpu_us, 200000) << run.workload_out;  // a loaded machine gives it less

    // -F 499 -p: the known ratio, nothing from another process.
    // (The gated child's exec, before its comm changes, is the same process.)
    double heavy = 0, light = 0;
    size_t other_processes = 0;
    json ratio = json::parse(run.tools[0].out);
    for (const auto& sample : ratio["stacks"]["samples"]) {
        other_processes += sample["pid"] != run.workload_pid;
        // The user part of the stack ends in the burner (a kernel part may follow "-").
        std::string user;
        for (const auto& frame : sample["frames"])
            if (frame["kind"] == "user")
                user += ";" + frame["name"].get<std::string>();
        if (ends_with(user, ";main;burn_heavy"))
            heavy += sample["value"].get<double>();
        if (ends_with(user, ";main;burn_light"))
            light += sample["value"].get<double>();
    }
    EXPECT_EQ(other_processes, 0u) << "-p let other processes through";
    ASSERT_GT(heavy + light, 100) << run.tools[0].out;
    EXPECT_GT(light, 0) << run.tools[0].out;
    double heavy_percent = 100.0 * heavy / (heavy + light);
    EXPECT_NEAR(heavy_percent, 75.0, 10.0) << "heavy " << heavy << " light " << light;

    // -c: one sample per period of the burner's CPU time (the default, -F 49, is 4x fewer).
    json by_period = json::parse(run.tools[1].out);
    double period_samples = sum_values(json_stacks(by_period));
    double expected = double(cpu_us) * 1000 / kPeriodNs;
    EXPECT_NEAR(period_samples, expected, 0.25 * expected) << "-c ignored? cpu_us " << cpu_us;
    EXPECT_EQ(by_period["stacks"]["period"], int64_t(kPeriodNs));

    // -L TID alone: that thread only, although the pipe workload ran beside it.
    json thread = json::parse(run.tools[2].out);
    ASSERT_GT(thread["stacks"]["samples"].size(), 0u) << run.tools[2].out;
    size_t other_threads = 0;
    for (const auto& sample : thread["stacks"]["samples"])
        other_threads += sample["tid"] != run.workload_pid;
    EXPECT_EQ(other_threads, 0u) << "-L let other threads through";

    // -U: user frames only, on a workload whose samples have kernel stacks.
    auto frames_of_kind = [](const json& doc, const std::string& kind) {
        size_t count = 0;
        for (const auto& sample : doc["stacks"]["samples"])
            for (const auto& frame : sample["frames"]) count += frame["kind"] == kind;
        return count;
    };
    json user_only = json::parse(run.tools[3].out);
    json both = json::parse(run.tools[4].out);
    EXPECT_GT(frames_of_kind(both, "kernel"), 0u) << "the pipe workload has no kernel samples";
    EXPECT_EQ(frames_of_kind(user_only, "kernel"), 0u) << "-U ignored";
    EXPECT_GT(frames_of_kind(user_only, "user"), 0u) << run.tools[3].out;

    // Files: the same samples as the JSON in folded, SVG and pprof form.
    json files = json::parse(run.tools[5].out);
    double total = sum_values(json_stacks(files));
    ASSERT_GT(total, 0);
    EXPECT_DOUBLE_EQ(sum_values(parse_folded_lines(read_file(folded))), total);
    EXPECT_TRUE(contains(read_file(folded), "cpuburn;")) << read_file(folded);
    EXPECT_TRUE(contains(read_file(svg), "<title>burn_heavy (")) << "--svg not written";
    auto decoded = bpfscope::report::decode_pprof(read_file(pprof));
    double pprof_total = 0;
    for (const auto& sample : decoded.samples) pprof_total += sample.value;
    EXPECT_DOUBLE_EQ(pprof_total, total);

    // --stack-storage-size 16 (whole system): at most 16 stacks, the rest reported as drops.
    bpfscope::test::check_storage_drops(json::parse(run.tools[6].out), "map full");

    // -i 0.4 -T: several timestamped reports that add up to one whole run's samples.
    double interval_sum = bpfscope::test::check_timestamped_intervals(
        run.tools[7].out, [](const json& report) { return sum_values(json_stacks(report)); });
    EXPECT_NEAR(interval_sum, total, 0.15 * total) << "reports not reset per interval?";
    // The summary counts its own interval too (before: the running total, so
    // the counters of later reports added up to far more than their stacks).
    double counted_samples = 0;
    for (const auto& report : parse_json_lines(run.tools[7].out))
        counted_samples += section_fields(report, "sampling summary")["samples"].get<double>();
    EXPECT_NEAR(counted_samples, interval_sum, 0.05 * interval_sum + 2)
        << "interval summaries are running totals?\n"
        << run.tools[7].out;

    // --count 2: two reports, then the tool ends by itself.
    bpfscope::test::check_counted_run(counted);
}

TEST(Profile, JsonCpuFilterAndKernelOnly) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs and opens perf events");
    auto run = trace_gated("profile", {bin("cpuburn"), "1.5", "50"},
                           {{"-C", "0", "-F", "199", "-j", "-K", "-I"}});
    ASSERT_TRACED(run);
    auto doc = json::parse(run.tools[0].out);
    EXPECT_EQ(doc["tool"], "profile");
    EXPECT_EQ(doc["header"]["cpus"], 1);
    double total = 0;
    for (const auto& sample : doc["stacks"]["samples"]) {
        total += sample["value"].get<double>();
        for (const auto& frame : sample["frames"]) EXPECT_EQ(frame["kind"], "kernel") << frame;
    }
    // One CPU at 199 Hz, idle included: 199 samples per second of the run.
    double seconds = doc["stacks"]["duration_ns"].get<double>() / 1e9;
    EXPECT_NEAR(total, 199 * seconds, 0.2 * 199 * seconds) << run.tools[0].out;
}
