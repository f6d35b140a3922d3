// bpfscope flamegraph as users run it: stdin and files, malformed lines
// reported, empty input refused, failures leave no file behind, --diff and
// the two-column format, every flamegraph.pl-style option accepted. Needs no
// root (runs the real binary only).
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

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
    auto render = [&](std::vector<std::string> extra) {
        std::vector<std::string> argv = {bin("bpfscope"), "flamegraph", "-o", dir + "/o.svg"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        argv.push_back(dir + "/in.folded");
        auto result = run_process(argv);
        EXPECT_EQ(result.exit_code, 0) << result.err;
        return read(dir + "/o.svg");
    };
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
