// Pure logic behind taskstat: interval differences, per-process sums,
// filters, sorting and the table.
#include <gtest/gtest.h>

#include "base/error.h"
#include "core/task_table.h"

using namespace bpfscope;

namespace {
TaskFigures thread(uint32_t tid, uint32_t tgid, std::string comm, uint64_t oncpu_ms,
                   uint64_t voluntary, uint64_t minor_faults = 0) {
    TaskFigures f;
    f.tid = tid;
    f.tgid = tgid;
    f.comm = std::move(comm);
    f.oncpu_ns = oncpu_ms * 1000000;
    f.voluntary = voluntary;
    f.minor_faults = minor_faults;
    return f;
}
}  // namespace

TEST(TaskTable, IntervalDifferencesSummedPerProcess) {
    std::map<uint32_t, TaskFigures> before = {{10, thread(10, 10, "app", 100, 5, 1000)},
                                              {11, thread(11, 10, "worker", 50, 1, 0)},
                                              {20, thread(20, 20, "idle", 7, 3)}};
    std::map<uint32_t, TaskFigures> now = {{10, thread(10, 10, "app", 300, 8, 1010)},
                                           {11, thread(11, 10, "worker", 150, 2, 0)},
                                           {12, thread(12, 10, "new", 10, 1, 4)},
                                           {20, thread(20, 20, "idle", 7, 3)}};
    auto rows = interval_rows(before, now, {});
    ASSERT_EQ(rows.size(), 1u);  // pid 20 did nothing
    EXPECT_EQ(rows[0].tgid, 10u);
    EXPECT_EQ(rows[0].comm, "app");
    EXPECT_EQ(rows[0].oncpu_ns, 310u * 1000000);  // 200 + 100 + 10 (new thread from zero)
    EXPECT_EQ(rows[0].voluntary, 3u + 1 + 1);
    EXPECT_EQ(rows[0].minor_faults, 14u);

    TaskTableOptions per_thread;
    per_thread.per_thread = true;
    per_thread.sort = TaskSort::kVoluntary;
    per_thread.top = 2;
    auto threads = interval_rows(before, now, per_thread);
    ASSERT_EQ(threads.size(), 2u);
    EXPECT_EQ(threads[0].tid, 10u);
    EXPECT_EQ(threads[1].tid, 11u);  // ties by id

    TaskTableOptions filtered;
    filtered.comm = "worker";
    filtered.per_thread = true;
    auto workers = interval_rows(before, now, filtered);
    ASSERT_EQ(workers.size(), 1u);
    EXPECT_EQ(workers[0].tid, 11u);
    TaskTableOptions by_pid;
    by_pid.pids = {20};
    EXPECT_TRUE(interval_rows(before, now, by_pid).empty());
}

TEST(TaskTable, TableColumnsAndCpuShare) {
    auto table = task_table({thread(10, 10, "app", 500, 2)}, 1000000000, false);
    ASSERT_EQ(table.columns.size(), 13u);
    EXPECT_EQ(table.columns[2], "cpu_pct");
    EXPECT_DOUBLE_EQ(std::get<double>(table.rows[0][2]), 50.0);
    EXPECT_DOUBLE_EQ(std::get<double>(table.rows[0][3]), 500.0);
    EXPECT_EQ(task_table({}, 1, true).columns[1], "tid");
}

TEST(TaskTable, UnknownSortFieldIsAUsageError) {
    EXPECT_EQ(parse_task_sort("ivcsw"), TaskSort::kInvoluntary);
    EXPECT_THROW(parse_task_sort("speed"), UserError);
}
