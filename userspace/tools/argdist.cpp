// bpfscope argdist: the distribution of one field, argument or return value at
// a probe: a log2 histogram (--hist, the same report as funclatency) or a
// frequency table of its values (--count). A thin driver on the probe engine
// (core/probe_session.h) in histogram or value-count mode.
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

int argdist_main(int argc, char** argv) {
    ToolOptions cli("argdist",
                    "Distribution of a probe's argument, field or return value: log2 histogram "
                    "or value counts");
    RunOptions run;
    cli.run_options(run);
    auto& app = cli.app();
    // --count is bcc argdist's value-count option here, not the interval count.
    app.remove_option(app.get_option("--count"));
    ProbeOptions probe;
    std::string probe_text, hist_expression, count_expression, filter_text, backend;
    size_t top = 0;
    app.add_option("probe", probe_text,
                   "One probe (README: probe grammar): c:malloc, r:c:read, "
                   "t:syscalls:sys_exit_read, vfs_read")
        ->required();
    auto* hist = app.add_option("-H,--hist", hist_expression,
                                "Log2 histogram of this integer field (arg1, retval, ret, ...)");
    auto* count = app.add_option("-C,--count", count_expression,
                                 "Count each value of this field (integers or str(FIELD))");
    hist->excludes(count);
    app.add_option("--filter", filter_text,
                   "Only events matching this kernel-side filter, e.g. 'arg1 > 5 && comm == "
                   "\"bash\"'");
    cli.id_list("-p,--pid", probe.pids, "Only these processes");
    app.add_option("-c,--cgroup", probe.cgroup_path,
                   "Only tasks in this cgroup v2 directory (and below)");
    app.add_option("-n,--top", top, "--count: print the N most frequent values (0: all)");
    app.add_option("--max-entries", probe.max_entries, "--count: distinct values kept")
        ->check(CLI::Range(16u, 1u << 22));
    app.add_option("--string-bytes", probe.string_bytes, "Bytes read of a str() field")
        ->check(CLI::Range(size_t(1), size_t(128)));
    app.add_option("--backend", backend, "Force a backend for kernel functions: fentry, kprobe")
        ->check(CLI::IsMember({"fentry", "kprobe"}));
    if (auto exit_code = cli.parse(argc, argv))
        return *exit_code;
    if (hist_expression.empty() && count_expression.empty())
        throw UserError("give --hist FIELD (log2 histogram) or --count FIELD (value counts)",
                        kUsageExitCode);
    bool histogram = !hist_expression.empty();
    const std::string& expression = histogram ? hist_expression : count_expression;
    probe.mode = histogram ? ProbeMode::kHistogram : ProbeMode::kValueCount;
    probe.probes = {probe_text};
    probe.fields = {parse_field_expression(expression)};
    if (!filter_text.empty())
        probe.filter = parse_filter_expression(filter_text);
    if (!backend.empty())
        probe.forced_backend = parse_backend(backend);

    ProbeSession session(probe);
    spdlog::info("{} of {} at {}", histogram ? "histogram" : "value counts", expression,
                 probe_text);
    auto started = std::chrono::steady_clock::now();
    run_loop(run, [&](bool final) {
        report::Report rep;
        rep.tool = "argdist";
        if (run.timestamps || run.interval_s > 0)
            rep.timestamp = wall_clock_timestamp();
        double elapsed =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        started = std::chrono::steady_clock::now();
        rep.header = {{"kernel_release", kernel_facts().release, ""},
                      {"probe", probe_text, ""},
                      {"elapsed", elapsed, "s"}};
        if (!filter_text.empty())
            rep.header.push_back({"filter", filter_text, ""});
        rep.sections.push_back(probe_points_section(session.points()));
        if (histogram) {
            auto values = session.histogram(!final);
            rep.sections.push_back(
                value_histogram_section(expression, values, session.negative_values()));
        } else {
            auto counts = session.value_counts(!final);
            auto& section = rep.add_section(expression, "value_counts");
            uint64_t total = 0;
            for (const auto& value : counts) total += value.count;
            section.add("count", total).add("distinct_values", uint64_t(counts.size()));
            section.tables.push_back(value_count_table(expression, counts, top));
        }
        auto stats = session.stats();
        add_probe_stats(rep, stats);
        report::write_report(std::cout, rep, run.json);
        std::cout.flush();
    });
    return 0;
}

}  // namespace

BPFSCOPE_REGISTER_TOOL("argdist",
                       "histogram or value counts of a probe's argument, field or return value",
                       argdist_main);

}  // namespace bpfscope
