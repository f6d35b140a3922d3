#pragma once
// Runs a program for a test and captures what it printed.
#include <chrono>
#include <string>
#include <vector>

namespace bpfscope::test {

struct ProcessResult {
    int exit_code = -1;  // -1 when killed by a signal
    int signal = 0;      // the signal that ended it, if any
    std::string out;
    std::string err;
};

// Runs argv (argv[0] looked up in PATH unless it has a slash). Kills it with
// SIGKILL after `timeout`. `interrupt_after` > 0 sends SIGINT after that time.
ProcessResult run_process(const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout = std::chrono::seconds(120),
                          std::chrono::milliseconds interrupt_after = std::chrono::milliseconds(0));

// The direct children of a running process (from /proc/PID/task/PID/children).
std::vector<int> child_pids(int pid);

// Where cgroup2 is mounted, from /proc/mounts ("" when it is not).
std::string cgroup2_mount();

// Path of a built binary: bpfscope, a tool symlink or a workload.
std::string bin(const std::string& name);

}  // namespace bpfscope::test
