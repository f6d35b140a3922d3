// bpfscope funccount: calls per kernel function, user function, tracepoint or
// USDT probe (wildcards allowed), per interval, sorted; -P per process.
// A thin driver on the probe engine (core/probe_session.h) in count mode.
#include <iostream>

#include "base/error.h"
#include "base/logging.h"
#include "base/options.h"
#include "core/capabilities.h"
#include "core/probe_report.h"
#include "core/probe_session.h"
#include "core/run_loop.h"
#include "core/tool_registry.h"
#include "report/write_report.h"

namespace bpfscope {
namespace {

int funccount_main(int argc, char** argv) {
    ToolOptions cli(
        "funccount",
        "Count calls of kernel/user functions, tracepoints and USDT probes (wildcards)");
    RunOptions run;
    cli.run_options(run);
    auto& app = cli.app();
    ProbeOptions probe;
    probe.mode = ProbeMode::kCount;
    std::string backend;
    app.add_option("patterns", probe.probes,
                   "Probes (README: probe grammar): vfs_*, c:str*, t:syscalls:sys_enter_*, "
                   "u:PATH:PROVIDER:NAME")
        ->required();
    cli.id_list("-p,--pid", probe.pids, "Count in these processes only");
    app.add_flag("-P,--per-process", probe.per_process, "Count per process (PID and COMM)");
    app.add_option("-c,--cgroup", probe.cgroup_path,
                   "Only tasks in this cgroup v2 directory (and below)");
    app.add_option("--max-matches", probe.max_matches,
                   "Most attach points a wildcard may match (default 1000)")
        ->check(CLI::Range(size_t(1), size_t(100000)));
    app.add_option("--max-entries", probe.max_entries, "Capacity of the per-process count map (-P)")
        ->check(CLI::Range(16u, 1u << 22));
    app.add_option("--backend", backend, "Force a backend for kernel functions: fentry, kprobe")
        ->check(CLI::IsMember({"fentry", "kprobe"}));
    if (auto exit_code = cli.parse(argc, argv))
        return *exit_code;
    if (!backend.empty())
        probe.forced_backend = parse_backend(backend);

    ProbeSession session(probe);
    spdlog::info("counting {} attach point(s) of {} probe(s)", session.points().size(),
                 probe.probes.size());
    auto started = std::chrono::steady_clock::now();
    run_loop(run, [&](bool final) {
        // Intervals report and reset; the final report reads what is left.
        auto counts = session.counts(!final);
        report::Report rep;
        rep.tool = "funccount";
        if (run.timestamps || run.interval_s > 0)
            rep.timestamp = wall_clock_timestamp();
        double elapsed =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        started = std::chrono::steady_clock::now();
        rep.header = {{"kernel_release", kernel_facts().release, ""}, {"elapsed", elapsed, "s"}};
        rep.sections.push_back(probe_points_section(session.points()));
        auto& section = rep.add_section("calls", "counts");
        uint64_t total = 0;
        for (const auto& count : counts) total += count.count;
        section.add("total", total).add("functions_hit", uint64_t(counts.size()));
        section.tables.push_back(probe_count_table(session.points(), counts, probe.per_process));
        auto stats = session.stats();
        add_probe_stats(rep, stats);
        report::write_report(std::cout, rep, run.json);
        std::cout.flush();
    });
    return 0;
}

}  // namespace

BPFSCOPE_REGISTER_TOOL("funccount",
                       "calls per kernel/user function, tracepoint or USDT probe (wildcards)",
                       funccount_main);

}  // namespace bpfscope
