// profile against the real kernel on the CPU burner with a known 75/25 split.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "stack_workload.h"
#include "support/process.h"

using bpfscope::test::BackgroundWorkload;
using bpfscope::test::bin;
using bpfscope::test::parse_folded_lines;
using bpfscope::test::run_process;

namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

TEST(Profile, CpuBurnerFunctionsInTheirKnownRatio) {
    // 3 s of burning, 75% of the work in burn_heavy, after a 500 ms start delay.
    BackgroundWorkload w({bin("cpuburn"), "3", "75", "500"});
    ASSERT_GT(w.pid(), 0);
    auto tool =
        run_process({bin("profile"), "-p", std::to_string(w.pid()), "-F", "499", "-d", "4", "-f"},
                    std::chrono::seconds(60));
    std::string out = w.finish();
    ASSERT_EQ(tool.exit_code, 0) << tool.err;
    ASSERT_NE(out.find("rounds="), std::string::npos) << out;

    double heavy = 0, light = 0;
    for (const auto& [stack, count] : parse_folded_lines(tool.out)) {
        EXPECT_TRUE(stack.rfind("cpuburn;", 0) == 0) << "-p let another process through: " << stack;
        // The user part of the stack ends in the burner (a kernel part may follow "-").
        std::string user = stack.substr(0, stack.find(";-;"));
        if (ends_with(user, ";main;burn_heavy"))
            heavy += count;
        if (ends_with(user, ";main;burn_light"))
            light += count;
    }
    ASSERT_GT(heavy + light, 200) << tool.out;
    EXPECT_GT(light, 0) << tool.out;
    double heavy_percent = 100.0 * heavy / (heavy + light);
    EXPECT_NEAR(heavy_percent, 75.0, 10.0) << "heavy " << heavy << " light " << light;
}

TEST(Profile, JsonCpuFilterAndKernelOnly) {
    BackgroundWorkload w({bin("cpuburn"), "2", "50", "300"});
    ASSERT_GT(w.pid(), 0);
    auto tool = run_process({bin("profile"), "-C", "0", "-F", "199", "-d", "2.5", "-j", "-K", "-I"},
                            std::chrono::seconds(60));
    w.finish();
    ASSERT_EQ(tool.exit_code, 0) << tool.err;
    auto doc = nlohmann::json::parse(tool.out);
    EXPECT_EQ(doc["tool"], "profile");
    EXPECT_EQ(doc["header"]["cpus"], 1);
    double total = 0;
    for (const auto& sample : doc["stacks"]["samples"]) {
        total += sample["value"].get<double>();
        for (const auto& frame : sample["frames"]) EXPECT_EQ(frame["kind"], "kernel") << frame;
    }
    // One CPU at 199 Hz for ~2.5 s, idle included: about 500 samples.
    EXPECT_GT(total, 250) << tool.out;
    EXPECT_LT(total, 750) << tool.out;
}
