// funclatency against the real kernel: uprobes on a known sleeper, tracepoint
// brackets on the rstat lock checked against perf's own count, kernel functions
// measured (or refused) as the kernel's own facts say, and every documented
// option checked by a run whose numbers change when the option is ignored.
// Tracers are waited on with their readiness line, never with fixed sleeps.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <bit>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "kernel_facts.h"
#include "support/background_process.h"
#include "support/preconditions.h"
#include "support/process.h"

using bpfscope::test::BackgroundProcess;
using bpfscope::test::bin;
using bpfscope::test::orphaned_programs;
using bpfscope::test::probe_independently;
using bpfscope::test::ProbeKind;
using bpfscope::test::ProcessResult;
using bpfscope::test::run_process;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

json last_report(const std::string& out) {
    // JSON Lines: the final report is the last line.
    auto end = out.find_last_not_of('\n');
    auto start = out.rfind('\n', end);
    return json::parse(out.substr(start == std::string::npos ? 0 : start + 1));
}

const json& section(const json& report, const std::string& title) {
    for (const auto& s : report["sections"])
        if (s["title"] == title)
            return s;
    throw std::runtime_error("no section '" + title + "' in " + report.dump());
}

// funclatency's programs (bpf/funclatency.bpf.c) still loaded after the tool exited.
size_t our_programs_left() {
    return orphaned_programs({"fentry_start", "fexit_end", "kprobe_start", "kretprobe_end",
                              "uprobe_start", "uretprobe_end", "tracepoint_start", "tracepoint_end",
                              "perf_tracepoint_start", "perf_tracepoint_end"});
}

std::vector<std::string> funclatency(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), {bin("bpfscope"), "funclatency"});
    return arguments;
}

// A sleeper that waits for SIGUSR1 before its calls, so a tracer can be
// started for its pid (or cgroup) first and then see every call.
class WaitingSleeper {
  public:
    WaitingSleeper(int calls, int sleep_us)
        : process_({bin("sleeper"), std::to_string(calls), std::to_string(sleep_us), "-1"}) {
        EXPECT_TRUE(process_.wait_for_output("waiting for SIGUSR1", 30s))
            << process_.output_so_far();
    }
    pid_t pid() const { return process_.pid(); }
    ProcessResult run() {
        process_.signal(SIGUSR1);
        return process_.wait(60s);
    }

  private:
    BackgroundProcess process_;
};

std::string libc_mapped_by(pid_t pid);

// Lets B, then A make their calls; returns the libc A maps (read before it exits).
std::string run_both(WaitingSleeper& a, WaitingSleeper& b) {
    std::string libc_path = libc_mapped_by(a.pid());
    EXPECT_EQ(b.run().exit_code, 0);
    EXPECT_EQ(a.run().exit_code, 0);
    return libc_path;
}

std::string libc_mapped_by(pid_t pid) {
    std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
    for (std::string line; std::getline(maps, line);) {
        auto slash = line.find('/');
        if (slash != std::string::npos && line.find("/libc.so") != std::string::npos)
            return line.substr(slash);
    }
    return "";
}

}  // namespace

TEST(Funclatency, UprobeOnSleeperCountsEveryCallAndTimesIt) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    std::string target = bin("sleeper") + ":sleep_known_time";
    BackgroundProcess tracer(funclatency({"-j", "-m", target}));
    ASSERT_TRUE(tracer.wait_until_ready()) << tracer.output_so_far();
    // Real-time priority so the 3 ms sleeps wake on time even on a busy machine.
    auto workload = run_process({"chrt", "-f", "50", bin("sleeper"), "50", "3000"}, 30s);
    ASSERT_EQ(workload.exit_code, 0) << workload.err;
    auto result = tracer.stop();
    ASSERT_EQ(result.exit_code, 0) << result.err;
    std::smatch own;
    ASSERT_TRUE(std::regex_search(workload.out, own, std::regex(R"(avg_call_ns: (\d+))")))
        << workload.out;
    double workload_ms = std::stod(own[1]) / 1e6;
    json report = last_report(result.out);
    const json& s = section(report, target);
    EXPECT_EQ(s["kind"], "target");
    EXPECT_EQ(s["fields"]["backend"], "uprobe");
    EXPECT_EQ(s["fields"]["count"], 50);
    double average_ms = s["fields"]["avg"];
    // A 3 ms sleep never takes less than 3 ms; how much more depends on this
    // VM's timer wake-up latency. So our average must agree with what the
    // workload measured for itself, within 5%.
    EXPECT_GE(average_ms, 3.0 * 0.99);
    EXPECT_NEAR(average_ms, workload_ms, 0.05 * workload_ms)
        << "the workload itself measured " << workload_ms << " ms per call";
    // The workload's own per-call histogram (same log2 ms rule): ours must
    // match it bucket by bucket (a call a hair from a bucket edge may land on
    // the other side: user-space timing includes the uprobe traps).
    std::smatch slots_match;
    ASSERT_TRUE(
        std::regex_search(workload.out, slots_match, std::regex(R"(call_ms_log2_slots:([ \d]+))")));
    std::vector<uint64_t> own_slots;
    std::istringstream slot_stream(slots_match[1].str());
    for (uint64_t count; slot_stream >> count;) own_slots.push_back(count);
    ASSERT_EQ(own_slots.size(), 64u);
    uint64_t total = 0, in_2_to_4 = 0, mismatched = 0;
    std::vector<uint64_t> our_slots(64, 0);
    for (const auto& bucket : s["histogram"]["buckets"]) {
        uint64_t low = bucket["low"], count = bucket["count"];
        unsigned slot = low == 0 ? 0 : unsigned(std::bit_width(low));
        our_slots.at(slot) = count;
        total += count;
        if (low == 2 && bucket["high"] == 4)
            in_2_to_4 = count;
    }
    for (unsigned slot = 0; slot < 64; slot++)
        mismatched += our_slots[slot] > own_slots[slot] ? our_slots[slot] - own_slots[slot] : 0;
    EXPECT_EQ(total, 50u);
    EXPECT_LE(mismatched, 2u) << "our buckets must match the workload's own; it saw [2, 4) ms: "
                              << own_slots[2] << ", [4, 8) ms: " << own_slots[3];
    // 3 ms sits in the middle of [2 ms, 4 ms): only a wake-up more than 1 ms
    // late (at real-time priority) leaves it, so that bucket holds the bulk.
    EXPECT_GE(in_2_to_4, 45u) << "the [2 ms, 4 ms) bucket must hold the bulk; the workload saw "
                              << own_slots[2] << " there";
    EXPECT_EQ(s["fields"]["lost_starts"], 0);
    EXPECT_TRUE(report["timestamp"].is_null()) << "no -T, no -i: no timestamp";
    const json& overhead = section(report, "bpfscope overhead (BPF program run time)");
    EXPECT_EQ(overhead["fields"]["known"], true);
    EXPECT_EQ(overhead["fields"]["program_runs"], 100);
}

TEST(Funclatency, RstatLockBracketMatchesPerfCount) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    BPFSCOPE_REQUIRE_PROGRAM("perf");
    std::string bracket = "cgroup:cgroup_rstat_locked..cgroup:cgroup_rstat_unlock";
    // perf counts the start tracepoint over exactly the tracer's lifetime.
    // (perf needs tracefs for tracepoint events: bpfscope mounts it if needed,
    // but perf looks first, so mount it here as an admin would.)
    if (!std::filesystem::exists("/sys/kernel/tracing/events"))
        run_process({"mount", "-t", "tracefs", "nodev", "/sys/kernel/tracing"});
    BackgroundProcess traced({"perf", "stat", "-a", "-x", ",", "-e", "cgroup:cgroup_rstat_locked",
                              "--", bin("bpfscope"), "funclatency", "-j", bracket});
    ASSERT_TRUE(traced.wait_until_ready()) << traced.output_so_far();
    // A read flushes (and takes the rstat lock) only when enough memcg statistics
    // changed since the last flush: on a quiet machine nothing else changes them,
    // so each round first writes 8 MB of page cache (thousands of updates).
    std::string scratch = "/tmp/bpfscope-rstat-" + std::to_string(getpid());
    for (int round = 0; round < 5; ++round) {
        auto churn = run_process({"dd", "if=/dev/zero", "of=" + scratch, "bs=1M", "count=8"}, 30s);
        ASSERT_EQ(churn.exit_code, 0) << churn.err;
        auto workload = run_process({bin("readstats"), "--count", "600", "--quiet"}, 30s);
        ASSERT_EQ(workload.exit_code, 0) << workload.err;
    }
    std::filesystem::remove(scratch);
    // End bpfscope (perf's child); perf then prints its count and exits.
    auto children = bpfscope::test::child_pids(traced.pid());
    ASSERT_EQ(children.size(), 1u) << "perf runs bpfscope as its one child";
    kill(children[0], SIGINT);
    auto result = traced.wait(60s);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    std::smatch match;
    ASSERT_TRUE(
        std::regex_search(result.err, match, std::regex(R"((\d+),,cgroup:cgroup_rstat_locked)")))
        << result.err;
    double perf_count = std::stod(match[1]);
    json report = last_report(result.out);
    const json& s = section(report, bracket);
    EXPECT_EQ(s["fields"]["backend"], "tracepoint");
    double matched = s["fields"]["count"];
    EXPECT_GT(matched, 0) << "the readers' flushes take the rstat lock";
    // perf also counts while the tracer starts and stops; allow 5% or 3 events.
    EXPECT_LE(std::abs(matched - perf_count), std::max(3.0, 0.05 * perf_count))
        << "matched " << matched << " vs perf " << perf_count;
    // Unmatched starts/ends are reported (as numbers, even when zero).
    EXPECT_TRUE(s["fields"]["unmatched_exits"].is_number());
    EXPECT_TRUE(s["fields"]["open_calls"].is_number());
    EXPECT_FALSE(s["histogram"]["buckets"].empty());
}

// What the kernel allows decides the expectation: fentry where our own fentry
// program loads and attaches, else kprobe where ours does, else a one-line
// error naming why each was refused.
TEST(Funclatency, KernelFunctionUsesTheBackendTheKernelAllows) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    const auto& fentry = probe_independently(ProbeKind::kFentry);
    const auto& fexit = probe_independently(ProbeKind::kFexit);
    const auto& kprobe = probe_independently(ProbeKind::kKprobe);
    std::string function = "vfs_read";
    if ((fentry.works() && fexit.works()) || kprobe.works()) {
        BackgroundProcess tracer(funclatency({"-j", "-p", std::to_string(getpid()), function}));
        ASSERT_TRUE(tracer.wait_until_ready()) << tracer.output_so_far();
        for (int i = 0; i < 20; i++) {
            std::ifstream in("/proc/self/stat");
            std::string word;
            in >> word;
        }
        auto result = tracer.stop();
        ASSERT_EQ(result.exit_code, 0) << result.err;
        json report = last_report(result.out);
        const json& s = section(report, function);
        EXPECT_EQ(s["fields"]["backend"], fentry.works() && fexit.works() ? "fentry" : "kprobe");
        EXPECT_GE(s["fields"]["count"].get<uint64_t>(), 20u);
        return;
    }
    auto result = run_process(funclatency({"-d", "1", function}), 30s);
    EXPECT_EQ(result.signal, 0);
    EXPECT_GT(result.exit_code, 0);
    const char* code = strerrorname_np(fentry.works() ? fexit.error : fentry.error);
    EXPECT_NE(result.err.find(std::string("fentry: refused by kernel (") + code + ")"),
              std::string::npos)
        << result.err;
    if (!bpfscope::test::kprobe_pmu_present()) {
        EXPECT_NE(result.err.find("kprobe: not built into this kernel"), std::string::npos)
            << result.err;
    }
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1)
        << "one line: " << result.err;
    EXPECT_EQ(our_programs_left(), 0u);
}

TEST(Funclatency, ForcedBackendIsUsedOrAClearError) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    for (auto [name, kind] :
         {std::pair{"kprobe", ProbeKind::kKprobe}, std::pair{"fentry", ProbeKind::kFentry}}) {
        SCOPED_TRACE(name);
        if (probe_independently(kind).works()) {
            BackgroundProcess tracer(funclatency({"-j", "--backend", name, "vfs_read"}));
            ASSERT_TRUE(tracer.wait_until_ready()) << tracer.output_so_far();
            auto result = tracer.stop();
            ASSERT_EQ(result.exit_code, 0) << result.err;
            EXPECT_EQ(section(last_report(result.out), "vfs_read")["fields"]["backend"], name);
        } else {
            auto result = run_process(funclatency({"--backend", name, "-d", "1", "vfs_read"}), 30s);
            EXPECT_GT(result.exit_code, 0);
            EXPECT_NE(result.err.find(std::string(name) + " (forced with --backend)"),
                      std::string::npos)
                << result.err;
        }
    }
    auto wrong_kind = run_process(funclatency({"--backend", "uprobe", "-d", "1", "vfs_read"}), 30s);
    EXPECT_GT(wrong_kind.exit_code, 0);
    EXPECT_NE(wrong_kind.err.find("--backend uprobe cannot measure kernel function"),
              std::string::npos)
        << wrong_kind.err;
    auto tracepoint_on_function =
        run_process(funclatency({"--backend", "tracepoint", "-d", "1", "vfs_read"}), 30s);
    EXPECT_GT(tracepoint_on_function.exit_code, 0);
    EXPECT_NE(
        tracepoint_on_function.err.find("--backend tracepoint cannot measure kernel function"),
        std::string::npos)
        << tracepoint_on_function.err;
    auto fentry_on_bracket =
        run_process(funclatency({"--backend", "fentry", "-d", "1",
                                 "cgroup:cgroup_rstat_locked..cgroup:cgroup_rstat_unlock"}),
                    30s);
    EXPECT_GT(fentry_on_bracket.exit_code, 0);
    EXPECT_NE(fentry_on_bracket.err.find("--backend fentry cannot measure"), std::string::npos)
        << fentry_on_bracket.err;
    EXPECT_EQ(our_programs_left(), 0u);
}

TEST(Funclatency, UnknownFunctionGetsSuggestions) {
    BPFSCOPE_REQUIRE_ROOT("reads kallsyms addresses and loads BPF programs");
    auto result = run_process(funclatency({"-d", "1", "mem_cgroup_flush_statz"}), 30s);
    EXPECT_GT(result.exit_code, 0);
    EXPECT_NE(result.err.find("not found in kallsyms (inlined or renamed?)"), std::string::npos)
        << result.err;
    EXPECT_NE(result.err.find("similar names: mem_cgroup_flush_stats"), std::string::npos)
        << result.err;
}

TEST(Funclatency, UnknownUserTargetsAndTracepointsAreClearErrors) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    auto user = run_process(funclatency({"-d", "1", bin("sleeper") + ":no_such_function"}), 30s);
    EXPECT_GT(user.exit_code, 0);
    EXPECT_NE(user.err.find("no_such_function' not found in"), std::string::npos) << user.err;
    for (const char* text_file : {"/etc/hostname", "/etc/passwd"}) {
        auto not_elf = run_process(funclatency({"-d", "1", std::string(text_file) + ":main"}), 30s);
        EXPECT_GT(not_elf.exit_code, 0);
        EXPECT_NE(not_elf.err.find(std::string(text_file) + "' is not an ELF file"),
                  std::string::npos)
            << not_elf.err;
        EXPECT_EQ(std::count(not_elf.err.begin(), not_elf.err.end(), '\n'), 1) << not_elf.err;
    }
    auto no_library = run_process(funclatency({"-d", "1", "nosuchlibrary:malloc"}), 30s);
    EXPECT_GT(no_library.exit_code, 0);
    EXPECT_NE(no_library.err.find("library 'nosuchlibrary' not found"), std::string::npos)
        << no_library.err;
    auto tracepoint =
        run_process(funclatency({"-d", "1", "cgroup:nope..cgroup:cgroup_rstat_unlock"}), 30s);
    EXPECT_GT(tracepoint.exit_code, 0);
    EXPECT_NE(tracepoint.err.find("tracepoint cgroup:nope not found"), std::string::npos)
        << tracepoint.err;
    EXPECT_EQ(our_programs_left(), 0u);
}

TEST(Funclatency, SigintAndSigtermEndTheRunAndStillPrintTheReport) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    for (int signal_number : {SIGINT, SIGTERM}) {
        SCOPED_TRACE(strsignal(signal_number));
        BackgroundProcess tracer(funclatency({"-j", bin("sleeper") + ":sleep_known_time"}));
        ASSERT_TRUE(tracer.wait_until_ready()) << tracer.output_so_far();
        auto workload = run_process({bin("sleeper"), "7", "100"}, 30s);
        ASSERT_EQ(workload.exit_code, 0);
        auto result = tracer.stop(signal_number);
        EXPECT_EQ(result.signal, 0) << "died on the signal instead of ending the run";
        EXPECT_EQ(result.exit_code, 0) << result.err;
        json report = last_report(result.out);
        EXPECT_EQ(report["tool"], "funclatency");
        EXPECT_EQ(section(report, bin("sleeper") + ":sleep_known_time")["fields"]["count"], 7);
        EXPECT_EQ(result.err.find("debug:"), std::string::npos) << "no -v: " << result.err;
    }
}

TEST(Funclatency, IntervalOutputPrintsOneReportPerInterval) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    auto result =
        run_process(funclatency({"-j", "-i", "0.3", "--count", "3",
                                 "cgroup:cgroup_rstat_locked..cgroup:cgroup_rstat_unlock"}),
                    30s);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(std::count(result.out.begin(), result.out.end(), '\n'), 3);
    EXPECT_FALSE(last_report(result.out)["timestamp"].is_null());
}

// One traced workload for -p, -u, -T, library targets resolved in a process
// and perf tracepoints: two sleepers, A and B; the tracer filters on A's pid
// and must count A's calls exactly (B's calls add up if -p is ignored).
TEST(Funclatency, PidFilterUnitsTimestampsAndLibraryTargets) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    constexpr int kCallsA = 20, kCallsB = 30;
    WaitingSleeper a(kCallsA, 3000), b(kCallsB, 3000);
    std::string sleeper_target = bin("sleeper") + ":sleep_known_time";
    std::string syscall_bracket =
        "syscalls:sys_enter_clock_nanosleep..syscalls:sys_exit_clock_nanosleep";
    BackgroundProcess tracer(funclatency({"-j", "-u", "-T", "-p", std::to_string(a.pid()),
                                          sleeper_target, "c:nanosleep", syscall_bracket}));
    ASSERT_TRUE(tracer.wait_until_ready()) << tracer.output_so_far();
    std::string libc_path = run_both(a, b);
    auto result = tracer.stop();
    ASSERT_EQ(result.exit_code, 0) << result.err;
    json report = last_report(result.out);
    EXPECT_EQ(report["header"]["unit"], "us");
    EXPECT_TRUE(
        std::regex_match(report["timestamp"].get<std::string>(), std::regex(R"(\d\d:\d\d:\d\d)")))
        << report["timestamp"];
    for (const std::string& title : {sleeper_target, std::string("c:nanosleep"), syscall_bracket}) {
        const json& s = section(report, title);
        EXPECT_EQ(s["fields"]["count"], kCallsA) << title << ": " << s.dump();
        // 3 ms = 3000 us: the [2048, 4096) us bucket ([2M, 4M) if -u were ignored).
        ASSERT_FALSE(s["histogram"]["buckets"].empty()) << title;
        EXPECT_EQ(s["histogram"]["buckets"][0]["low"], 2048) << title << ": " << s["histogram"];
    }
    EXPECT_EQ(section(report, syscall_bracket)["fields"]["backend"], "tracepoint");
    // c: resolves to the libc process A maps (seen through its root).
    std::string pid_libc = section(report, "c:nanosleep")["fields"]["binary"];
    EXPECT_EQ(pid_libc, "/proc/" + std::to_string(a.pid()) + "/root" + libc_path)
        << "c: must resolve to the libc process " << a.pid() << " maps";
    EXPECT_EQ(section(report, "bpfscope overhead (BPF program run time)")["fields"]["known"], true);
}

TEST(Funclatency, CgroupFilterSystemLibcAndNoOverhead) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs and creates a cgroup");
    std::string cgroup2 = bpfscope::test::cgroup2_mount();
    BPFSCOPE_REQUIRE(!cgroup2.empty(), "needs a cgroup2 mount for -c");
    constexpr int kCallsA = 12, kCallsB = 9;
    WaitingSleeper a(kCallsA, 1000), b(kCallsB, 1000);
    std::string cgroup = cgroup2 + "/bpfscope-funclatency-test-" + std::to_string(getpid());
    ASSERT_EQ(mkdir(cgroup.c_str(), 0755), 0) << cgroup << ": " << strerror(errno);
    std::ofstream(cgroup + "/cgroup.procs") << a.pid() << std::endl;
    std::string sleeper_target = bin("sleeper") + ":sleep_known_time";
    BackgroundProcess tracer(
        funclatency({"-j", "--no-overhead", "-c", cgroup, sleeper_target, "libc:nanosleep"}));
    bool ready = tracer.wait_until_ready();
    std::string libc_path = run_both(a, b);
    auto result = tracer.stop();
    rmdir(cgroup.c_str());
    ASSERT_TRUE(ready) << result.err;
    ASSERT_EQ(result.exit_code, 0) << result.err;
    json report = last_report(result.out);
    EXPECT_EQ(section(report, sleeper_target)["fields"]["count"], kCallsA);
    const json& libc = section(report, "libc:nanosleep");
    EXPECT_EQ(libc["fields"]["count"], kCallsA) << libc;
    // Without -p a library resolves to the system's libc, the one processes map.
    EXPECT_EQ(std::filesystem::canonical(libc["fields"]["binary"].get<std::string>()),
              std::filesystem::canonical(libc_path));
    const json& overhead = section(report, "bpfscope overhead (BPF program run time)");
    EXPECT_EQ(overhead["fields"]["known"], false) << overhead;
}

// A start map of one entry: the first thread keeps it (entries stay for the
// thread), so every call of a second process loses its start and its end is
// unmatched. The text report must repeat the loss as a WARNING line.
TEST(Funclatency, TinyStartMapCountsLostStartsAndWarnsAndVerboseShowsLibbpf) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    std::string target = bin("sleeper") + ":sleep_known_time";
    BackgroundProcess tracer(funclatency({"-v", "--start-map-size", "1", target}));
    ASSERT_TRUE(tracer.wait_until_ready()) << tracer.output_so_far();
    ASSERT_EQ(run_process({bin("sleeper"), "10", "100"}, 30s).exit_code, 0);
    ASSERT_EQ(run_process({bin("sleeper"), "6", "100"}, 30s).exit_code, 0);
    auto result = tracer.stop(SIGTERM);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_TRUE(std::regex_search(result.out, std::regex(R"(\scount: 10\s)"))) << result.out;
    EXPECT_TRUE(std::regex_search(result.out, std::regex(R"(lost_starts: 6\s)"))) << result.out;
    EXPECT_TRUE(std::regex_search(result.out, std::regex(R"(unmatched_exits: 6\s)"))) << result.out;
    EXPECT_NE(result.out.find("WARNING: " + target +
                              ": 6 starts lost because the start map was full (raise "
                              "--start-map-size)"),
              std::string::npos)
        << result.out;
    // -v: libbpf's own messages, as debug lines.
    EXPECT_NE(result.err.find("bpfscope funclatency: debug: libbpf: "), std::string::npos)
        << result.err;
}

// tracefs is not mounted at boot on some machines: a tool that needs it (perf
// tracepoints need its event ids) mounts it and says so. Run in a private mount
// namespace so the system's tracefs, which others use right now, stays.
TEST(Funclatency, MountsTracefsWhenItIsMissing) {
    BPFSCOPE_REQUIRE_ROOT("creates a mount namespace");
    BPFSCOPE_REQUIRE_PROGRAM("unshare");
    const bool system_tracefs = std::filesystem::exists("/sys/kernel/tracing/events");
    std::string command =
        "umount /sys/kernel/tracing 2>/dev/null; umount /sys/kernel/debug/tracing 2>/dev/null; "
        "umount /sys/kernel/debug 2>/dev/null; "
        "if [ -e /sys/kernel/tracing/events ]; then echo 'tracefs still mounted' >&2; exit 99; fi; "
        "exec " +
        bin("bpfscope") +
        " funclatency -j -d 1 "
        "syscalls:sys_enter_clock_nanosleep..syscalls:sys_exit_clock_nanosleep";
    auto result =
        run_process({"unshare", "-m", "--propagation", "private", "sh", "-c", command}, 60s);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.err.find("mounted tracefs at /sys/kernel/tracing"), std::string::npos)
        << result.err;
    json report = last_report(result.out);
    const json& s =
        section(report, "syscalls:sys_enter_clock_nanosleep..syscalls:sys_exit_clock_nanosleep");
    EXPECT_EQ(s["fields"]["backend"], "tracepoint");
    EXPECT_EQ(std::filesystem::exists("/sys/kernel/tracing/events"), system_tracefs)
        << "the system's tracefs must stay as it was";
}

// The README's own example: `funclatency c:malloc` (and libc:malloc). Before,
// "libc" could resolve to the linker script libc.so and the attach failed with
// "Unknown error 4001". Both names must attach to the same ELF libc and see
// the same calls (each call fires both uprobes).
TEST(Funclatency, ReadmeLibraryExampleCMallocWorks) {
    BPFSCOPE_REQUIRE_ROOT("loads BPF programs");
    BackgroundProcess tracer(funclatency({"-j", "c:malloc", "libc:malloc"}));
    ASSERT_TRUE(tracer.wait_until_ready()) << tracer.output_so_far();
    for (int i = 0; i < 3; i++)
        EXPECT_EQ(run_process({"sh", "-c", "ls -lR /usr/include > /dev/null"}, 60s).exit_code, 0);
    auto result = tracer.stop();
    ASSERT_EQ(result.exit_code, 0) << result.err;
    json report = last_report(result.out);
    const json& c = section(report, "c:malloc")["fields"];
    const json& libc = section(report, "libc:malloc")["fields"];
    EXPECT_EQ(c["backend"], "uprobe") << c;
    EXPECT_EQ(c["binary"], libc["binary"]);
    std::ifstream binary(c["binary"].get<std::string>(), std::ios::binary);
    char magic[4] = {};
    binary.read(magic, 4);
    EXPECT_EQ(std::string(magic, 4),
              "\x7f"
              "ELF")
        << c["binary"];
    double c_calls = c["count"].get<double>(), libc_calls = libc["count"].get<double>();
    EXPECT_GT(c_calls, 1000) << "ls -lR makes thousands of malloc calls";
    EXPECT_NEAR(c_calls, libc_calls, 0.02 * c_calls + 50);
    EXPECT_EQ(our_programs_left(), 0u);
}
