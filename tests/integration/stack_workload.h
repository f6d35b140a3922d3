#pragma once
// For the stack tool tests: a workload held at a gate until the tracer is
// attached, tracers started beside it, and folded/JSON output parsing.
//
// The workload's pid exists before it runs (so a tool can be started with
// -p PID), but it does nothing until start(): the forked child waits on a pipe
// and only then execs the workload (same pid). A test starts the tracers,
// waits for their readiness line, then calls start(): no fixed sleeps, and
// every block of the known work happens while the tracers are attached.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/background_process.h"

namespace bpfscope::test {

class BackgroundWorkload {
  public:
    explicit BackgroundWorkload(const std::vector<std::string>& argv) {
        int out[2], gate[2];
        if (pipe2(out, O_CLOEXEC) != 0)
            return;
        if (pipe2(gate, O_CLOEXEC) != 0) {
            close(out[0]);
            close(out[1]);
            return;
        }
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        pid_ = fork();
        if (pid_ == 0) {
            // Only async-signal-safe calls between fork and exec.
            char byte;
            if (read(gate[0], &byte, 1) != 1)
                _exit(126);  // the test ended without starting the workload
            dup2(out[1], STDOUT_FILENO);
            execv(args[0], args.data());
            _exit(127);
        }
        close(out[1]);
        close(gate[0]);
        out_fd_ = out[0];
        gate_fd_ = gate[1];
    }
    ~BackgroundWorkload() {
        if (gate_fd_ >= 0)
            close(gate_fd_);
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
        if (out_fd_ >= 0)
            close(out_fd_);
    }
    BackgroundWorkload(const BackgroundWorkload&) = delete;
    BackgroundWorkload& operator=(const BackgroundWorkload&) = delete;

    pid_t pid() const { return pid_; }
    // Opens the gate: the workload execs and begins its known work.
    void start() {
        if (gate_fd_ < 0)
            return;
        if (write(gate_fd_, "g", 1) != 1) {
            // The child is gone; finish() reports its status.
        }
        close(gate_fd_);
        gate_fd_ = -1;
    }
    // Starts the workload if needed, waits for it to end; returns what it printed.
    std::string finish() {
        start();
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
    int gate_fd_ = -1;
    int status_ = 0;
};

// Tracers started together (each its own bpfscope process), waited on until
// every one is attached, stopped together with SIGINT.
class Tracers {
  public:
    // Returns the index of the new tracer.
    size_t add(const std::vector<std::string>& argv) {
        tracers_.push_back(std::make_unique<BackgroundProcess>(argv));
        return tracers_.size() - 1;
    }
    // True when every tracer logged its readiness line; otherwise `why` names the first that
    // did not, with what it printed.
    bool wait_until_ready(std::string& why) {
        for (auto& tracer : tracers_) {
            if (!tracer->wait_until_ready()) {
                why = "a tracer never became ready: " + tracer->output_so_far();
                return false;
            }
        }
        return true;
    }
    std::vector<ProcessResult> stop() {
        for (auto& tracer : tracers_) tracer->signal(SIGINT);
        std::vector<ProcessResult> results;
        for (auto& tracer : tracers_) results.push_back(tracer->wait(std::chrono::seconds(60)));
        return results;
    }

  private:
    std::vector<std::unique_ptr<BackgroundProcess>> tracers_;
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

// Every non-empty line of JSON Lines output, parsed.
inline std::vector<nlohmann::json> parse_json_lines(const std::string& text) {
    std::vector<nlohmann::json> docs;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
        if (!line.empty())
            docs.push_back(nlohmann::json::parse(line));
    return docs;
}

// The number after "key=" in a workload's output, or -1.
inline long long workload_figure(const std::string& out, const std::string& key) {
    auto pos = out.find(key + "=");
    return pos == std::string::npos ? -1 : std::stoll(out.substr(pos + key.size() + 1));
}

inline bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

}  // namespace bpfscope::test
