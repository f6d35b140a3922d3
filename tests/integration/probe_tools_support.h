#pragma once
// Shared by the funccount, stackcount and argdist tests: the probe_target
// workload (tools/probe_target.c) started and held until the tracers are
// attached, its own account of what it did, perf stat on the same window, and
// the JSON report helpers.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "kernel_facts.h"
#include "support/background_process.h"
#include "support/process.h"

namespace bpfscope::test::probe_tools {

using namespace std::chrono_literals;
using nlohmann::json;

// The final report of a -j run: JSON Lines, the last line.
inline json last_report(const std::string& out) {
    auto end = out.find_last_not_of('\n');
    if (end == std::string::npos)
        throw std::runtime_error("no JSON output");
    auto start = out.rfind('\n', end);
    return json::parse(out.substr(start == std::string::npos ? 0 : start + 1, end + 1));
}

inline const json& section_of_kind(const json& report, const std::string& kind) {
    for (const auto& s : report["sections"])
        if (s["kind"] == kind)
            return s;
    throw std::runtime_error("no section of kind '" + kind + "' in " + report.dump());
}

inline std::vector<std::string> tool(const std::string& name, std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), {bin("bpfscope"), name});
    return arguments;
}

// The engine's programs (bpf/probe.bpf.c) still loaded after a tool exited.
inline size_t probe_programs_left() {
    return orphaned_programs({"probe_uprobe", "probe_uretprobe", "probe_kprobe", "probe_kretprobe",
                              "probe_kprobe_multi", "probe_kretprobe_multi", "probe_fentry",
                              "probe_fexit", "probe_tracepoint", "probe_raw_tp"});
}

// What probe_target printed about itself.
struct TargetAccount {
    uint64_t add_calls = 0, sum_a = 0, sum_b = 0, sum_ret = 0, a_above_5 = 0;
    uint64_t site_a = 0, site_b = 0, getppid = 0;
    std::vector<uint64_t> size_slots;  // log2 slots of the malloc sizes
};

inline TargetAccount parse_account(const std::string& out) {
    TargetAccount account;
    std::smatch m;
    if (!std::regex_search(out, m,
                           std::regex(R"(probe_add calls: (\d+) sum_a: (\d+) sum_b: (\d+) )"
                                      R"(sum_ret: (\d+) a_above_5: (\d+))")))
        throw std::runtime_error("no probe_add line in: " + out);
    account.add_calls = std::stoull(m[1]);
    account.sum_a = std::stoull(m[2]);
    account.sum_b = std::stoull(m[3]);
    account.sum_ret = std::stoull(m[4]);
    account.a_above_5 = std::stoull(m[5]);
    if (!std::regex_search(out, m, std::regex(R"(malloc site_a: (\d+) site_b: (\d+))")))
        throw std::runtime_error("no malloc line in: " + out);
    account.site_a = std::stoull(m[1]);
    account.site_b = std::stoull(m[2]);
    if (!std::regex_search(out, m, std::regex(R"(malloc_size_log2_slots:([ \d]+))")))
        throw std::runtime_error("no size slots in: " + out);
    std::istringstream slots(m[1].str());
    for (uint64_t count; slots >> count;) account.size_slots.push_back(count);
    if (std::regex_search(out, m, std::regex(R"(getppid syscalls: (\d+))")))
        account.getppid = std::stoull(m[1]);
    return account;
}

// probe_target waiting for SIGUSR1: tracers attach to its pid first, then
// run() lets it make its calls and returns its account.
class WaitingTarget {
  public:
    explicit WaitingTarget(std::vector<std::string> arguments = {}) : process_(argv(arguments)) {
        EXPECT_TRUE(process_.wait_for_output("waiting for SIGUSR1", 30s))
            << process_.output_so_far();
    }
    pid_t pid() const { return process_.pid(); }
    std::string pid_text() const { return std::to_string(process_.pid()); }
    TargetAccount run() {
        process_.signal(SIGUSR1);
        auto result = process_.wait(60s);
        EXPECT_EQ(result.exit_code, 0) << result.err;
        return parse_account(result.out);
    }

  private:
    static std::vector<std::string> argv(std::vector<std::string> arguments) {
        arguments.insert(arguments.begin(), {bin("probe_target"), "--wait-signal"});
        return arguments;
    }
    BackgroundProcess process_;
};

inline std::string target_function(const std::string& function) {
    return bin("probe_target") + ":" + function;
}

// perf stat -x, on a process, known to be counting before the workload starts:
// its control fifo answers "ack" once the events are open and enabled.
class PerfStat {
  public:
    PerfStat(pid_t pid, const std::string& events)
        : dir_(std::filesystem::temp_directory_path() /
               ("bpfscope-perfstat-" + std::to_string(getpid()) + "-" + std::to_string(pid))) {
        std::filesystem::create_directories(dir_);
        control_ = (dir_ / "control").string();
        ack_ = (dir_ / "ack").string();
        mkfifo(control_.c_str(), 0600);
        mkfifo(ack_.c_str(), 0600);
        process_ = std::make_unique<BackgroundProcess>(std::vector<std::string>{
            "perf", "stat", "-x", ",", "-e", events, "-p", std::to_string(pid), "--control",
            "fifo:" + control_ + "," + ack_});
    }
    ~PerfStat() {
        if (control_fd_ >= 0)
            close(control_fd_);
        if (ack_fd_ >= 0)
            close(ack_fd_);
        process_.reset();
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    // True once perf acknowledged a command, i.e. its counters are running.
    bool wait_until_counting(std::chrono::milliseconds timeout = 30s) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        // Non-blocking opens: a perf that failed to start must not hang the test.
        while (control_fd_ < 0 && std::chrono::steady_clock::now() < deadline) {
            control_fd_ = open(control_.c_str(), O_WRONLY | O_NONBLOCK);
            if (control_fd_ < 0)
                std::this_thread::sleep_for(10ms);
        }
        ack_fd_ = open(ack_.c_str(), O_RDONLY | O_NONBLOCK);
        if (control_fd_ < 0 || ack_fd_ < 0 || write(control_fd_, "enable\n", 7) != 7)
            return false;
        std::string answer;
        while (answer.find("ack") == std::string::npos &&
               std::chrono::steady_clock::now() < deadline) {
            pollfd ready{ack_fd_, POLLIN, 0};
            if (poll(&ready, 1, 100) > 0) {
                char buffer[16];
                ssize_t n = read(ack_fd_, buffer, sizeof buffer);
                if (n > 0)
                    answer.append(buffer, size_t(n));
            }
        }
        return answer.find("ack") != std::string::npos;
    }
    // Event name -> count, once the process perf watches has exited.
    std::map<std::string, uint64_t> counts() {
        auto result = process_->wait(60s);
        std::map<std::string, uint64_t> out;
        std::istringstream lines(result.err);
        for (std::string line; std::getline(lines, line);) {
            // count,unit,event,...
            std::vector<std::string> cells;
            std::istringstream cell_stream(line);
            for (std::string cell; std::getline(cell_stream, cell, ',');) cells.push_back(cell);
            if (cells.size() >= 3 && !cells[0].empty() && std::isdigit(cells[0][0]))
                out[cells[2]] = std::stoull(cells[0]);
        }
        return out;
    }

  private:
    std::filesystem::path dir_;
    std::string control_, ack_;
    int control_fd_ = -1, ack_fd_ = -1;
    std::unique_ptr<BackgroundProcess> process_;
};

}  // namespace bpfscope::test::probe_tools
