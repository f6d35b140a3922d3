// funclatency against the real kernel: uprobes on a known sleeper, tracepoint
// brackets on the rstat lock checked against perf's own count, and the errors
// this kernel must produce for kernel functions (fentry refused, no kprobes).
#include <gtest/gtest.h>

#include <bit>
#include <future>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "core/tracefs.h"
#include "support/process.h"

using bpfscope::test::bin;
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

size_t our_programs_loaded() {
    auto listing = run_process({"bpftool", "prog", "list", "-j"}, 30s);
    auto programs = json::parse(listing.out);
    size_t count = 0;
    for (const auto& program : programs) {
        std::string name = program.value("name", "");
        if (name.find("_start") != std::string::npos || name.find("_end") != std::string::npos)
            count++;
    }
    return count;
}

}  // namespace

TEST(Funclatency, UprobeOnSleeperCountsEveryCallAndTimesIt) {
    std::string target = bin("sleeper") + ":sleep_known_time";
    auto tracer = std::async(std::launch::async, [&] {
        return run_process({bin("bpfscope"), "funclatency", "-j", "-m", "-d", "8", target}, 60s);
    });
    std::this_thread::sleep_for(3000ms);  // let it attach, with room for a loaded machine
    // Real-time priority so the 2 ms sleeps wake on time even on a busy machine.
    auto workload = run_process({"chrt", "-f", "50", bin("sleeper"), "50", "2000"}, 30s);
    ASSERT_EQ(workload.exit_code, 0) << workload.err;
    std::smatch own;
    ASSERT_TRUE(std::regex_search(workload.out, own, std::regex(R"(avg_call_ns: (\d+))")))
        << workload.out;
    double workload_ms = std::stod(own[1]) / 1e6;
    auto result = tracer.get();
    ASSERT_EQ(result.exit_code, 0) << result.err;
    json report = last_report(result.out);
    const json& s = section(report, target);
    EXPECT_EQ(s["kind"], "target");
    EXPECT_EQ(s["fields"]["backend"], "uprobe");
    EXPECT_EQ(s["fields"]["count"], 50);
    double average_ms = s["fields"]["avg"];
    // A 2 ms sleep never takes less than 2 ms; how much more depends on this
    // VM's timer wake-up latency (2.06 to 2.8 ms per call seen here, untraced).
    // So our average must agree with what the workload measured for itself,
    // within 5%, which is stricter than "within 20% of 2 ms" on a quiet machine.
    EXPECT_GE(average_ms, 2.0 * 0.99);
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
    // On a quiet machine the [2 ms, 4 ms) bucket holds the bulk; when this VM's
    // timer wakes late, the workload itself says so and we must agree with it.
    if (own_slots[2] >= 40) {
        EXPECT_GE(in_2_to_4, 40u) << "the [2 ms, 4 ms) bucket must hold the bulk";
    }
    EXPECT_EQ(s["fields"]["lost_starts"], 0);
    EXPECT_EQ(section(report, "bpfscope overhead (BPF program run time)")["fields"]["program_runs"],
              100);
}

TEST(Funclatency, RstatLockBracketMatchesPerfCount) {
    ASSERT_TRUE(bpfscope::ensure_tracefs().mounted) << "perf needs tracefs for tracepoint events";
    std::string bracket = "cgroup:cgroup_rstat_locked..cgroup:cgroup_rstat_unlock";
    // perf counts the start tracepoint over exactly the tracer's lifetime.
    auto traced = std::async(std::launch::async, [&] {
        return run_process({"perf", "stat", "-a", "-x", ",", "-e", "cgroup:cgroup_rstat_locked",
                            "--", bin("bpfscope"), "funclatency", "-j", "-d", "4", bracket},
                           60s);
    });
    std::this_thread::sleep_for(1500ms);
    auto workload = run_process({bin("readstats"), "--count", "3000", "--quiet"}, 30s);
    ASSERT_EQ(workload.exit_code, 0) << workload.err;
    auto result = traced.get();
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
    EXPECT_GT(matched, 0);
    // perf also counts while the tracer starts and stops; allow 5% or 3 events.
    EXPECT_LE(std::abs(matched - perf_count), std::max(3.0, 0.05 * perf_count))
        << "matched " << matched << " vs perf " << perf_count;
    // Unmatched starts/ends are reported (as numbers, even when zero).
    EXPECT_TRUE(s["fields"]["unmatched_exits"].is_number());
    EXPECT_TRUE(s["fields"]["open_calls"].is_number());
    EXPECT_FALSE(s["histogram"]["buckets"].empty());
}

TEST(Funclatency, KernelFunctionNamesBothRefusedBackends) {
    auto result = run_process({bin("funclatency"), "-d", "1", "mem_cgroup_flush_stats"}, 30s);
    EXPECT_NE(result.exit_code, 0);
    EXPECT_NE(result.err.find("fentry: refused by kernel (EPERM)"), std::string::npos)
        << result.err;
    EXPECT_NE(result.err.find("kprobe: not built into this kernel"), std::string::npos)
        << result.err;
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1)
        << "one line: " << result.err;
    EXPECT_EQ(our_programs_loaded(), 0u);
}

TEST(Funclatency, ForcedUnavailableBackendIsAClearError) {
    auto result =
        run_process({bin("funclatency"), "--backend", "kprobe", "-d", "1", "vfs_read"}, 30s);
    EXPECT_NE(result.exit_code, 0);
    EXPECT_NE(result.err.find("kprobe (forced with --backend)"), std::string::npos) << result.err;
    auto wrong_kind =
        run_process({bin("funclatency"), "--backend", "uprobe", "-d", "1", "vfs_read"}, 30s);
    EXPECT_NE(wrong_kind.exit_code, 0);
    EXPECT_NE(wrong_kind.err.find("--backend uprobe cannot measure kernel function"),
              std::string::npos)
        << wrong_kind.err;
}

TEST(Funclatency, UnknownFunctionGetsSuggestions) {
    auto result = run_process({bin("funclatency"), "-d", "1", "mem_cgroup_flush_statz"}, 30s);
    EXPECT_NE(result.exit_code, 0);
    EXPECT_NE(result.err.find("not found in kallsyms (inlined or renamed?)"), std::string::npos)
        << result.err;
    EXPECT_NE(result.err.find("similar names: mem_cgroup_flush_stats"), std::string::npos)
        << result.err;
}

TEST(Funclatency, UnknownUserFunctionAndTracepointAreClearErrors) {
    auto user =
        run_process({bin("funclatency"), "-d", "1", bin("sleeper") + ":no_such_function"}, 30s);
    EXPECT_NE(user.exit_code, 0);
    EXPECT_NE(user.err.find("no_such_function' not found in"), std::string::npos) << user.err;
    auto tracepoint = run_process(
        {bin("funclatency"), "-d", "1", "cgroup:nope..cgroup:cgroup_rstat_unlock"}, 30s);
    EXPECT_NE(tracepoint.exit_code, 0);
    EXPECT_NE(tracepoint.err.find("tracepoint cgroup:nope not found"), std::string::npos)
        << tracepoint.err;
    EXPECT_EQ(our_programs_loaded(), 0u);
}

TEST(Funclatency, SigintEndsTheRunAndStillPrintsTheReport) {
    auto result =
        run_process({bin("funclatency"), "-j", bin("sleeper") + ":sleep_known_time"}, 30s, 1500ms);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    json report = last_report(result.out);
    EXPECT_EQ(report["tool"], "funclatency");
}

TEST(Funclatency, IntervalOutputPrintsOneReportPerInterval) {
    auto result = run_process({bin("funclatency"), "-j", "-i", "1", "--count", "3",
                               "cgroup:cgroup_rstat_locked..cgroup:cgroup_rstat_unlock"},
                              30s);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(std::count(result.out.begin(), result.out.end(), '\n'), 3);
    EXPECT_FALSE(last_report(result.out)["timestamp"].is_null());
}
