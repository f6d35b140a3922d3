#include "serve/exporter.h"

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <thread>

#include "base/error.h"
#include "serve/pprof_endpoints.h"

namespace bpfscope::serve {

Exporter::Exporter(const ServeConfig& config) : config_(config) {
    if (config.bpf_stats) {
        stats_scope_.emplace();
        if (!stats_scope_->enabled())
            spdlog::warn("cannot enable BPF run-time statistics: our BPF run time reads as 0");
    }
    for (const auto& key : collector_keys(config))
        collectors_.push_back(make_collector(key, config));
}

Exporter::~Exporter() = default;

void Exporter::reload(const ServeConfig& config) {
    // Build what is new outside the lock (loading BPF takes a while); a throw
    // here leaves the running set untouched.
    std::vector<std::string> keys = collector_keys(config);
    std::vector<std::string> running;
    {
        std::lock_guard lock(mutex_);
        for (const auto& collector : collectors_) running.push_back(collector->key());
    }
    std::map<std::string, std::unique_ptr<Collector>> built;
    for (const auto& key : keys)
        if (std::find(running.begin(), running.end(), key) == running.end())
            built[key] = make_collector(key, config);
    std::vector<std::unique_ptr<Collector>> retired;
    {
        std::lock_guard lock(mutex_);
        std::map<std::string, std::unique_ptr<Collector>> old;
        for (auto& collector : collectors_) old[collector->key()] = std::move(collector);
        collectors_.clear();
        for (const auto& key : keys) {
            auto& source = built.count(key) ? built[key] : old[key];
            collectors_.push_back(std::move(source));
        }
        for (auto& [key, collector] : old)
            if (collector)
                retired.push_back(std::move(collector));
        config_ = config;
        reloads_ok_++;
        last_reload_ok_ = true;
    }
    // `retired` detaches here, outside the lock.
}

uint32_t Exporter::pprof_max_seconds() {
    std::lock_guard lock(mutex_);
    return config_.pprof_max_seconds;
}

void Exporter::count_pprof(const std::string& endpoint, bool ok) {
    std::lock_guard lock(mutex_);
    pprof_requests_[{endpoint, ok}]++;
}

void Exporter::count_failed_reload() {
    std::lock_guard lock(mutex_);
    reloads_failed_++;
    last_reload_ok_ = false;
}

MetricSet Exporter::collect() {
    std::lock_guard lock(mutex_);
    auto started = std::chrono::steady_clock::now();
    MetricSet out;
    failing_.clear();
    for (const auto& collector : collectors_) {
        try {
            collector->collect(out);
        } catch (const std::exception& error) {
            // One collector's failure must not take the others' metrics down.
            failing_.push_back(collector->name() + ": " + error.what());
            collector_errors_[collector->name()]++;
            spdlog::warn("collector {} failed: {}", collector->name(), error.what());
        }
    }
    scrapes_++;
    collect_self(out);
    last_scrape_seconds_ =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return out;
}

std::string Exporter::scrape(ExpositionFormat format) {
    return render(collect(), format);
}

std::string Exporter::health() {
    std::lock_guard lock(mutex_);
    if (failing_.empty())
        return "ok";
    std::string text = "failing collectors:";
    for (const auto& failure : failing_) text += " " + failure + ";";
    return text;
}

std::vector<std::string> Exporter::collector_names() {
    std::lock_guard lock(mutex_);
    std::vector<std::string> names;
    for (const auto& collector : collectors_)
        names.push_back(collector->name() + " (" + collector->attach() + ")");
    return names;
}

namespace {

double resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    uint64_t size = 0, resident = 0;
    statm >> size >> resident;
    return double(resident) * double(sysconf(_SC_PAGESIZE));
}

}  // namespace

void Exporter::collect_self(MetricSet& out) {
    const auto counter = MetricType::kCounter;
    const auto gauge = MetricType::kGauge;
    for (const auto& collector : collectors_) {
        Labels labels{{"collector", collector->name()}};
        out.add("bpfscope_collector_info",
                "A running collector and how its BPF programs are attached", gauge, 1,
                {{"collector", collector->name()}, {"attach", collector->attach()}});
        ProgramRunStats stats = collector->run_stats();
        out.add("bpfscope_bpf_run_seconds",
                "Time the collector's BPF programs ran in the kernel (needs BPF stats)", counter,
                double(stats.run_time_ns) * 1e-9, labels);
        out.add("bpfscope_bpf_runs", "Runs of the collector's BPF programs (needs BPF stats)",
                counter, double(stats.run_count), labels);
        for (const auto& [reason, count] : collector->drops()) {
            Labels with_reason = labels;
            with_reason.emplace_back("reason", reason);
            out.add("bpfscope_dropped_events", "Events the BPF side could not record, by reason",
                    counter, double(count), with_reason);
        }
        out.add("bpfscope_series_dropped",
                "Label values refused by a cardinality cap (their data is in the _other series)",
                counter, double(collector->series_dropped()), labels);
        out.add("bpfscope_collector_errors", "Scrapes at which the collector failed", counter,
                double(collector_errors_[collector->name()]), labels);
    }
    out.add("bpfscope_bpf_stats_enabled",
            "1 when kernel BPF run-time statistics are on (bpfscope_bpf_run_seconds counts)", gauge,
            stats_scope_ && stats_scope_->enabled() ? 1 : 0);
    out.add("bpfscope_scrapes", "Scrapes of /metrics served", counter, double(scrapes_));
    out.add("bpfscope_last_scrape_duration_seconds",
            "Time the previous scrape took to collect (this one is still running)", gauge,
            last_scrape_seconds_);
    out.add("bpfscope_config_reloads", "Configuration reloads (SIGHUP), by result", counter,
            double(reloads_ok_), {{"result", "success"}});
    out.add("bpfscope_config_reloads", "Configuration reloads (SIGHUP), by result", counter,
            double(reloads_failed_), {{"result", "failure"}});
    out.add("bpfscope_config_last_reload_successful",
            "0 when the last reload was refused (the previous configuration is still running)",
            gauge, last_reload_ok_ ? 1 : 0);
    for (const auto& [key, count] : pprof_requests_)
        out.add("bpfscope_pprof_profiles", "Profiles served by the pprof endpoints, by result",
                counter, double(count),
                {{"endpoint", key.first}, {"result", key.second ? "success" : "failure"}});
    out.add("bpfscope_resident_memory_bytes", "Resident memory of the exporter", gauge,
            resident_bytes());
}

struct HttpServer::Impl {
    httplib::Server server;
    std::thread thread;
    int port = 0;
    std::atomic<bool> stopping{false};
    std::mutex cpu_profile, offcpu_profile;  // one profile of each kind at a time
};

namespace {

// A pprof endpoint: ?seconds=N (default 30, at most pprof.max_seconds), one
// request of a kind at a time (429 for the next), gzip profile.proto on success.
template <typename Collect>
void serve_pprof(Exporter& exporter, std::mutex& busy, const httplib::Request& request,
                 httplib::Response& response, Collect&& collect) {
    auto plain_error = [&](int status, const std::string& message) {
        response.status = status;
        response.set_content(message + "\n", "text/plain; charset=utf-8");
    };
    double seconds = 0;
    try {
        seconds = parse_profile_seconds(request.get_param_value("seconds"), 30,
                                        exporter.pprof_max_seconds());
    } catch (const UserError& error) {
        return plain_error(400, error.what());
    }
    std::unique_lock lock(busy, std::try_to_lock);
    if (!lock.owns_lock())
        return plain_error(429, "a profile of this kind is being taken; retry when it is done");
    try {
        response.set_content(collect(seconds), "application/octet-stream");
        response.set_header("Content-Disposition", "attachment; filename=\"profile.pb.gz\"");
        exporter.count_pprof(request.path, true);
    } catch (const UserError& error) {
        exporter.count_pprof(request.path, false);
        spdlog::warn("{}: {}", request.path, error.what());
        plain_error(500, error.what());
    }
}

}  // namespace

HttpServer::HttpServer(Exporter& exporter, const ListenAddress& address)
    : impl_(std::make_unique<Impl>()) {
    auto& server = impl_->server;
    // A few threads are plenty for a scraper or two; the default pool has more.
    server.new_task_queue = [] { return new httplib::ThreadPool(4); };
    // httplib's default adds SO_REUSEPORT, with which a second exporter on the
    // same port would bind too and share the scrapes; a busy port must fail.
    server.set_socket_options([](int fd) {
        int yes = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    server.Get("/metrics",
               [&exporter](const httplib::Request& request, httplib::Response& response) {
                   auto format = negotiate_format(request.get_header_value("Accept"));
                   response.set_content(exporter.scrape(format), content_type(format));
               });
    server.Get("/healthz", [&exporter](const httplib::Request&, httplib::Response& response) {
        std::string health = exporter.health();
        response.status = health == "ok" ? 200 : 503;
        response.set_content(health + "\n", "text/plain; charset=utf-8");
    });
    server.Get("/debug/pprof/profile",
               [&exporter, impl = impl_.get()](const httplib::Request& request,
                                               httplib::Response& response) {
                   serve_pprof(exporter, impl->cpu_profile, request, response, [&](double seconds) {
                       return collect_cpu_pprof(seconds, 99, impl->stopping);
                   });
               });
    server.Get(
        "/debug/pprof/offcpu", [&exporter, impl = impl_.get()](const httplib::Request& request,
                                                               httplib::Response& response) {
            serve_pprof(exporter, impl->offcpu_profile, request, response, [&](double seconds) {
                return collect_offcpu_pprof(seconds, impl->stopping);
            });
        });
    server.Get("/", [](const httplib::Request&, httplib::Response& response) {
        response.set_content(
            "bpfscope serve\n  /metrics   Prometheus text 0.0.4 or OpenMetrics (by Accept)\n"
            "  /healthz   ok, or the failing collectors (503)\n"
            "  /debug/pprof/profile?seconds=N   on-CPU profile (gzip pprof, 99 Hz per CPU)\n"
            "  /debug/pprof/offcpu?seconds=N    off-CPU time by stack (gzip pprof, us)\n",
            "text/plain; charset=utf-8");
    });
    impl_->port = address.port == 0
                      ? server.bind_to_any_port(address.host)
                      : (server.bind_to_port(address.host, address.port) ? address.port : -1);
    if (impl_->port <= 0)
        throw UserError(errno_message("cannot listen on " + address.host + ":" +
                                          std::to_string(address.port) +
                                          " (in use, or not a local address?); pick another "
                                          "with --listen",
                                      errno));
    impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
}

HttpServer::~HttpServer() {
    stop();
}

int HttpServer::port() const {
    return impl_->port;
}

void HttpServer::stop() {
    impl_->stopping = true;  // a profile in progress returns early
    impl_->server.stop();
    if (impl_->thread.joinable())
        impl_->thread.join();
}

}  // namespace bpfscope::serve
