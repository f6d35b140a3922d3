// bpfscope trace: one line per probe hit (time, cpu, pid/tid, comm, probe and
// the formatted fields), with optional kernel/user stacks; filters run in the
// kernel. Every event that did not become a line is counted in the summary.
#include <time.h>

#include <iostream>

#include "base/error.h"
#include "base/logging.h"
#include "base/options.h"
#include "core/probe_event_output.h"
#include "core/probe_session.h"
#include "core/run_loop.h"
#include "core/stack_symbols.h"
#include "core/tool_registry.h"

namespace {

uint64_t monotonic_ns() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return uint64_t(now.tv_sec) * 1000000000ull + uint64_t(now.tv_nsec);
}

// PROBE ['FORMAT'], or bcc's single argument 'PROBE "fmt", args'.
void split_arguments(const std::vector<std::string>& arguments, std::vector<std::string>& probes,
                     std::string& format) {
    for (const auto& argument : arguments) {
        auto quote = argument.find('"');
        if (quote == 0) {
            if (!format.empty())
                throw bpfscope::UserError("two formats given ('" + format + "' and '" + argument +
                                              "'): give one format for the probes",
                                          bpfscope::kUsageExitCode);
            format = argument;
        } else if (quote != std::string::npos) {
            auto space = argument.find_first_of(" \t");
            if (space == std::string::npos || space > quote || !format.empty())
                throw bpfscope::UserError("cannot split '" + argument +
                                              "' into a probe and a format: write 'PROBE "
                                              "\"FORMAT\", FIELD...'",
                                          bpfscope::kUsageExitCode);
            probes.push_back(argument.substr(0, space));
            format = argument.substr(argument.find_first_not_of(" \t", space));
        } else {
            probes.push_back(argument);
        }
    }
    if (probes.empty())
        throw bpfscope::UserError("no probe given: e.g. trace 'r:c:malloc' '\"%d\", retval'",
                                  bpfscope::kUsageExitCode);
}

int trace_main(int argc, char** argv) {
    bpfscope::ToolOptions cli("trace",
                              "Print one line per probe hit with its fields (and stacks); "
                              "filters run in the kernel");
    bpfscope::RunOptions run;
    cli.run_options(run);
    auto& app = cli.app();
    std::vector<std::string> arguments;
    std::string filter, backend;
    uint64_t max_events = 0;
    bpfscope::ProbeOptions probe;
    app.add_option("probe", arguments,
                   "PROBE ['\"FORMAT\", FIELD...']: FUNC, r:FUNC, LIB:FUNC, r:LIB:FUNC, "
                   "t:CAT:NAME, u:PATH:PROVIDER:NAME")
        ->required();
    app.add_option("--filter", filter,
                   "In-kernel filter: up to 4 comparisons joined by &&, e.g. 'arg1 > 5'");
    app.add_flag("-K,--kernel-stack", probe.kernel_stack, "Print the kernel stack of each event");
    app.add_flag("-U,--user-stack", probe.user_stack, "Print the user stack of each event");
    app.add_option("-n,--max-events", max_events, "Stop after this many events");
    cli.id_list("-p,--pid", probe.pids, "Only these processes");
    app.add_option("--tid", probe.tids, "Only these threads");
    app.add_option("--comm", probe.comm, "Only tasks with this comm");
    app.add_option("-c,--cgroup", probe.cgroup_path,
                   "Only tasks in this cgroup v2 directory (and below)");
    app.add_option("--backend", backend, "Kernel functions: force fentry or kprobe")
        ->check(CLI::IsMember({"fentry", "fexit", "kprobe", "kretprobe"}));
    app.add_option("--max-matches", probe.max_matches, "Cap of wildcard matches")
        ->capture_default_str();
    app.add_option("--string-size", probe.string_bytes, "Bytes read of each str() (at most 128)")
        ->capture_default_str();
    app.add_option("--ring-buffer-kb", probe.ring_buffer_bytes, "Event ring buffer size in KiB")
        ->transform([](std::string kb) { return std::to_string(std::stoull(kb) * 1024); });
    if (auto exit_code = cli.parse(argc, argv))
        return *exit_code;

    std::string format_text;
    split_arguments(arguments, probe.probes, format_text);
    std::optional<bpfscope::FormatSpec> format;
    if (!format_text.empty()) {
        format = bpfscope::parse_format(format_text);
        probe.fields = format->fields;
    }
    if (!filter.empty())
        probe.filter = bpfscope::parse_filter_expression(filter);
    if (!backend.empty())
        probe.forced_backend = bpfscope::parse_backend(backend);
    probe.mode = bpfscope::ProbeMode::kEvents;

    bpfscope::ProbeSession session(probe);
    std::string planned;
    for (const auto& point : session.points())
        planned += (planned.empty() ? "" : ", ") + point.name + " [" +
                   (point.plan.backend ? bpfscope::backend_name(*point.plan.backend) : "?") + "]";
    spdlog::info("tracing {} point(s): {}", session.points().size(), planned);
    for (const auto& point : session.points())
        for (const auto& reason : point.plan.not_used) spdlog::debug("{}: {}", point.name, reason);

    std::optional<bpfscope::StackSymbols> symbols;
    if (probe.kernel_stack || probe.user_stack)
        symbols.emplace(bpfscope::StackSymbolOptions{});
    bpfscope::EventLineOptions line_options;
    line_options.json = run.json;
    line_options.start_ns = monotonic_ns();
    bpfscope::ProbeEventWriter writer(std::cout, session, format ? &*format : nullptr, line_options,
                                      symbols ? &*symbols : nullptr);
    writer.header();
    uint64_t printed = 0;
    auto on_event = [&](const bpfscope::ProbeEvent& event) {
        if (max_events && printed >= max_events)
            return;
        writer.write(event);
        if (++printed == max_events)
            bpfscope::request_stop();
    };
    auto drain = [&] { session.poll_events(0, on_event); };
    bpfscope::run_loop(
        run,
        [&](bool final) {
            if (!final)
                return;
            session.detach();  // nothing new arrives: the drain ends
            while (session.poll_events(0, on_event) > 0) {
            }
            auto stats = session.stats();
            spdlog::info(
                "{} event(s) printed; {} hit(s), {} filtered out in the kernel, {} lost "
                "(ring buffer full), {} read error(s), {} stack(s) missing",
                printed, stats.hits, stats.filtered_out, stats.ring_buffer_lost, stats.read_errors,
                stats.stacks_missing);
            if (stats.ring_buffer_lost)
                spdlog::warn("{} event(s) lost: the ring buffer was full (raise --ring-buffer-kb)",
                             stats.ring_buffer_lost);
        },
        drain, std::chrono::milliseconds(20));
    return 0;
}

}  // namespace

BPFSCOPE_REGISTER_TOOL("trace", "print each probe hit with its fields and stacks", trace_main);
