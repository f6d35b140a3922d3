// What users see, byte for byte: fixed, hand-made inputs rendered by the
// writers and compared with the files under tests/unit/golden/. The memcg file
// schema (bpfscope.memcg.report v1, docs/memcg.md) must never change by
// accident; neither must offcputime/profile's text and JSON.
//
// To accept a deliberate format change: BPFSCOPE_UPDATE_GOLDEN=1 unit_tests
// --gtest_filter='GoldenOutput*' rewrites the files; say so in the commit and
// update docs/.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "memcg/compare.h"
#include "memcg/run_report.h"
#include "report/json_writer.h"
#include "report/model.h"
#include "report/stack_outputs.h"
#include "report/text_writer.h"

using namespace bpfscope;
using report::StackResultOptions;
using report::write_stack_result;
using namespace bpfscope::memcg;
using nlohmann::json;

namespace {

std::string golden_path(const std::string& name) {
    return std::string(BPFSCOPE_SOURCE_DIR) + "/tests/unit/golden/" + name;
}

// Compares `actual` with the golden file `name` (or rewrites it when asked).
void expect_golden(const std::string& name, const std::string& actual) {
    const char* update = std::getenv("BPFSCOPE_UPDATE_GOLDEN");
    if (update && std::string(update) == "1") {
        std::ofstream(golden_path(name), std::ios::binary) << actual;
        return;
    }
    std::ifstream in(golden_path(name), std::ios::binary);
    ASSERT_TRUE(in) << "missing golden file " << golden_path(name);
    std::stringstream expected;
    expected << in.rdbuf();
    EXPECT_EQ(expected.str(), actual) << "output differs from " << golden_path(name);
}

CounterReading counter(std::string name, std::string unit, uint64_t value) {
    return {std::move(name), std::move(unit), true, "", value, false};
}

// A two-run builtin measurement with counters and kernel-side figures.
MemcgReport builtin_report() {
    MemcgReport report;
    report.created_utc = "2026-01-02T03:04:05Z";
    KernelIdentity& k = report.kernel;
    k.release = "6.18.0-golden";
    k.version = "#1 SMP PREEMPT_DYNAMIC";
    k.machine = "x86_64";
    k.config_source = "/proc/config.gz";
    k.memcg_config = {{"CONFIG_MEMCG", "y"}, {"CONFIG_MEMCG_V1", "y"}};
    k.cmdline = "console=ttyS0 cgroup_no_v1=none quiet";
    k.boot_parameters = {"cgroup_no_v1=none"};
    k.implementation = {"rstat", {"css_rstat_flush", "mem_cgroup_flush_stats"}, {}};
    k.symbols_source = "/proc/kallsyms";
    WorkloadDescription& w = report.workload;
    w.mode = "builtin";
    w.cgroup_version = 1;
    w.controller_mount = "/sys/fs/cgroup/memory";
    w.depth = 2;
    w.width = 3;
    w.cgroups = 13;
    w.writer = WriterOptions{2, 1 << 20, 256 << 10, 1000};
    w.read_level = "root";
    w.read_path = "/sys/fs/cgroup/memory/memory.stat";
    w.reads = 6;
    w.reader_cpu = 1;
    w.runs = 2;
    w.warmup_ms = 300;
    w.run_gap_ms = 100;
    w.tree_top = "/sys/fs/cgroup/memory/bpfscope-memcg-4242";
    w.tree_removed = true;
    for (int r = 0; r < 2; r++) {
        RunRecord run;
        run.index = r + 1;
        run.reader.latency_ns = {4100u + 50u * unsigned(r), 4800, 5230, 3990, 12007, 4420};
        run.reader.wall_ns = 61234 + uint64_t(r) * 1000;
        run.reader.bytes_per_read = 1517;
        run.reader.counters = {
            counter("task-clock", "ns", 33120 + uint64_t(r) * 77),
            counter("context-switches", "", 1 + uint64_t(r)),
            {"cycles", "", false, "not supported (No such file or directory)", 0, false}};
        run.reader.counters[0].scaled = r == 1;
        derive_run_figures(run);
        run.tracing = bpfscope::report::Data::record(
            {{"functions", bpfscope::report::Data::list({bpfscope::report::Data::record(
                               {{"target", "mem_cgroup_flush_stats"},
                                {"count", 6 + r},
                                {"per_read", (6.0 + r) / 6.0}})})},
             {"read_syscall", nullptr}});
        run.metrics["calls_per_read.mem_cgroup_flush_stats"] = (6.0 + r) / 6.0;
        report.runs.push_back(run);
    }
    report.tracing = bpfscope::report::Data::record(
        {{"overhead", bpfscope::report::Data::record({{"known", true}, {"program_runs", 42}})},
         {"notes", bpfscope::report::Data::list({"a tracing note"})}});
    report.notes = {"the reader ran on CPU 1"};
    report.warnings = {"2 reads were slower than 10 ms"};
    return report;
}

// One run on an existing cgroup, slowed, with no kernel config.
MemcgReport cgroup_report() {
    MemcgReport report;
    report.created_utc = "2026-01-02T03:04:05Z";
    report.kernel.release = "6.1.0-golden";
    report.kernel.machine = "aarch64";
    report.kernel.config_problem = "no /proc/config.gz and no /boot/config-6.1.0-golden";
    report.kernel.implementation = {"unknown", {}, {}};
    WorkloadDescription& w = report.workload;
    w.mode = "cgroup";
    w.cgroup_version = 2;
    w.read_level = "cgroup";
    w.read_path = "/sys/fs/cgroup/system.slice/memory.stat";
    w.reads = 3;
    w.read_delay_us = 20;
    w.runs = 1;
    w.tree_left = {"/sys/fs/cgroup/left-behind"};
    RunRecord run;
    run.index = 1;
    run.reader.latency_ns = {25000, 26100, 24999};
    run.reader.interrupted = true;
    derive_run_figures(run);
    report.runs.push_back(run);
    return report;
}

// Deterministic per-read samples around `median_ns`.
std::vector<uint64_t> samples(double median_ns, int seed, size_t count) {
    std::vector<uint64_t> out;
    for (size_t i = 0; i < count; i++) {
        double wobble = double((i * 7919 + size_t(seed) * 104729) % 200) / 1000.0 - 0.1;
        out.push_back(uint64_t(median_ns * (1.0 + wobble)));
    }
    return out;
}

LoadedReport loaded(const std::string& label, double median_ns, int seed, int runs, int writers) {
    MemcgReport report = builtin_report();
    report.workload.writer.count = writers;
    report.runs.clear();
    for (int r = 0; r < runs; r++) {
        RunRecord run;
        run.index = r + 1;
        run.reader.latency_ns = samples(median_ns * (1.0 + 0.01 * r), seed + r, 60);
        run.reader.counters = {counter("task-clock", "ns", uint64_t(median_ns * 60 * 1.2))};
        derive_run_figures(run);
        report.runs.push_back(run);
    }
    return parse_report(report::json_text(memcg_report(report)), label, false);
}

json comparison() {
    CompareOptions options;
    options.force = true;
    options.bootstrap.iterations = 300;
    return compare_reports({loaded("a.json", 5000, 1, 3, 2), loaded("b.json", 6000, 2, 3, 2),
                            loaded("c.json", 5020, 3, 3, 2), loaded("d.json", 4000, 4, 1, 4)},
                           options);
}

StackFrame frame(std::string name, StackFrame::Kind kind, uint64_t address, std::string module = {},
                 std::string file = {}, int line = 0, bool inlined = false) {
    StackFrame f;
    f.name = std::move(name);
    f.kind = kind;
    f.address = address;
    f.module = std::move(module);
    f.file = std::move(file);
    f.line = line;
    f.inlined = inlined;
    return f;
}

report::StackProfile stack_profile() {
    using Kind = StackFrame::Kind;
    report::StackProfile profile;
    profile.sample_type = "offcpu";
    profile.unit = "microseconds";
    profile.duration_ns = 2000000000;
    report::StackSample blocked{"blocker", 300, 301, {}, 1000500};
    blocked.frames = {
        frame("main", Kind::kUser, 0x401000, "/usr/bin/blocker", "blocker.c", 40),
        frame("outer", Kind::kUser, 0x401100, "/usr/bin/blocker", "blocker.c", 30, true),
        frame("inner", Kind::kUser, 0x401200, "/usr/bin/blocker", "blocker.c", 20),
        frame("-", Kind::kSeparator, 0),
        frame("entry_SYSCALL_64", Kind::kKernel, 0xffffffff81000000, "[kernel]"),
        frame("hrtimer_nanosleep", Kind::kKernel, 0xffffffff81100000, "[kernel]")};
    report::StackSample missing{"worker", 400, 402, {}, 250};
    missing.frames = {frame("[missing user stack]", Kind::kUser, 0),
                      frame("-", Kind::kSeparator, 0),
                      frame("schedule", Kind::kKernel, 0xffffffff81200000, "[kernel]")};
    report::StackSample kernel_only{"kworker/0:1", 12, 12, {}, 250};
    kernel_only.frames = {frame("worker_thread", Kind::kKernel, 0xffffffff81300000, "[kernel]")};
    profile.samples = {blocked, missing, kernel_only};
    return profile;
}

report::Report stack_report() {
    report::Report rep;
    rep.tool = "offcputime";
    rep.header.push_back({"duration", 2.0, "s"});
    rep.header.push_back({"backend", std::string("tp_btf/sched_switch"), ""});
    auto& summary = rep.add_section("off-CPU time", "summary");
    summary.add("stacks", uint64_t(3)).add("total", 1001.0, "ms");
    summary.notes.push_back("stacks of threads that exited are kept");
    rep.warnings.push_back("7 stack(s) dropped: stack map full");
    return rep;
}

// What a stack tool prints on stdout and stderr with these options.
std::pair<std::string, std::string> stack_result(bool json, bool folded, const char* label) {
    std::ostringstream out, err;
    write_stack_result(stack_profile(), stack_report(), StackResultOptions{json, folded, label, {}},
                       out, err);
    return {out.str(), err.str()};
}

std::string text_of(const report::Report& rep) {
    std::ostringstream out;
    report::write_text(out, rep);
    return out.str();
}

}  // namespace

TEST(GoldenOutput, MemcgReportJsonIsByteCompatible) {
    // --out FILE writes the compact form, -j the indented one.
    expect_golden("memcg_report.json", report::json_text(memcg_report(builtin_report())));
    expect_golden("memcg_report_indented.json",
                  report::json_text(memcg_report(builtin_report()), 2));
    expect_golden("memcg_report_cgroup.json", report::json_text(memcg_report(cgroup_report())));
}

TEST(GoldenOutput, MemcgReportText) {
    expect_golden("memcg_report.txt", text_of(memcg_report(builtin_report())));
    expect_golden("memcg_report_cgroup.txt", text_of(memcg_report(cgroup_report())));
}

TEST(GoldenOutput, MemcgCompare) {
    json result = comparison();
    expect_golden("memcg_compare.json", report::json_text(comparison_report(result), 2));
    expect_golden("memcg_compare.txt", text_of(comparison_report(result)));
}

TEST(GoldenOutput, StackToolText) {
    auto [out, err] = stack_result(false, false, "us");
    expect_golden("stacks.txt", out);
    EXPECT_EQ(err, "");
}

TEST(GoldenOutput, StackToolJson) {
    auto [out, err] = stack_result(true, false, "us");
    expect_golden("stacks.json", out);
    EXPECT_EQ(err, "");
}

TEST(GoldenOutput, StackToolFoldedOnStdout) {
    auto [out, err] = stack_result(false, true, "samples");
    expect_golden("stacks_folded.txt", out);
    expect_golden("stacks_folded_stderr.txt", err);
}
