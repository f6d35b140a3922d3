// Diagnostics as users see them, on real tools and the real kernel: -q leaves
// stderr empty on success and only the one error line on failure; the default
// shows the readiness line but no libbpf output; -v adds libbpf's debug lines.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "support/background_process.h"
#include "support/preconditions.h"
#include "support/process.h"

using bpfscope::test::BackgroundProcess;
using bpfscope::test::bin;
using bpfscope::test::kReadyLine;
using bpfscope::test::run_process;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos)
            end = text.size();
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

size_t count_of(const std::string& text, const std::string& part) {
    size_t count = 0;
    for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1))
        count++;
    return count;
}

}  // namespace

TEST(Logging, QuietSuccessPrintsNothingOnStderr) {
    BPFSCOPE_REQUIRE_ROOT("runqlat loads BPF programs");
    auto result =
        run_process({bin("bpfscope"), "runqlat", "-q", "-d", "0.5"}, std::chrono::seconds(60));
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.err, "");
    // The report still goes to stdout.
    EXPECT_NE(result.out.find("run queue latency"), std::string::npos) << result.out;
}

TEST(Logging, QuietFailureIsTheOneErrorLine) {
    BPFSCOPE_REQUIRE_ROOT("runqlat loads BPF programs");
    // A bad option value: one line naming the option, usage exit code.
    auto bad_value = run_process({bin("bpfscope"), "runqlat", "-q", "-d", "-5"});
    EXPECT_EQ(bad_value.exit_code, 2) << bad_value.err;
    EXPECT_EQ(lines_of(bad_value.err),
              (std::vector<std::string>{"bpfscope runqlat: -d '-5': expected a number of "
                                        "seconds greater than 0 (e.g. 5 or 0.5)"}))
        << bad_value.err;
    // A failure at run time (after logging is set up): still exactly one line.
    auto missing =
        run_process({bin("bpfscope"), "runqlat", "-q", "-c", "/nonexistent-cgroup", "-d", "1"});
    EXPECT_EQ(missing.exit_code, 1) << missing.err;
    auto missing_lines = lines_of(missing.err);
    ASSERT_EQ(missing_lines.size(), 1u) << missing.err;
    EXPECT_EQ(missing_lines[0].rfind("bpfscope runqlat: -c /nonexistent-cgroup: ", 0), 0u)
        << missing.err;
    EXPECT_EQ(missing.out, "");
    // The same through funclatency's planner: an unknown kernel function.
    auto unknown =
        run_process({bin("bpfscope"), "funclatency", "-q", "no_such_function_xyz", "-d", "1"});
    EXPECT_NE(unknown.exit_code, 0);
    auto unknown_lines = lines_of(unknown.err);
    ASSERT_EQ(unknown_lines.size(), 1u) << unknown.err;
    EXPECT_NE(unknown_lines[0].find("no_such_function_xyz"), std::string::npos);
}

TEST(Logging, DefaultShowsReadinessOnceAndNoLibbpfNoise) {
    BPFSCOPE_REQUIRE_ROOT("runqlat loads BPF programs");
    BackgroundProcess tool({bin("bpfscope"), "runqlat", "-d", "30"});
    ASSERT_TRUE(tool.wait_until_ready()) << tool.output_so_far();
    auto result = tool.stop(SIGINT);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(count_of(result.err, std::string("bpfscope runqlat: ") + kReadyLine + "\n"), 1u)
        << result.err;
    // What it traces, once, without a second "Hit Ctrl-C".
    EXPECT_EQ(count_of(result.err, "bpfscope runqlat: tracing run queue latency"), 1u)
        << result.err;
    EXPECT_EQ(count_of(result.err, "Hit Ctrl-C"), 1u) << result.err;
    EXPECT_EQ(result.err.find("libbpf"), std::string::npos) << result.err;
    EXPECT_EQ(result.err.find("debug:"), std::string::npos) << result.err;
    for (const auto& line : lines_of(result.err))
        EXPECT_EQ(line.rfind("bpfscope runqlat: ", 0), 0u) << line;
}

TEST(Logging, VerboseShowsLibbpfDebugLines) {
    BPFSCOPE_REQUIRE_ROOT("runqlat loads BPF programs");
    auto result =
        run_process({bin("bpfscope"), "runqlat", "-v", "-d", "0.5"}, std::chrono::seconds(60));
    ASSERT_EQ(result.exit_code, 0) << result.err;
    // libbpf says what it loads (e.g. "libbpf: loaded kernel BTF ..." or map/prog lines).
    EXPECT_GE(count_of(result.err, "bpfscope runqlat: debug: libbpf: "), 3u) << result.err;
    EXPECT_EQ(count_of(result.err, "libbpf: libbpf:"), 0u) << result.err;  // one prefix
    EXPECT_EQ(count_of(result.err, kReadyLine), 1u) << result.err;
    // Reports stay on stdout, diagnostics never go there.
    EXPECT_EQ(result.out.find("libbpf"), std::string::npos) << result.out;
}

TEST(Logging, QuietSilencesWarningsOfToolsWithoutBpf) {
    // flamegraph warns about malformed lines; -q keeps only errors.
    char path[] = "/tmp/bpfscope-logging-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    std::ofstream(path) << "main;work 5\nnot a folded line\n";
    std::string svg = std::string(path) + ".svg";
    auto normal = run_process({bin("flamegraph"), path, "-o", svg});
    EXPECT_EQ(normal.exit_code, 0) << normal.err;
    EXPECT_NE(normal.err.find("bpfscope flamegraph: warning: ignored 1 malformed line"),
              std::string::npos)
        << normal.err;
    auto quiet = run_process({bin("flamegraph"), "-q", path, "-o", svg});
    EXPECT_EQ(quiet.exit_code, 0) << quiet.err;
    EXPECT_EQ(quiet.err, "");
    std::remove(path);
    std::remove(svg.c_str());
}
