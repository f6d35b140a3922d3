// bpfscope memcg: what reading memory.stat costs on this kernel, and where the
// time goes; `memcg compare` puts two or more saved runs side by side.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "core/error.h"
#include "core/tool_registry.h"
#include "memcg/cgroup_tree.h"
#include "memcg/compare.h"
#include "memcg/run_report.h"

namespace {

using namespace bpfscope;
using namespace bpfscope::memcg;

std::atomic<bool> g_stop{false};
void on_stop_signal(int) {
    g_stop = true;
}
void install_stop_handlers() {
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}
bool stop_requested() {
    return g_stop.load();
}

struct Options {
    CgroupTreeOptions tree;
    WriterOptions writer;
    std::string read_level = "root";
    size_t reads = 2000;
    int runs = 1;
    unsigned read_delay_us = 0;
    int reader_cpu = -1;
    unsigned warmup_ms = 300;
    size_t writer_anon_kb = 1024;
    std::string cgroup;
    std::string out_path;
    bool json = false;
    bool verbose = false;
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

int run_measurement(const Options& options) {
    install_stop_handlers();
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
        read_dir = options.cgroup.front() == '/' ? options.cgroup
                                                 : controller.mount_point + "/" + options.cgroup;
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

    for (int index = 1; index <= options.runs && !stop_requested(); index++) {
        ReaderOptions reader_options{w.read_path, options.reads, options.read_delay_us,
                                     options.reader_cpu};
        ReaderProcess reader(reader_options);
        RunRecord run;
        run.index = index;
        run.reader = reader.run(stop_requested);
        if (run.reader.interrupted)
            break;
        derive_run_figures(run);
        report.runs.push_back(std::move(run));
    }
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
    app.add_option("--warmup-ms", options.warmup_ms, "writers run this long before the first read")
        ->capture_default_str();
    app.add_option("--cgroup", options.cgroup,
                   "read this existing cgroup's memory.stat instead of building a tree");
    app.add_option("--out", options.out_path, "write the report as JSON (schema in docs/memcg.md)");
    app.add_flag("-j,--json", options.json, "print the report as JSON");
    app.add_flag("-v,--verbose", options.verbose, "say what the workload does (stderr)");

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
