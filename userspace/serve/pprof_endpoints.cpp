#include "serve/pprof_endpoints.h"

#include <bpf/libbpf.h>

#include <chrono>
#include <cmath>

#include "base/error.h"
#include "core/capabilities.h"
#include "core/offcpu_session.h"
#include "core/profile_session.h"
#include "core/stack_symbols.h"
#include "report/pprof.h"

namespace bpfscope::serve {
namespace {

using Clock = std::chrono::steady_clock;

// Waits `seconds` (or until `stopping`), meanwhile pinning the mappings of
// processes the BPF side announces so their frames resolve after they exit.
void wait_collecting(double seconds, NewPidListener& new_pids, const std::atomic<bool>& stopping) {
    auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(seconds));
    while (Clock::now() < deadline && !stopping) new_pids.poll(20);
}

uint64_t elapsed_ns(Clock::time_point since) {
    return uint64_t(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - since).count());
}

}  // namespace

double parse_profile_seconds(const std::string& text, double fallback, double max) {
    if (text.empty())
        return fallback;
    double seconds = 0;
    try {
        size_t used = 0;
        seconds = std::stod(text, &used);
        if (used != text.size())
            seconds = NAN;
    } catch (const std::exception&) {
        seconds = NAN;
    }
    if (!(seconds > 0) || seconds > max)
        throw UserError("seconds=" + text + ": expected a number of seconds in (0, " +
                        std::to_string(int(max)) + "] (pprof.max_seconds in the config)");
    return seconds;
}

std::string collect_cpu_pprof(double seconds, unsigned frequency,
                              const std::atomic<bool>& stopping) {
    ProfileSetup setup;
    setup.frequency = frequency;
    ProfileSkeleton skel = load_profile(setup);
    StackSymbols symbols(StackSymbolOptions{});
    NewPidListener new_pids(bpf_map__fd(skel->maps.new_pids),
                            [&](uint32_t tgid) { symbols.process_announced(tgid); });
    BpfLink exec_link(bpf_program__attach(skel->progs.profile_exec));
    if (!exec_link)
        throw UserError(errno_message("cannot attach to sched_process_exec", errno));
    auto started = Clock::now();
    auto samplers = attach_cpu_samplers(skel->progs.profile_sample, setup);
    wait_collecting(seconds, new_pids, stopping);
    samplers.clear();  // stop sampling before reading
    new_pids.poll(0);
    report::StackProfile profile;
    profile.sample_type = "cpu";
    profile.unit = "count";
    profile.period = 1000000000ull / frequency;
    profile.period_unit = "nanoseconds";
    profile.duration_ns = elapsed_ns(started);
    assemble_profile(read_profile_samples(skel.get(), false, false), symbols, AssembleOptions{},
                     profile);
    return report::encode_pprof(profile);
}

std::string collect_offcpu_pprof(double seconds, const std::atomic<bool>& stopping) {
    bool btf = probe_capability(ProgramKind::kTpBtf).ok();
    OffcpuSkeleton skel = load_offcputime(OffcpuSetup{}, btf);
    StackSymbols symbols(StackSymbolOptions{});
    NewPidListener new_pids(bpf_map__fd(skel->maps.new_pids),
                            [&](uint32_t tgid) { symbols.process_announced(tgid); });
    BpfLink exec_link(
        bpf_program__attach(btf ? skel->progs.offcpu_exec_btf : skel->progs.offcpu_exec_raw));
    if (!exec_link)
        throw UserError(errno_message("cannot attach to sched_process_exec", errno));
    auto started = Clock::now();
    BpfLink link(
        bpf_program__attach(btf ? skel->progs.offcpu_switch_btf : skel->progs.offcpu_switch_raw));
    if (!link)
        throw UserError(errno_message("cannot attach to sched_switch", errno));
    wait_collecting(seconds, new_pids, stopping);
    link.reset();  // stop measuring before reading
    new_pids.poll(0);
    report::StackProfile profile;
    profile.sample_type = "offcpu";
    profile.unit = "microseconds";
    profile.duration_ns = elapsed_ns(started);
    // As offcputime: scheduler functions left out of kernel stacks.
    assemble_profile(read_offcpu_blocks(skel.get(), false, false), symbols,
                     AssembleOptions{true, true}, profile);
    return report::encode_pprof(profile);
}

}  // namespace bpfscope::serve
