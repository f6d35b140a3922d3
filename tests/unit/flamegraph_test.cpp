#include "report/flamegraph.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "base/error.h"
#include "report/folded.h"

using namespace bpfscope::report;

namespace {

// name@depth -> frame, for frames whose name is unique per depth.
std::map<std::string, FlameFrame> frames_by_name(const FoldedStacks& stacks,
                                                 const FlameLayout& layout) {
    std::map<std::string, FlameFrame> out;
    for (const auto& frame : layout.frames) {
        std::string name = frame.name == FlameLayout::kRootName
                               ? std::string("all")
                               : std::string(stacks.name(frame.name));
        out[name + "@" + std::to_string(frame.depth)] = frame;
    }
    return out;
}

FlameGraphOptions no_min_width() {
    FlameGraphOptions options;
    options.min_width = 0;
    return options;
}

}  // namespace

TEST(FlameLayout, MergesSharedPrefixesAndEqualStacksWhateverTheInputOrder) {
    FoldedStacks stacks;
    parse_folded(
        "app;main;work 5\n"
        "app;idle 2\n"
        "app;main;parse 3\n"
        "app;main;work 4\n"  // equal to the first: merged
        "app;main 1\n",      // main's own time
        "in", FoldedColumn::kOnly, stacks);
    FlameLayout layout = layout_flame_graph(stacks, no_min_width());
    auto frames = frames_by_name(stacks, layout);
    EXPECT_DOUBLE_EQ(layout.total, 15);
    EXPECT_EQ(layout.merged_stacks, 4u);
    EXPECT_EQ(layout.max_depth, 3u);
    ASSERT_EQ(layout.frames.size(), 6u);  // all, app, idle, main, parse, work
    EXPECT_DOUBLE_EQ(frames["all@0"].width, 15);
    EXPECT_DOUBLE_EQ(frames["app@1"].width, 15);
    EXPECT_DOUBLE_EQ(frames["main@2"].width, 13);
    EXPECT_DOUBLE_EQ(frames["work@3"].width, 9);
    EXPECT_DOUBLE_EQ(frames["parse@3"].width, 3);
    // Sorted by name: idle, then main (own time 1 first, then parse, work).
    EXPECT_DOUBLE_EQ(frames["idle@2"].start, 0);
    EXPECT_DOUBLE_EQ(frames["main@2"].start, 2);
    EXPECT_DOUBLE_EQ(frames["parse@3"].start, 3);
    EXPECT_DOUBLE_EQ(frames["work@3"].start, 6);
    EXPECT_EQ(layout.frames.back().name, FlameLayout::kRootName);
}

TEST(FlameLayout, FlameChartKeepsInputOrderAndMergesOnlyNeighbours) {
    FoldedStacks stacks;
    parse_folded("a;b 1\na;c 1\na;b 1\n", "in", FoldedColumn::kOnly, stacks);
    FlameGraphOptions options = no_min_width();
    options.flamechart = true;
    FlameLayout layout = layout_flame_graph(stacks, options);
    int b_frames = 0;
    for (const auto& frame : layout.frames) {
        if (frame.name != FlameLayout::kRootName && stacks.name(frame.name) == "b")
            b_frames++;
    }
    EXPECT_EQ(b_frames, 2);  // not merged: "c" lies between them in time
}

TEST(FlameLayout, ReverseMakesTheLeafTheRoot) {
    FoldedStacks stacks;
    parse_folded("main;a;leaf 2\nmain;b;leaf 3\n", "in", FoldedColumn::kOnly, stacks);
    FlameGraphOptions options = no_min_width();
    options.reverse = true;
    FlameLayout layout = layout_flame_graph(stacks, options);
    auto frames = frames_by_name(stacks, layout);
    EXPECT_DOUBLE_EQ(frames["leaf@1"].width, 5);
    EXPECT_DOUBLE_EQ(frames["a@2"].width, 2);
    EXPECT_DOUBLE_EQ(frames["b@2"].width, 3);
    int main_frames = 0;
    for (const auto& frame : layout.frames) {
        if (frame.name != FlameLayout::kRootName && stacks.name(frame.name) == "main") {
            EXPECT_EQ(frame.depth, 3u);
            main_frames++;
        }
    }
    EXPECT_EQ(main_frames, 2);  // one above a, one above b
}

TEST(FlameLayout, MinWidthDropsNarrowFrames) {
    FoldedStacks stacks;
    parse_folded("a;big 1000\na;tiny 1\n", "in", FoldedColumn::kOnly, stacks);
    FlameGraphOptions options;
    parse_min_width("1%", options);
    EXPECT_TRUE(options.min_width_percent);
    FlameLayout layout = layout_flame_graph(stacks, options);
    auto frames = frames_by_name(stacks, layout);
    EXPECT_EQ(frames.count("tiny@2"), 0u);
    EXPECT_EQ(frames.count("big@2"), 1u);
    EXPECT_THROW(parse_min_width("abc", options), bpfscope::UserError);
    EXPECT_THROW(parse_min_width("-1", options), bpfscope::UserError);
}

TEST(FlameDiff, DeltasAreAfterMinusBeforeSummedOverEachFrame) {
    FoldedStacks stacks;
    parse_folded("a;grow 10\na;shrink 20\na;same 5\na;gone 4\n", "before", FoldedColumn::kBefore,
                 stacks);
    parse_folded("a;grow 25\na;shrink 5\na;same 5\na;new 3\n", "after", FoldedColumn::kAfter,
                 stacks);
    stacks.differential = true;
    FlameLayout layout = layout_flame_graph(stacks, no_min_width());
    auto frames = frames_by_name(stacks, layout);
    EXPECT_DOUBLE_EQ(layout.total, 38);  // widths are the "after" counts
    EXPECT_DOUBLE_EQ(frames["grow@2"].delta, 15);
    EXPECT_DOUBLE_EQ(frames["shrink@2"].delta, -15);
    EXPECT_DOUBLE_EQ(frames["same@2"].delta, 0);
    EXPECT_DOUBLE_EQ(frames["new@2"].delta, 3);
    EXPECT_EQ(frames.count("gone@2"), 0u);  // zero width after: not drawn
    // The parent carries every child's change, including the vanished one.
    EXPECT_DOUBLE_EQ(frames["a@1"].delta, 15 - 15 + 0 + 3 - 4);
    EXPECT_DOUBLE_EQ(layout.max_delta, 15);

    EXPECT_EQ(FlameColorer::diff_color(0, 15, false), (Rgb{255, 255, 255}));
    EXPECT_EQ(FlameColorer::diff_color(15, 15, false), (Rgb{255, 0, 0}));
    EXPECT_EQ(FlameColorer::diff_color(-15, 15, false), (Rgb{0, 0, 255}));
    EXPECT_EQ(FlameColorer::diff_color(-15, 15, true), (Rgb{255, 0, 0}));
    // Between, the colour fades linearly from white, as flamegraph.pl's
    // color_scale: the other two channels fall in proportion to delta/max
    // from where the faintest change starts (just under white, so that a tiny
    // change is still visible).
    Rgb faintest = FlameColorer::diff_color(1e-9, 15, false);
    EXPECT_EQ(faintest.r, 255);
    EXPECT_LT(faintest.g, 255);
    EXPECT_GT(faintest.g, 128);
    for (double delta : {3.75, 7.5, 11.25}) {
        Rgb more = FlameColorer::diff_color(delta, 15, false);
        Rgb less = FlameColorer::diff_color(-delta, 15, false);
        double expected = faintest.g * (1 - delta / 15);
        EXPECT_EQ(more.r, 255) << delta;
        EXPECT_NEAR(more.g, expected, 1) << delta;
        EXPECT_EQ(more.b, more.g) << delta;
        EXPECT_EQ(less, (Rgb{more.g, more.g, 255})) << delta;  // the same fade, in blue
    }
}

TEST(FlameDiff, NormalizeScalesBeforeToTheAfterTotal) {
    FoldedStacks stacks;
    parse_folded("a;x 10 20\na;y 30 60\n", "two-column", FoldedColumn::kOnly, stacks);
    ASSERT_TRUE(stacks.differential);
    FlameGraphOptions options = no_min_width();
    options.normalize = true;
    FlameLayout layout = layout_flame_graph(stacks, options);
    auto frames = frames_by_name(stacks, layout);
    // Twice the samples everywhere, same shape: no change after normalizing.
    EXPECT_NEAR(frames["x@2"].delta, 0, 1e-9);
    EXPECT_NEAR(frames["y@2"].delta, 0, 1e-9);
    EXPECT_NEAR(frames["a@1"].delta, 0, 1e-9);
}

TEST(FlameColors, HashColourIsStablePerNameAndInsideThePalette) {
    FlameColorer first("hot", true);
    FlameColorer second("hot", true);
    Rgb a = first.color("do_syscall_64");
    first.color("something_else");
    EXPECT_EQ(second.color("do_syscall_64"), a);  // order and instance do not matter
    EXPECT_EQ(first.color("do_syscall_64"), a);
    EXPECT_NE(first.color("do_syscall_64"), first.color("do_syscall_65"));
    // flamegraph.pl's "hot": r = 205 + 50 v, g = 230 v, b = 55 v.
    for (const char* name : {"a", "main", "std::vector<int>::push_back", "x"}) {
        Rgb c = first.color(name);
        EXPECT_GE(c.r, 205);
        EXPECT_LE(c.g, 230);
        EXPECT_LE(c.b, 55);
    }
    FlameColorer io("io", true);
    Rgb blue = io.color("vfs_read");
    EXPECT_GT(blue.b, blue.r);
    FlameColorer mem("mem", true);
    Rgb green = mem.color("kmalloc");
    EXPECT_GT(green.g, green.r);
    // Without --hash: a fixed sequence, the same in every run.
    FlameColorer random_a("hot", false);
    FlameColorer random_b("hot", false);
    EXPECT_EQ(random_a.color("f"), random_b.color("f"));
    EXPECT_NE(random_a.color("f"), random_a.color("f"));
    EXPECT_THROW(FlameColorer("nonesuch", false), bpfscope::UserError);
}

TEST(FlameSvg, EscapesMarkupAndReplacesInvalidBytes) {
    std::string out;
    append_xml_escaped(out, "a<b>&\"c'\x01\xff\xc3\xa9");
    // Control characters become '?'; an invalid byte U+FFFD, as in pprof and JSON.
    EXPECT_EQ(out, "a&lt;b&gt;&amp;&quot;c&apos;?\xEF\xBF\xBD\xc3\xa9");
}

TEST(FlameSvg, RendersOneGroupPerFrameWithCountsAndPercentages) {
    FoldedStacks stacks;
    parse_folded("app;main;f<1> 3\napp;main;g 1\n", "in", FoldedColumn::kOnly, stacks);
    FlameGraphOptions options = no_min_width();
    options.title = "T & T";
    FlameLayout layout = layout_flame_graph(stacks, options);
    std::string svg = render_flame_graph_svg(stacks, layout, options);
    EXPECT_NE(svg.find("<title>f&lt;1&gt; (3 samples, 75.00%)</title>"), std::string::npos);
    EXPECT_NE(svg.find("<title>all (4 samples, 100.00%)</title>"), std::string::npos);
    EXPECT_NE(svg.find(">T &amp; T</text>"), std::string::npos);
    size_t groups = 0;
    for (size_t at = svg.find("<g data-x="); at != std::string::npos;
         at = svg.find("<g data-x=", at + 1)) {
        groups++;
    }
    EXPECT_EQ(groups, layout.frames.size());
    EXPECT_EQ(svg.find("http://", svg.find("xmlns=\"http://www.w3.org/2000/svg\"") + 40),
              std::string::npos);  // nothing fetched from the network
}

// flamegraph.pl colours a differential frame by its self delta: the change of
// the stacks that end in it (its flow() adds a line's delta to the leaf only).
// A caller whose callees changed but that did not change itself stays white.
TEST(FlameDiff, SelfDeltaByDefaultInclusiveAsAnOption) {
    FoldedStacks stacks;
    parse_folded("a;b 10 10\na;b;c 10 20\na;d 30 25\n", "two-column", FoldedColumn::kOnly, stacks);
    FlameGraphOptions options = no_min_width();
    FlameLayout layout = layout_flame_graph(stacks, options);
    auto frames = frames_by_name(stacks, layout);
    EXPECT_DOUBLE_EQ(frames["b@2"].self_delta, 0);
    EXPECT_DOUBLE_EQ(frames["b@2"].delta, 10);
    EXPECT_DOUBLE_EQ(frames["c@3"].self_delta, 10);
    EXPECT_DOUBLE_EQ(frames["d@2"].self_delta, -5);
    EXPECT_DOUBLE_EQ(frames["a@1"].self_delta, 0);
    EXPECT_DOUBLE_EQ(frames["a@1"].delta, 5);
    EXPECT_DOUBLE_EQ(layout.max_delta, 10);
    EXPECT_DOUBLE_EQ(layout.max_inclusive_delta, 10);

    auto fill = [](const std::string& svg, const std::string& name) {
        size_t at = svg.find("<title>" + name + " (");
        if (at == std::string::npos)
            return std::string();
        size_t fill = svg.find("fill=\"", at);
        return svg.substr(fill + 6, svg.find('"', fill + 6) - fill - 6);
    };
    std::string svg = render_flame_graph_svg(stacks, layout, options);
    EXPECT_EQ(fill(svg, "b"), "rgb(255,255,255)");
    EXPECT_EQ(fill(svg, "c"), "rgb(255,0,0)");
    // color_scale: int(210 * (max - |delta|) / max) = int(210 * 5 / 10) = 105.
    EXPECT_EQ(fill(svg, "d"), "rgb(105,105,255)");
    EXPECT_EQ(fill(svg, "a"), "rgb(255,255,255)");
    EXPECT_NE(svg.find("<title>c (20 samples, 36.36%; +18.18%)</title>"), std::string::npos);

    options.inclusive_delta = true;
    svg = render_flame_graph_svg(stacks, layout, options);
    EXPECT_EQ(fill(svg, "b"), "rgb(255,0,0)");      // +10, the largest frame change
    EXPECT_EQ(fill(svg, "a"), "rgb(255,105,105)");  // +5 of 10
    EXPECT_NE(svg.find("<title>b (30 samples, 54.55%; +18.18%)</title>"), std::string::npos);
}

TEST(FlameDiff, ColourScaleIsFlamegraphPls) {
    for (double delta : {1e-9, 1.0, 3.75, 7.5, 11.25, 14.9, 15.0}) {
        auto expected = static_cast<uint8_t>(int(210 * (15 - delta) / 15));
        EXPECT_EQ(FlameColorer::diff_color(delta, 15, false), (Rgb{255, expected, expected}))
            << delta;
        EXPECT_EQ(FlameColorer::diff_color(-delta, 15, false), (Rgb{expected, expected, 255}))
            << delta;
    }
}

// flamegraph.pl uses "_[k]", "_[j]", "_[i]", "_[w]" to pick a colour, then
// strips them from the title and the label.
TEST(FlameSvg, AnnotationsPickTheColourThenLeaveTheTitle) {
    EXPECT_EQ(strip_frame_annotation("vfs_read_[k]"), "vfs_read");
    EXPECT_EQ(strip_frame_annotation("Foo.bar_[j]"), "Foo.bar");
    EXPECT_EQ(strip_frame_annotation("inl_[i]"), "inl");
    EXPECT_EQ(strip_frame_annotation("waker_[w]"), "waker");
    EXPECT_EQ(strip_frame_annotation("odd_[x]"), "odd_[x]");
    EXPECT_EQ(strip_frame_annotation("_[k]"), "_[k]");  // nothing left: kept
    EXPECT_EQ(strip_frame_annotation("plain"), "plain");

    FoldedStacks stacks;
    parse_folded("app;main;vfs_read_[k] 3\napp;main;inl_[i] 1\n", "in", FoldedColumn::kOnly,
                 stacks);
    FlameGraphOptions options = no_min_width();
    options.colors = "java";
    options.width = 2000;
    FlameLayout layout = layout_flame_graph(stacks, options);
    std::string svg = render_flame_graph_svg(stacks, layout, options);
    EXPECT_EQ(svg.find("_[k]"), std::string::npos);
    EXPECT_EQ(svg.find("_[i]"), std::string::npos);
    EXPECT_NE(svg.find("<title>vfs_read (3 samples, 75.00%)</title>"), std::string::npos);
    EXPECT_NE(svg.find(">vfs_read</text>"), std::string::npos);
    // The colour still comes from the annotation: kernel orange, inlined aqua.
    size_t kernel = svg.find("<title>vfs_read (");
    size_t fill = svg.find("fill=\"rgb(", kernel) + 10;
    int r = 0, g = 0, b = 0;
    ASSERT_EQ(sscanf(svg.c_str() + fill, "%d,%d,%d", &r, &g, &b), 3);
    EXPECT_GE(r, 190);  // orange: r 190-250, g 90-155, b 0-55
    EXPECT_LE(b, 55);
    size_t inlined = svg.find("<title>inl (");
    fill = svg.find("fill=\"rgb(", inlined) + 10;
    ASSERT_EQ(sscanf(svg.c_str() + fill, "%d,%d,%d", &r, &g, &b), 3);
    EXPECT_LE(r, 110);  // aqua: r 50-110, g and b 165-225
    EXPECT_GE(b, 165);
}
