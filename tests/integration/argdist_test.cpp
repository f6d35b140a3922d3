// argdist against the real kernel: probe_target's known malloc sizes as an
// exact log2 histogram, value counts and return values of probe_add, a
// kernel-side filter whose rejections are counted, and bad input.
#include <bit>

#include "probe_tools_support.h"
#include "support/preconditions.h"

using namespace bpfscope::test;
using namespace bpfscope::test::probe_tools;

namespace {

// VALUE -> COUNT of an argdist --count JSON report (values as text).
std::map<std::string, uint64_t> value_counts_of(const json& report) {
    std::map<std::string, uint64_t> out;
    for (const auto& row : section_of_kind(report, "value_counts")["tables"][0]["rows"])
        out[row[0].is_string() ? row[0].get<std::string>() : row[0].dump()] =
            row[1].get<uint64_t>();
    return out;
}

std::vector<std::string> argdist(std::vector<std::string> arguments) {
    return tool("argdist", std::move(arguments));
}

}  // namespace

TEST(Argdist, MallocSizeHistogramIsExactPerLog2Slot) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    WaitingTarget target({"--add-calls", "0"});
    BackgroundProcess counter(
        argdist({"-j", "-p", target.pid_text(), "c:malloc", "--hist", "arg1"}));
    ASSERT_TRUE(counter.wait_until_ready()) << counter.output_so_far();
    auto account = target.run();
    auto result = counter.stop();
    ASSERT_EQ(result.exit_code, 0) << result.err;
    json report = last_report(result.out);
    const json& section = section_of_kind(report, "histogram");
    EXPECT_EQ(section["title"], "arg1");
    EXPECT_EQ(section["fields"]["count"], account.site_a + account.site_b);
    // 300 x 24 bytes, 175 each of 64, 128, 256 and 512 bytes.
    EXPECT_EQ(section["fields"]["min"], 24);
    EXPECT_EQ(section["fields"]["max"], 512);
    EXPECT_EQ(section["fields"]["sum"], 300 * 24 + 175 * (64 + 128 + 256 + 512));
    const json& histogram = section["histogram"];
    ASSERT_FALSE(account.size_slots.empty());
    std::vector<uint64_t> ours(account.size_slots.size(), 0);
    for (const auto& bucket : histogram["buckets"]) {
        // Each bucket: [low, high) and its count; the slot is log2(high).
        uint64_t high = bucket["high"];
        unsigned slot = high <= 1 ? 0 : unsigned(std::bit_width(high - 1));
        if (slot < ours.size())
            ours[slot] += bucket["count"].get<uint64_t>();
    }
    EXPECT_EQ(ours, account.size_slots) << histogram.dump();
}

TEST(Argdist, ValueCountsOfAnArgumentAndAFilterThatIsCounted) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    WaitingTarget target({"--add-calls", "1000"});
    BackgroundProcess all(
        argdist({"-j", "-p", target.pid_text(), target_function("probe_add"), "--count", "arg1"}));
    BackgroundProcess filtered(argdist({"-j", "-p", target.pid_text(), target_function("probe_add"),
                                        "--count", "arg1", "--filter", "arg1 > 5"}));
    ASSERT_TRUE(all.wait_until_ready()) << all.output_so_far();
    ASSERT_TRUE(filtered.wait_until_ready()) << filtered.output_so_far();
    auto account = target.run();
    auto all_result = all.stop();
    auto filtered_result = filtered.stop();
    ASSERT_EQ(all_result.exit_code, 0) << all_result.err;
    ASSERT_EQ(filtered_result.exit_code, 0) << filtered_result.err;

    // a = i % 10 for i < 1000: every value 0..9 exactly 100 times.
    auto every = value_counts_of(last_report(all_result.out));
    ASSERT_EQ(every.size(), 10u) << all_result.out;
    for (int a = 0; a < 10; a++) EXPECT_EQ(every[std::to_string(a)], 100u) << "a=" << a;

    json report = last_report(filtered_result.out);
    auto kept = value_counts_of(report);
    EXPECT_EQ(kept.size(), 4u);
    for (int a = 6; a < 10; a++) EXPECT_EQ(kept[std::to_string(a)], 100u) << "a=" << a;
    // The rejected events stopped in the kernel, and were counted there.
    const json& counters = section_of_kind(report, "probe_counters")["fields"];
    EXPECT_EQ(counters["hits"], account.add_calls);
    EXPECT_EQ(counters["filtered_out"], account.add_calls - account.a_above_5);
    EXPECT_EQ(section_of_kind(report, "value_counts")["fields"]["count"], account.a_above_5);
}

TEST(Argdist, ReturnValueHistogramAndTopValues) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    WaitingTarget target({"--add-calls", "500"});
    BackgroundProcess returns(argdist(
        {"-j", "-p", target.pid_text(), "r:" + target_function("probe_add"), "--hist", "retval"}));
    BackgroundProcess top(argdist({"-j", "-p", target.pid_text(), target_function("probe_add"),
                                   "--count", "arg1", "-n", "3"}));
    ASSERT_TRUE(returns.wait_until_ready()) << returns.output_so_far();
    ASSERT_TRUE(top.wait_until_ready()) << top.output_so_far();
    auto account = target.run();
    auto result = returns.stop();
    auto top_result = top.stop();
    ASSERT_EQ(result.exit_code, 0) << result.err;
    ASSERT_EQ(top_result.exit_code, 0) << top_result.err;
    json report = last_report(result.out);
    const json& fields = section_of_kind(report, "histogram")["fields"];
    EXPECT_EQ(fields["count"], 500);
    EXPECT_EQ(fields["sum"], account.sum_ret);
    EXPECT_EQ(fields["min"], 0);        // probe_add(0, 0)
    EXPECT_EQ(fields["max"], 499 + 9);  // probe_add(9, 499)
    // -n 3: three values, the other seven summed in one row, nothing dropped.
    auto counts = value_counts_of(last_report(top_result.out));
    EXPECT_EQ(counts.size(), 4u);
    EXPECT_EQ(counts["[7 other values]"], 350u);
}

TEST(Argdist, BadInputIsOneLineAndNothingStaysAttached) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    struct Case {
        std::vector<std::string> arguments;
        const char* says;
        int exit_code;
    } cases[] = {
        {{"c:malloc"}, "give --hist FIELD", 2},
        {{"c:malloc", "--hist", "arg1", "--count", "arg1"}, "excludes", 2},
        {{"c:malloc", "--hist", "arg1", "--filter", "arg1 >"}, "filter 'arg1 >'", 1},
        {{"c:malloc", "--hist", "arg1", "--filter", "arg1 > 5 || arg1 < 2"}, "only '&&'", 1},
        {{"c:malloc", "--hist", "arg1->"}, "field 'arg1->'", 1},
        {{"t:sched:sched_switch", "--hist", "no_such_field"}, "no_such_field", 1},
        {{"t:sched:sched_switch", "--count", "str(prev_pid)"}, "prev_pid", 1},
        {{"c:no_such_function_xyz", "--hist", "arg1"}, "no_such_function_xyz", 1},
    };
    for (const auto& c : cases) {
        auto result = run_process(argdist(c.arguments), 60s);
        EXPECT_EQ(result.exit_code, c.exit_code) << result.err;
        std::string err = result.err;
        while (!err.empty() && err.back() == '\n') err.pop_back();
        EXPECT_EQ(err.find('\n'), std::string::npos) << "one line: " << result.err;
        EXPECT_NE(err.find(c.says), std::string::npos) << result.err;
    }
    EXPECT_EQ(probe_programs_left(), 0u);
}
