// bpfscope stackcount: how often each unique kernel and/or user stack reached
// a probe (function, tracepoint, USDT; wildcards allowed). Same outputs as
// offcputime: bcc-style stacks, -f folded, --folded/--svg/--pprof files, -j.
// A thin driver on the probe engine (core/probe_session.h) in stack-count mode.
#include <chrono>
#include <set>

#include "base/error.h"
#include "base/logging.h"
#include "base/options.h"
#include "core/capabilities.h"
#include "core/probe_report.h"
#include "core/probe_session.h"
#include "core/run_loop.h"
#include "core/stack_collect.h"
#include "core/tool_registry.h"

namespace bpfscope {
namespace {

int stackcount_main(int argc, char** argv) {
    ToolOptions cli("stackcount", "Count the kernel and user stacks that reach a probe");
    RunOptions run;
    cli.run_options(run);
    auto& app = cli.app();
    ProbeOptions probe;
    probe.mode = ProbeMode::kStackCount;
    bool kernel_only = false, user_only = false, folded = false;
    std::string backend;
    report::StackOutputOptions files;
    app.add_option("probes", probe.probes,
                   "Probes (README: probe grammar): c:malloc, t:sched:sched_switch, vfs_*")
        ->required();
    app.add_flag("-K,--kernel-stacks-only", kernel_only, "Kernel stacks only");
    app.add_flag("-U,--user-stacks-only", user_only, "User stacks only");
    app.add_flag("-P,--per-process", probe.per_process, "One stack per process (PID and COMM)");
    cli.id_list("-p,--pid", probe.pids, "Count in these processes only");
    app.add_option("-c,--cgroup", probe.cgroup_path,
                   "Only tasks in this cgroup v2 directory (and below)");
    app.add_flag("-f", folded, "Folded output on stdout: comm;user frames;-;kernel frames count");
    app.add_option("--max-matches", probe.max_matches,
                   "Most attach points a wildcard may match (default 1000)")
        ->check(CLI::Range(size_t(1), size_t(100000)));
    app.add_option("--max-entries", probe.max_entries,
                   "Distinct stacks kept (and aggregation entries)")
        ->check(CLI::Range(16u, 1u << 22));
    app.add_option("--backend", backend, "Force a backend for kernel functions: fentry, kprobe")
        ->check(CLI::IsMember({"fentry", "kprobe"}));
    report::add_stack_output_options(app, files);
    if (auto exit_code = cli.parse(argc, argv))
        return *exit_code;
    if (kernel_only && user_only)
        throw UserError("-K and -U exclude each other: pick one", kUsageExitCode);
    probe.kernel_stack = !user_only;
    probe.user_stack = !kernel_only;
    if (!backend.empty())
        probe.forced_backend = parse_backend(backend);

    ProbeSession session(probe);
    StackSymbols symbols(StackSymbolOptions{run.verbose, run.verbose});
    // User stacks are symbolized in their process: pin its mappings while it
    // lives, so a process that exits before the report keeps its names.
    for (uint32_t pid : probe.pids) symbols.observe_process(pid);
    auto observe_new_processes = [&] {
        if (!probe.user_stack)
            return;
        for (const auto& stack : session.stacks(false))
            if (stack.tgid && !symbols.observed(stack.tgid))
                symbols.observe_process(stack.tgid);
    };
    spdlog::info("counting stacks at {} attach point(s)", session.points().size());
    auto started = std::chrono::steady_clock::now();
    auto report_interval = [&](bool final) {
        observe_new_processes();
        std::vector<size_t> point_of;
        auto raw = session.stacks(!final, &point_of);
        for (auto& stack : raw)
            if (!stack.tid)
                stack.tid = stack.tgid;  // stacks are counted per process, not per thread
        report::StackProfile profile;
        profile.sample_type = "count";
        profile.unit = "count";
        profile.duration_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::steady_clock::now() - started)
                                  .count();
        started = std::chrono::steady_clock::now();
        assemble_profile(raw, symbols, AssembleOptions{true, false}, profile);
        // Several probes: the probe is the root frame, so their stacks stay apart.
        if (session.points().size() > 1)
            for (size_t i = 0; i < profile.samples.size() && i < point_of.size(); i++) {
                StackFrame probe_frame;
                probe_frame.name = session.points()[point_of[i]].name;
                auto& frames = profile.samples[i].frames;
                frames.insert(frames.begin(), probe_frame);
            }

        report::Report rep;
        rep.tool = "stackcount";
        if (run.timestamps || run.interval_s > 0)
            rep.timestamp = wall_clock_timestamp();
        rep.sections.push_back(probe_points_section(session.points()));
        uint64_t total = 0;
        for (const auto& stack : raw) total += uint64_t(stack.value);
        auto& summary = rep.add_section("stack count summary", "summary");
        summary.add("events", total).add("stacks", uint64_t(profile.samples.size()));
        for (const auto& [name, value] : symbols.stats()) summary.add("symbols_" + name, value);
        auto stats = session.stats();
        add_probe_stats(rep, stats);
        write_stack_result(profile, rep, StackResultOptions{run.json, folded, "count", files});
    };
    run_loop(run, report_interval, observe_new_processes, std::chrono::milliseconds(250));
    return 0;
}

}  // namespace

BPFSCOPE_REGISTER_TOOL("stackcount", "count the kernel and user stacks that reach a probe",
                       stackcount_main);

}  // namespace bpfscope
