#pragma once
// For the stack tool tests: a workload running in the background (started
// with a start delay so the tool can be attached with -p PID first), and
// folded-output parsing.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace bpfscope::test {

class BackgroundWorkload {
  public:
    explicit BackgroundWorkload(const std::vector<std::string>& argv) {
        int fds[2];
        if (pipe(fds) != 0)
            return;
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
        posix_spawn_file_actions_addclose(&actions, fds[0]);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        if (posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0)
            pid_ = -1;
        posix_spawn_file_actions_destroy(&actions);
        close(fds[1]);
        out_fd_ = fds[0];
    }
    ~BackgroundWorkload() {
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
        if (out_fd_ >= 0)
            close(out_fd_);
    }
    pid_t pid() const { return pid_; }
    // Waits for the workload to end; returns what it printed.
    std::string finish() {
        std::string out;
        char buf[4096];
        ssize_t n;
        while ((n = read(out_fd_, buf, sizeof(buf))) > 0) out.append(buf, size_t(n));
        waitpid(pid_, &status_, 0);
        pid_ = -1;
        return out;
    }
    int status() const { return status_; }

  private:
    pid_t pid_ = -1;
    int out_fd_ = -1;
    int status_ = 0;
};

// "comm;a;b;c 123" lines -> stack -> value (summed).
inline std::map<std::string, double> parse_folded_lines(const std::string& text) {
    std::map<std::string, double> stacks;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        auto space = line.rfind(' ');
        if (space == std::string::npos)
            continue;
        stacks[line.substr(0, space)] += std::stod(line.substr(space + 1));
    }
    return stacks;
}

// The number after "key=" in a workload's output, or -1.
inline long long workload_figure(const std::string& out, const std::string& key) {
    auto pos = out.find(key + "=");
    return pos == std::string::npos ? -1 : std::stoll(out.substr(pos + key.size() + 1));
}

}  // namespace bpfscope::test
