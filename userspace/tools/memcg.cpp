// bpfscope memcg: what reading memory.stat costs on this kernel, and where the
// time goes; `memcg compare` puts two or more saved runs side by side.

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "base/error.h"
#include "base/logging.h"
#include "base/options.h"
#include "core/run_loop.h"
#include "core/tool_registry.h"
#include "memcg/cgroup_tree.h"
#include "memcg/compare.h"
#include "memcg/kernel_tracing.h"
#include "memcg/measurement.h"
#include "memcg/run_report.h"
#include "report/json_writer.h"
#include "report/text_writer.h"

namespace {

using namespace bpfscope;
using namespace bpfscope::memcg;

struct Options {
    MeasurementOptions measure;
    std::string out_path;
    bool json = false;
    bool no_workload = false;
    double duration_s = 5;  // --no-workload: observation window
};

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path);
    out << text;
    if (!out)
        throw UserError(errno_message("cannot write " + path, errno));
}

int run_passive(const Options& options);

int run_measurement(const Options& options) {
    install_stop_signals();
    if (options.no_workload)
        return run_passive(options);
    Measurement measurement = run_memcg_measurement(options.measure, stop_requested);
    const MemcgReport& report = measurement.report;
    if (!report.runs.empty()) {
        report::Report kernel_side;
        if (measurement.tracing)
            kernel_side = measurement.tracing->text_report(measurement.total_reads);
        report::Report out = memcg_report(report, measurement.tracing ? &kernel_side : nullptr);
        if (options.json)
            report::write_json(std::cout, out, 2);
        else
            report::write_text(std::cout, out);
        if (!options.out_path.empty())
            write_file(options.out_path, report::json_text(out));
    }
    if (measurement.interrupted) {
        spdlog::info("interrupted, cleaned up");
        return 130;
    }
    return 0;
}

// --no-workload: nothing is created; the preset and the rstat tracepoints are
// watched system-wide for -d seconds (someone else's reader and writers).
int run_passive(const Options& options) {
    KernelIdentity kernel = probe_kernel_identity();
    KernelTracing tracing(
        0, KernelTracingOptions{options.measure.measure_overhead, options.measure.verbose});
    tracing.begin_run();
    spdlog::info("watching the flush path of the whole system for {:.1f} s", options.duration_s);
    spdlog::info("Tracing... Hit Ctrl-C to end.");
    auto until = std::chrono::steady_clock::now() +
                 std::chrono::milliseconds(int64_t(options.duration_s * 1000));
    while (!stop_requested() && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::map<std::string, double> metrics;
    report::Data window = tracing.end_run(0, metrics);
    MemcgReport report;
    report.kernel = kernel;
    report.workload.mode = "none";
    report.tracing = tracing.summary(0);
    report.tracing["window"] = window;
    report.tracing["window_s"] = options.duration_s;
    report::Report out = passive_report(report, options.duration_s, tracing.text_report(0));
    if (options.json)
        report::write_json(std::cout, out, 2);
    else
        report::write_text(std::cout, out);
    if (!options.out_path.empty())
        write_file(options.out_path, report::json_text(out, 2));
    return 0;
}

int run_compare(const std::vector<std::string>& files, const CompareOptions& options, bool json,
                const std::string& out_path) {
    std::vector<LoadedReport> reports;
    for (const auto& file : files) reports.push_back(load_report(file, options.force));
    auto comparison = compare_reports(reports, options);
    report::Report out = comparison_report(comparison);
    if (json)
        report::write_json(std::cout, out, 2);
    else
        report::write_text(std::cout, out);
    if (!out_path.empty())
        write_file(out_path, report::json_text(out, 2));
    return 0;
}

int memcg_main(int argc, char** argv) {
    ToolOptions cli("memcg",
                    "What reading memory.stat costs on this kernel and where the time goes");
    auto& app = cli.app();
    Options options;
    // Workload knobs show their defaults in --help.
    auto with_default = [&app](const std::string& name, auto& value, const std::string& help) {
        return app.add_option(name, value, help)->capture_default_str();
    };
    with_default("--depth", options.measure.tree.depth, "levels of the temporary cgroup tree");
    with_default("--width", options.measure.tree.width, "children per cgroup in the tree");
    with_default("--writers", options.measure.writer.count,
                 "processes dirtying and freeing memory in the leaves");
    with_default("--writer-pause-us", options.measure.writer.pause_us,
                 "writer sleep between rounds");
    with_default("--writer-anon-kb", options.measure.writer_anon_kb,
                 "anonymous memory a writer touches per round");
    with_default("--read-level", options.measure.read_level,
                 "which memory.stat to read: root|mid|leaf");
    with_default("--reads", options.measure.reads, "memory.stat reads per run")
        ->check(CLI::Range(size_t(1), size_t(100000000)));
    with_default("--runs", options.measure.runs, "repeat the measurement (run-to-run spread)")
        ->check(CLI::Range(1, 1000));
    app.add_option("--read-delay-us", options.measure.read_delay_us,
                   "busy-wait this long inside every timed read (testing compare)");
    app.add_option("--reader-cpu", options.measure.reader_cpu, "pin the reader to this CPU");
    with_default("--run-gap-ms", options.measure.run_gap_ms,
                 "pause between runs (runs sample different moments of a busy machine)");
    with_default("--warmup-ms", options.measure.warmup_ms,
                 "writers run this long before the first read");
    app.add_option("--cgroup", options.measure.cgroup,
                   "read this existing cgroup's memory.stat instead of building a tree");
    cli.output_file("--out", options.out_path,
                    "write the report as JSON (schema in docs/memcg.md)");
    cli.json(options.json, "print the report as JSON");
    app.add_flag("!--no-trace", options.measure.trace,
                 "measure the reader only: no BPF (no kernel-side figures)");
    app.add_flag("!--no-overhead", options.measure.measure_overhead,
                 "do not measure our own BPF run time (saves ~40 ns per probe hit)");
    app.add_flag("--no-workload", options.no_workload,
                 "create nothing: watch the flush path system-wide for -d seconds");
    cli.duration(options.duration_s, "--no-workload: seconds to watch (default 5)");

    auto* compare = app.add_subcommand("compare", "compare saved reports: baseline first");
    std::vector<std::string> files;
    CompareOptions compare_options;
    bool compare_json = false;
    std::string compare_out;
    compare->add_option("files", files, "report files (A.json B.json ...)")
        ->required()
        ->expected(2, -1);
    compare->add_flag("--force", compare_options.force,
                      "compare despite another schema version or workload");
    // A percentage on the command line (README: --min-effect PCT), a fraction in
    // CompareOptions and in the comparison JSON (schema field min_effect).
    double min_effect_percent = compare_options.min_effect * 100;
    compare
        ->add_option("--min-effect", min_effect_percent,
                     "smallest difference ever called significant, in percent")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    compare->add_flag("-j,--json", compare_json, "print the comparison as JSON");
    add_output_file_option(*compare, "--out", compare_out,
                           "also write the comparison JSON to this file");
    compare->fallthrough();  // -v/-q after "compare" too
    if (auto exit_code = cli.parse(argc, argv))
        return *exit_code;
    options.measure.verbose = cli.verbose();
    if (compare->parsed()) {
        compare_options.min_effect = min_effect_percent / 100;
        return run_compare(files, compare_options, compare_json, compare_out);
    }
    return run_measurement(options);
}

}  // namespace

BPFSCOPE_REGISTER_TOOL("memcg", "cost of reading memcg stats (memory.stat), A/B across kernels",
                       memcg_main);
