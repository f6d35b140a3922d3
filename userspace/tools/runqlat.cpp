// runqlat: scheduler run-queue latency (runnable -> running) as log2
// histograms with percentiles, overall, per process (-P) or per thread (-L).
#include <bpf/bpf.h>

#include <algorithm>
#include <iostream>

#include "base/error.h"
#include "base/logging.h"
#include "base/options.h"
#include "base/owners.h"
#include "core/capabilities.h"
#include "core/cgroup_identity.h"
#include "core/interval_counters.h"
#include "core/drop_in_output.h"
#include "core/map_iteration.h"
#include "core/run_loop.h"
#include "core/stack_collect.h"
#include "core/tool_registry.h"
#include "report/json_writer.h"
#include "report/text_writer.h"
#include "runqlat.h"
#include "runqlat.skel.h"

namespace bpfscope {
namespace {

using RunqlatSkeleton = Skeleton<runqlat_bpf, runqlat_bpf__destroy>;

struct RunqlatOptions {
    RunOptions run;
    bool milliseconds = false, per_process = false, per_thread = false, force_raw_tp = false;
    bool per_pidns = false;
    std::vector<uint32_t> pids;
    std::string cgroup;
};

RunqlatSkeleton load(const RunqlatOptions& o, bool btf) {
    RunqlatSkeleton skel(runqlat_bpf__open());
    if (!skel)
        throw UserError(errno_message("cannot open the runqlat BPF object", errno));
    auto* ro = skel->rodata;
    ro->filter_tgid = !o.pids.empty();
    ro->per_process = o.per_process;
    ro->per_thread = o.per_thread;
    ro->per_pidns = o.per_pidns;
    ro->unit_ns = o.milliseconds ? 1000000 : 1000;
    if (!o.cgroup.empty()) {
        auto [id, level] = cgroup_v2_identity(o.cgroup);
        ro->filter_cgroup = true;
        ro->cgroup_id = id;
        ro->cgroup_level = level;
    }
    bpf_program* btf_progs[] = {skel->progs.runqlat_wakeup_btf, skel->progs.runqlat_wakeup_new_btf,
                                skel->progs.runqlat_switch_btf};
    bpf_program* raw_progs[] = {skel->progs.runqlat_wakeup_raw, skel->progs.runqlat_wakeup_new_raw,
                                skel->progs.runqlat_switch_raw};
    for (auto* prog : btf ? raw_progs : btf_progs) bpf_program__set_autoload(prog, false);
    if (btf)
        bpf_map__set_max_entries(skel->maps.enqueued_at_by_tid, 1);
    if (int err = runqlat_bpf__load(skel.get()))
        throw UserError(errno_message("cannot load the runqlat BPF programs", err));
    fill_id_set(bpf_map__fd(skel->maps.tgids), o.pids, "pid");
    return skel;
}

// Reads (and with `reset`, clears) every histogram into a report.
report::Report collect(runqlat_bpf* skel, const RunqlatOptions& o, bool reset,
                       IntervalCounters& counters) {
    report::Report rep;
    rep.tool = "runqlat";
    if (o.run.timestamps)
        rep.timestamp = wall_clock_timestamp();
    int fd = bpf_map__fd(skel->maps.hists);
    std::vector<std::pair<uint32_t, runqlat_hist>> hists;
    for_each_map_entry<uint32_t, runqlat_hist>(
        fd, [&](uint32_t id, const runqlat_hist& hist) { hists.emplace_back(id, hist); });
    if (reset)
        for (auto& [id, hist] : hists) bpf_map_delete_elem(fd, &id);
    std::sort(hists.begin(), hists.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    const char* unit = o.milliseconds ? "ms" : "us";
    for (const auto& [id, hist] : hists) {
        std::string comm(hist.comm, strnlen(hist.comm, sizeof(hist.comm)));
        std::string title = o.per_thread    ? "tid = " + std::to_string(id) + " " + comm
                            : o.per_process ? "pid = " + std::to_string(id) + " " + comm
                            : o.per_pidns   ? "pidns = " + std::to_string(id) + " " + comm
                                            : "run queue latency";
        auto& section = rep.add_section(title, "histogram");
        report::Log2Histogram h;
        h.unit = unit;
        h.slots.assign(hist.slots, hist.slots + RUNQLAT_SLOTS);
        h.fine_ns.assign(hist.fine_ns, hist.fine_ns + RUNQLAT_FINE_SLOTS);
        h.ns_per_unit = o.milliseconds ? 1e6 : 1e3;
        h.count = hist.count;
        h.sum = hist.sum;
        h.max = hist.max_ns / uint64_t(h.ns_per_unit);
        h.max_ns = hist.max_ns;
        for (unsigned s = 0; s < RUNQLAT_FINE_SLOTS; ++s)
            if (hist.fine_ns[s]) {
                h.min_ns = report::fine_slot_low(s);
                h.min = h.min_ns / uint64_t(h.ns_per_unit);
                break;
            }
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

    bool btf = !o.force_raw_tp && probe_capability(ProgramKind::kTpBtf).ok();
    RunqlatSkeleton skel = load(o, btf);
    if (int err = runqlat_bpf__attach(skel.get()))
        throw UserError(
            errno_message("cannot attach to the sched_wakeup/sched_switch tracepoints", err));
    spdlog::info("tracing run queue latency ({}) in {}", btf ? "tp_btf" : "raw_tp",
                 o.milliseconds ? "ms" : "us");
    IntervalCounters counters(bpf_map__fd(skel->maps.counters), RUNQLAT_COUNTER_COUNT);
    run_loop(o.run, [&](bool final) {
        report::Report rep = collect(skel.get(), o, o.run.interval_s > 0, counters);
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
