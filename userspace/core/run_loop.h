#pragma once
// The options every measuring tool shares (-d, -i, -T, -j, -v) and the loop
// that waits for the end of the run while SIGINT/SIGTERM stop it cleanly.
#include <CLI/CLI.hpp>
#include <chrono>
#include <functional>
#include <string>

namespace bpfscope {

struct RunOptions {
    double duration_s = 0;    // -d: 0 runs until Ctrl-C
    double interval_s = 0;    // -i: print (and reset) every interval; 0 prints once at the end
    int interval_count = 0;   // stop after this many intervals (0: no limit)
    bool timestamps = false;  // -T
    bool json = false;        // -j
    bool verbose = false;     // -v: libbpf debug output and extra detail
};

// Adds -d/--duration, -i/--interval, -T/--timestamp, -j/--json, -v/--verbose.
void add_run_options(CLI::App& app, RunOptions& options);

// Installs SIGINT/SIGTERM handlers that only set a flag (no SA_RESTART, so
// blocking calls return EINTR). Idempotent.
void install_stop_signals();
bool stop_requested();
void request_stop();

// Logs "Tracing... Hit Ctrl-C to end." (the readiness signal: everything is
// attached), then waits for the run to end (duration, interval count or a stop signal).
// `on_interval(final)` is called at each interval end and once at the end with
// final = true. Without an interval only the final call happens.
// `poll` (optional) is called about every `poll_period` while waiting, for
// tools that drain buffers or pin new processes during the run.
void run_loop(const RunOptions& options, const std::function<void(bool final)>& on_interval,
              const std::function<void()>& poll = {},
              std::chrono::milliseconds poll_period = std::chrono::milliseconds(100));

// "HH:MM:SS" local time, for -T.
std::string wall_clock_timestamp();

}  // namespace bpfscope
