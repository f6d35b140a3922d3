// profile: on-CPU sampling by (thread, user stack, kernel stack) with one
// perf_event (cpu-clock) per CPU driving bpf/profile.bpf.c.
#include <bpf/bpf.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "base/error.h"
#include "base/logging.h"
#include "base/options.h"
#include "base/owners.h"
#include "core/interval_counters.h"
#include "core/run_loop.h"
#include "core/stack_collect.h"
#include "core/tool_registry.h"
#include "profile.h"
#include "profile.skel.h"

namespace bpfscope {
namespace {

using ProfileSkeleton = Skeleton<profile_bpf, profile_bpf__destroy>;

struct ProfileOptions {
    RunOptions run;
    uint64_t frequency = 49, period = 0;
    std::vector<uint32_t> pids, tids;
    int cpu = -1;
    bool user_only = false, kernel_only = false, include_idle = false, folded = false;
    uint32_t storage_size = 10240, max_depth = PROFILE_MAX_STACK_DEPTH;
    report::StackOutputOptions files;
};

// The CPUs a list file such as /sys/devices/system/cpu/online names ("0-3,6").
std::vector<int> read_cpu_list(const std::string& path) {
    std::ifstream in(path);
    std::string text;
    std::getline(in, text);
    std::vector<int> cpus;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t comma = text.find(',', pos);
        std::string part =
            text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        size_t dash = part.find('-');
        int first = std::stoi(part.substr(0, dash));
        int last = dash == std::string::npos ? first : std::stoi(part.substr(dash + 1));
        for (int cpu = first; cpu <= last; ++cpu) cpus.push_back(cpu);
        if (comma == std::string::npos)
            break;
        pos = comma + 1;
    }
    return cpus;
}

struct CpuSampler {
    UniqueFd event;
    BpfLink link;
};

std::vector<CpuSampler> attach_samplers(bpf_program* program, const ProfileOptions& o) {
    std::vector<int> cpus =
        o.cpu >= 0 ? std::vector<int>{o.cpu} : read_cpu_list("/sys/devices/system/cpu/online");
    if (cpus.empty())
        throw UserError("cannot read the online CPUs from /sys/devices/system/cpu/online");
    std::vector<CpuSampler> samplers;
    for (int cpu : cpus) {
        perf_event_attr attr{};
        attr.size = sizeof(attr);
        attr.type = PERF_TYPE_SOFTWARE;
        attr.config = PERF_COUNT_SW_CPU_CLOCK;
        if (o.period) {
            attr.sample_period = o.period;
        } else {
            attr.freq = 1;
            attr.sample_freq = o.frequency;
        }
        UniqueFd fd(static_cast<int>(
            syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC)));
        if (!fd) {
            if (errno == ENODEV && o.cpu < 0)
                continue;  // went offline meanwhile
            throw UserError(errno_message(
                "cannot open a cpu-clock perf event on CPU " + std::to_string(cpu), errno));
        }
        BpfLink link(bpf_program__attach_perf_event(program, fd.get()));
        if (!link)
            throw UserError(errno_message(
                "cannot attach to the perf event of CPU " + std::to_string(cpu), errno));
        samplers.push_back(CpuSampler{std::move(fd), std::move(link)});
    }
    return samplers;
}

// Samples by stack (with `reset`, deleted once read).
std::vector<RawStack> read_samples(profile_bpf* skel, const ProfileOptions& o, bool reset) {
    return read_stack_map<profile_key, uint64_t>(
        bpf_map__fd(skel->maps.samples), bpf_map__fd(skel->maps.stacks), PROFILE_MAX_STACK_DEPTH,
        reset, [&](const profile_key& key, uint64_t count, RawStack& stack) {
            // A user-mode sample has no kernel stack; show the kernel part only when present.
            stack.want_kernel = !o.user_only && (key.kernel_stack != 0 || !stack.want_user);
            stack.value = count;
        });
}

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

    ProfileSkeleton skel(profile_bpf__open());
    if (!skel)
        throw UserError(errno_message("cannot open the profile BPF object", errno));
    skel->rodata->filter_tgid = !o.pids.empty();
    skel->rodata->filter_tid = !o.tids.empty();
    skel->rodata->include_idle = o.include_idle;
    skel->rodata->capture_user = !o.kernel_only;
    skel->rodata->capture_kernel = !o.user_only;
    skel->rodata->stack_bytes = o.max_depth * sizeof(uint64_t);
    bpf_map__set_max_entries(skel->maps.stacks, 2 * o.storage_size);
    bpf_map__set_max_entries(skel->maps.samples, o.storage_size);
    if (int err = profile_bpf__load(skel.get()))
        throw UserError(errno_message("cannot load the profile BPF program", err));
    fill_id_set(bpf_map__fd(skel->maps.tgids), o.pids, "pid");
    fill_id_set(bpf_map__fd(skel->maps.tids), o.tids, "tid");

    StackSymbols symbols(StackSymbolOptions{o.run.verbose, o.run.verbose});
    NewPidListener new_pids(bpf_map__fd(skel->maps.new_pids),
                            [&](uint32_t tgid) { symbols.process_announced(tgid); });
    BpfLink exec_link(bpf_program__attach(skel->progs.profile_exec));
    if (!exec_link)
        throw UserError(errno_message("cannot attach to sched_process_exec", errno));
    auto samplers = attach_samplers(skel->progs.profile_sample, o);
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
        std::vector<RawStack> raw = read_samples(skel.get(), o, !final);
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
