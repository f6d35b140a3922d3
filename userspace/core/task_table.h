#pragma once
// taskstat's per-interval table: differences between two reads of cumulative
// per-thread figures, summed per process (or kept per thread), filtered,
// sorted and cut to --top.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "report/model.h"

namespace bpfscope {

// One thread's cumulative figures (as bpf/taskstat.h's record).
struct TaskFigures {
    uint32_t tid = 0, tgid = 0;
    std::string comm;
    uint64_t oncpu_ns = 0, runq_ns = 0, sleep_ns = 0, blocked_ns = 0;
    uint64_t voluntary = 0, involuntary = 0, wakeups = 0, migrations = 0;
    uint64_t minor_faults = 0, major_faults = 0;
    bool exited = false;

    // this - before, field by field (a counter that went back gives 0).
    TaskFigures minus(const TaskFigures& before) const;
    TaskFigures& operator+=(const TaskFigures& other);
    bool idle() const;  // nothing happened
};

enum class TaskSort {
    kCpu,
    kRunq,
    kSleep,
    kBlocked,
    kVoluntary,
    kInvoluntary,
    kWakeups,
    kMigrations,
    kMinor,
    kMajor
};
inline constexpr const char* kTaskSortFields =
    "cpu, runq, sleep, blocked, vcsw, ivcsw, wakeups, migrations, minflt, majflt";
// Throws UserError naming the valid fields.
TaskSort parse_task_sort(const std::string& field);

struct TaskTableOptions {
    bool per_thread = false;
    std::vector<uint32_t> pids;  // empty: all
    std::string comm;            // empty: all
    TaskSort sort = TaskSort::kCpu;
    unsigned top = 0;  // 0: all
};

// The interval's rows: `now` minus `before` per thread (threads absent from
// `before` count from zero), summed per process unless per_thread, without
// idle rows; filtered, sorted (descending), at most `top`.
std::vector<TaskFigures> interval_rows(const std::map<uint32_t, TaskFigures>& before,
                                       const std::map<uint32_t, TaskFigures>& now,
                                       const TaskTableOptions& options);

// Columns: pid [tid] comm cpu_pct oncpu_ms runq_ms sleep_ms blocked_ms vcsw ivcsw
// wakeups migrations minflt majflt. cpu_pct: on-CPU time over `interval_ns`.
report::Table task_table(const std::vector<TaskFigures>& rows, uint64_t interval_ns,
                         bool per_thread);

}  // namespace bpfscope
