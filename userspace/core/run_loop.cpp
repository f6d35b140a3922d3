#include "core/run_loop.h"

#include <signal.h>
#include <time.h>

#include <atomic>
#include <thread>

#include "base/logging.h"
#include "core/drop_in_output.h"

namespace bpfscope {

namespace {
std::atomic<bool> g_stop{false};

void on_stop_signal(int) {
    g_stop.store(true);
}
}  // namespace

void install_stop_signals() {
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

bool stop_requested() {
    return g_stop.load();
}
void request_stop() {
    g_stop.store(true);
}

void run_loop(const RunOptions& options, const std::function<void(bool final)>& on_interval,
              const std::function<void()>& poll, std::chrono::milliseconds poll_period) {
    install_stop_signals();
    // Everything is attached by the time a tool enters its loop. This line is
    // the readiness signal that scripts and tests wait for (bcc's wording).
    spdlog::info("Tracing... Hit Ctrl-C to end.");
    if (auto* output = drop_in_output())
        output->started();
    using clock = std::chrono::steady_clock;
    auto start = clock::now();
    auto to_duration = [](double seconds) {
        return std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds));
    };
    const bool bounded = options.duration_s > 0;
    const auto end = start + to_duration(options.duration_s);
    const bool intervals = options.interval_s > 0;
    auto next_interval = start + to_duration(options.interval_s);
    int intervals_done = 0;
    while (!stop_requested()) {
        auto now = clock::now();
        if (bounded && now >= end)
            break;
        if (intervals && now >= next_interval) {
            intervals_done++;
            if (options.interval_count > 0 && intervals_done >= options.interval_count)
                break;
            on_interval(false);
            next_interval += to_duration(options.interval_s);
            continue;
        }
        auto wake = now + poll_period;
        if (bounded && end < wake)
            wake = end;
        if (intervals && next_interval < wake)
            wake = next_interval;
        std::this_thread::sleep_until(wake);
        if (poll)
            poll();
    }
    on_interval(true);
}

std::string wall_clock_timestamp() {
    time_t now = time(nullptr);
    struct tm local {};
    localtime_r(&now, &local);
    char buffer[16];
    strftime(buffer, sizeof buffer, "%H:%M:%S", &local);
    return buffer;
}

}  // namespace bpfscope
