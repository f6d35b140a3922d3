// serve: a long-running Prometheus/OpenMetrics exporter of bpfscope's own
// collectors (runqlat, funclatency targets, self-overhead). Runs no commands:
// what it measures comes only from its configuration.
#include <pthread.h>
#include <signal.h>

#include "base/error.h"
#include "base/logging.h"
#include "base/options.h"
#include "core/tool_registry.h"
#include "serve/config.h"
#include "serve/exporter.h"

namespace bpfscope {
namespace {

struct ServeFlags {
    std::string listen, config_path;
    bool no_runqlat = false, runqlat_per_cgroup = false;
    std::optional<uint32_t> max_cgroups;
    std::vector<std::string> funclatency;
};

// The config file (if any) with the flags on top; read again at every SIGHUP.
serve::ServeConfig build_config(const ServeFlags& flags) {
    serve::ServeConfig config = flags.config_path.empty()
                                    ? serve::ServeConfig{}
                                    : serve::load_config_file(flags.config_path);
    if (!flags.listen.empty()) {
        serve::parse_listen_address(flags.listen);
        config.listen = flags.listen;
    }
    if (flags.no_runqlat)
        config.runqlat = false;
    if (flags.runqlat_per_cgroup)
        config.runqlat_per_cgroup = true;
    if (flags.max_cgroups)
        config.runqlat_max_cgroups = *flags.max_cgroups;
    for (const auto& target : flags.funclatency) {
        for (const auto& existing : config.funclatency)
            if (existing.name == target)
                throw UserError("--funclatency " + target + ": already in the config file");
        config.funclatency.push_back(serve::FunclatencyTarget{target, target, 0});
    }
    return config;
}

int serve_main(int argc, char** argv) {
    ServeFlags flags;
    ToolOptions cli("serve",
                    "Prometheus/OpenMetrics exporter: /metrics and /healthz over HTTP "
                    "(SIGHUP reloads --config, SIGTERM stops)");
    auto& app = cli.app();
    app.add_option("--listen", flags.listen,
                   "HOST:PORT to serve on (default 127.0.0.1:9435; port 0 picks a free one)");
    app.add_option("--config", flags.config_path, "YAML configuration file (see the README)");
    app.add_flag("--no-runqlat", flags.no_runqlat, "Do not run the runqlat collector");
    app.add_flag("--runqlat-per-cgroup", flags.runqlat_per_cgroup,
                 "Also a run queue latency histogram per cgroup v2 (capped by --max-cgroups)");
    app.add_option("--max-cgroups", flags.max_cgroups,
                   "Cgroup label cap; later cgroups fold into cgroup=\"_other\" (default 64)")
        ->check(CLI::Range(1u, 10000u));
    app.add_option("--funclatency", flags.funclatency,
                   "A funclatency target (PATH:FUNC, CAT:START..CAT:END, FUNC); repeatable");
    if (auto exit_code = cli.parse(argc, argv))
        return *exit_code;

    serve::ServeConfig config = build_config(flags);
    // Signals are taken synchronously by this thread (sigwait), so every thread
    // started from here on (the HTTP server's) must have them blocked.
    sigset_t signals;
    sigemptyset(&signals);
    for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&signals, s);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    signal(SIGPIPE, SIG_IGN);  // a scraper that hangs up must not kill us

    serve::Exporter exporter(config);
    serve::HttpServer server(exporter, serve::parse_listen_address(config.listen));
    std::string collectors;
    for (const auto& name : exporter.collector_names())
        collectors += (collectors.empty() ? "" : ", ") + name;
    spdlog::info("serving http://{}:{}/metrics; collectors: {}",
                 serve::parse_listen_address(config.listen).host, server.port(),
                 collectors.empty() ? "none" : collectors);
    spdlog::info("Tracing... Hit Ctrl-C to end.");
    for (;;) {
        int received = 0;
        if (sigwait(&signals, &received) != 0)
            continue;
        if (received != SIGHUP)
            break;
        try {
            serve::ServeConfig next = build_config(flags);
            if (next.listen != config.listen)
                spdlog::warn("reload: the listen address changes only at restart; still on {}",
                             config.listen);
            next.listen = config.listen;
            exporter.reload(next);
            config = next;
            collectors.clear();
            for (const auto& name : exporter.collector_names())
                collectors += (collectors.empty() ? "" : ", ") + name;
            spdlog::info("configuration reloaded; collectors: {}",
                         collectors.empty() ? "none" : collectors);
        } catch (const UserError& error) {
            exporter.count_failed_reload();
            spdlog::error("reload refused, previous configuration kept: {}", error.what());
        }
    }
    server.stop();
    spdlog::info("stopped");
    return 0;
}

}  // namespace

BPFSCOPE_REGISTER_TOOL("serve", "Prometheus/OpenMetrics exporter of bpfscope's collectors",
                       serve_main);

}  // namespace bpfscope
