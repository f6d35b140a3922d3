#include "memcg/compare.h"

#include <gtest/gtest.h>

#include <random>
#include <sstream>

#include "base/error.h"
#include "memcg/run_report.h"
#include "report/json_writer.h"
#include "report/text_writer.h"

using namespace bpfscope::memcg;
using nlohmann::json;

namespace {

json workload(int writers = 4) {
    return {{"mode", "builtin"},  {"cgroup_version", 1},  {"depth", 3},   {"width", 3},
            {"writers", writers}, {"read_level", "root"}, {"reads", 800}, {"read_delay_us", 0}};
}

// A report as `bpfscope memcg --out` writes it, with synthetic samples.
json report_json(double median_ns, uint64_t seed, int runs = 3, json w = workload()) {
    std::mt19937_64 rng(seed);
    std::lognormal_distribution<double> body(std::log(median_ns), 0.05);
    json run_list = json::array();
    for (int r = 0; r < runs; r++) {
        std::vector<uint64_t> samples;
        for (int i = 0; i < 800; i++) samples.push_back(uint64_t(body(rng)));
        run_list.push_back({{"index", r + 1},
                            {"samples_ns", samples},
                            {"metrics", {{"task_clock_ns_per_read", median_ns * 1.1 + r}}}});
    }
    return {{"schema", kReportSchema},
            {"schema_version", kReportSchemaVersion},
            {"kernel", {{"release", "6.18.0"}, {"implementation", {{"kind", "rstat"}}}}},
            {"workload", w},
            {"runs", run_list}};
}

LoadedReport load(const json& j, const std::string& label) {
    return parse_report(j.dump(), label, false);
}

std::string error_of(const std::string& text, bool force = false) {
    try {
        parse_report(text, "x.json", force);
    } catch (const bpfscope::UserError& error) {
        return error.what();
    }
    return "";
}

}  // namespace

TEST(MemcgCompareSchema, RejectsMalformedFilesClearly) {
    EXPECT_NE(error_of("{not json").find("x.json is not valid JSON"), std::string::npos);
    EXPECT_NE(error_of("{\"schema\": \"something.else\"}").find("not a bpfscope memcg report"),
              std::string::npos);
    json wrong_version = report_json(5000, 1);
    wrong_version["schema_version"] = 99;
    std::string message = error_of(wrong_version.dump());
    EXPECT_NE(message.find("schema version 99"), std::string::npos) << message;
    EXPECT_NE(message.find("--force"), std::string::npos) << message;
    EXPECT_EQ(error_of(wrong_version.dump(), true), "");  // --force reads it anyway
    json no_runs = report_json(5000, 1);
    no_runs["runs"] = json::array();
    EXPECT_NE(error_of(no_runs.dump()).find("has no runs"), std::string::npos);
    json no_samples = report_json(5000, 1);
    no_samples["runs"][1].erase("samples_ns");
    EXPECT_NE(error_of(no_samples.dump()).find("run 2 has no samples_ns"), std::string::npos);
    json bad_sample = report_json(5000, 1);
    bad_sample["runs"][0]["samples_ns"][3] = "fast";
    EXPECT_NE(error_of(bad_sample.dump()).find("not a non-negative number"), std::string::npos);
}

TEST(MemcgCompareSchema, AcceptsWhatTheWriterProduces) {
    MemcgReport report;
    report.workload.mode = "builtin";
    report.workload.cgroup_version = 1;
    RunRecord run;
    run.index = 1;
    run.reader.latency_ns = {5000, 5100, 4900};
    run.reader.counters = {
        {"task-clock", "ns", true, "", 16500, false},
        {"cycles", "", false, "not supported (No such file or directory)", 0, false}};
    derive_run_figures(run);
    report.runs.push_back(run);
    auto loaded =
        parse_report(bpfscope::report::json_text(memcg_report(report)), "written.json", false);
    ASSERT_EQ(loaded.run_samples.size(), 1u);
    EXPECT_EQ(loaded.run_samples[0], (std::vector<double>{5000, 5100, 4900}));
    EXPECT_DOUBLE_EQ(loaded.run_metrics[0].at("task_clock_ns_per_read"), 5500);
    EXPECT_EQ(loaded.run_metrics[0].count("cycles_per_read"), 0u);
}

TEST(MemcgCompare, SameDistributionIsNoSignificantDifference) {
    auto result =
        compare_reports({load(report_json(5000, 1), "a"), load(report_json(5000, 2), "b")}, {});
    const json& pair = result["comparisons"][0];
    EXPECT_EQ(pair["verdict"], "no significant difference in median latency per read");
    EXPECT_FALSE(pair["latency"][0]["significant"].get<bool>());
}

TEST(MemcgCompare, SlowerBIsSignificantInTheRightDirection) {
    auto result = compare_reports({load(report_json(5000, 1), "a"), load(report_json(6000, 2), "b"),
                                   load(report_json(4000, 3), "c")},
                                  {});
    const json& slower = result["comparisons"][0];
    EXPECT_TRUE(slower["latency"][0]["significant"].get<bool>());
    EXPECT_EQ(slower["latency"][0]["verdict"], "B slower");
    EXPECT_NEAR(slower["latency"][0]["ratio"].get<double>(), 1.2, 0.03);
    EXPECT_GT(slower["latency"][0]["ci_low_ns"].get<double>(), 0);
    EXPECT_NE(slower["verdict"].get<std::string>().find("B slower"), std::string::npos);
    const json& faster = result["comparisons"][1];
    EXPECT_EQ(faster["latency"][0]["verdict"], "B faster");
    EXPECT_LT(faster["latency"][0]["ci_high_ns"].get<double>(), 0);
    std::ostringstream stream;
    bpfscope::report::write_text(stream, comparison_report(result));
    std::string text = stream.str();
    EXPECT_NE(text.find("verdict: B slower"), std::string::npos) << text;
    EXPECT_NE(text.find("verdict: B faster"), std::string::npos) << text;
}

TEST(MemcgCompare, DifferenceInsideRunSpreadIsNotCalled) {
    // B is 8% slower, but A's own runs disagree by 20%: not a kernel difference.
    json a = report_json(5000, 1);
    for (auto& sample : a["runs"][0]["samples_ns"]) sample = sample.get<double>() * 1.2;
    auto result = compare_reports({load(a, "a"), load(report_json(5400, 2), "b")}, {});
    const json& p50 = result["comparisons"][0]["latency"][0];
    EXPECT_FALSE(p50["significant"].get<bool>());
}

TEST(MemcgCompare, MismatchedWorkloadsAreRefusedUnlessForced) {
    auto a = load(report_json(5000, 1), "a.json");
    auto b = load(report_json(5000, 2, 3, workload(8)), "b.json");
    try {
        compare_reports({a, b}, {});
        FAIL() << "mismatched workloads were compared";
    } catch (const bpfscope::UserError& error) {
        std::string message = error.what();
        EXPECT_NE(message.find("writers: 4 vs 8"), std::string::npos) << message;
        EXPECT_NE(message.find("--force"), std::string::npos) << message;
    }
    CompareOptions forced;
    forced.force = true;
    auto result = compare_reports({a, b}, forced);
    EXPECT_EQ(result["comparisons"][0]["workload_mismatches"][0], "writers: 4 vs 8");
}

TEST(MemcgCompare, ReaderDelayIsNotAWorkloadMismatch) {
    json w = workload();
    w["read_delay_us"] = 10;
    EXPECT_TRUE(
        workload_mismatches(load(report_json(5000, 1), "a"), load(report_json(15000, 2, 3, w), "b"))
            .empty());
}

TEST(MemcgCompare, NeedsTwoFiles) {
    EXPECT_THROW(compare_reports({load(report_json(5000, 1), "a")}, {}), bpfscope::UserError);
}
