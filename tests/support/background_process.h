#pragma once
// A program running beside the test: a tracer the test waits on until it is
// attached, then drives a workload under it. Replaces fixed sleeps: the tools
// log "Tracing... Hit Ctrl-C to end." on stderr once everything is attached.
#include <sys/types.h>

#include <csignal>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/process.h"

namespace bpfscope::test {

// The readiness line every tracing tool logs when it is attached.
inline constexpr const char* kReadyLine = "Tracing... Hit Ctrl-C to end.";

class BackgroundProcess {
  public:
    explicit BackgroundProcess(const std::vector<std::string>& argv);
    ~BackgroundProcess();  // SIGKILLs and reaps a process still running
    BackgroundProcess(const BackgroundProcess&) = delete;
    BackgroundProcess& operator=(const BackgroundProcess&) = delete;

    pid_t pid() const { return pid_; }

    // Waits until stderr (or stdout) contains `text`; false on timeout or when
    // the process ended without printing it.
    bool wait_for_output(const std::string& text,
                         std::chrono::milliseconds timeout = std::chrono::seconds(60));
    // wait_for_output(kReadyLine).
    bool wait_until_ready(std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
        return wait_for_output(kReadyLine, timeout);
    }

    void signal(int signal_number);
    // Sends SIGINT (unless `signal_number` says otherwise), waits for the exit
    // (SIGKILL after `timeout`) and returns what it printed.
    ProcessResult stop(int signal_number = SIGINT,
                       std::chrono::milliseconds timeout = std::chrono::seconds(60));
    // True when the process exits within `timeout` (it is then reaped).
    bool exited_within(std::chrono::milliseconds timeout);
    // Waits for the process to exit on its own (SIGKILL after `timeout`).
    ProcessResult wait(std::chrono::milliseconds timeout = std::chrono::seconds(120));

    // What it printed so far.
    std::string output_so_far();

  private:
    void read_loop(int out_fd, int err_fd);
    // Reaps the process if it exits before `deadline`; records its status.
    bool reap_until(std::chrono::steady_clock::time_point deadline);

    pid_t pid_ = -1;
    bool reaped_ = false;
    std::thread reader_;
    std::mutex mutex_;
    std::condition_variable changed_;
    bool streams_closed_ = false;
    ProcessResult result_;
};

}  // namespace bpfscope::test
