#include "core/task_table.h"

#include <algorithm>
#include <tuple>

#include "base/error.h"

namespace bpfscope {

namespace {
uint64_t less(uint64_t now, uint64_t before) {
    return now > before ? now - before : 0;
}
}  // namespace

TaskFigures TaskFigures::minus(const TaskFigures& b) const {
    TaskFigures d = *this;
    d.oncpu_ns = less(oncpu_ns, b.oncpu_ns);
    d.runq_ns = less(runq_ns, b.runq_ns);
    d.sleep_ns = less(sleep_ns, b.sleep_ns);
    d.blocked_ns = less(blocked_ns, b.blocked_ns);
    d.voluntary = less(voluntary, b.voluntary);
    d.involuntary = less(involuntary, b.involuntary);
    d.wakeups = less(wakeups, b.wakeups);
    d.migrations = less(migrations, b.migrations);
    d.minor_faults = less(minor_faults, b.minor_faults);
    d.major_faults = less(major_faults, b.major_faults);
    return d;
}

TaskFigures& TaskFigures::operator+=(const TaskFigures& o) {
    oncpu_ns += o.oncpu_ns;
    runq_ns += o.runq_ns;
    sleep_ns += o.sleep_ns;
    blocked_ns += o.blocked_ns;
    voluntary += o.voluntary;
    involuntary += o.involuntary;
    wakeups += o.wakeups;
    migrations += o.migrations;
    minor_faults += o.minor_faults;
    major_faults += o.major_faults;
    return *this;
}

bool TaskFigures::idle() const {
    return !(oncpu_ns || runq_ns || blocked_ns || voluntary || involuntary || wakeups ||
             migrations || minor_faults || major_faults);
}

TaskSort parse_task_sort(const std::string& field) {
    static const std::pair<const char*, TaskSort> fields[] = {
        {"cpu", TaskSort::kCpu},         {"runq", TaskSort::kRunq},
        {"sleep", TaskSort::kSleep},     {"blocked", TaskSort::kBlocked},
        {"vcsw", TaskSort::kVoluntary},  {"ivcsw", TaskSort::kInvoluntary},
        {"wakeups", TaskSort::kWakeups}, {"migrations", TaskSort::kMigrations},
        {"minflt", TaskSort::kMinor},    {"majflt", TaskSort::kMajor}};
    for (const auto& [name, sort] : fields)
        if (field == name)
            return sort;
    throw UserError("--sort '" + field + "': unknown field; use one of " + kTaskSortFields, 2);
}

namespace {
uint64_t sort_value(const TaskFigures& f, TaskSort sort) {
    switch (sort) {
        case TaskSort::kCpu:
            return f.oncpu_ns;
        case TaskSort::kRunq:
            return f.runq_ns;
        case TaskSort::kSleep:
            return f.sleep_ns;
        case TaskSort::kBlocked:
            return f.blocked_ns;
        case TaskSort::kVoluntary:
            return f.voluntary;
        case TaskSort::kInvoluntary:
            return f.involuntary;
        case TaskSort::kWakeups:
            return f.wakeups;
        case TaskSort::kMigrations:
            return f.migrations;
        case TaskSort::kMinor:
            return f.minor_faults;
        case TaskSort::kMajor:
            return f.major_faults;
    }
    return 0;
}
}  // namespace

std::vector<TaskFigures> interval_rows(const std::map<uint32_t, TaskFigures>& before,
                                       const std::map<uint32_t, TaskFigures>& now,
                                       const TaskTableOptions& options) {
    std::map<uint32_t, TaskFigures> grouped;
    for (const auto& [tid, figures] : now) {
        if (!options.pids.empty() &&
            std::find(options.pids.begin(), options.pids.end(), figures.tgid) == options.pids.end())
            continue;
        auto previous = before.find(tid);
        TaskFigures delta = previous == before.end() ? figures : figures.minus(previous->second);
        uint32_t key = options.per_thread ? tid : figures.tgid;
        auto [entry, fresh] = grouped.try_emplace(key, delta);
        if (!fresh)
            entry->second += delta;
        // A process is named after its main thread when that one is there.
        if (tid == figures.tgid)
            entry->second.comm = figures.comm;
        if (!options.per_thread)
            entry->second.tid = figures.tgid;
    }
    std::vector<TaskFigures> rows;
    for (auto& [key, figures] : grouped) {
        if (figures.idle())
            continue;
        if (!options.comm.empty() && figures.comm != options.comm)
            continue;
        rows.push_back(figures);
    }
    std::stable_sort(rows.begin(), rows.end(), [&](const auto& a, const auto& b) {
        uint64_t va = sort_value(a, options.sort), vb = sort_value(b, options.sort);
        if (va != vb)
            return va > vb;
        return std::tie(a.tgid, a.tid) < std::tie(b.tgid, b.tid);
    });
    if (options.top && rows.size() > options.top)
        rows.resize(options.top);
    return rows;
}

report::Table task_table(const std::vector<TaskFigures>& rows, uint64_t interval_ns,
                         bool per_thread) {
    report::Table table;
    table.columns = {"pid"};
    if (per_thread)
        table.columns.push_back("tid");
    for (const char* column : {"comm", "cpu_pct", "oncpu_ms", "runq_ms", "sleep_ms", "blocked_ms",
                               "vcsw", "ivcsw", "wakeups", "migrations", "minflt", "majflt"})
        table.columns.push_back(column);
    for (const auto& f : rows) {
        std::vector<report::Value> row{
            f.comm,
            interval_ns ? 100.0 * double(f.oncpu_ns) / double(interval_ns) : 0.0,
            double(f.oncpu_ns) / 1e6,
            double(f.runq_ns) / 1e6,
            double(f.sleep_ns) / 1e6,
            double(f.blocked_ns) / 1e6,
            f.voluntary,
            f.involuntary,
            f.wakeups,
            f.migrations,
            f.minor_faults,
            f.major_faults};
        if (per_thread)
            row.insert(row.begin(),
                       {report::Value{uint64_t(f.tgid)}, report::Value{uint64_t(f.tid)}});
        else
            row.insert(row.begin(), {report::Value{uint64_t(f.tgid)}, report::Value{}});
        if (!per_thread)
            row.erase(row.begin() + 1);
        table.rows.push_back(std::move(row));
    }
    return table;
}

}  // namespace bpfscope
