// bpfscope memcg: what reading memory.stat costs on this kernel, and where the
// time goes; `memcg compare` puts two or more saved runs side by side.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "core/error.h"
#include "core/libbpf_log.h"
#include "core/run_loop.h"
#include "core/tool_registry.h"
#include "memcg/cgroup_tree.h"
#include "memcg/compare.h"
#include "memcg/kernel_tracing.h"
#include "memcg/run_report.h"
#include "report/text_writer.h"

namespace {

using namespace bpfscope;
using namespace bpfscope::memcg;

struct Options {
    CgroupTreeOptions tree;
    WriterOptions writer;
    std::string read_level = "mid";
    size_t reads = 2000;
    int runs = 1;
    unsigned read_delay_us = 0;
    int reader_cpu = -1;
    unsigned warmup_ms = 300;
    unsigned run_gap_ms = 100;
    size_t writer_anon_kb = 1024;
    std::string cgroup;
    std::string out_path;
    bool json = false;
    bool verbose = false;
    bool trace = true;  // kernel-side measurement (BPF)
    bool measure_overhead = true;
    bool no_workload = false;
    double duration_s = 5;  // --no-workload: observation window
};

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path);
    out << text;
    if (!out)
        throw UserError(errno_message("cannot write " + path, errno));
}

void sleep_unless_stopped(std::chrono::milliseconds total) {
    auto until = std::chrono::steady_clock::now() + total;
    while (!stop_requested() && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

int run_passive(const Options& options);

int run_measurement(const Options& options) {
    install_stop_signals();
    setup_libbpf_logging(options.verbose);
    if (options.no_workload)
        return run_passive(options);
    MemcgReport report;
    report.kernel = probe_kernel_identity();
    MemoryController controller = locate_memory_controller();
    auto& w = report.workload;
    w.cgroup_version = int(controller.version);
    w.controller_mount = controller.mount_point;
    w.reads = options.reads;
    w.read_delay_us = options.read_delay_us;
    w.reader_cpu = options.reader_cpu;
    w.runs = options.runs;
    w.warmup_ms = options.warmup_ms;
    w.run_gap_ms = options.run_gap_ms;

    std::unique_ptr<CgroupTree> tree;
    std::unique_ptr<WriterPool> writers;
    std::string read_dir;
    if (options.cgroup.empty()) {
        for (const auto& stale : remove_stale_trees(controller))
            report.notes.push_back("removed a tree left by a killed earlier run: " + stale);
        ReadLevel level = parse_read_level(options.read_level);
        tree = CgroupTree::create(controller, options.tree);
        WriterOptions writer = options.writer;
        writer.anon_bytes = options.writer_anon_kb * 1024;
        writers = std::make_unique<WriterPool>(*tree, writer);
        read_dir = tree->level_path(level);
        w.mode = "builtin";
        w.depth = options.tree.depth;
        w.width = options.tree.width;
        w.cgroups = tree->cgroup_count();
        w.writer = writer;
        w.read_level = read_level_name(level);
        w.tree_top = tree->top();
        for (const auto& note : tree->notes()) report.notes.push_back(note);
        if (options.verbose) {
            std::string pids;
            for (pid_t pid : writers->pids()) pids += " " + std::to_string(pid);
            std::fprintf(stderr, "memcg: tree %s (%zu cgroups), writers:%s\n", tree->top().c_str(),
                         tree->cgroup_count(), pids.c_str());
        }
        sleep_unless_stopped(std::chrono::milliseconds(options.warmup_ms));
    } else {
        read_dir = options.cgroup;
        // A path under the controller's mount as is; else relative to it ("/" = its root).
        if (read_dir.rfind(controller.mount_point, 0) != 0) {
            while (!read_dir.empty() && read_dir.front() == '/') read_dir.erase(0, 1);
            read_dir = controller.mount_point + (read_dir.empty() ? "" : "/" + read_dir);
        }
        w.mode = "cgroup";
        w.read_level = "cgroup";
    }
    w.read_path = read_dir + "/memory.stat";
    if (options.verbose)
        std::fprintf(stderr, "memcg: reading %s\n", w.read_path.c_str());
    if (::access(w.read_path.c_str(), R_OK) != 0)
        throw UserError(errno_message("cannot read " + w.read_path, errno) +
                        " (--cgroup takes a cgroup directory under " + controller.mount_point +
                        ")");

    ReaderProcess reader(
        ReaderOptions{w.read_path, options.reads, options.read_delay_us, options.reader_cpu});
    std::unique_ptr<KernelTracing> tracing;
    if (options.trace)
        tracing = std::make_unique<KernelTracing>(
            reader.pid(), KernelTracingOptions{options.measure_overhead, options.verbose});
    else
        report.notes.push_back("kernel-side measurement off (--no-trace)");
    for (int index = 1; index <= options.runs && !stop_requested(); index++) {
        // Runs spread over time, so their spread includes the machine's drift.
        if (index > 1)
            sleep_unless_stopped(std::chrono::milliseconds(options.run_gap_ms));
        if (stop_requested())
            break;
        RunRecord run;
        run.index = index;
        if (tracing)
            tracing->begin_run();
        run.reader = reader.run(stop_requested);
        if (run.reader.interrupted)
            break;
        derive_run_figures(run);
        if (tracing)
            run.tracing = tracing->end_run(run.reader.latency_ns.size(), run.metrics);
        report.runs.push_back(std::move(run));
    }
    size_t total_reads = 0;
    for (const auto& run : report.runs) total_reads += run.reader.latency_ns.size();
    if (tracing)
        report.tracing = tracing->summary(total_reads);
    if (writers) {
        int alive = writers->alive();
        if (alive < int(writers->pids().size()))
            report.warnings.push_back(std::to_string(int(writers->pids().size()) - alive) +
                                      " writer(s) died during the run (out of memory?)");
    }
    // Ordered cleanup: writers leave their leaves before the tree goes.
    writers.reset();
    if (tree) {
        w.tree_left = tree->remove();
        w.tree_removed = w.tree_left.empty();
        for (const auto& path : w.tree_left)
            report.warnings.push_back("could not remove cgroup " + path);
        if (options.verbose)
            std::fprintf(stderr, "memcg: tree %s %s\n", tree->top().c_str(),
                         w.tree_removed ? "removed" : "NOT fully removed");
    }
    if (stop_requested()) {
        report.warnings.push_back("interrupted: " + std::to_string(report.runs.size()) + " of " +
                                  std::to_string(options.runs) + " runs completed");
    }
    if (!report.runs.empty()) {
        if (options.json) {
            std::printf("%s\n", report_to_json(report).dump(2).c_str());
        } else {
            std::fputs(render_report_text(report).c_str(), stdout);
            if (tracing) {
                std::printf("\nwhere the time goes (kernel side, all runs)\n\n");
                std::fflush(stdout);
                report::write_text(std::cout, tracing->text_report(total_reads));
            }
        }
        if (!options.out_path.empty())
            write_file(options.out_path, report_to_json(report).dump() + "\n");
    }
    if (stop_requested()) {
        std::fprintf(stderr, "bpfscope memcg: interrupted, cleaned up\n");
        return 130;
    }
    return 0;
}

// --no-workload: nothing is created; the preset and the rstat tracepoints are
// watched system-wide for -d seconds (someone else's reader and writers).
int run_passive(const Options& options) {
    KernelIdentity kernel = probe_kernel_identity();
    KernelTracing tracing(0, KernelTracingOptions{options.measure_overhead, options.verbose});
    tracing.begin_run();
    if (!options.json)
        std::fprintf(stderr, "memcg: watching the whole system for %.1f s (Ctrl-C ends)\n",
                     options.duration_s);
    auto until = std::chrono::steady_clock::now() +
                 std::chrono::milliseconds(int64_t(options.duration_s * 1000));
    while (!stop_requested() && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::map<std::string, double> metrics;
    nlohmann::json window = tracing.end_run(0, metrics);
    if (options.json || !options.out_path.empty()) {
        MemcgReport report;
        report.kernel = kernel;
        report.workload.mode = "none";
        report.tracing = tracing.summary(0);
        report.tracing["window"] = window;
        report.tracing["window_s"] = options.duration_s;
        std::string text = report_to_json(report).dump(2);
        if (options.json)
            std::printf("%s\n", text.c_str());
        if (!options.out_path.empty())
            write_file(options.out_path, text + "\n");
    }
    if (!options.json) {
        std::printf("kernel      %s, memcg stats implementation: %s\n", kernel.release.c_str(),
                    kernel.implementation.kind.c_str());
        std::printf("no workload: system-wide for %.1f s (no per-read figures)\n\n",
                    options.duration_s);
        std::fflush(stdout);
        report::write_text(std::cout, tracing.text_report(0));
    }
    return 0;
}

int run_compare(const std::vector<std::string>& files, const CompareOptions& options, bool json,
                const std::string& out_path) {
    std::vector<LoadedReport> reports;
    for (const auto& file : files) reports.push_back(load_report(file, options.force));
    auto comparison = compare_reports(reports, options);
    if (json)
        std::printf("%s\n", comparison.dump(2).c_str());
    else
        std::fputs(render_comparison_text(comparison).c_str(), stdout);
    if (!out_path.empty())
        write_file(out_path, comparison.dump(2) + "\n");
    return 0;
}

int memcg_main(int argc, char** argv) {
    CLI::App app{"What reading memory.stat costs on this kernel and where the time goes", argv[0]};
    Options options;
    app.add_option("--depth", options.tree.depth, "levels of the temporary cgroup tree")
        ->capture_default_str();
    app.add_option("--width", options.tree.width, "children per cgroup in the tree")
        ->capture_default_str();
    app.add_option("--writers", options.writer.count,
                   "processes dirtying and freeing memory in the leaves")
        ->capture_default_str();
    app.add_option("--writer-pause-us", options.writer.pause_us, "writer sleep between rounds")
        ->capture_default_str();
    app.add_option("--writer-anon-kb", options.writer_anon_kb,
                   "anonymous memory a writer touches per round")
        ->capture_default_str();
    app.add_option("--read-level", options.read_level, "which memory.stat to read: root|mid|leaf")
        ->capture_default_str();
    app.add_option("--reads", options.reads, "memory.stat reads per run")->capture_default_str();
    app.add_option("--runs", options.runs, "repeat the measurement (run-to-run spread)")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    app.add_option("--read-delay-us", options.read_delay_us,
                   "busy-wait this long inside every timed read (testing compare)");
    app.add_option("--reader-cpu", options.reader_cpu, "pin the reader to this CPU");
    app.add_option("--run-gap-ms", options.run_gap_ms,
                   "pause between runs (runs sample different moments of a busy machine)")
        ->capture_default_str();
    app.add_option("--warmup-ms", options.warmup_ms, "writers run this long before the first read")
        ->capture_default_str();
    app.add_option("--cgroup", options.cgroup,
                   "read this existing cgroup's memory.stat instead of building a tree");
    app.add_option("--out", options.out_path, "write the report as JSON (schema in docs/memcg.md)");
    app.add_flag("-j,--json", options.json, "print the report as JSON");
    app.add_flag("-v,--verbose", options.verbose,
                 "say what the workload does (stderr), libbpf debug");
    app.add_flag("!--no-trace", options.trace,
                 "measure the reader only: no BPF (no kernel-side figures)");
    app.add_flag("!--no-overhead", options.measure_overhead,
                 "do not measure our own BPF run time (saves ~40 ns per probe hit)");
    app.add_flag("--no-workload", options.no_workload,
                 "create nothing: watch the flush path system-wide for -d seconds");
    app.add_option("-d,--duration", options.duration_s, "--no-workload: seconds to watch")
        ->capture_default_str();

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
    compare
        ->add_option("--min-effect", compare_options.min_effect,
                     "smallest relative difference ever called significant")
        ->capture_default_str();
    compare->add_flag("-j,--json", compare_json, "print the comparison as JSON");
    compare->add_option("--out", compare_out, "also write the comparison JSON to this file");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        return app.exit(error);
    }
    if (compare->parsed())
        return run_compare(files, compare_options, compare_json, compare_out);
    return run_measurement(options);
}

}  // namespace

BPFSCOPE_REGISTER_TOOL("memcg", "cost of reading memcg stats (memory.stat), A/B across kernels",
                       memcg_main);
