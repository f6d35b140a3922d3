#include "support/process.h"

#include "support/background_process.h"

#include <signal.h>

#include <fstream>

namespace bpfscope::test {

std::string bin(const std::string& name) {
    return std::string(BPFSCOPE_BIN_DIR) + "/" + name;
}

ProcessResult run_process(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                          std::chrono::milliseconds interrupt_after) {
    BackgroundProcess process(argv);
    if (interrupt_after.count() > 0 && interrupt_after < timeout) {
        if (!process.exited_within(interrupt_after))
            process.signal(SIGINT);
        return process.wait(timeout - interrupt_after);
    }
    return process.wait(timeout);
}

std::string cgroup2_mount() {
    std::ifstream mounts("/proc/mounts");
    std::string device, path, type, rest;
    while (mounts >> device >> path >> type && std::getline(mounts, rest))
        if (type == "cgroup2")
            return path;
    return "";
}

std::vector<int> child_pids(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
    std::vector<int> children;
    for (int child; in >> child;) children.push_back(child);
    return children;
}

}  // namespace bpfscope::test
