// bpfscope flamegraph as users run it: stdin and files, malformed lines
// reported, empty input refused, failures leave no file behind, --diff and
// the two-column format, every flamegraph.pl-style option accepted. Needs no
// root (runs the real binary only).
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>

#include "report/flamegraph.h"
#include "support/process.h"

namespace {

namespace fs = std::filesystem;
using bpfscope::test::bin;
using bpfscope::test::run_process;

std::string work_dir(const std::string& name) {
    std::string dir = std::string(BPFSCOPE_BUILD_DIR) + "/test-artifacts/flamegraph/" + name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

void write(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
}

std::string read(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// fill colour of the frame whose tooltip starts with `name (`.
std::string fill_of(const std::string& svg, const std::string& name) {
    size_t at = svg.find("<title>" + name + " (");
    if (at == std::string::npos)
        return "";
    size_t fill = svg.find("fill=\"", at);
    return svg.substr(fill + 6, svg.find('"', fill + 6) - fill - 6);
}

// Renders DIR/in.folded with `extra` options to DIR/o.svg; returns the SVG.
std::string render_svg(const std::string& dir, const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {bin("bpfscope"), "flamegraph", "-o", dir + "/o.svg"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(dir + "/in.folded");
    auto result = run_process(argv);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return read(dir + "/o.svg");
}

}  // namespace

TEST(FlamegraphCli, ReadsStdinAndReportsMalformedLines) {
    std::string dir = work_dir("stdin");
    write(dir + "/in.folded", "a;b 3\nthis line has no count\na;c 1.5\n;; x\n");
    auto result = run_process(
        {"sh", "-c",
         bin("bpfscope") + " flamegraph -o " + dir + "/out.svg < " + dir + "/in.folded"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.err.find("ignored 2 malformed lines of 4"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("stdin:2: this line has no count"), std::string::npos) << result.err;
    std::string svg = read(dir + "/out.svg");
    EXPECT_NE(svg.find("<title>all (4.5 samples, 100.00%)</title>"), std::string::npos);
}

TEST(FlamegraphCli, WritesToDevStdoutAndPipes) {
    std::string dir = work_dir("devstdout");
    write(dir + "/in.folded", "a;b 2\n");
    auto result =
        run_process({bin("bpfscope"), "flamegraph", "-o", "/dev/stdout", dir + "/in.folded"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out.rfind("<?xml", 0), 0u);
    EXPECT_NE(result.out.find("</svg>"), std::string::npos);
}

TEST(FlamegraphCli, EmptyInputIsAClearErrorAndWritesNothing) {
    std::string dir = work_dir("empty");
    write(dir + "/empty.folded", "\n\n");
    write(dir + "/garbage.folded", "no counts\nanywhere here\n");
    for (const char* input : {"empty.folded", "garbage.folded"}) {
        auto result =
            run_process({bin("bpfscope"), "flamegraph", "-o", dir + "/out.svg", dir + "/" + input});
        EXPECT_NE(result.exit_code, 0);
        EXPECT_NE(result.err.find("no stacks in the input"), std::string::npos) << result.err;
        EXPECT_FALSE(fs::exists(dir + "/out.svg"));
    }
    // Leaves nothing, not even a temporary file, when the target cannot be written.
    write(dir + "/ok.folded", "a;b 1\n");
    fs::create_directories(dir + "/target-is-a-directory");
    auto result = run_process(
        {bin("bpfscope"), "flamegraph", "-o", dir + "/target-is-a-directory", dir + "/ok.folded"});
    EXPECT_NE(result.exit_code, 0);
    EXPECT_NE(result.err.find("cannot write"), std::string::npos) << result.err;
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
    for (const auto& entry : fs::directory_iterator(dir)) {
        EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos)
            << entry.path();
    }
    auto missing = run_process(
        {bin("bpfscope"), "flamegraph", "-o", dir + "/x.svg", dir + "/does-not-exist.folded"});
    EXPECT_NE(missing.exit_code, 0);
    EXPECT_NE(missing.err.find("cannot read"), std::string::npos) << missing.err;
}

// Before: gzip input was read as text (every line malformed).
TEST(FlamegraphCli, ReadsGzipFilesAndGzipOnStdin) {
    std::string dir = work_dir("gzip");
    write(dir + "/in.folded", "app;main;work 90\napp;idle 9\n");
    auto gzipped = run_process({"sh", "-c", "gzip -kf " + dir + "/in.folded"});
    ASSERT_EQ(gzipped.exit_code, 0) << gzipped.err;
    auto plain =
        run_process({bin("bpfscope"), "flamegraph", "-o", dir + "/plain.svg", dir + "/in.folded"});
    ASSERT_EQ(plain.exit_code, 0) << plain.err;
    auto from_file = run_process(
        {bin("bpfscope"), "flamegraph", "-o", dir + "/file.svg", dir + "/in.folded.gz"});
    ASSERT_EQ(from_file.exit_code, 0) << from_file.err;
    EXPECT_EQ(from_file.err, "");  // no malformed lines
    auto from_stdin = run_process(
        {"sh", "-c",
         bin("bpfscope") + " flamegraph -o " + dir + "/stdin.svg - < " + dir + "/in.folded.gz"});
    ASSERT_EQ(from_stdin.exit_code, 0) << from_stdin.err;
    EXPECT_EQ(read(dir + "/file.svg"), read(dir + "/plain.svg"));
    EXPECT_EQ(read(dir + "/stdin.svg"), read(dir + "/plain.svg"));
    EXPECT_NE(read(dir + "/file.svg").find("<title>work (90 samples"), std::string::npos);

    write(dir + "/bad.gz", std::string("\x1f\x8b\x08\x00\x00\x00", 6));
    auto bad =
        run_process({bin("bpfscope"), "flamegraph", "-o", dir + "/bad.svg", dir + "/bad.gz"});
    EXPECT_NE(bad.exit_code, 0);
    EXPECT_NE(bad.err.find(dir + "/bad.gz: truncated gzip data"), std::string::npos) << bad.err;
    EXPECT_FALSE(fs::exists(dir + "/bad.svg"));
}

// Before: the SVG path refused all-zero counts while --to-pprof wrote an empty profile.
TEST(FlamegraphCli, AllZeroCountsAreRefusedAlikeBySvgAndPprof) {
    std::string dir = work_dir("zero");
    write(dir + "/zero.folded", "a;b 0\na;c 0\n");
    for (std::vector<std::string> output :
         {std::vector<std::string>{"-o", dir + "/z.svg"}, {"--to-pprof", dir + "/z.pb.gz"}}) {
        std::vector<std::string> argv = {bin("bpfscope"), "flamegraph"};
        argv.insert(argv.end(), output.begin(), output.end());
        argv.push_back(dir + "/zero.folded");
        auto result = run_process(argv);
        EXPECT_NE(result.exit_code, 0) << output[0];
        EXPECT_NE(result.err.find("all counts are zero (2 stacks)"), std::string::npos)
            << result.err;
        EXPECT_FALSE(fs::exists(output[1]));
    }
}

TEST(FlamegraphCli, DiffColoursBySelfDeltaLikeFlamegraphPlOrByInclusiveDelta) {
    std::string dir = work_dir("diff-self");
    write(dir + "/before.folded", "app;caller 10\napp;caller;callee 10\n");
    write(dir + "/after.folded", "app;caller 10\napp;caller;callee 30\n");
    auto render = [&](const std::vector<std::string>& extra) {
        std::vector<std::string> argv = {bin("bpfscope"), "flamegraph", "--diff", "-o",
                                         dir + "/d.svg"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        argv.push_back(dir + "/before.folded");
        argv.push_back(dir + "/after.folded");
        auto result = run_process(argv);
        EXPECT_EQ(result.exit_code, 0) << result.err;
        return read(dir + "/d.svg");
    };
    std::string self = render({});
    EXPECT_EQ(fill_of(self, "callee"), "rgb(255,0,0)");
    EXPECT_EQ(fill_of(self, "caller"), "rgb(255,255,255)");  // its own time did not change
    std::string inclusive = render({"--inclusive-delta"});
    EXPECT_EQ(fill_of(inclusive, "callee"), "rgb(255,0,0)");
    EXPECT_EQ(fill_of(inclusive, "caller"), "rgb(255,0,0)");
}

TEST(FlamegraphCli, DiffOfTwoFilesColoursGrowthRedAndShrinkBlue) {
    std::string dir = work_dir("diff");
    write(dir + "/before.folded", "app;grow 10\napp;shrink 40\napp;same 20\n");
    write(dir + "/after.folded", "app;grow 40\napp;shrink 10\napp;same 20\n");
    auto result = run_process({bin("bpfscope"), "flamegraph", "--diff", "-o", dir + "/diff.svg",
                               dir + "/before.folded", dir + "/after.folded"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    std::string svg = read(dir + "/diff.svg");
    EXPECT_EQ(fill_of(svg, "grow"), "rgb(255,0,0)");
    EXPECT_EQ(fill_of(svg, "shrink"), "rgb(0,0,255)");
    EXPECT_EQ(fill_of(svg, "same"), "rgb(255,255,255)");
    EXPECT_NE(svg.find("grow (40 samples, 57.14%; +42.86%)"), std::string::npos);

    // The same as a two-column file (difffolded.pl's output), negated.
    write(dir + "/two.folded", "app;grow 10 40\napp;shrink 40 10\napp;same 20 20\n");
    result = run_process(
        {bin("bpfscope"), "flamegraph", "--negate", "-o", dir + "/neg.svg", dir + "/two.folded"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    svg = read(dir + "/neg.svg");
    EXPECT_EQ(fill_of(svg, "grow"), "rgb(0,0,255)");
    EXPECT_EQ(fill_of(svg, "shrink"), "rgb(255,0,0)");

    // --normalize: twice the samples, same shape -> no change anywhere.
    write(dir + "/double.folded", "app;grow 20\napp;shrink 80\napp;same 40\n");
    result = run_process({bin("bpfscope"), "flamegraph", "--diff", "--normalize", "-o",
                          dir + "/norm.svg", dir + "/before.folded", dir + "/double.folded"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    svg = read(dir + "/norm.svg");
    EXPECT_EQ(fill_of(svg, "grow"), "rgb(255,255,255)");
    EXPECT_EQ(fill_of(svg, "app"), "rgb(255,255,255)");

    result = run_process({bin("bpfscope"), "flamegraph", "--diff", dir + "/before.folded"});
    EXPECT_NE(result.exit_code, 0);
    EXPECT_NE(result.err.find("--diff needs exactly two files"), std::string::npos);
}

TEST(FlamegraphCli, FlamegraphPlOptionsChangeTheOutput) {
    std::string dir = work_dir("options");
    write(dir + "/in.folded", "app;main;work 90\napp;main;tiny 1\napp;idle 9\n");
    auto render = [&](const std::vector<std::string>& extra) { return render_svg(dir, extra); };
    std::string plain = render({});
    EXPECT_NE(plain.find(">Flame Graph</text>"), std::string::npos);
    EXPECT_NE(plain.find("width=\"1200\""), std::string::npos);

    std::string custom =
        render({"--title", "My Title", "--subtitle", "sub", "--width", "800", "--height", "20",
                "--countname", "us", "--nametype", "Fn:", "--colors", "io", "--hash"});
    EXPECT_NE(custom.find(">My Title</text>"), std::string::npos);
    EXPECT_NE(custom.find("id=\"subtitle\""), std::string::npos);
    EXPECT_NE(custom.find("width=\"800\""), std::string::npos);
    EXPECT_NE(custom.find("height=\"19.0\""), std::string::npos);  // frame height - 1 gap
    EXPECT_NE(custom.find("work (90 us, 90.00%)"), std::string::npos);
    EXPECT_NE(custom.find("\"nameType\":\"Fn:\""), std::string::npos);

    // --minwidth 2%: "tiny" (1%) is not drawn.
    EXPECT_NE(plain.find("<title>tiny ("), std::string::npos);
    EXPECT_EQ(render({"--minwidth", "2%"}).find("<title>tiny ("), std::string::npos);

    // --inverted: the root is at the top.
    std::string icicle = render({"--inverted"});
    EXPECT_NE(icicle.find(">Icicle Graph</text>"), std::string::npos);
    // y of the frame whose tooltip starts with `name (`.
    auto y_of = [](const std::string& svg, const std::string& name) {
        std::regex pattern("<title>" + name +
                           R"re( \([^<]*</title><rect x="[^"]*" y="([0-9.]+)")re");
        std::smatch match;
        return std::regex_search(svg, match, pattern) ? std::stod(match[1]) : -1.0;
    };
    ASSERT_GT(y_of(plain, "all"), 0);
    ASSERT_GT(y_of(icicle, "all"), 0);
    EXPECT_GT(y_of(plain, "all"), y_of(icicle, "all"));

    // --reverse: "work" (a leaf) becomes a child of the root.
    std::string reversed = render({"--reverse", "--minwidth", "0"});
    ASSERT_GT(y_of(reversed, "work"), 0);
    EXPECT_EQ(y_of(reversed, "work"), y_of(plain, "app"));  // depth 1 in both

    EXPECT_NE(render({"--flamechart"}).find(">Flame Chart</text>"), std::string::npos);

    for (const char* palette : {"hot", "mem", "io", "wakeup", "java", "js", "red", "green", "blue",
                                "aqua", "yellow", "purple", "orange"}) {
        auto result = run_process({bin("bpfscope"), "flamegraph", "--colors", palette, "-o",
                                   dir + "/p.svg", dir + "/in.folded"});
        EXPECT_EQ(result.exit_code, 0) << palette << ": " << result.err;
    }
    auto bad = run_process({bin("bpfscope"), "flamegraph", "--colors", "plaid", "-o",
                            dir + "/p.svg", dir + "/in.folded"});
    EXPECT_NE(bad.exit_code, 0);
    EXPECT_NE(bad.err.find("unknown colour palette 'plaid'"), std::string::npos) << bad.err;
}

TEST(FlamegraphCli, FontSizeFontTypeAndMinWidthInPixels) {
    std::string dir = work_dir("fonts");
    // 1180 px are drawable in a 1200 px image (10 px padding each side), so with
    // a total of 1180 one sample is one pixel wide: "tiny" is 1 px.
    write(dir + "/in.folded", "app;big 1179\napp;tiny 1\n");
    auto render = [&](std::vector<std::string> extra) {
        extra.insert(extra.begin(), {"--width", "1200"});
        return render_svg(dir, extra);
    };
    std::string plain = render({});
    EXPECT_NE(plain.find("font-size: 12px"), std::string::npos);
    std::string styled = render({"--fontsize", "20", "--fonttype", "DejaVu Sans Mono"});
    EXPECT_NE(styled.find("font-family: DejaVu Sans Mono; font-size: 20px;"), std::string::npos)
        << styled.substr(0, 3000);
    EXPECT_NE(styled.find("\"fontSize\":20"), std::string::npos);  // the script's label fitting
    EXPECT_EQ(styled.find("font-size: 12px"), std::string::npos);

    // --minwidth in px (no % sign): 1.5 px drops the 1 px frame, 0.5 px keeps it.
    EXPECT_EQ(render({"--minwidth", "1.5"}).find("<title>tiny ("), std::string::npos);
    EXPECT_NE(render({"--minwidth", "0.5"}).find("<title>tiny ("), std::string::npos);
    // In % the same numbers mean 17.7 px and 5.9 px: both drop it.
    EXPECT_EQ(render({"--minwidth", "0.5%"}).find("<title>tiny ("), std::string::npos);
}

namespace {

// A channel's range [low, high] as flamegraph.pl computes it: low + int(span * v), v in [0, 1].
struct ChannelRange {
    int low, high;
};
struct PaletteRange {
    ChannelRange r, g, b;
};

// flamegraph.pl's color(): each channel is base + int(span * v), v in [0, 1],
// so its range is [base, base + span]; "wakeup" falls through to "aqua".
PaletteRange flamegraph_pl(const std::string& palette) {
    static const std::map<std::string, PaletteRange> ranges = {
        {"hot", {{205, 255}, {0, 230}, {0, 55}}},         // r 205+50v3, g 230v1, b 55v2
        {"mem", {{0, 0}, {190, 240}, {0, 210}}},          // r 0, g 190+50v2, b 210v1
        {"io", {{80, 140}, {80, 140}, {190, 245}}},       // r=g 80+60v1, b 190+55v2
        {"red", {{200, 255}, {50, 130}, {50, 130}}},      // r 200+55v1, g=b 50+80v1
        {"green", {{50, 110}, {200, 255}, {50, 110}}},    // g 200+55v1, r=b 50+60v1
        {"blue", {{80, 140}, {80, 140}, {205, 255}}},     // b 205+50v1, r=g 80+60v1
        {"yellow", {{175, 230}, {175, 230}, {50, 70}}},   // r=g 175+55v1, b 50+20v1
        {"purple", {{190, 255}, {80, 140}, {190, 255}}},  // r=b 190+65v1, g 80+60v1
        {"aqua", {{50, 110}, {165, 220}, {165, 220}}},    // r 50+60v1, g=b 165+55v1
        {"wakeup", {{50, 110}, {165, 220}, {165, 220}}},
        {"orange", {{190, 255}, {90, 155}, {0, 0}}},  // r 190+65v1, g 90+65v1, b 0
    };
    return ranges.at(palette);
}

// Where bpfscope's palette box is wider than flamegraph.pl's line on one
// channel (known deviations, see the report of issue 18): the channel's
// range as bpfscope draws it. Every other channel must match flamegraph.pl.
std::optional<ChannelRange> known_deviation(const std::string& palette, char channel) {
    static const std::map<std::string, ChannelRange> deviations = {
        {"mem/r", {0, 60}},     {"mem/g", {180, 240}},    {"io/b", {190, 250}},
        {"blue/b", {200, 255}}, {"yellow/b", {50, 110}},  {"aqua/g", {165, 225}},
        {"aqua/b", {165, 225}}, {"wakeup/g", {165, 225}}, {"wakeup/b", {165, 225}},
        {"orange/b", {0, 55}}};
    auto it = deviations.find(palette + "/" + channel);
    if (it == deviations.end())
        return std::nullopt;
    return it->second;
}

// "" when `rgb` lies in `family`'s ranges, else which channel is outside.
std::string outside_palette(const std::string& family, const std::array<int, 3>& rgb) {
    PaletteRange expected = flamegraph_pl(family);
    const ChannelRange ranges[] = {expected.r, expected.g, expected.b};
    for (int c = 0; c < 3; c++) {
        ChannelRange range = known_deviation(family, "rgb"[c]).value_or(ranges[c]);
        if (rgb[c] < range.low || rgb[c] > range.high)
            return std::string("channel ") + "rgb"[c] + " = " + std::to_string(rgb[c]) +
                   ", expected [" + std::to_string(range.low) + ", " + std::to_string(range.high) +
                   "]";
    }
    return "";
}

// name -> fill of every frame in an SVG.
std::map<std::string, std::array<int, 3>> fills(const std::string& svg) {
    std::map<std::string, std::array<int, 3>> out;
    static const std::regex frame(
        R"re(<title>([^<]*) \([^<]*</title><rect [^>]*fill="rgb\(([0-9]+),([0-9]+),([0-9]+)\)")re");
    for (std::sregex_iterator it(svg.begin(), svg.end(), frame), end; it != end; ++it)
        out[(*it)[1]] = {std::stoi((*it)[2]), std::stoi((*it)[3]), std::stoi((*it)[4])};
    return out;
}

}  // namespace

TEST(FlamegraphCli, EachPaletteColoursFramesInFlamegraphPlRanges) {
    std::string dir = work_dir("palettes");
    std::string input;
    for (int i = 0; i < 40; i++) input += "app;f" + std::to_string(i) + " 10\n";
    write(dir + "/in.folded", input);
    for (const char* palette : {"hot", "mem", "io", "wakeup", "red", "green", "blue", "aqua",
                                "yellow", "purple", "orange"}) {
        SCOPED_TRACE(palette);
        auto result = run_process({bin("bpfscope"), "flamegraph", "--colors", palette, "--hash",
                                   "-o", dir + "/p.svg", dir + "/in.folded"});
        ASSERT_EQ(result.exit_code, 0) << result.err;
        auto colours = fills(read(dir + "/p.svg"));
        int outside = 0;
        std::string first_outside;
        for (int i = 0; i < 40; i++) {
            std::string name = "f" + std::to_string(i);
            ASSERT_TRUE(colours.count(name)) << name;
            std::string problem = outside_palette(palette, colours[name]);
            if (!problem.empty() && outside++ == 0)
                first_outside = name + ": " + problem;
        }
        EXPECT_EQ(outside, 0) << "e.g. " << first_outside;
    }

    // java and js pick a palette per frame from its name, as flamegraph.pl does.
    write(dir + "/mixed.folded",
          "app;main;org/example/Foo.bar 1\napp;main;std::vector::push 1\n"
          "app;main;do_syscall_64_[k] 1\napp;main;helper_[i] 1\napp;main;/srv/app.js 1\n");
    struct Expect {
        const char* palette;
        const char* name;
        const char* family;
    };
    for (const Expect& e :
         {Expect{"java", "org/example/Foo.bar", "green"},
          Expect{"java", "std::vector::push", "yellow"},
          Expect{"java", "do_syscall_64_[k]", "orange"}, Expect{"java", "helper_[i]", "aqua"},
          Expect{"java", "main", "red"}, Expect{"js", "/srv/app.js", "green"},
          Expect{"js", "std::vector::push", "yellow"}, Expect{"js", "main", "red"}}) {
        SCOPED_TRACE(std::string(e.palette) + " " + e.name);
        auto result = run_process({bin("bpfscope"), "flamegraph", "--colors", e.palette, "-o",
                                   dir + "/m.svg", dir + "/mixed.folded"});
        ASSERT_EQ(result.exit_code, 0) << result.err;
        auto colours = fills(read(dir + "/m.svg"));
        // Titles drop the annotation (as flamegraph.pl's); the colour still follows it.
        std::string title(bpfscope::report::strip_frame_annotation(e.name));
        ASSERT_TRUE(colours.count(title));
        EXPECT_EQ(outside_palette(e.family, colours[title]), "");
    }
}
