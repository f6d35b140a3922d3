// taskstat: per interval, per process (-t: per thread): on-CPU time, run-queue
// wait, off-CPU time by state (S, D), voluntary and involuntary context
// switches, wakeups, migrations, minor and major faults. The scheduler
// tracepoints feed per-thread figures in the kernel (bpf/taskstat.bpf.c); a
// task iterator reads them each interval; core/task_table.h makes the table.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <time.h>
#include <unistd.h>

#include <iostream>
#include <map>

#include "base/error.h"
#include "base/logging.h"
#include "base/options.h"
#include "base/owners.h"
#include "core/map_iteration.h"
#include "core/process_watch.h"
#include "core/run_loop.h"
#include "core/stack_collect.h"
#include "core/task_table.h"
#include "core/tool_registry.h"
#include "report/json_writer.h"
#include "report/text_writer.h"
#include "taskstat.h"
#include "taskstat.skel.h"

namespace bpfscope {
namespace {

using TaskstatSkeleton = Skeleton<taskstat_bpf, taskstat_bpf__destroy>;

TaskFigures figures_of(const taskstat_record& r) {
    TaskFigures f;
    f.tid = r.tid;
    f.tgid = r.tgid;
    f.comm.assign(r.comm, strnlen(r.comm, sizeof(r.comm)));
    f.oncpu_ns = r.oncpu_ns;
    f.runq_ns = r.runq_ns;
    f.sleep_ns = r.sleep_ns;
    f.blocked_ns = r.blocked_ns;
    f.voluntary = r.voluntary;
    f.involuntary = r.involuntary;
    f.wakeups = r.wakeups;
    f.migrations = r.migrations;
    f.minor_faults = r.minor_faults;
    f.major_faults = r.major_faults;
    f.exited = r.exited;
    return f;
}

// Every thread's cumulative figures: the live ones through the task iterator,
// the ones that exited since the last read from the `exited` map (emptied).
std::map<uint32_t, TaskFigures> read_threads(taskstat_bpf* skel) {
    std::map<uint32_t, TaskFigures> threads;
    UniqueFd iter(bpf_iter_create(bpf_link__fd(skel->links.taskstat_dump)));
    if (!iter)
        throw UserError(errno_message("cannot read the task iterator", errno));
    taskstat_record record;
    size_t have = 0;
    for (;;) {
        ssize_t n =
            read(iter.get(), reinterpret_cast<char*>(&record) + have, sizeof(record) - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            throw UserError(errno_message("cannot read the task iterator", errno));
        if (n == 0)
            break;
        have += size_t(n);
        if (have == sizeof(record)) {
            threads[record.tid] = figures_of(record);
            have = 0;
        }
    }
    int exited_fd = bpf_map__fd(skel->maps.exited);
    std::vector<uint32_t> gone;
    for_each_map_entry<uint32_t, taskstat_record>(exited_fd,
                                                  [&](uint32_t tid, const taskstat_record& r) {
                                                      threads[tid] = figures_of(r);
                                                      gone.push_back(tid);
                                                  });
    for (uint32_t tid : gone) bpf_map_delete_elem(exited_fd, &tid);
    return threads;
}

uint64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000000000 + uint64_t(ts.tv_nsec);
}

int taskstat_main(int argc, char** argv) {
    RunOptions run;
    TaskTableOptions table;
    std::string sort = "cpu";
    ToolOptions cli("taskstat",
                    "Per-process (or per-thread) CPU time, run-queue wait, off-CPU time by state, "
                    "context switches, wakeups, migrations and page faults, per interval");
    cli.run_options(run).interval_positionals(run);
    auto& app = cli.app();
    app.add_flag("-t,--threads", table.per_thread, "One row per thread");
    cli.id_list("-p,--pid", table.pids, "Show these processes only");
    app.add_option("-c,--comm", table.comm, "Show tasks with this name only");
    app.add_option("--sort", sort, std::string("Sort rows by: ") + kTaskSortFields)
        ->capture_default_str();
    app.add_option("--top", table.top, "Print only the first N rows (default: all)");
    if (auto exit_code = cli.parse(argc, argv))
        return *exit_code;
    table.sort = parse_task_sort(sort);
    require_processes(table.pids);

    TaskstatSkeleton skel(taskstat_bpf__open_and_load());
    if (!skel)
        throw UserError(errno_message(
            "cannot load the taskstat BPF programs (they need tp_btf, task storage and task "
            "iterators: Linux 5.11 or later with BTF)",
            errno));
    if (int err = taskstat_bpf__attach(skel.get()))
        throw UserError(errno_message("cannot attach to the scheduler tracepoints", err));
    auto before = read_threads(skel.get());  // fault and migration counters start here
    uint64_t since = monotonic_ns();
    spdlog::info("tracing {} threads (tp_btf sched_switch/sched_wakeup, task iterator)",
                 before.size());
    ProcessWatch watch(table.pids);
    bool exited = false;
    run_loop(
        run,
        [&](bool) {
            auto now = read_threads(skel.get());
            uint64_t until = monotonic_ns();
            report::Report rep;
            rep.tool = "taskstat";
            if (run.timestamps)
                rep.timestamp = wall_clock_timestamp();
            rep.header.push_back({"interval", double(until - since) / 1e9, "s"});
            auto rows = interval_rows(before, now, table);
            auto& section = rep.add_section(table.per_thread ? "threads" : "processes", "tasks");
            section.add("rows", uint64_t(rows.size()));
            section.tables.push_back(task_table(rows, until - since, table.per_thread));
            auto c = read_percpu_counters(bpf_map__fd(skel->maps.counters), TASKSTAT_COUNTER_COUNT);
            warn_about_losses(rep, {{"scheduler events not accounted: task storage unavailable",
                                     c[TASKSTAT_STORAGE_FAILED]},
                                    {"exited threads dropped: map full", c[TASKSTAT_EXITED_FULL]}});
            run.json ? report::write_json(std::cout, rep) : report::write_text(std::cout, rep);
            std::cout.flush();
            for (auto it = now.begin(); it != now.end();)
                it = it->second.exited ? now.erase(it) : std::next(it);
            before = std::move(now);
            since = until;
        },
        [&] {
            if (!exited && watch.all_exited()) {
                exited = true;
                request_stop();
            }
        });
    if (exited)
        throw UserError(watch.describe() + " during the run; the report above covers it");
    return 0;
}

}  // namespace

BPFSCOPE_REGISTER_TOOL("taskstat",
                       "Per-process CPU, run-queue and off-CPU time, context switches, faults",
                       taskstat_main);

}  // namespace bpfscope
