// profile: on-CPU sampling by (thread, user stack, kernel stack) with one
// perf_event (cpu-clock) per CPU driving bpf/profile.bpf.c.
#include <bpf/bpf.h>

#include <chrono>

#include "base/error.h"
#include "base/logging.h"
#include "base/options.h"
#include "base/owners.h"
#include "core/drop_in_output.h"
#include "core/interval_counters.h"
#include "core/profile_session.h"
#include "core/run_loop.h"
#include "core/stack_collect.h"
#include "core/tool_registry.h"

namespace bpfscope {
namespace {

struct ProfileOptions : ProfileSetup {
    RunOptions run;
    bool folded = false;
    report::StackOutputOptions files;
};

int profile_main(int argc, char** argv) {
    ProfileOptions o;
    ToolOptions cli("profile", "Sample on-CPU stacks at a fixed rate (perf cpu-clock)");
    cli.run_options(o.run).duration_positional(o.run);
    auto& app = cli.app();
    cli.number("-F,--frequency", o.frequency, 1, 100000, "Samples per second per CPU (default 49)");
    cli.number("-c,--count-period", o.period, 1000, 1000000000000ull,
               "Sample once every this many ns of CPU time instead of -F");
    app.get_option("-c")->excludes(app.get_option("-F"));
    cli.id_list("-p,--pid", o.pids, "Sample these processes only");
    cli.id_list("-L,--tid", o.tids, "Sample these threads only");
    cli.number("-C,--cpu", o.cpu, 0, 8191, "Sample this CPU only");
    app.add_flag("-U,--user-stacks-only", o.user_only, "Show user stacks only");
    app.add_flag("-K,--kernel-stacks-only", o.kernel_only, "Show kernel stacks only");
    app.add_flag("-I,--include-idle", o.include_idle, "Include samples of the idle task");
    app.add_flag("-f", o.folded, "Folded output on stdout: comm;user frames;-;kernel frames count");
    cli.number("--stack-storage-size", o.storage_size, 16, 1u << 22,
               "Distinct stacks (and aggregation entries) kept");
    cli.number("--perf-max-stack-depth", o.max_depth, 1, PROFILE_MAX_STACK_DEPTH,
               "Deepest stack captured (frames)");
    report::add_stack_output_options(app, o.files);
    if (auto exit_code = cli.parse(argc, argv))
        return *exit_code;
    if (o.user_only && o.kernel_only)
        throw UserError("-U and -K exclude each other: pick one", kUsageExitCode);

    ProfileSkeleton skel = load_profile(o);

    StackSymbols symbols(StackSymbolOptions{o.run.verbose, o.run.verbose});
    NewPidListener new_pids(bpf_map__fd(skel->maps.new_pids),
                            [&](uint32_t tgid) { symbols.process_announced(tgid); });
    BpfLink exec_link(bpf_program__attach(skel->progs.profile_exec));
    if (!exec_link)
        throw UserError(errno_message("cannot attach to sched_process_exec", errno));
    auto samplers = attach_cpu_samplers(skel->progs.profile_sample, o);
    spdlog::info(
        "sampling on-CPU stacks at {} on {} CPU(s)",
        o.period ? std::to_string(o.period) + " ns period" : std::to_string(o.frequency) + " Hz",
        samplers.size());
    auto start = std::chrono::steady_clock::now();
    size_t cpus = samplers.size();
    IntervalCounters counters(bpf_map__fd(skel->maps.counters), PROFILE_COUNTER_COUNT);
    // One report per interval (-i) and at the end; intervals report and reset
    // the samples, and count only their own samples and losses.
    auto report_interval = [&](bool final) {
        if (final)
            samplers.clear();  // stop sampling before reading
        new_pids.poll(0);

        report::StackProfile profile;
        profile.sample_type = "cpu";
        profile.unit = "count";
        profile.period = o.period ? o.period : 1000000000ull / o.frequency;
        profile.period_unit = "nanoseconds";
        profile.duration_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::steady_clock::now() - start)
                                  .count();
        // The counters are read with the samples, not after symbolizing (which
        // can take long): both then cover the same interval.
        std::vector<RawStack> raw = read_profile_samples(skel.get(), o.user_only, !final);
        auto c = counters.read();
        assemble_profile(raw, symbols, AssembleOptions{}, profile);

        report::Report rep;
        rep.tool = "profile";
        if (o.run.timestamps)
            rep.timestamp = wall_clock_timestamp();
        rep.header.push_back({"event", std::string("cpu-clock"), ""});
        rep.header.push_back({"cpus", uint64_t(cpus), ""});
        auto& summary = rep.add_section("sampling summary", "summary");
        summary.add("samples", c[PROFILE_SAMPLES])
            .add("idle_samples_skipped", c[PROFILE_IDLE_SKIPPED])
            .add("stacks", uint64_t(profile.samples.size()));
        for (const auto& [name, value] : symbols.stats()) summary.add("symbols_" + name, value);
        warn_about_losses(
            rep, {{"user stacks missing (could not be read)", c[PROFILE_USER_STACK_MISSING]},
                  {"kernel stacks missing", c[PROFILE_KERNEL_STACK_MISSING]},
                  {"stacks lost: stack map full (raise --stack-storage-size)",
                   c[PROFILE_STACK_MAP_FULL]},
                  {"samples dropped: aggregation map full (raise --stack-storage-size)",
                   c[PROFILE_AGGREGATION_FULL]},
                  {"new-process events lost (symbols of short-lived processes may be missing)",
                   c[PROFILE_NEW_PID_LOST]}});
        if (auto* drop_in = drop_in_output())
            drop_in->write(rep, &profile, final);
        else
            write_stack_result(profile, rep,
                               StackResultOptions{o.run.json, o.folded, "samples", o.files});
        start = std::chrono::steady_clock::now();
    };
    run_loop(
        o.run, [&](bool final) { report_interval(final); }, [&] { new_pids.poll(0); },
        std::chrono::milliseconds(20));
    return 0;
}

}  // namespace

BPFSCOPE_REGISTER_TOOL("profile", "Sample on-CPU stacks (kernel and user) at a fixed rate",
                       profile_main);

}  // namespace bpfscope
