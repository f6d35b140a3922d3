#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>

#include "report/json_writer.h"
#include "report/stack_writers.h"
#include "report/text_writer.h"

using namespace bpfscope::report;

namespace {
Report sample_report() {
    Report report;
    report.tool = "funclatency";
    report.header.push_back({"unit", std::string("us"), ""});
    auto& section = report.add_section("vfs_read", "target");
    section.add("backend", std::string("kprobe")).add("count", uint64_t(3)).add("avg", 1.5, "us");
    section.notes.push_back("not used: fentry: refused");
    Log2Histogram h;
    h.unit = "us";
    for (uint64_t v : {1, 5, 6}) h.record(v);
    section.histogram = h;
    report.warnings.push_back("3 starts lost");
    return report;
}
}  // namespace

TEST(TextWriter, BoundLabelsUsePowerOfTwoSuffixes) {
    EXPECT_EQ(format_bound(0), "0");
    EXPECT_EQ(format_bound(512), "512");
    EXPECT_EQ(format_bound(1024), "1K");
    EXPECT_EQ(format_bound(8192), "8K");
    EXPECT_EQ(format_bound(1 << 20), "1M");
    EXPECT_EQ(format_bound(1000), "1000");
}

TEST(TextWriter, HistogramHasOneRowPerBucketBetweenFirstAndLast) {
    Log2Histogram h;
    h.unit = "ns";
    h.record(5);     // [4, 8)
    h.record(2000);  // [1K, 2K)
    h.record(2047);
    std::string text = render_histogram(h, 10);
    EXPECT_NE(text.find("[4, 8)"), std::string::npos);
    EXPECT_NE(text.find("[1K, 2K)"), std::string::npos);
    EXPECT_NE(text.find("|@@@@@@@@@@|"), std::string::npos);  // the peak fills the bar
    EXPECT_NE(text.find("|@@@@@     |"), std::string::npos);  // half the peak
    // Every bucket between the first and the last is shown, even empty ones.
    EXPECT_NE(text.find("[512, 1K)"), std::string::npos);
    EXPECT_EQ(text.find("[2K, 4K)"), std::string::npos);
}

TEST(TextWriter, ReportShowsFieldsNotesHistogramAndWarnings) {
    std::ostringstream out;
    write_text(out, sample_report());
    std::string text = out.str();
    EXPECT_NE(text.find("vfs_read"), std::string::npos);
    EXPECT_NE(text.find("backend: kprobe"), std::string::npos);
    EXPECT_NE(text.find("avg: 1.50 us"), std::string::npos);
    EXPECT_NE(text.find("note: not used: fentry: refused"), std::string::npos);
    EXPECT_NE(text.find("[4, 8)"), std::string::npos);
    EXPECT_NE(text.find("WARNING: 3 starts lost"), std::string::npos);
}

TEST(JsonWriter, SchemaHasStableKeys) {
    auto json = to_json(sample_report());
    EXPECT_EQ(json["schema_version"], kReportSchemaVersion);
    EXPECT_EQ(json["tool"], "funclatency");
    EXPECT_TRUE(json["timestamp"].is_null());
    EXPECT_EQ(json["header"]["unit"], "us");
    const auto& section = json["sections"][0];
    EXPECT_EQ(section["title"], "vfs_read");
    EXPECT_EQ(section["kind"], "target");
    EXPECT_EQ(section["fields"]["backend"], "kprobe");
    EXPECT_EQ(section["fields"]["count"], 3);
    EXPECT_EQ(section["units"]["avg"], "us");
    EXPECT_EQ(section["histogram"]["count"], 3);
    EXPECT_EQ(section["histogram"]["min"], 1);
    EXPECT_EQ(section["histogram"]["max"], 6);
    ASSERT_EQ(section["histogram"]["buckets"].size(), 3u);  // [1,2) [2,4) [4,8)
    EXPECT_EQ(section["histogram"]["buckets"][2]["low"], 4);
    EXPECT_EQ(section["histogram"]["buckets"][2]["high"], 8);
    EXPECT_EQ(section["histogram"]["buckets"][2]["count"], 2);
    EXPECT_EQ(json["warnings"][0], "3 starts lost");
}

TEST(JsonWriter, EmptyHistogramHasNullStatistics) {
    Log2Histogram h;
    h.unit = "ns";
    auto json = to_json(h);
    EXPECT_TRUE(json["p50"].is_null());
    EXPECT_TRUE(json["buckets"].empty());
}

TEST(JsonWriter, WritesOneLinePerReport) {
    std::ostringstream out;
    write_json(out, sample_report());
    write_json(out, sample_report());
    std::string text = out.str();
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
    auto first = nlohmann::json::parse(text.substr(0, text.find('\n')));
    EXPECT_EQ(first["tool"], "funclatency");
}

TEST(JsonWriter, DocumentReplacesTheGenericFormAndKeepsNumberKinds) {
    using bpfscope::report::Data;
    Report report;
    report.tool = "memcg";
    report.add_section("ignored in JSON", "summary");
    report.document = Data::record({{"b", -3},
                                    {"a", uint64_t(18446744073709551615ull)},
                                    {"c", Data::list({1.5, "x", true, nullptr})},
                                    {"d", 5000.0}});
    EXPECT_EQ(bpfscope::report::json_text(report),
              "{\"a\":18446744073709551615,\"b\":-3,\"c\":[1.5,\"x\",true,null],\"d\":5000.0}\n");
    auto round_trip = bpfscope::report::from_json(bpfscope::report::to_json(report.document));
    EXPECT_EQ(bpfscope::report::to_json(round_trip).dump(),
              bpfscope::report::to_json(report).dump());
}

TEST(TextWriter, FixedLayoutTablesAndFieldLayouts) {
    using bpfscope::report::Align;
    Report report;
    auto& top = report.add_section("", "run");
    top.layout = bpfscope::report::FieldLayout::kAligned;
    top.key_width = 8;
    top.indent = 0;
    top.add("kernel", std::string("6.18"));
    auto& runs = report.add_section("runs", "runs");
    Table table{"", {"run", "p50"}, {}};
    table.formats = {{2, 4, Align::kRight}, {1, 7, Align::kRight, 2}};
    table.rows = {{int64_t(1), 4.5}, {std::string("all")}};
    runs.tables.push_back(table);
    auto& more = report.add_section("", "spread");
    more.layout = bpfscope::report::FieldLayout::kLines;
    more.fields.push_back({"spread", 0.125, "us", 3});
    auto& last = report.add_section("", "end");
    last.blank_before = true;
    last.indent = 0;
    last.notes = {"done"};
    std::ostringstream out;
    write_text(out, report);
    EXPECT_EQ(out.str(),
              "kernel  6.18\n"
              "\nruns\n"
              "   run     p50\n"
              "     1    4.50\n"
              "   all\n"
              "  spread: 0.125 us\n"
              "\nnote: done\n");
}

// A comm cut mid-character by the kernel (16 bytes) is not valid UTF-8. Before,
// dump() threw and the tool ended with nlohmann's message instead of a report.
TEST(JsonWriter, InvalidUtf8IsReplacedNotThrown) {
    Report report = sample_report();
    report.add_section("comm", "summary").add("comm", std::string("caf\xc3"));
    std::string text;
    ASSERT_NO_THROW(text = json_text(report));
    EXPECT_NE(text.find("caf\xEF\xBF\xBD"), std::string::npos) << text;
    StackProfile profile;
    StackSample sample;
    sample.comm = "w\xff";
    sample.value = 1;
    profile.samples.push_back(sample);
    ASSERT_NO_THROW(text = stack_profile_json(profile, report));
    EXPECT_NE(text.find("\"comm\":\"w\xEF\xBF\xBD\""), std::string::npos) << text;
}
