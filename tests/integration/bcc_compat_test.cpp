// The libbpf-tools drop-in mode (bpfscope run as runqlat, offcputime, profile,
// funclatency through build/bin symlinks) against Debian's libbpf-tools 0.26
// binaries: every option their --help lists is accepted, and both tools,
// attached to the same gated workload, print text that one parser
// (support/bcc_text_parser.h) reads, with the same numbers within tolerance.
// libbpf-tools prints no readiness line (and its stdout is a pipe here, so
// its banner stays buffered): a reference tool is ready once its BPF links
// show up in /proc/PID/fdinfo.
#include <dirent.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "stack_workload.h"
#include "support/bcc_text_parser.h"
#include "support/preconditions.h"

using namespace std::chrono_literals;
using bpfscope::test::BackgroundProcess;
using bpfscope::test::BackgroundWorkload;
using bpfscope::test::BccText;
using bpfscope::test::bin;
using bpfscope::test::parse_bcc_folded;
using bpfscope::test::parse_bcc_text;
using bpfscope::test::ProcessResult;
using bpfscope::test::run_process;

namespace {

// BPF links a process holds (bpf_link fdinfo has a "link_type:" line).
int bpf_links_of(pid_t pid) {
    int links = 0;
    std::string dir = "/proc/" + std::to_string(pid) + "/fdinfo";
    DIR* d = opendir(dir.c_str());
    if (!d)
        return -1;
    while (dirent* entry = readdir(d)) {
        std::ifstream info(dir + "/" + entry->d_name);
        std::string line;
        while (std::getline(info, line))
            if (line.rfind("link_type:", 0) == 0)
                links++;
    }
    closedir(d);
    return links;
}

// Polls until `pid` holds `links` BPF links (or it exits, or 60 s pass).
bool wait_for_links(pid_t pid, int links) {
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
        int held = bpf_links_of(pid);
        if (held < 0)
            return false;
        if (held >= links)
            return true;
        std::this_thread::sleep_for(20ms);
    }
    return false;
}

// The options a libbpf-tools --help lists: "-x" and "--long" names.
std::set<std::string> listed_options(const std::string& help) {
    // "  -p, --pid=PID", "  -?, --help", "      --pidnss".
    static const std::regex line(R"(^  (?:(-\S)(?:, |\s)|    )(--[A-Za-z][\w-]*)?)");
    std::set<std::string> names;
    std::istringstream in(help);
    std::string text;
    while (std::getline(in, text)) {
        std::smatch m;
        if (!std::regex_search(text, m, line))
            continue;
        if (m[1].matched && m[1] != "-?")
            names.insert(m[1]);
        if (m[2].matched && m[2] != "--help" && m[2] != "--usage" && m[2] != "--version")
            names.insert(m[2]);
    }
    return names;
}

// A drop-in tool and its reference, started side by side on one workload.
struct SideBySide {
    std::vector<std::unique_ptr<BackgroundProcess>> ours, theirs;
    std::vector<ProcessResult> our_results, their_results;

    // `reference_pid_filter` false: the reference runs without "-p {pid}" and
    // the test picks the workload out of its output.
    bool start(const std::string& tool, int links,
               const std::vector<std::vector<std::string>>& runs, pid_t pid,
               bool reference_pid_filter = true) {
        for (const auto& args : runs) {
            std::vector<std::string> mine{bin(tool)}, reference{"/usr/sbin/" + tool};
            for (size_t i = 0; i < args.size(); ++i) {
                std::string value = args[i] == "{pid}" ? std::to_string(pid) : args[i];
                mine.push_back(value);
                bool pid_filter =
                    (args[i] == "-p" && i + 1 < args.size() && args[i + 1] == "{pid}") ||
                    (args[i] == "{pid}" && i > 0 && args[i - 1] == "-p");
                if (reference_pid_filter || !pid_filter)
                    reference.push_back(value);
            }
            ours.push_back(std::make_unique<BackgroundProcess>(mine));
            theirs.push_back(std::make_unique<BackgroundProcess>(reference));
        }
        for (size_t i = 0; i < runs.size(); ++i) {
            if (!ours[i]->wait_until_ready()) {
                ADD_FAILURE() << "ours not ready: " << ours[i]->output_so_far();
                return false;
            }
            if (!wait_for_links(theirs[i]->pid(), links)) {
                ADD_FAILURE() << "libbpf-tools not attached: " << theirs[i]->output_so_far();
                return false;
            }
        }
        return true;
    }
    void stop() {
        for (auto& process : ours) our_results.push_back(process->stop());
        for (auto& process : theirs) their_results.push_back(process->stop());
    }
};

void expect_clean(const BccText& text, const std::string& what) {
    EXPECT_TRUE(text.bad_lines.empty())
        << what << ": unparsed line '" << text.bad_lines.front() << "'";
}

bool near(double ours, double theirs, double relative, double absolute) {
    return std::abs(ours - theirs) <= relative * std::max(ours, theirs) + absolute;
}

}  // namespace

TEST(BccCompat, EveryLibbpfToolsOptionIsListedByOurHelp) {
    for (const char* tool : {"runqlat", "offcputime", "funclatency"}) {
        BPFSCOPE_REQUIRE_PROGRAM(std::string("/usr/sbin/") + tool);
        auto theirs = run_process({std::string("/usr/sbin/") + tool, "--help"});
        auto ours = run_process({bin(tool), "--help"});
        ASSERT_EQ(ours.exit_code, 0) << ours.err;
        auto their_options = listed_options(theirs.out);
        auto our_options = listed_options(ours.out);
        ASSERT_GE(their_options.size(), 6u) << theirs.out;
        for (const auto& option : their_options)
            EXPECT_TRUE(our_options.count(option)) << tool << " " << option << "\n" << ours.out;
        // Their built-ins: -?, --usage, -V.
        for (const char* builtin : {"-?", "--usage", "-V"})
            EXPECT_EQ(run_process({bin(tool), builtin}).exit_code, 0) << tool << " " << builtin;
    }
    // profile is not in Debian's 0.26: its options as upstream libbpf-tools/profile.c lists them.
    auto ours = listed_options(run_process({bin("profile"), "--help"}).out);
    for (const char* option : {"-p",
                               "--pid",
                               "-L",
                               "--tid",
                               "-U",
                               "--user-stacks-only",
                               "-K",
                               "--kernel-stacks-only",
                               "-F",
                               "--frequency",
                               "-d",
                               "--delimited",
                               "-I",
                               "--include-idle",
                               "-f",
                               "--folded",
                               "--stack-storage-size",
                               "-C",
                               "--cpu",
                               "--perf-max-stack-depth",
                               "-v",
                               "--verbose"})
        EXPECT_TRUE(ours.count(option)) << "profile " << option;
}

// Each runqlat option their --help lists, on ours, in one short run each
// (interval 0.3 s, once): accepted, and the text parses.
TEST(BccCompat, RunqlatAcceptsEveryOptionAndPrintsItsFormat) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    std::string cgroup = bpfscope::test::cgroup2_mount();
    BPFSCOPE_REQUIRE(!cgroup.empty(), "needs a cgroup2 mount for -c");
    std::string self = std::to_string(getpid());
    std::vector<std::vector<std::string>> runs = {
        {"-c", cgroup}, {"-L"}, {"-m"}, {"--pidnss"}, {"-p", self + "," + self},
        {"-P"},         {"-T"}, {"-v"}, {"-mT"}};
    for (auto args : runs) {
        std::vector<std::string> argv{bin("runqlat")};
        argv.insert(argv.end(), args.begin(), args.end());
        argv.insert(argv.end(), {"0.3", "1"});
        auto result = run_process(argv, 60s);
        ASSERT_EQ(result.exit_code, 0) << args[0] << ": " << result.err;
        auto text = parse_bcc_text(result.out);
        expect_clean(text, args[0]);
        ASSERT_EQ(text.banners.size(), 1u) << result.out;
        EXPECT_EQ(text.banners[0], "Tracing run queue latency... Hit Ctrl-C to end.");
        bool timestamps = args[0] == "-T" || args[0] == "-mT";
        EXPECT_EQ(text.timestamps.size(), timestamps ? 1u : 0u) << args[0] << "\n" << result.out;
        for (const auto& h : text.histograms) {
            EXPECT_EQ(h.unit, args[0] == "-m" || args[0] == "-mT" ? "msecs" : "usecs");
            std::string owner = args[0] == "-L"         ? "tid = "
                                : args[0] == "-P"       ? "pid = "
                                : args[0] == "--pidnss" ? "pidns = "
                                                        : "";
            EXPECT_EQ(h.owner.substr(0, owner.size()), owner) << args[0];
            EXPECT_EQ(h.lows.front(), 0u);  // tables start at slot 0
        }
        if (args[0] != "-p") {  // this test process may not be woken in 0.3 s
            EXPECT_FALSE(text.histograms.empty()) << args[0] << "\n" << result.out;
        }
    }
    auto bad = run_process({bin("runqlat"), "-x"});
    EXPECT_EQ(bad.exit_code, 64);
    EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
}

// Ours and Debian's runqlat on one pipe ping-pong (-p its parent): the
// same tables, owners and units, and totals within 10%.
TEST(BccCompat, RunqlatMatchesLibbpfToolsOnOneWorkload) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    BPFSCOPE_REQUIRE_PROGRAM("/usr/sbin/runqlat");
    BackgroundWorkload workload({bin("pipewait"), "20000", "0"});
    ASSERT_GT(workload.pid(), 0);
    std::vector<std::vector<std::string>> runs = {
        {"-p", "{pid}"}, {"-p", "{pid}", "-m"}, {"-p", "{pid}", "-P"}, {"-T", "-L", "-p", "{pid}"}};
    SideBySide tools;
    ASSERT_TRUE(tools.start("runqlat", 3, runs, workload.pid()));
    std::string out = workload.finish();
    tools.stop();
    for (size_t i = 0; i < runs.size(); ++i) {
        auto ours = parse_bcc_text(tools.our_results[i].out);
        auto theirs = parse_bcc_text(tools.their_results[i].out);
        expect_clean(ours, "ours");
        expect_clean(theirs, "theirs");
        ASSERT_EQ(ours.histograms.size(), theirs.histograms.size())
            << tools.our_results[i].out << "\n---\n"
            << tools.their_results[i].out;
        ASSERT_FALSE(ours.histograms.empty());
        EXPECT_EQ(ours.banners, theirs.banners);
        EXPECT_EQ(ours.timestamps.size(), theirs.timestamps.size());
        for (size_t h = 0; h < ours.histograms.size(); ++h) {
            const auto& a = ours.histograms[h];
            const auto& b = theirs.histograms[h];
            EXPECT_EQ(a.unit, b.unit);
            EXPECT_EQ(a.owner, b.owner);
            // Nearly every round trip wakes the parent; one whose reply is already in
            // the pipe when it reads does not sleep (seen: 19997 of 20000, in both tools).
            EXPECT_GE(a.total(), 19000u) << "the parent's wakeups are missing";
            EXPECT_TRUE(near(double(a.total()), double(b.total()), 0.10, 50))
                << runs[i].back() << ": ours " << a.total() << " theirs " << b.total();
        }
    }
}

// offcputime side by side on a sleeper (40 sleeps of 2 ms, -m 1000): the same
// stack layout, and the sleeper's off-CPU total within 15% of each other (and at
// least the time it asked to sleep). Debian's 0.26 offcputime records nothing
// with -p or -t on this kernel, so it runs unfiltered and the sleeper's
// stacks are picked out of its output by comm and thread id.
TEST(BccCompat, OffcputimeMatchesLibbpfToolsOnOneWorkload) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    BPFSCOPE_REQUIRE_PROGRAM("/usr/sbin/offcputime");
    BackgroundWorkload workload({bin("sleeper"), "40", "2000"});
    ASSERT_GT(workload.pid(), 0);
    SideBySide tools;
    const pid_t sleeper = workload.pid();
    // Room for every stack of the whole system in theirs (unfiltered, see above).
    ASSERT_TRUE(tools.start("offcputime", 1,
                            {{"-p", "{pid}", "-m", "1000", "--stack-storage-size", "16384"}},
                            sleeper, false));
    workload.finish();
    tools.stop();
    for (size_t i = 0; i < tools.ours.size(); ++i) {
        auto ours = parse_bcc_text(tools.our_results[i].out);
        auto theirs = parse_bcc_text(tools.their_results[i].out);
        expect_clean(ours, "ours");
        expect_clean(theirs, "theirs");
        auto sleeper_total = [&](const BccText& text) {
            uint64_t total = 0;
            for (const auto& stack : text.stacks)
                if (stack.comm == "sleeper" && stack.id == uint32_t(sleeper))
                    total += stack.value;
            return total;
        };
        uint64_t a = sleeper_total(ours), b = sleeper_total(theirs);
        EXPECT_TRUE(near(double(a), double(b), 0.15, 2000))
            << "ours " << a << " us, theirs " << b << " us\n"
            << tools.our_results[i].out.substr(0, 3000);
        EXPECT_GE(a, 40u * 2000u * 95 / 100) << tools.our_results[i].out.substr(0, 3000);
        ASSERT_FALSE(ours.stacks.empty());
        // The sleep's kernel path (theirs may show "[Missed Kernel Stack]" instead:
        // its stack map is shared by the whole system).
        bool nanosleep = false;
        for (const auto& stack : ours.stacks)
            for (const auto& frame : stack.frames)
                nanosleep |= stack.comm == "sleeper" && frame == "hrtimer_nanosleep";
        EXPECT_TRUE(nanosleep);
    }
}

// offcputime's options, each on ours once (0.3 s): accepted and parsed.
TEST(BccCompat, OffcputimeAcceptsEveryOptionAndFoldedOutput) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    std::string self = std::to_string(getpid());
    std::vector<std::vector<std::string>> runs = {
        {"-k"},           {"-m", "1000"},
        {"-M", "100000"}, {"--perf-max-stack-depth", "20"},
        {"-p", self},     {"--stack-storage-size", "2048"},
        {"--state", "1"}, {"-t", self},
        {"-u"},           {"-v"}};
    for (auto args : runs) {
        std::vector<std::string> argv{bin("offcputime")};
        argv.insert(argv.end(), args.begin(), args.end());
        if (args[0] != "-p" && args[0] != "-t")  // only this process: less to symbolize
            argv.insert(argv.end(), {"-p", self});
        argv.push_back("0.3");
        auto result = run_process(argv, 60s);
        ASSERT_EQ(result.exit_code, 0) << args[0] << ": " << result.err;
        auto text = parse_bcc_text(result.out);
        expect_clean(text, args[0]);
        EXPECT_TRUE(text.histograms.empty());
    }
    BackgroundWorkload workload({bin("sleeper"), "20", "2000"});
    BackgroundProcess folded({bin("offcputime"), "-f", "-p", std::to_string(workload.pid())});
    ASSERT_TRUE(folded.wait_until_ready()) << folded.output_so_far();
    workload.finish();
    auto result = folded.stop();
    std::vector<std::string> bad;
    auto lines = parse_bcc_folded(result.out, &bad);
    EXPECT_TRUE(bad.empty()) << bad.front();
    uint64_t total = 0;
    for (const auto& line : lines)
        if (line.frames.front() == "sleeper")
            total += line.count;
    EXPECT_GE(total, 20u * 2000u * 95 / 100) << result.out;  // at least the time it slept
}

// profile (no Debian binary): on cpuburn (75% of its work in burn_heavy) the
// multi-line and folded outputs parse, and the shares match the workload.
TEST(BccCompat, ProfileSharesFollowTheWorkload) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    BackgroundWorkload workload({bin("cpuburn"), "2", "75"});
    std::string pid = std::to_string(workload.pid());
    BackgroundProcess stacks({bin("profile"), "-F", "199", "-d", "-p", pid});
    BackgroundProcess folded({bin("profile"), "-F", "199", "-f", "-p", pid + "," + pid});
    ASSERT_TRUE(stacks.wait_until_ready()) << stacks.output_so_far();
    ASSERT_TRUE(folded.wait_until_ready()) << folded.output_so_far();
    std::string workload_out = workload.finish();
    auto text_result = stacks.stop();
    auto folded_result = folded.stop();

    auto text = parse_bcc_text(text_result.out);
    expect_clean(text, "profile");
    ASSERT_EQ(text.banners.size(), 1u);
    EXPECT_EQ(text.banners[0],
              "Sampling at 199 Hertz of PID [" + pid + "] by user + kernel... Hit Ctrl-C to end.");
    ASSERT_FALSE(text.stacks.empty());
    for (size_t i = 1; i < text.stacks.size(); ++i)
        EXPECT_GE(text.stacks[i - 1].value, text.stacks[i].value) << "largest first";
    std::vector<std::string> bad;
    auto lines = parse_bcc_folded(folded_result.out, &bad);
    EXPECT_TRUE(bad.empty()) << bad.front();
    auto share = [](auto count_heavy, auto count_all) {
        return count_all ? double(count_heavy) / double(count_all) : 0.0;
    };
    uint64_t heavy = 0, light = 0, samples = 0;
    for (const auto& line : lines) {
        bool h =
            std::find(line.frames.begin(), line.frames.end(), "burn_heavy") != line.frames.end();
        bool l =
            std::find(line.frames.begin(), line.frames.end(), "burn_light") != line.frames.end();
        heavy += h ? line.count : 0;
        light += l ? line.count : 0;
        samples += line.count;
    }
    uint64_t text_heavy = 0, text_light = 0, text_samples = 0;
    for (const auto& stack : text.stacks) {
        auto has = [&](const char* name) {
            return std::find(stack.frames.begin(), stack.frames.end(), name) != stack.frames.end();
        };
        text_heavy += has("burn_heavy") ? stack.value : 0;
        text_light += has("burn_light") ? stack.value : 0;
        text_samples += stack.value;
    }
    // One sample per 1/199 s of the CPU time cpuburn reports for itself.
    double cpu_s = double(bpfscope::test::workload_figure(workload_out, "cpu_us")) / 1e6;
    ASSERT_GT(cpu_s, 0) << workload_out;
    EXPECT_TRUE(near(double(samples), cpu_s * 199, 0.20, 10))
        << samples << " samples for " << cpu_s << " s of CPU\n"
        << folded_result.out;
    EXPECT_TRUE(near(double(text_samples), double(samples), 0.10, 10));
    EXPECT_NEAR(share(heavy, heavy + light), 0.75, 0.08) << folded_result.out;
    EXPECT_NEAR(share(text_heavy, text_heavy + text_light), 0.75, 0.08);
}

// funclatency (Debian's needs kprobes, absent here): on a user function with
// a known latency, ours prints their frame and exactly the calls made.
TEST(BccCompat, FunclatencyCountsEveryCallInTheirFormat) {
    BPFSCOPE_REQUIRE_ROOT("attaches uprobes");
    std::string target = bin("sleeper") + ":sleep_known_time";
    BackgroundWorkload workload({bin("sleeper"), "30", "3000"});
    BackgroundProcess tool({bin("funclatency"), "-u", "-T", target});
    ASSERT_TRUE(tool.wait_until_ready()) << tool.output_so_far();
    workload.finish();
    auto result = tool.stop();
    ASSERT_EQ(result.exit_code, 0) << result.err;
    auto text = parse_bcc_text(result.out);
    expect_clean(text, "funclatency");
    ASSERT_EQ(text.banners.size(), 2u) << result.out;
    EXPECT_EQ(text.banners[0], "Tracing " + target + ".  Hit Ctrl-C to exit");
    EXPECT_EQ(text.banners[1], "Exiting trace of " + target);
    EXPECT_EQ(text.timestamps.size(), 1u);
    ASSERT_EQ(text.histograms.size(), 1u) << result.out;
    const auto& h = text.histograms[0];
    EXPECT_EQ(h.unit, "usec");
    EXPECT_EQ(h.total(), 30u) << result.out;
    // 3000 us sleeps: no call below the 2048 -> 4095 slot (a loaded machine may add to them).
    uint64_t below = 0;
    for (size_t slot = 0; slot < 11 && slot < h.counts.size(); ++slot) below += h.counts[slot];
    EXPECT_EQ(below, 0u) << result.out;

    // Each option their --help lists, once, on an idle target (no calls: no table).
    std::string cgroup = bpfscope::test::cgroup2_mount();
    for (std::vector<std::string> args : {std::vector<std::string>{"-m"},
                                          {"-u"},
                                          {"-p", std::to_string(getpid())},
                                          {"-T"},
                                          {"-v"},
                                          {"-i", "1"},
                                          {"-c", cgroup}}) {
        std::vector<std::string> argv{bin("funclatency")};
        argv.insert(argv.end(), args.begin(), args.end());
        argv.insert(argv.end(), {"-d", "1", target});
        auto run = run_process(argv, 60s);
        EXPECT_EQ(run.exit_code, 0) << args[0] << ": " << run.err;
        auto parsed = parse_bcc_text(run.out);
        expect_clean(parsed, args[0]);
        EXPECT_EQ(parsed.banners.size(), 2u) << args[0] << "\n" << run.out;
    }
}
