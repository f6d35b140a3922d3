// The libbpf-tools text writer against output captured from Debian's
// libbpf-tools 0.26 binaries on this machine (tests/unit/golden/libbpf-tools/):
// every table and stack in those files is rebuilt from its numbers and must
// come out byte for byte.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "base/argp_options.h"
#include "base/error.h"
#include "report/bcc_text_writer.h"
#include "support/bcc_text_parser.h"

using namespace bpfscope;
using namespace bpfscope::report;

namespace {

std::string golden(const std::string& name) {
    std::ifstream in(std::string(BPFSCOPE_SOURCE_DIR) + "/tests/unit/golden/libbpf-tools/" + name);
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_FALSE(text.str().empty()) << name;
    return text.str();
}

// Our histogram holding what a libbpf-tools table shows: `count` values in each of its slots.
Log2Histogram histogram_of(const std::vector<uint64_t>& bcc_counts, const std::string& unit) {
    Log2Histogram h;
    h.unit = unit;
    for (size_t slot = 0; slot < bcc_counts.size(); ++slot)
        for (uint64_t n = 0; n < bcc_counts[slot]; ++n) h.record(slot == 0 ? n % 2 : 1ull << slot);
    return h;
}

// The text of each table in a libbpf-tools output: its header line to its last row.
std::vector<std::string> tables_in(const std::string& text) {
    std::vector<std::string> tables;
    std::istringstream in(text);
    std::string line;
    bool inside = false;
    while (std::getline(in, line)) {
        bool header = line.find(": count    distribution") != std::string::npos;
        bool row = line.find(" -> ") != std::string::npos;
        if (header) {
            tables.push_back(line + "\n");
            inside = true;
        } else if (inside && row) {
            tables.back() += line + "\n";
        } else {
            inside = false;
        }
    }
    return tables;
}

StackFrame frame(const std::string& name, StackFrame::Kind kind) {
    StackFrame f;
    f.name = name;
    f.kind = kind;
    return f;
}

}  // namespace

TEST(BccTextWriter, SlotsRegroupOursIntoLibbpfToolsLog2l) {
    Log2Histogram h;
    for (uint64_t v : {0, 1, 2, 3, 4, 7, 8, 1000}) h.record(v);
    auto slots = bcc_log2_slots(h);
    EXPECT_EQ(slots[0], 2u);  // 0 and 1
    EXPECT_EQ(slots[1], 2u);  // 2, 3
    EXPECT_EQ(slots[2], 2u);  // 4..7
    EXPECT_EQ(slots[3], 1u);  // 8..15
    EXPECT_EQ(slots[9], 1u);  // 512..1023
}

TEST(BccTextWriter, RunqlatTableIsByteIdenticalToLibbpfTools) {
    // runqlat -T 1 1 (libbpf-tools 0.26) on this machine.
    const std::string expected =
        "     usecs               : count    distribution\n"
        "         0 -> 1          : 2        |*                                       |\n"
        "         2 -> 3          : 16       |**********                              |\n"
        "         4 -> 7          : 28       |******************                      |\n"
        "         8 -> 15         : 59       |****************************************|\n"
        "        16 -> 31         : 46       |*******************************         |\n"
        "        32 -> 63         : 37       |*************************               |\n"
        "        64 -> 127        : 41       |***************************             |\n"
        "       128 -> 255        : 12       |********                                |\n"
        "       256 -> 511        : 5        |***                                     |\n"
        "       512 -> 1023       : 6        |****                                    |\n"
        "      1024 -> 2047       : 2        |*                                       |\n"
        "      2048 -> 4095       : 3        |**                                      |\n"
        "      4096 -> 8191       : 1        |                                        |\n"
        "      8192 -> 16383      : 1        |                                        |\n";
    auto h = histogram_of({2, 16, 28, 59, 46, 37, 41, 12, 5, 6, 2, 3, 1, 1}, "us");
    EXPECT_EQ(bcc_log2_histogram(bcc_log2_slots(h), bcc_plural_unit(h.unit)), expected);
    EXPECT_EQ(golden("runqlat_T.txt").find(expected) != std::string::npos, true);
}

TEST(BccTextWriter, EveryCapturedRunqlatTableIsRebuiltExactly) {
    for (const char* file : {"runqlat_T.txt", "runqlat_Pm.txt"}) {
        std::string text = golden(file);
        auto parsed = test::parse_bcc_text(text);
        auto tables = tables_in(text);
        ASSERT_EQ(parsed.histograms.size(), tables.size()) << file;
        ASSERT_GE(tables.size(), 1u) << file;
        EXPECT_TRUE(parsed.bad_lines.empty()) << file << ": " << parsed.bad_lines.front();
        for (size_t i = 0; i < tables.size(); ++i) {
            const auto& table = parsed.histograms[i];
            std::string unit = table.unit == "msecs" ? "ms" : "us";
            EXPECT_EQ(bcc_plural_unit(unit), table.unit);
            auto h = histogram_of(table.counts, unit);
            EXPECT_EQ(bcc_log2_histogram(bcc_log2_slots(h), table.unit), tables[i])
                << file << " table " << i;
        }
    }
}

TEST(BccTextWriter, EmptyHistogramPrintsNothing) {
    Log2Histogram h;
    h.unit = "us";
    EXPECT_EQ(bcc_log2_histogram(bcc_log2_slots(h), "usecs"), "");
}

TEST(BccTextWriter, WideTablesPastSlot32HalveTheStars) {
    std::vector<uint64_t> slots(34, 0);
    slots[0] = 2;
    slots[33] = 1;
    std::string text = bcc_log2_histogram(slots, "nsec");
    std::istringstream in(text);
    std::string header, first;
    std::getline(in, header);
    std::getline(in, first);
    EXPECT_EQ(header,
              std::string(15, ' ') + "nsec" + std::string(25, ' ') + " : count    distribution");
    EXPECT_EQ(first, std::string(19, ' ') + "0 -> 1" + std::string(19, ' ') + " : 2        |" +
                         std::string(20, '*') + "|");
    EXPECT_NE(text.find("8589934592 -> 17179869183"), std::string::npos);
}

TEST(BccTextWriter, OffcputimeStacksAreByteIdenticalToLibbpfTools) {
    std::string text = golden("offcputime_head.txt");
    auto parsed = test::parse_bcc_text(text);
    ASSERT_EQ(parsed.stacks.size(), 3u);
    EXPECT_TRUE(parsed.bad_lines.empty());
    StackProfile profile;
    for (const auto& stack : parsed.stacks) {
        StackSample sample;
        sample.comm = stack.comm;
        sample.tid = stack.id;
        sample.pid = stack.id + 1000000;  // offcputime shows the thread id
        sample.value = double(stack.value);
        for (auto it = stack.frames.rbegin(); it != stack.frames.rend(); ++it)
            sample.frames.push_back(frame(*it, StackFrame::Kind::kKernel));
        profile.samples.push_back(sample);
    }
    std::reverse(profile.samples.begin(), profile.samples.end());  // order comes from values
    BccStackOptions style;
    style.show_tid = true;
    style.largest_first = false;
    EXPECT_EQ(bcc_stacks_text(profile, style), text);
}

TEST(BccTextWriter, StacksPutKernelFirstAndFoldedPutsUserFirst) {
    StackProfile profile;
    StackSample sample;
    sample.comm = "cpuburn";
    sample.pid = 42;
    sample.tid = 43;
    sample.value = 7;
    sample.frames = {frame("main", StackFrame::Kind::kUser), frame("spin", StackFrame::Kind::kUser),
                     frame("-", StackFrame::Kind::kSeparator),
                     frame("asm_sysvec_apic_timer_interrupt", StackFrame::Kind::kKernel),
                     frame("[missing kernel stack]", StackFrame::Kind::kKernel)};
    profile.samples.push_back(sample);
    StackSample small = sample;
    small.value = 1;
    small.frames.resize(2);
    profile.samples.push_back(small);
    BccStackOptions plain;
    EXPECT_EQ(bcc_stacks_text(profile, plain),
              "    [Missed Kernel Stack]\n"
              "    asm_sysvec_apic_timer_interrupt\n"
              "    spin\n"
              "    main\n"
              "    -                cpuburn (42)\n"
              "        7\n\n"
              "    spin\n"
              "    main\n"
              "    -                cpuburn (42)\n"
              "        1\n\n");
    BccStackOptions delimited;
    delimited.delimiter = true;
    EXPECT_NE(bcc_stacks_text(profile, delimited).find("interrupt\n    --\n    spin\n"),
              std::string::npos);
    EXPECT_EQ(bcc_folded_text(profile, plain),
              "cpuburn;main;spin;asm_sysvec_apic_timer_interrupt;[Missed Kernel Stack] 7\n"
              "cpuburn;main;spin 1\n");
    EXPECT_EQ(bcc_folded_text(profile, delimited),
              "cpuburn;main;spin;-;asm_sysvec_apic_timer_interrupt;[Missed Kernel Stack] 7\n"
              "cpuburn;main;spin 1\n");
}

TEST(ArgpStyleOptions, ReadsOptionsTheWayArgpDoes) {
    std::vector<std::string> seen;
    ArgpStyleOptions cli("tool", "doc\n");
    cli.flag('m', "milliseconds", "ms", [&] { seen.push_back("m"); })
        .flag('T', "timestamp", "ts", [&] { seen.push_back("T"); })
        .flag(0, "pidnss", "ns", [&] { seen.push_back("pidnss"); })
        .option('p', "pid", "PID", "pid", [&](const std::string& v) { seen.push_back("p=" + v); })
        .positionals([&](size_t i, const std::string& v) {
            seen.push_back("#" + std::to_string(i) + "=" + v);
        });
    EXPECT_FALSE(cli.parse({"-mT", "1", "-p185", "--pid=7", "--pid", "8", "--milli", "--pidn", "-p",
                            "-5", "--", "-x"}));
    EXPECT_EQ(seen, (std::vector<std::string>{"m", "T", "#0=1", "p=185", "p=7", "p=8", "m",
                                              "pidnss", "p=-5", "#1=-x"}));
}

TEST(ArgpStyleOptions, BadInputIsOneLineWithArgpsExitCode) {
    ArgpStyleOptions cli("tool", "");
    cli.flag('m', "milliseconds", "", [] {}).flag(0, "mine", "", [] {});
    cli.option('p', "pid", "PID", "", [](const std::string&) {});
    for (std::vector<std::string> args : {std::vector<std::string>{"-x"},
                                          {"--nope"},
                                          {"--mi"},
                                          {"-p"},
                                          {"--pid"},
                                          {"extra"},
                                          {"--milliseconds=3"}}) {
        try {
            cli.parse(args);
            ADD_FAILURE() << args[0] << " was accepted";
        } catch (const UserError& error) {
            EXPECT_EQ(error.exit_code(), kArgpUsageExitCode) << args[0];
            EXPECT_EQ(std::string(error.what()).find('\n'), std::string::npos);
            EXPECT_NE(std::string(error.what()).find("tool --help"), std::string::npos);
        }
    }
}

TEST(ArgpStyleOptions, HelpListsOptionsInArgpsLayout) {
    ArgpStyleOptions cli("runqlat", "Summarize.\n");
    cli.option('c', "cgroup", "/sys/fs/cgroup/unified", "Trace process in cgroup path",
               [](const std::string&) {})
        .flag('L', "tids", "Print a histogram per thread ID", [] {})
        .flag(0, "pidnss", "Print a histogram per PID namespace", [] {});
    std::string help = cli.help();
    // These lines are as Debian's runqlat --help prints them.
    EXPECT_NE(help.find("  -c, --cgroup=/sys/fs/cgroup/unified\n"
                        "                             Trace process in cgroup path\n"
                        "  -L, --tids                 Print a histogram per thread ID\n"
                        "      --pidnss               Print a histogram per PID namespace\n"),
              std::string::npos)
        << help;
    EXPECT_NE(help.find("  -?, --help                 Give this help list\n"), std::string::npos);
    EXPECT_NE(help.find("  -V, --version              Print program version\n"), std::string::npos);
}
