#pragma once
// The loop that waits for the end of a run (duration, interval count, or
// SIGINT/SIGTERM, which stop it cleanly). The options it reads (RunOptions)
// are registered by base/options.h (kept out of this header: CLI11 is heavy).
#include <chrono>
#include <functional>
#include <string>

#include "base/run_options.h"

namespace bpfscope {

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
