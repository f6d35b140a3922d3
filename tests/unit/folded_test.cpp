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
    c.value = 1.5;
    profile.samples = {a, c, b};
    EXPECT_EQ(to_folded(profile),
              "app;main;idle:loop 1.5\n"
              "app;main;work;-;do_syscall_64 5\n");
    FoldedWriteOptions annotate;
    annotate.annotate_frames = true;
    EXPECT_EQ(to_folded(profile, annotate),
              "app;main;idle:loop 1.5\n"
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
        s.value = i + 0.5;
        profile.samples.push_back(s);
    }
    std::string text = to_folded(profile);
    FoldedStacks stacks;
    parse_folded(text, "x", FoldedColumn::kOnly, stacks);
    EXPECT_EQ(stacks.bad_lines, 0u);
    EXPECT_EQ(stacks.stacks.size(), 5u);
    EXPECT_DOUBLE_EQ(stacks.total(), 0.5 + 1.5 + 2.5 + 3.5 + 4.5);
}

TEST(FoldedWriter, FormatCount) {
    EXPECT_EQ(format_count(12), "12");
    EXPECT_EQ(format_count(0.5), "0.5");
    EXPECT_EQ(format_count(1.0 / 3), "0.333333");
}
