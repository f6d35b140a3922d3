// The shared option helper (base/options.h): durations, intervals, pid lists,
// output files, -v/-q, and one readable line for every bad value.
#include "base/options.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/error.h"

namespace {

using bpfscope::RunOptions;
using bpfscope::ToolOptions;
using bpfscope::UserError;

// Parses a command line (argv[0] is the tool) and returns parse()'s result.
std::optional<int> parse(ToolOptions& cli, std::vector<std::string> args) {
    args.insert(args.begin(), "tool");
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    return cli.parse(int(argv.size()), argv.data());
}

// The UserError a bad command line throws: its message and exit code.
std::pair<std::string, int> parse_error(std::vector<std::string> args,
                                        void (*setup)(ToolOptions&, RunOptions&) = nullptr) {
    ToolOptions cli("tool", "test tool");
    RunOptions run;
    std::vector<uint32_t> pids;
    cli.run_options(run).id_list("-p,--pid", pids, "pids");
    if (setup)
        setup(cli, run);
    try {
        parse(cli, args);
    } catch (const UserError& error) {
        return {error.what(), error.exit_code()};
    }
    return {"", 0};
}

TEST(Options, DurationsIntervalsAndFlags) {
    ToolOptions cli("tool", "test tool");
    RunOptions run;
    cli.run_options(run);
    EXPECT_EQ(parse(cli, {"-d", "2.5", "-i", "0.5", "--count", "3", "-T", "-j", "-v"}),
              std::nullopt);
    EXPECT_DOUBLE_EQ(run.duration_s, 2.5);
    EXPECT_DOUBLE_EQ(run.interval_s, 0.5);
    EXPECT_EQ(run.interval_count, 3);
    EXPECT_TRUE(run.timestamps);
    EXPECT_TRUE(run.json);
    EXPECT_TRUE(run.verbose);
    EXPECT_FALSE(run.quiet);
    EXPECT_EQ(cli.verbosity(), bpfscope::Verbosity::kVerbose);
    bpfscope::setup_logging({}, bpfscope::Verbosity::kNormal);
}

TEST(Options, QuietAndDefaults) {
    ToolOptions cli("tool", "test tool");
    RunOptions run;
    cli.run_options(run);
    EXPECT_EQ(parse(cli, {"--quiet"}), std::nullopt);
    EXPECT_TRUE(run.quiet);
    EXPECT_EQ(run.duration_s, 0);
    EXPECT_EQ(run.interval_s, 0);
    EXPECT_EQ(cli.verbosity(), bpfscope::Verbosity::kQuiet);
    bpfscope::setup_logging({}, bpfscope::Verbosity::kNormal);
}

TEST(Options, PositionalIntervalAndCount) {
    ToolOptions cli("tool", "test tool");
    RunOptions run;
    cli.run_options(run).interval_positionals(run);
    EXPECT_EQ(parse(cli, {"1.5", "4"}), std::nullopt);
    EXPECT_DOUBLE_EQ(run.interval_s, 1.5);
    EXPECT_EQ(run.interval_count, 4);
}

TEST(Options, PositionalDuration) {
    ToolOptions cli("tool", "test tool");
    RunOptions run;
    cli.run_options(run).duration_positional(run);
    EXPECT_EQ(parse(cli, {"7"}), std::nullopt);
    EXPECT_DOUBLE_EQ(run.duration_s, 7);
}

TEST(Options, PidListsCommaSeparatedAndRepeated) {
    ToolOptions cli("tool", "test tool");
    RunOptions run;
    std::vector<uint32_t> pids;
    cli.run_options(run).interval_positionals(run).id_list("-p,--pid", pids, "pids");
    // A repeated -p takes one list each: "5" stays the positional interval.
    EXPECT_EQ(parse(cli, {"-p", "1,2,3", "-p", "42", "--pid=7", "5"}), std::nullopt);
    EXPECT_EQ(pids, (std::vector<uint32_t>{1, 2, 3, 42, 7}));
    EXPECT_DOUBLE_EQ(run.interval_s, 5);
}

TEST(Options, HelpEndsTheRunWithZero) {
    ToolOptions cli("tool", "test tool");
    RunOptions run;
    cli.run_options(run);
    testing::internal::CaptureStdout();
    EXPECT_EQ(parse(cli, {"--help"}), 0);
    std::string help = testing::internal::GetCapturedStdout();
    EXPECT_NE(help.find("--duration"), std::string::npos) << help;
    EXPECT_NE(help.find("--quiet"), std::string::npos) << help;
}

TEST(Options, BadValuesAreOneLineNamingTheOption) {
    struct Case {
        std::vector<std::string> args;
        std::string expected;  // part of the message
    };
    const std::vector<Case> cases = {
        {{"-d", "-5"}, "-d '-5': expected a number of seconds greater than 0"},
        {{"-d", "0"}, "-d '0': expected a number of seconds greater than 0"},
        {{"-d", "abc"}, "-d 'abc': expected a number of seconds"},
        {{"-d", "1e400"}, "-d '1e400': expected a number of seconds"},
        {{"-d", "99999999999"}, "-d '99999999999': at most a year"},
        {{"-i", "-1"}, "-i '-1': expected a number of seconds"},
        {{"--count", "0"}, "--count '0': expected a whole number from 1 to"},
        {{"--count", "2.5"}, "--count '2.5': expected a whole number"},
        {{"-p", "12,x"}, "-p '12,x': expected process ids"},
        {{"-p", "0"}, "-p '0': expected process ids"},
        {{"-p", "1,,2"}, "-p '1,,2': expected process ids"},
        {{"-v", "-q"}, "--quiet"},
        {{"--no-such-option"}, "--no-such-option"},
    };
    for (const auto& c : cases) {
        auto [message, code] = parse_error(c.args);
        EXPECT_NE(message.find(c.expected), std::string::npos)
            << "args " << c.args[0] << ": got '" << message << "'";
        EXPECT_EQ(message.find('\n'), std::string::npos) << message;
        EXPECT_LT(message.size(), 200u) << message;  // no 300-digit range bounds
        EXPECT_EQ(code, bpfscope::kUsageExitCode) << message;
    }
}

TEST(Options, BadPositionalsNameThemselves) {
    auto setup = [](ToolOptions& cli, RunOptions& run) { cli.interval_positionals(run); };
    auto [interval, code] = parse_error({"-1"}, setup);
    EXPECT_NE(interval.find("interval '-1'"), std::string::npos) << interval;
    EXPECT_EQ(code, bpfscope::kUsageExitCode);
    auto [count, count_code] = parse_error({"1", "x"}, setup);
    EXPECT_NE(count.find("count 'x'"), std::string::npos) << count;
}

TEST(Options, OutputFilesMustBeWritablePlaces) {
    std::string path;
    ToolOptions ok("tool", "test tool");
    ok.output_file("--svg", path, "svg");
    EXPECT_EQ(parse(ok, {"--svg", "/tmp/flame.svg"}), std::nullopt);
    EXPECT_EQ(path, "/tmp/flame.svg");
    for (const auto& [value, expected] : std::vector<std::pair<std::string, std::string>>{
             {"/nonexistent-dir/x.svg",
              "cannot write there: directory /nonexistent-dir does not exist"},
             {"/tmp", "cannot write a directory"},
             {"", "expected a file name"}}) {
        ToolOptions cli("tool", "test tool");
        std::string out;
        cli.output_file("--svg", out, "svg");
        try {
            parse(cli, {"--svg", value});
            ADD_FAILURE() << "accepted --svg '" << value << "'";
        } catch (const UserError& error) {
            EXPECT_NE(std::string(error.what()).find("--svg '" + value + "': " + expected),
                      std::string::npos)
                << error.what();
        }
    }
}

TEST(Options, ParsersDirectly) {
    EXPECT_DOUBLE_EQ(bpfscope::parse_seconds("-d", "0.25"), 0.25);
    EXPECT_EQ(bpfscope::parse_positive_count("--count", "12"), 12u);
    EXPECT_EQ(bpfscope::parse_id_list("-p", "9"), (std::vector<uint32_t>{9}));
    EXPECT_THROW(bpfscope::parse_seconds("-d", "inf"), UserError);
    EXPECT_THROW(bpfscope::parse_seconds("-d", "nan"), UserError);
    EXPECT_THROW(bpfscope::parse_seconds("-d", ""), UserError);
    EXPECT_THROW(bpfscope::parse_id_list("-p", "4294967296"), UserError);
}

}  // namespace

// Before: tool-specific numbers went through CLI11 as unsigned: "-m -5" was
// accepted as a huge number and "-F abc" said "not in range".
TEST(Options, WholeNumberOptionsRefuseNegativesAndTextInOneLine) {
    struct Case {
        std::vector<std::string> args;
        std::string expected;
    };
    const std::vector<Case> cases = {
        {{"-m", "-5"}, "-m '-5': expected a whole number from 0 to 1000"},
        {{"-m", "abc"}, "-m 'abc': expected a whole number from 0 to 1000"},
        {{"-m", "1001"}, "-m '1001': expected a whole number from 0 to 1000"},
        {{"-m", "2.5"}, "-m '2.5': expected a whole number"},
        {{"-F", "0"}, "-F '0': expected a whole number from 1 to 99"},
        {{"-F", "99999999999999999999999"}, "-F '99999999999999999999999': expected"},
    };
    for (const auto& c : cases) {
        auto [message, code] = parse_error(c.args, [](ToolOptions& cli, RunOptions&) {
            static uint64_t min_us = 0;
            static uint32_t frequency = 0;
            cli.number("-m,--min", min_us, 0, 1000, "min").number("-F", frequency, 1, 99, "freq");
        });
        EXPECT_NE(message.find(c.expected), std::string::npos)
            << c.args[0] << " " << c.args[1] << ": got '" << message << "'";
        EXPECT_EQ(message.find('\n'), std::string::npos) << message;
        EXPECT_EQ(code, bpfscope::kUsageExitCode) << message;
    }
    ToolOptions cli("tool", "test tool");
    uint64_t min_us = 7;
    int cpu = -1;
    cli.number("-m", min_us, 0, 1000, "min").number("-C", cpu, 0, 8191, "cpu");
    EXPECT_EQ(parse(cli, {"-m", "0", "-C", "3"}), std::nullopt);
    EXPECT_EQ(min_us, 0u);
    EXPECT_EQ(cpu, 3);
}
