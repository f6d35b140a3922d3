// bpfscope funclatency: latency histograms of kernel functions, user functions
// and tracepoint brackets, each measured by the best backend this kernel allows.
#include <iostream>

#include "base/error.h"
#include "base/logging.h"
#include "base/options.h"
#include "core/capabilities.h"
#include "core/drop_in_output.h"
#include "core/latency_report.h"
#include "core/latency_session.h"
#include "core/run_loop.h"
#include "core/tool_registry.h"
#include "report/json_writer.h"
#include "report/text_writer.h"

namespace {

int funclatency_main(int argc, char** argv) {
    bpfscope::ToolOptions cli(
        "funclatency",
        "Time functions and tracepoint brackets: log2 latency histograms per target");
    bpfscope::RunOptions run;
    cli.run_options(run);
    auto& app = cli.app();
    std::vector<std::string> target_texts;
    bpfscope::LatencyOptions latency;
    std::string backend;
    bool milliseconds = false, microseconds = false;
    app.add_option("targets", target_texts,
                   "FUNC (kernel), PATH:FUNC or LIB:FUNC (user), CAT:START..CAT:END (tracepoints)")
        ->required();
    cli.id("-p,--pid", latency.pid, "Only this process (and resolve LIB:FUNC in its mappings)");
    app.add_option("-c,--cgroup", latency.cgroup_path,
                   "Only tasks in this cgroup v2 directory (and below)");
    app.add_flag("-m,--milliseconds", milliseconds, "Histogram in milliseconds");
    app.add_flag("-u,--microseconds", microseconds, "Histogram in microseconds");
    app.add_option("--backend", backend, "Force a backend: fentry, kprobe, uprobe, tracepoint")
        ->check(CLI::IsMember({"fentry", "fexit", "kprobe", "kretprobe", "uprobe", "uretprobe",
                               "tracepoint", "raw_tp"}));
    app.add_option("--start-map-size", latency.start_map_entries,
                   "Capacity of the per-thread start map (threads x targets in flight)");
    bool no_overhead = false;
    app.add_flag("--no-overhead", no_overhead,
                 "Do not measure our own BPF run time (saves ~40 ns per probe hit)");
    if (auto exit_code = cli.parse(argc, argv))
        return *exit_code;
    latency.measure_overhead = !no_overhead;
    if (milliseconds && microseconds)
        throw bpfscope::UserError("-m and -u exclude each other: pick one unit",
                                  bpfscope::kUsageExitCode);
    latency.unit = milliseconds ? "ms" : microseconds ? "us" : "ns";
    if (!backend.empty())
        latency.forced_backend = bpfscope::parse_backend(backend);

    std::vector<bpfscope::TargetSpec> targets;
    for (const auto& text : target_texts) targets.push_back(bpfscope::parse_target(text));
    bpfscope::LatencySession session(targets, latency);

    std::string planned;
    for (const auto& plan : session.plans())
        planned += (planned.empty() ? "" : ", ") + plan.target.text + " [" +
                   bpfscope::backend_name(*plan.backend) + "]";
    spdlog::info("tracing {} target(s): {}", targets.size(), planned);
    auto started = std::chrono::steady_clock::now();
    bpfscope::run_loop(run, [&](bool final) {
        auto results = session.collect(!final);
        bpfscope::report::Report report;
        report.tool = "funclatency";
        if (run.timestamps || run.interval_s > 0)
            report.timestamp = bpfscope::wall_clock_timestamp();
        double elapsed =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        report.header = {{"kernel_release", bpfscope::kernel_facts().release, ""},
                         {"unit", latency.unit, ""},
                         {"elapsed", elapsed, "s"}};
        for (size_t i = 0; i < results.size(); i++)
            report.sections.push_back(
                bpfscope::latency_section(session.plans()[i], results[i], latency.unit));
        report.sections.push_back(bpfscope::overhead_section(
            session.overhead(), session.overhead_known(), latency.measure_overhead));
        bpfscope::add_loss_warnings(report, session.plans(), results);
        if (auto* drop_in = bpfscope::drop_in_output())
            drop_in->write(report, nullptr, final);
        else if (run.json)
            bpfscope::report::write_json(std::cout, report);
        else
            bpfscope::report::write_text(std::cout, report);
    });
    return 0;
}

}  // namespace

BPFSCOPE_REGISTER_TOOL("funclatency",
                       "latency histograms of kernel/user functions and tracepoint brackets",
                       funclatency_main);
