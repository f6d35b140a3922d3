#include "report/folded.h"

#include <gtest/gtest.h>

#include <string>

using namespace bpfscope::report;

namespace {

StackFrame frame(std::string name, StackFrame::Kind kind = StackFrame::Kind::kUser) {
    StackFrame f;
    f.name = std::move(name);
    f.kind = kind;
    return f;
}

std::string stack_text(const FoldedStacks& stacks, size_t index) {
    std::string out;
    const auto& stack = stacks.stacks[index];
    for (uint32_t i = 0; i < stack.depth; i++) {
        if (i)
            out += ';';
        out += stacks.name(stacks.frames[stack.first + i]);
    }
    return out;
}

}  // namespace

TEST(FoldedWriter, AggregatesAndSortsWithSeparatorBetweenUserAndKernel) {
    StackProfile profile;
    StackSample a;
    a.comm = "app";
    a.frames = {frame("main"), frame("work"), frame("-", StackFrame::Kind::kSeparator),
                frame("do_syscall_64", StackFrame::Kind::kKernel)};
    a.value = 3;
    StackSample b = a;
    b.value = 2;
    StackSample c;
    c.comm = "app";
    c.frames = {frame("main"), frame("idle;loop")};
    c.value = 1;
    profile.samples = {a, c, b};
    EXPECT_EQ(to_folded(profile),
              "app;main;idle:loop 1\n"
              "app;main;work;-;do_syscall_64 5\n");
    FoldedWriteOptions annotate;
    annotate.annotate_frames = true;
    EXPECT_EQ(to_folded(profile, annotate),
              "app;main;idle:loop 1\n"
              "app;main;work;-;do_syscall_64_[k] 5\n");
}

TEST(FoldedParser, DecimalCountsSpacesInFramesAndBadLinesCounted) {
    FoldedStacks stacks;
    parse_folded(
        "main;std::vector<int> push_back 12\n"
        "main;work 0.25\r\n"
        "\n"
        "no count here\n"
        "main;work 1.2.3\n"
        "42\n"
        "main;work\t7\n",
        "input", FoldedColumn::kOnly, stacks);
    ASSERT_EQ(stacks.stacks.size(), 3u);
    EXPECT_EQ(stack_text(stacks, 0), "main;std::vector<int> push_back");
    EXPECT_DOUBLE_EQ(stacks.stacks[0].count, 12);
    EXPECT_EQ(stack_text(stacks, 1), "main;work");
    EXPECT_DOUBLE_EQ(stacks.stacks[1].count, 0.25);
    EXPECT_DOUBLE_EQ(stacks.stacks[2].count, 7);
    EXPECT_EQ(stacks.lines, 6u);
    EXPECT_EQ(stacks.bad_lines, 3u);
    EXPECT_EQ(stacks.first_bad_line, "input:4: no count here");
    EXPECT_FALSE(stacks.differential);
    EXPECT_DOUBLE_EQ(stacks.total(), 19.25);
    // Names are interned: "main" is one id.
    EXPECT_EQ(stacks.frames[stacks.stacks[0].first], stacks.frames[stacks.stacks[1].first]);
}

TEST(FoldedParser, TwoCountColumnsMakeADifferential) {
    FoldedStacks stacks;
    parse_folded("a;b 3 5\na;c 4 0\n", "diff", FoldedColumn::kOnly, stacks);
    ASSERT_EQ(stacks.stacks.size(), 2u);
    EXPECT_TRUE(stacks.differential);
    EXPECT_DOUBLE_EQ(stacks.stacks[0].count, 3);
    EXPECT_DOUBLE_EQ(stacks.stacks[0].count2, 5);
    EXPECT_DOUBLE_EQ(stacks.total(), 7);
    EXPECT_DOUBLE_EQ(stacks.total2(), 5);
}

TEST(FoldedParser, RoundTripsWhatTheWriterWrites) {
    StackProfile profile;
    for (int i = 0; i < 5; i++) {
        StackSample s;
        s.comm = "p" + std::to_string(i % 2);
        s.frames = {frame("root"), frame("f" + std::to_string(i))};
        s.value = i + 1;
        profile.samples.push_back(s);
    }
    // Above 2^53 a double no longer holds every integer: the text keeps it exact.
    StackSample huge;
    huge.comm = "big";
    huge.frames = {frame("root")};
    huge.value = (uint64_t(1) << 53) + 1;
    profile.samples.push_back(huge);
    std::string text = to_folded(profile);
    EXPECT_NE(text.find("big;root 9007199254740993\n"), std::string::npos) << text;
    FoldedStacks stacks;
    parse_folded(text, "x", FoldedColumn::kOnly, stacks);
    EXPECT_EQ(stacks.bad_lines, 0u);
    ASSERT_EQ(stacks.stacks.size(), 6u);
    EXPECT_EQ(stacks.stacks[0].exact_count, (uint64_t(1) << 53) + 1);  // "big" sorts first
    uint64_t exact_total = 0;
    for (const auto& stack : stacks.stacks) exact_total += stack.exact_count;
    EXPECT_EQ(exact_total, 1 + 2 + 3 + 4 + 5 + (uint64_t(1) << 53) + 1);
}

TEST(FoldedWriter, FormatCount) {
    EXPECT_EQ(format_count(12), "12");
    EXPECT_EQ(format_count(0.5), "0.5");
    EXPECT_EQ(format_count(1.0 / 3), "0.333333");
}

TEST(FoldedParser, CountsAreExactIntegersRoundedOrSaturatedWhenTheyCannotBe) {
    FoldedStacks stacks;
    parse_folded(
        "a 9223372036854775807\n"      // 2^63-1: a double would make it 2^63
        "b 18446744073709551615\n"     // 2^64-1
        "c 99999999999999999999999\n"  // above 2^64-1
        "d 2.5\n"
        "e 2.49\n"
        "f 7.000\n",
        "in", FoldedColumn::kOnly, stacks);
    ASSERT_EQ(stacks.stacks.size(), 6u);
    EXPECT_EQ(stacks.stacks[0].exact_count, uint64_t(INT64_MAX));
    EXPECT_FALSE(stacks.stacks[0].saturated);
    EXPECT_EQ(stacks.stacks[1].exact_count, UINT64_MAX);
    EXPECT_FALSE(stacks.stacks[1].saturated);
    EXPECT_EQ(stacks.stacks[2].exact_count, UINT64_MAX);
    EXPECT_TRUE(stacks.stacks[2].saturated);
    EXPECT_EQ(stacks.stacks[3].exact_count, 3u);
    EXPECT_TRUE(stacks.stacks[3].fractional);
    EXPECT_EQ(stacks.stacks[4].exact_count, 2u);
    EXPECT_EQ(stacks.stacks[5].exact_count, 7u);
    EXPECT_FALSE(stacks.stacks[5].fractional);
    EXPECT_DOUBLE_EQ(stacks.stacks[3].count, 2.5);  // the drawn width keeps the fraction
}
