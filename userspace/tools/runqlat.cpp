// runqlat: scheduler run-queue latency (runnable -> running) as log2
// histograms with percentiles, overall, per process (-P) or per thread (-L).
#include <iostream>

#include "base/error.h"
#include "base/logging.h"
#include "base/options.h"
#include "base/owners.h"
#include "core/drop_in_output.h"
#include "core/interval_counters.h"
#include "core/run_loop.h"
#include "core/runqlat_session.h"
#include "core/stack_collect.h"
#include "core/tool_registry.h"
#include "report/json_writer.h"
#include "report/text_writer.h"
#include "runqlat.h"

namespace bpfscope {
namespace {

struct RunqlatOptions {
    RunOptions run;
    bool milliseconds = false, per_process = false, per_thread = false, force_raw_tp = false;
    bool per_pidns = false;
    std::vector<uint32_t> pids;
    std::string cgroup;
};

// Reads (and with `reset`, clears) every histogram into a report.
report::Report collect(RunqlatSession& session, const RunqlatOptions& o, bool reset,
                       IntervalCounters& counters) {
    report::Report rep;
    rep.tool = "runqlat";
    if (o.run.timestamps)
        rep.timestamp = wall_clock_timestamp();
    const char* unit = o.milliseconds ? "ms" : "us";
    for (auto& [id, comm, h] : session.read(reset)) {
        std::string title = o.per_thread    ? "tid = " + std::to_string(id) + " " + comm
                            : o.per_process ? "pid = " + std::to_string(id) + " " + comm
                            : o.per_pidns   ? "pidns = " + std::to_string(id) + " " + comm
                                            : "run queue latency";
        auto& section = rep.add_section(title, "histogram");
        if (o.per_thread)
            section.add("tid", uint64_t(id));
        if (o.per_process)
            section.add("pid", uint64_t(id));
        if (o.per_pidns)
            section.add("pidns", uint64_t(id));
        if (!comm.empty())
            section.add("comm", comm);
        section.add("count", h.count)
            .add("average", h.mean(), unit)
            .add("p50", h.percentile(0.50), unit)
            .add("p90", h.percentile(0.90), unit)
            .add("p99", h.percentile(0.99), unit)
            .add("max", h.max, unit);
        section.histogram = std::move(h);
    }
    auto c = counters.read();  // this interval's losses only
    warn_about_losses(
        rep, {{"enqueues not timed: task storage unavailable", c[RUNQLAT_TASK_STORAGE_FAILED]},
              {"latencies dropped: histogram map full", c[RUNQLAT_HISTOGRAMS_FULL]}});
    return rep;
}

int runqlat_main(int argc, char** argv) {
    RunqlatOptions o;
    ToolOptions cli("runqlat",
                    "Summarize scheduler run-queue latency (wakeup or preemption to running) as "
                    "histograms");
    cli.run_options(o.run).interval_positionals(o.run);
    auto& app = cli.app();
    app.add_flag("-m,--milliseconds", o.milliseconds,
                 "Histograms in milliseconds (default microseconds)");
    auto* per_process = app.add_flag("-P,--pids", o.per_process, "One histogram per process");
    auto* per_thread =
        app.add_flag("-L,--tids", o.per_thread, "One histogram per thread")->excludes(per_process);
    app.add_flag("--pidnss", o.per_pidns, "One histogram per PID namespace")
        ->excludes(per_process)
        ->excludes(per_thread);
    cli.id_list("-p,--pid", o.pids, "Trace these processes only");
    app.add_option("-c,--cgroup", o.cgroup,
                   "Trace tasks in this cgroup v2 directory (and below) only");
    app.add_flag("--raw-tp", o.force_raw_tp, "Use the raw_tp fallback even where tp_btf works");
    if (auto exit_code = cli.parse(argc, argv))
        return *exit_code;

    RunqlatConfig config;
    config.milliseconds = o.milliseconds;
    config.key = o.per_thread    ? RunqlatConfig::Key::kThread
                 : o.per_process ? RunqlatConfig::Key::kProcess
                 : o.per_pidns   ? RunqlatConfig::Key::kPidNamespace
                                 : RunqlatConfig::Key::kTotal;
    config.pids = o.pids;
    config.cgroup = o.cgroup;
    config.force_raw_tp = o.force_raw_tp;
    RunqlatSession session(config);
    bool btf = session.tp_btf();
    spdlog::info("tracing run queue latency ({}) in {}", btf ? "tp_btf" : "raw_tp",
                 o.milliseconds ? "ms" : "us");
    IntervalCounters counters(session.counters_fd(), RUNQLAT_COUNTER_COUNT);
    run_loop(o.run, [&](bool final) {
        report::Report rep = collect(session, o, o.run.interval_s > 0, counters);
        rep.header.push_back({"attach", std::string(btf ? "tp_btf" : "raw_tp"), ""});
        if (auto* drop_in = drop_in_output())
            drop_in->write(rep, nullptr, final);
        else if (o.run.json)
            report::write_json(std::cout, rep);
        else
            report::write_text(std::cout, rep);
        std::cout.flush();
        (void) final;
    });
    return 0;
}

}  // namespace

BPFSCOPE_REGISTER_TOOL("runqlat", "Scheduler run-queue latency histograms with percentiles",
                       runqlat_main);

}  // namespace bpfscope
