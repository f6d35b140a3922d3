#pragma once
// The state behind `bpfscope serve`: the running collectors, the exporter's own
// counters, and the HTTP endpoints that expose them. The HTTP server lives in
// its own threads; everything a scrape touches is behind one mutex, so scrapes
// and reloads never interleave.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/bpf_stats.h"
#include "serve/collectors.h"
#include "serve/config.h"
#include "serve/metrics.h"

namespace bpfscope::serve {

class Exporter {
  public:
    // Builds every collector of `config` (loads and attaches its BPF programs).
    // Throws UserError; nothing stays attached after a throw.
    explicit Exporter(const ServeConfig& config);
    ~Exporter();
    Exporter(const Exporter&) = delete;
    Exporter& operator=(const Exporter&) = delete;

    // Switches to `config`: collectors whose key is unchanged are kept (their
    // counters go on), new ones are built first, removed ones destroyed last.
    // Throws UserError with the old set intact (the caller counts the failure).
    void reload(const ServeConfig& config);
    void count_failed_reload();
    uint32_t pprof_max_seconds();
    void count_pprof(const std::string& endpoint, bool ok);

    // One scrape: every collector's families and the exporter's own.
    MetricSet collect();
    std::string scrape(ExpositionFormat format);
    // "ok", or what is wrong (a collector failed at the last scrape).
    std::string health();
    std::vector<std::string> collector_names();
    const ServeConfig& config() const { return config_; }

  private:
    void collect_self(MetricSet& out);

    std::mutex mutex_;
    ServeConfig config_;
    std::vector<std::unique_ptr<Collector>> collectors_;
    std::optional<BpfStatsScope> stats_scope_;
    uint64_t scrapes_ = 0, reloads_ok_ = 0, reloads_failed_ = 0;
    bool last_reload_ok_ = true;
    double last_scrape_seconds_ = 0;
    std::vector<std::string> failing_;  // collectors that threw at the last scrape
    std::map<std::string, uint64_t> collector_errors_;
    std::map<std::pair<std::string, bool>, uint64_t> pprof_requests_;
};

// The HTTP side: /metrics, /healthz, /debug/pprof/{profile,offcpu} and an index at /. Binds in the
// constructor (UserError when it cannot), serves from its own threads until
// stop() or destruction.
class HttpServer {
  public:
    HttpServer(Exporter& exporter, const ListenAddress& address);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;
    int port() const;
    void stop();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace bpfscope::serve
