#include "core/syscall_table.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "base/error.h"
#include "core/syscall_names.h"
#include "report/histogram.h"

namespace bpfscope {

double SyscallFigures::p99_ns() const {
    if (!timed)
        return NAN;
    report::Log2Histogram histogram;
    histogram.unit = "ns";
    histogram.slots.assign(report::kLog2Slots, 0);
    histogram.fine_ns = fine_ns;
    histogram.count = timed;
    histogram.sum = total_ns;
    histogram.max = histogram.max_ns = max_ns;
    for (unsigned slot = 0; slot < fine_ns.size(); slot++)
        if (fine_ns[slot]) {
            histogram.min = histogram.min_ns = report::fine_slot_low(slot);
            break;
        }
    return histogram.percentile(0.99);
}

SyscallSort parse_syscall_sort(const std::string& field) {
    static const std::pair<const char*, SyscallSort> fields[] = {
        {"count", SyscallSort::kCount}, {"errors", SyscallSort::kErrors},
        {"total", SyscallSort::kTotal}, {"avg", SyscallSort::kAverage},
        {"p99", SyscallSort::kP99},     {"max", SyscallSort::kMax}};
    for (const auto& [name, sort] : fields)
        if (field == name)
            return sort;
    throw UserError("--sort '" + field + "': unknown field; use one of " + kSyscallSortFields, 2);
}

namespace {

double average_ns(const SyscallFigures& f) {
    return f.timed ? double(f.total_ns) / double(f.timed) : NAN;
}

double sort_value(const SyscallFigures& f, SyscallSort sort) {
    double value = 0;
    switch (sort) {
        case SyscallSort::kCount:
            value = double(f.count);
            break;
        case SyscallSort::kErrors:
            value = double(f.errors);
            break;
        case SyscallSort::kTotal:
            value = double(f.total_ns);
            break;
        case SyscallSort::kAverage:
            value = average_ns(f);
            break;
        case SyscallSort::kP99:
            value = f.p99_ns();
            break;
        case SyscallSort::kMax:
            value = double(f.max_ns);
            break;
    }
    return std::isnan(value) ? -1 : value;
}

report::Value us(double ns) {
    return std::isnan(ns) ? report::Value{} : report::Value{ns / 1e3};
}

}  // namespace

report::Table syscall_table(std::vector<SyscallFigures> rows, SyscallSort sort, unsigned top,
                            bool per_process) {
    std::stable_sort(rows.begin(), rows.end(), [&](const auto& a, const auto& b) {
        double va = sort_value(a, sort), vb = sort_value(b, sort);
        if (va != vb)
            return va > vb;
        return std::tie(a.tgid, a.name) < std::tie(b.tgid, b.name);
    });
    if (top && rows.size() > top)
        rows.resize(top);
    report::Table table;
    if (per_process)
        table.columns = {"pid", "comm"};
    for (const char* column :
         {"syscall", "count", "errors", "total_ms", "avg_us", "p99_us", "max_us"})
        table.columns.push_back(column);
    for (const auto& f : rows) {
        std::vector<report::Value> row{
            f.name,
            f.count,
            f.errors,
            f.timed ? report::Value{double(f.total_ns) / 1e6} : report::Value{},
            us(average_ns(f)),
            us(f.p99_ns()),
            f.timed ? us(double(f.max_ns)) : report::Value{}};
        if (per_process)
            row.insert(row.begin(), {report::Value{uint64_t(f.tgid)}, report::Value{f.comm}});
        table.rows.push_back(std::move(row));
    }
    return table;
}

report::Table syscall_error_table(std::vector<SyscallErrorFigures> rows, bool per_process) {
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
        if (a.count != b.count)
            return a.count > b.count;
        return std::tie(a.tgid, a.name, a.err) < std::tie(b.tgid, b.name, b.err);
    });
    report::Table table;
    table.title = "errors";
    if (per_process)
        table.columns = {"pid", "comm"};
    for (const char* column : {"syscall", "errno", "count"}) table.columns.push_back(column);
    for (const auto& e : rows) {
        std::vector<report::Value> row{e.name, errno_name(e.err), e.count};
        if (per_process)
            row.insert(row.begin(), {report::Value{uint64_t(e.tgid)}, report::Value{e.comm}});
        table.rows.push_back(std::move(row));
    }
    return table;
}

}  // namespace bpfscope
