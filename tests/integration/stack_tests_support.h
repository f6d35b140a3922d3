#pragma once
// Shared by the stack tool tests (offcputime, profile, runqlat): run tracers
// beside a gated workload, read their JSON and the kernel's view of a task.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "stack_workload.h"
#include "support/process.h"

// Every tracer became ready and exited cleanly (fatal: the checks after it
// read their output).
#define ASSERT_TRACED(run)                                                \
    do {                                                                  \
        ASSERT_TRUE((run).error.empty()) << (run).error;                  \
        for (const auto& tool : (run).tools)                              \
            ASSERT_EQ(tool.exit_code, 0) << tool.err << "\n" << tool.out; \
    } while (0)

namespace bpfscope::test {

// Tracers started on a gated workload, and what everyone printed.
struct TracedRun {
    std::vector<ProcessResult> tools;
    std::string workload_out;
    pid_t workload_pid = -1;
    std::string error;  // non-empty when a tracer never became ready
};

// Starts `tool` once per argument list ("{pid}" is replaced by the workload's
// pid), waits until every tracer is attached, runs the workload to its end,
// calls `during` (optional) while everything still runs, then stops the tracers.
// `prepare` (optional) gets the workload's pid before any tracer starts.
inline TracedRun trace_gated(const std::string& tool, const std::vector<std::string>& workload,
                             const std::vector<std::vector<std::string>>& tool_args,
                             const std::function<void()>& during = {},
                             const std::function<void(pid_t)>& prepare = {}) {
    BackgroundWorkload w(workload);
    TracedRun run;
    run.workload_pid = w.pid();
    if (w.pid() <= 0) {
        run.error = "cannot start " + workload[0];
        return run;
    }
    if (prepare)
        prepare(w.pid());
    Tracers tracers;
    for (const auto& args : tool_args) {
        std::vector<std::string> argv = {bin("bpfscope"), tool};  // native mode
        for (const auto& arg : args) argv.push_back(arg == "{pid}" ? std::to_string(w.pid()) : arg);
        tracers.add(argv);
    }
    if (!tracers.wait_until_ready(run.error))
        return run;
    w.start();
    if (during)
        during();
    run.workload_out = w.finish();
    run.tools = tracers.stop();
    return run;
}

// A stack tool's JSON samples as folded stacks ("comm;frame;...;frame" -> value).
inline std::map<std::string, double> json_stacks(const nlohmann::json& doc) {
    std::map<std::string, double> stacks;
    for (const auto& sample : doc["stacks"]["samples"]) {
        std::string stack = sample["comm"].get<std::string>();
        for (const auto& frame : sample["frames"]) stack += ";" + frame["name"].get<std::string>();
        stacks[stack] += sample["value"].get<double>();
    }
    return stacks;
}

// Sum of the values of the stacks that contain `needle`.
inline double total_of(const std::map<std::string, double>& stacks, const std::string& needle) {
    double total = 0;
    for (const auto& [stack, value] : stacks)
        if (contains(stack, needle))
            total += value;
    return total;
}

// The fields of the report section titled `title` (null when absent).
inline nlohmann::json section_fields(const nlohmann::json& doc, const std::string& title) {
    for (const auto& section : doc["sections"])
        if (section["title"] == title)
            return section["fields"];
    return nullptr;
}

// True when /proc/PID/stat says PID is a kernel thread (PF_KTHREAD); false
// when it is a user task or is gone.
inline bool is_kernel_thread(long pid, bool& known) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    known = false;
    auto close_paren = text.rfind(')');
    if (close_paren == std::string::npos)
        return false;
    // After "pid (comm) ": state ppid pgrp session tty_nr tpgid flags ...
    std::istringstream fields(text.substr(close_paren + 2));
    std::string field;
    for (int i = 0; i < 7 && fields >> field; i++) {
    }
    known = !field.empty();
    constexpr unsigned long kPfKthread = 0x00200000;  // include/linux/sched.h
    return known && (std::stoul(field) & kPfKthread) != 0;
}

// "HH:MM:SS", as -T prints it.
inline bool is_wall_clock_timestamp(const nlohmann::json& value) {
    return value.is_string() && std::regex_match(value.get<std::string>(),
                                                 std::regex(R"([0-2][0-9]:[0-5][0-9]:[0-6][0-9])"));
}

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Checks the output of a tool run with -j -T -i: at least two reports (one
// without -i), each timestamped. Returns the sum of `value_of` over the reports
// (each covers its own interval, so it adds up to the whole run's figure).
inline double check_timestamped_intervals(
    const std::string& out, const std::function<double(const nlohmann::json&)>& value_of) {
    auto reports = parse_json_lines(out);
    EXPECT_GE(reports.size(), 2u) << "-i ignored (one report):\n" << out;
    double sum = 0;
    for (const auto& report : reports) {
        EXPECT_TRUE(is_wall_clock_timestamp(report["timestamp"]))
            << "-T ignored: " << report["timestamp"];
        sum += value_of(report);
    }
    return sum;
}

// A tool started with -j -i ... --count 2: it wrote two reports and ended by itself.
inline void check_counted_run(BackgroundProcess& counted) {
    auto result = counted.wait(std::chrono::seconds(10));
    EXPECT_EQ(result.exit_code, 0) << "--count ignored: " << result.err;
    EXPECT_EQ(parse_json_lines(result.out).size(), 2u) << result.out;
}

// A stack tool's JSON report from a run with a tiny --stack-storage-size: at
// most 16 stacks kept, and a WARNING about what was dropped.
inline void check_storage_drops(const nlohmann::json& report, const std::string& warning) {
    EXPECT_LE(report["stacks"]["samples"].size(), 16u);
    bool dropped = false;
    for (const auto& line : report["warnings"])
        dropped = dropped || contains(line.get<std::string>(), warning);
    EXPECT_TRUE(dropped) << "no drops reported: " << report["warnings"];
}

}  // namespace bpfscope::test
