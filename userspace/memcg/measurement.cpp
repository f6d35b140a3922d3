#include "memcg/measurement.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <thread>

#include "base/error.h"
#include "base/logging.h"

namespace bpfscope::memcg {

namespace {

void sleep_unless(const std::function<bool()>& stop, std::chrono::milliseconds total) {
    auto until = std::chrono::steady_clock::now() + total;
    while (!stop() && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

}  // namespace

Measurement run_memcg_measurement(const MeasurementOptions& options,
                                  const std::function<bool()>& stop) {
    Measurement measurement;
    MemcgReport& report = measurement.report;
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
        if (spdlog::should_log(spdlog::level::debug)) {
            std::string pids;
            for (pid_t pid : writers->pids()) pids += " " + std::to_string(pid);
            spdlog::debug("tree {} ({} cgroups), writers:{}", tree->top(), tree->cgroup_count(),
                          pids);
        }
        sleep_unless(stop, std::chrono::milliseconds(options.warmup_ms));
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
    spdlog::debug("reading {}", w.read_path);
    if (::access(w.read_path.c_str(), R_OK) != 0)
        throw UserError(errno_message("cannot read " + w.read_path, errno) +
                        " (--cgroup takes a cgroup directory under " + controller.mount_point +
                        ")");

    ReaderProcess reader(
        ReaderOptions{w.read_path, options.reads, options.read_delay_us, options.reader_cpu});
    auto& tracing = measurement.tracing;
    if (options.trace)
        tracing = std::make_unique<KernelTracing>(
            reader.pid(), KernelTracingOptions{options.measure_overhead, options.verbose});
    else
        report.notes.push_back("kernel-side measurement off (--no-trace)");
    spdlog::info("Tracing... Hit Ctrl-C to end.");  // readiness: workload up, BPF attached
    for (int index = 1; index <= options.runs && !stop(); index++) {
        // Runs spread over time, so their spread includes the machine's drift.
        if (index > 1)
            sleep_unless(stop, std::chrono::milliseconds(options.run_gap_ms));
        if (stop())
            break;
        RunRecord run;
        run.index = index;
        if (tracing)
            tracing->begin_run();
        run.reader = reader.run(stop);
        if (run.reader.interrupted)
            break;
        derive_run_figures(run);
        if (tracing)
            run.tracing = tracing->end_run(run.reader.latency_ns.size(), run.metrics);
        report.runs.push_back(std::move(run));
    }
    size_t& total_reads = measurement.total_reads;
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
        spdlog::debug("tree {} {}", tree->top(), w.tree_removed ? "removed" : "NOT fully removed");
    }
    measurement.interrupted = stop();
    if (measurement.interrupted) {
        report.warnings.push_back("interrupted: " + std::to_string(report.runs.size()) + " of " +
                                  std::to_string(options.runs) + " runs completed");
    }
    return measurement;
}

}  // namespace bpfscope::memcg
