// Real consumers of what bpfscope flamegraph and the stack outputs write:
// `go tool pprof` (Debian's golang-go) reads our pprof, xmllint and Python's
// XML parser read our SVG. Needs no root (label unit); a missing reader skips
// the test (fails it under BPFSCOPE_FORBID_SKIPS).
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "report/stack_outputs.h"
#include "support/preconditions.h"
#include "support/process.h"

namespace {

namespace fs = std::filesystem;
using bpfscope::test::bin;
using bpfscope::test::run_process;

std::string artifact_dir() {
    std::string dir = std::string(BPFSCOPE_BUILD_DIR) + "/test-artifacts/flamegraph";
    fs::create_directories(dir);
    return dir;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Sum of the last column of folded text.
double folded_total(const std::string& text) {
    double total = 0;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        size_t space = line.rfind(' ');
        if (space != std::string::npos)
            total += std::stod(line.substr(space + 1));
    }
    return total;
}

// `go tool pprof ARGS...` offline, with its caches in a private directory.
bpfscope::test::ProcessResult go_pprof(std::vector<std::string> args) {
    std::string home = artifact_dir() + "/go-home";
    fs::create_directories(home);
    std::vector<std::string> argv = {"env",
                                     "HOME=" + home,
                                     "GOCACHE=" + home + "/cache",
                                     "GOPATH=" + home + "/path",
                                     "GOFLAGS=-mod=mod",
                                     "GOPROXY=off",
                                     "GOTOOLCHAIN=local",
                                     "PPROF_TMPDIR=" + home,
                                     "go",
                                     "tool",
                                     "pprof"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, std::chrono::seconds(120));
}

// "Showing nodes accounting for X, Y% of TOTAL total" -> TOTAL as text.
std::string pprof_total(const std::string& top_output) {
    std::smatch match;
    static const std::regex total(R"(of (\S+) total)");
    if (!std::regex_search(top_output, match, total))
        return "";
    return match[1];
}

}  // namespace

TEST(FlamegraphConsumers, GoToolPprofTopTotalEqualsFoldedTotal) {
    BPFSCOPE_REQUIRE_PROGRAM("go");
    std::string dir = artifact_dir();
    std::string folded = dir + "/pprof_input.folded";
    std::string pprof = dir + "/pprof_input.pb.gz";
    auto generated = run_process({"sh", "-c", bin("folded_gen") + " 3000 500 11 > " + folded});
    ASSERT_EQ(generated.exit_code, 0) << generated.err;
    double expected = folded_total(read_file(folded));
    ASSERT_GT(expected, 3000);

    auto converted = run_process({bin("bpfscope"), "flamegraph", "--to-pprof", pprof, folded});
    ASSERT_EQ(converted.exit_code, 0) << converted.err;
    EXPECT_FALSE(fs::exists(dir + "/-"));

    auto top = go_pprof({"-top", pprof});
    ASSERT_EQ(top.exit_code, 0) << top.err << top.out;
    EXPECT_NE(top.out.find("Type: samples"), std::string::npos) << top.out;
    EXPECT_EQ(pprof_total(top.out), std::to_string(static_cast<long long>(expected))) << top.out;
}

TEST(FlamegraphConsumers, GoToolPprofReadsStackToolOutputWithCpuTime) {
    BPFSCOPE_REQUIRE_PROGRAM("go");
    using namespace bpfscope::report;
    // A profile as the profile tool builds it: 99 Hz samples, user and kernel frames.
    StackProfile profile;
    profile.sample_type = "samples";
    profile.unit = "count";
    profile.period = 10'000'000;  // 10 ms per sample
    profile.period_unit = "nanoseconds";
    profile.duration_ns = 3'000'000'000;
    double samples = 0;
    for (int i = 0; i < 40; i++) {
        StackSample sample;
        sample.comm = "worker";
        sample.pid = 42;
        sample.tid = 42 + i % 2;
        StackFrame frame;
        frame.module = "/usr/bin/worker";
        for (const char* name : {"main", "run", i % 2 ? "compress" : "hash"}) {
            frame.name = name;
            frame.address += 0x10;
            sample.frames.push_back(frame);
        }
        if (i % 2 == 0) {
            // crc_update() inlined into hash(): same address, one pprof location.
            StackFrame inlined = sample.frames.back();
            inlined.name = "crc_update";
            inlined.inlined = true;
            sample.frames.push_back(inlined);
        }
        if (i % 4 == 0) {
            StackFrame separator;
            separator.name = "-";
            separator.kind = StackFrame::Kind::kSeparator;
            sample.frames.push_back(separator);
            StackFrame kernel;
            kernel.name = "asm_sysvec_apic_timer_interrupt";
            kernel.module = "[kernel]";
            kernel.kind = StackFrame::Kind::kKernel;
            sample.frames.push_back(kernel);
        }
        sample.value = 1 + i % 7;
        samples += sample.value;
        profile.samples.push_back(sample);
    }
    std::string dir = artifact_dir();
    StackOutputOptions options;
    options.pprof_path = dir + "/stack_tool.pb.gz";
    options.folded_path = dir + "/stack_tool.folded";
    options.svg_path = dir + "/stack_tool.svg";
    write_stack_outputs(profile, options);
    EXPECT_DOUBLE_EQ(folded_total(read_file(options.folded_path)), samples);
    EXPECT_NE(read_file(options.folded_path).find("worker;main;run;hash;crc_update;-;asm_sysvec"),
              std::string::npos);

    auto by_samples = go_pprof({"-top", "-sample_index=samples", options.pprof_path});
    ASSERT_EQ(by_samples.exit_code, 0) << by_samples.err;
    EXPECT_EQ(pprof_total(by_samples.out), std::to_string(static_cast<long long>(samples)))
        << by_samples.out;
    // Default sample type is cpu: samples x 10 ms, printed in seconds.
    auto by_cpu = go_pprof({"-top", options.pprof_path});
    ASSERT_EQ(by_cpu.exit_code, 0) << by_cpu.err;
    EXPECT_NE(by_cpu.out.find("Type: cpu"), std::string::npos) << by_cpu.out;
    std::string cpu_total = pprof_total(by_cpu.out);
    ASSERT_FALSE(cpu_total.empty()) << by_cpu.out;
    // pprof picks the unit: "1.55s", "1550ms", ...
    std::smatch parts;
    ASSERT_TRUE(std::regex_match(cpu_total, parts, std::regex(R"(([0-9.]+)(s|ms|us|ns))")))
        << by_cpu.out;
    double scale = parts[2] == "s" ? 1 : parts[2] == "ms" ? 1e-3 : parts[2] == "us" ? 1e-6 : 1e-9;
    EXPECT_NEAR(std::stod(parts[1]) * scale, samples * 0.01, 0.005) << by_cpu.out;
    EXPECT_NE(by_cpu.out.find("Duration: 3s"), std::string::npos) << by_cpu.out;
    // Leaf first: the kernel interrupt frame is a leaf (flat > 0).
    auto traces = go_pprof({"-traces", "-sample_index=samples", options.pprof_path});
    ASSERT_EQ(traces.exit_code, 0) << traces.err;
    std::regex leaf_then_root(
        R"(asm_sysvec_apic_timer_interrupt\s+crc_update \(inline\)\s+hash\s+run\s+main)");
    EXPECT_TRUE(std::regex_search(traces.out, leaf_then_root)) << traces.out;
}

TEST(FlamegraphConsumers, SvgIsWellFormedXmlWithEscapedNames) {
    std::string dir = artifact_dir();
    std::string folded = dir + "/xml_input.folded";
    std::string svg = dir + "/xml_output.svg";
    {
        std::ofstream out(folded);
        out << "app;main;std::map<int, std::string>::find 7\n"
               "app;main;a&b \"quoted\" 'single' 3\n"
               "app;main;]]> cdata </text> 2\n"
               "app;main;bad\x01"
               "ctrl\xff"
               "byte 1\n";
    }
    auto rendered = run_process({bin("bpfscope"), "flamegraph", "--title", "<T&'\">", "--subtitle",
                                 "sub & title", "--countname", "ms & <x>", "-o", svg, folded});
    ASSERT_EQ(rendered.exit_code, 0) << rendered.err;

    BPFSCOPE_REQUIRE_PROGRAM("xmllint");
    auto lint = run_process({"xmllint", "--noout", svg});
    EXPECT_EQ(lint.exit_code, 0) << lint.err;

    // A second, independent parser reads the names back, unescaped.
    std::string script =
        "import sys, xml.etree.ElementTree as ET\n"
        "ns = '{http://www.w3.org/2000/svg}'\n"
        "root = ET.parse(sys.argv[1]).getroot()\n"
        "print(root.find(ns + 'text').text)\n"
        "for t in root.iter(ns + 'title'): print(t.text)\n";
    auto parsed = run_process({"python3", "-c", script, svg});
    ASSERT_EQ(parsed.exit_code, 0) << parsed.err;
    EXPECT_NE(parsed.out.find("<T&'\">\n"), std::string::npos) << parsed.out;
    EXPECT_NE(parsed.out.find("std::map<int, std::string>::find (7 ms & <x>, 53.85%)"),
              std::string::npos)
        << parsed.out;
    EXPECT_NE(parsed.out.find("a&b \"quoted\" 'single' (3 ms & <x>"), std::string::npos)
        << parsed.out;
    EXPECT_NE(parsed.out.find("]]> cdata </text> (2 ms & <x>"), std::string::npos) << parsed.out;
    // A control character becomes '?', an invalid byte U+FFFD (as in pprof and JSON).
    EXPECT_NE(parsed.out.find("bad?ctrl\xEF\xBF\xBD" "byte (1 ms & <x>"), std::string::npos)
        << parsed.out;
}
