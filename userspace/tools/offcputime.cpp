// offcputime: off-CPU time by (thread, user stack, kernel stack).
// Default design: timestamp at switch-out, kernel stack of `next` at switch-in
// only for blocks in [-m, -M] (see bpf/offcputime.bpf.c and docs/stacks.md).
#include <bpf/bpf.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <optional>

#include "base/error.h"
#include "base/logging.h"
#include "base/options.h"
#include "base/owners.h"
#include "core/capabilities.h"
#include "core/drop_in_output.h"
#include "core/interval_counters.h"
#include "core/offcpu_session.h"
#include "core/run_loop.h"
#include "core/stack_collect.h"
#include "core/tool_registry.h"
#include "offcputime.h"
#include "offcputime.skel.h"
#include "symbols/kallsyms.h"

namespace bpfscope {
namespace {

struct OffcpuOptions : OffcpuSetup {
    RunOptions run;
    bool folded = false;
    report::StackOutputOptions files;
};

int offcputime_main(int argc, char** argv) {
    OffcpuOptions o;
    ToolOptions cli("offcputime",
                    "Summarize off-CPU time by stack (time threads spent blocked or preempted)");
    cli.run_options(o.run).duration_positional(o.run);
    auto& app = cli.app();
    app.add_flag("-U,--user-stacks-only", o.user_only, "Show user stacks only");
    app.add_flag("-K,--kernel-stacks-only", o.kernel_only, "Show kernel stacks only");
    cli.id_list("-p,--pid", o.pids, "Trace these processes only");
    cli.id_list("-t,--tid", o.tids, "Trace these threads only");
    app.add_flag("-k,--kthreads-only,--kernel-threads-only", o.kthreads_only,
                 "Kernel threads only");
    app.add_flag("-u,--user-threads-only", o.user_threads_only, "User threads only");
    // In us, and ns in BPF: at most a year keeps the product in 64 bits.
    constexpr uint64_t kYearUs = 366ull * 24 * 3600 * 1000000;
    cli.number("-m,--min-block-time", o.min_us, 0, kYearUs,
               "Only count blocks of at least this many us (default 1)");
    cli.number("-M,--max-block-time", o.max_us, 0, kYearUs,
               "Only count blocks of at most this many us");
    app.add_option("--state", o.state,
                   "Only count threads leaving the CPU in this state (0/R, 1/S, 2/D)");
    app.add_flag("-f", o.folded,
                 "Folded output on stdout: comm;user frames;-;kernel frames total_us");
    cli.number("--stack-storage-size", o.storage_size, 16, 1u << 22,
               "Distinct stacks (and aggregation entries) kept");
    cli.number("--perf-max-stack-depth", o.max_depth, 1, OFFCPU_MAX_STACK_DEPTH,
               "Deepest stack captured (frames)");
    app.add_option("--capture", o.capture,
                   "switch-in (default, kernel stack only for blocks past -m) or switch-out "
                   "(both stacks at every switch-out: the straightforward reference design)")
        ->check(CLI::IsMember({"switch-in", "switch-out"}));
    app.add_flag("--no-stack-reuse", o.no_reuse,
                 "Walk every stack even when the task's registers say it is unchanged");
    app.add_flag("--raw-tp", o.force_raw_tp, "Use the raw_tp fallback even where tp_btf works");
    app.add_flag(
           "--attach-empty-program", o.empty_program,
           "Benchmark reference: attach only an empty sched_switch program (tools/bench/stacks.sh)")
        ->group("");
    report::add_stack_output_options(app, o.files);
    if (auto exit_code = cli.parse(argc, argv))
        return *exit_code;
    if (o.user_only && o.kernel_only)
        throw UserError("-U and -K exclude each other: pick one", kUsageExitCode);
    if (o.kthreads_only && o.user_threads_only)
        throw UserError("--kthreads-only and --user-threads-only exclude each other: pick one",
                        kUsageExitCode);
    if (o.min_us > o.max_us)
        throw UserError("-m must not exceed -M: lower -m or raise -M", kUsageExitCode);

    bool btf = !o.force_raw_tp && probe_capability(ProgramKind::kTpBtf).ok();
    OffcpuSkeleton skel = load_offcputime(o, btf);
    // --attach-empty-program measures nothing but the cost of running a program.
    bpf_program* program = o.empty_program ? skel->progs.offcpu_switch_empty
                           : btf           ? skel->progs.offcpu_switch_btf
                                           : skel->progs.offcpu_switch_raw;
    BpfLink link(bpf_program__attach(program));
    if (!link)
        throw UserError(errno_message("cannot attach to sched_switch", errno));
    BpfLink exec_link(
        bpf_program__attach(btf ? skel->progs.offcpu_exec_btf : skel->progs.offcpu_exec_raw));
    if (!exec_link)
        throw UserError(errno_message("cannot attach to sched_process_exec", errno));

    StackSymbols symbols(StackSymbolOptions{o.run.verbose, o.run.verbose});
    NewPidListener new_pids(bpf_map__fd(skel->maps.new_pids),
                            [&](uint32_t tgid) { symbols.process_announced(tgid); });
    spdlog::info("tracing off-CPU time (us) of {}",
                 o.pids.empty() && o.tids.empty() ? "all threads" : "the selected threads");
    auto start = std::chrono::steady_clock::now();
    IntervalCounters counters(bpf_map__fd(skel->maps.counters), OFFCPU_COUNTER_COUNT);
    // One report per interval (-i) and at the end; intervals report and reset
    // the blocks, and count only their own switches and losses.
    auto report_interval = [&](bool final) {
        if (final)
            link.reset();  // stop measuring before reading
        new_pids.poll(0);

        report::StackProfile profile;
        profile.sample_type = "offcpu";
        profile.unit = "microseconds";
        profile.duration_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::steady_clock::now() - start)
                                  .count();
        // Both designs' kernel stacks start at __schedule (the switch-in one puts
        // back the scheduler frames bpf_get_task_stack() leaves out): trimmed there.
        // The counters are read with the blocks, not after symbolizing (which
        // can take long): both then cover the same interval.
        std::vector<RawStack> raw = read_offcpu_blocks(skel.get(), o.user_only, !final);
        auto c = counters.read();
        assemble_profile(raw, symbols, AssembleOptions{true, true}, profile);

        report::Report rep;
        rep.tool = "offcputime";
        if (o.run.timestamps)
            rep.timestamp = wall_clock_timestamp();
        rep.header.push_back(
            {"attach", std::string(btf ? "tp_btf/sched_switch" : "raw_tp/sched_switch"), ""});
        rep.header.push_back(
            {"capture",
             std::string(btf && o.capture == "switch-in"
                             ? "kernel stack at switch-in, user stack at switch-out"
                             : "both stacks at switch-out"),
             ""});
        auto& summary = rep.add_section("off-CPU summary", "summary");
        summary.add("switch_outs", c[OFFCPU_SWITCHES_OUT])
            .add("blocks_recorded", c[OFFCPU_BLOCKS_RECORDED])
            .add("blocks_outside_min_max", c[OFFCPU_BLOCKS_FILTERED])
            .add("user_stack_walks", c[OFFCPU_USER_STACK_WALKS])
            .add("user_stack_reused", c[OFFCPU_USER_STACK_CACHE_HITS])
            .add("kernel_stack_walks", c[OFFCPU_KERNEL_STACK_WALKS])
            .add("kernel_stack_reused", c[OFFCPU_KERNEL_STACK_CACHE_HITS])
            .add("kernel_stacks_missing_idle", c[OFFCPU_KERNEL_STACK_MISSING_IDLE])
            .add("kernel_stacks_missing_kernel_thread", c[OFFCPU_KERNEL_STACK_MISSING_KTHREAD])
            .add("blocking_frames_not_found", c[OFFCPU_SCHED_FRAMES_NOT_FOUND])
            .add("stacks", uint64_t(profile.samples.size()));
        for (const auto& [name, value] : symbols.stats()) summary.add("symbols_" + name, value);
        warn_about_losses(
            rep,
            {{"user stacks missing (could not be read)", c[OFFCPU_USER_STACK_MISSING]},
             {"user stacks lost: stack map full (raise --stack-storage-size)",
              c[OFFCPU_USER_STACK_MAP_FULL]},
             {missing_kernel_stacks_warning(read_percpu_counters(
                  bpf_map__fd(skel->maps.kernel_stack_errors), OFFCPU_ERRNO_SLOTS)),
              c[OFFCPU_KERNEL_STACK_MISSING]},
             {"kernel stacks lost: stack map full (raise --stack-storage-size)",
              c[OFFCPU_KERNEL_STACK_MAP_FULL]},
             {"blocks dropped: aggregation map full (raise --stack-storage-size)",
              c[OFFCPU_AGGREGATION_FULL]},
             {"us of off-CPU time in those dropped blocks", c[OFFCPU_AGGREGATION_FULL_NS] / 1000},
             {"switch-outs not timed: task storage unavailable", c[OFFCPU_TASK_STORAGE_FAILED]},
             {"new-process events lost (symbols of short-lived processes may be missing)",
              c[OFFCPU_NEW_PID_LOST]}});
        if (auto* drop_in = drop_in_output())
            drop_in->write(rep, &profile, final);
        else
            write_stack_result(profile, rep,
                               StackResultOptions{o.run.json, o.folded, "us", o.files});
        start = std::chrono::steady_clock::now();
    };
    run_loop(
        o.run, [&](bool final) { report_interval(final); }, [&] { new_pids.poll(0); },
        std::chrono::milliseconds(20));
    return 0;
}

}  // namespace

BPFSCOPE_REGISTER_TOOL("offcputime", "Off-CPU time by kernel and user stack", offcputime_main);

}  // namespace bpfscope
