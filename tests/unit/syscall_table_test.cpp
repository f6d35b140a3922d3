// Pure logic behind syscount: the tracefs format parser, argument rendering,
// errno names, the table's sorting, --top and percentiles.
#include <gtest/gtest.h>

#include "base/error.h"
#include "core/syscall_names.h"
#include "core/syscall_table.h"
#include "report/histogram.h"

using namespace bpfscope;

namespace {
const char* kReadFormat = R"(name: sys_enter_read
ID: 842
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
	field:unsigned int fd;	offset:16;	size:8;	signed:0;
	field:char * buf;	offset:24;	size:8;	signed:0;
	field:size_t count;	offset:32;	size:8;	signed:0;

print fmt: "fd: 0x%08lx, buf: 0x%08lx, count: 0x%08lx", ((unsigned long)(REC->fd))
)";

SyscallFigures figures(std::string name, uint64_t count, uint64_t errors,
                       std::vector<uint64_t> latencies_ns) {
    SyscallFigures f;
    f.name = std::move(name);
    f.count = count;
    f.errors = errors;
    f.fine_ns.assign(report::kFineSlots, 0);
    for (uint64_t ns : latencies_ns) {
        f.timed++;
        f.total_ns += ns;
        f.max_ns = std::max(f.max_ns, ns);
        f.fine_ns[report::fine_slot(ns)]++;
    }
    return f;
}
}  // namespace

TEST(SyscallNames, ParsesArgumentsAfterTheSyscallNumber) {
    auto arguments = parse_syscall_format(kReadFormat);
    ASSERT_EQ(arguments.size(), 3u);
    EXPECT_EQ(arguments[0].name, "fd");
    EXPECT_EQ(arguments[0].type, "unsigned int");
    EXPECT_EQ(arguments[1].name, "buf");
    EXPECT_EQ(arguments[1].type, "char *");
    EXPECT_TRUE(arguments[1].is_pointer());
    EXPECT_EQ(arguments[2].name, "count");
    EXPECT_TRUE(parse_syscall_format("").empty());
}

TEST(SyscallNames, FormatsArgumentsByType) {
    auto arguments = parse_syscall_format(kReadFormat);
    uint64_t values[6] = {3, 0x7ffd1000, 4096, 0, 0, 0};
    EXPECT_EQ(format_syscall_arguments(arguments, values), "fd=3, buf=0x7ffd1000, count=4096");
    std::vector<SyscallArgument> signed_int = {{"int", "dfd"}};
    uint64_t at_fdcwd[6] = {uint64_t(int64_t(-100)), 0, 0, 0, 0, 0};
    EXPECT_EQ(format_syscall_arguments(signed_int, at_fdcwd), "dfd=-100");
    uint64_t raw[6] = {1, 2, 3, 4, 5, 0x10};
    EXPECT_EQ(format_syscall_arguments({}, raw), "0x1, 0x2, 0x3, 0x4, 0x5, 0x10");
}

TEST(SyscallNames, ErrnoNames) {
    EXPECT_EQ(errno_name(2), "ENOENT");
    EXPECT_EQ(errno_name(11), "EAGAIN");
    EXPECT_EQ(errno_name(4000), "E4000");
}

TEST(SyscallTable, SortsCutsAndComputesFigures) {
    std::vector<SyscallFigures> rows = {
        figures("read", 3, 1, {1000, 2000, 3000}),
        figures("getppid", 10, 0, std::vector<uint64_t>(10, 100)),
        figures("exit_group", 1, 0, {}),
    };
    auto table = syscall_table(rows, SyscallSort::kCount, 0, false);
    ASSERT_EQ(table.rows.size(), 3u);
    EXPECT_EQ(table.columns[0], "syscall");
    EXPECT_EQ(std::get<std::string>(table.rows[0][0]), "getppid");
    EXPECT_EQ(std::get<uint64_t>(table.rows[0][1]), 10u);
    // exit_group: counted, never timed: no latency figures.
    EXPECT_TRUE(std::holds_alternative<std::monostate>(table.rows[2][4]));
    // read: total 6000 ns = 0.006 ms, avg 2 us, max 3 us, p99 within the max slot.
    EXPECT_DOUBLE_EQ(std::get<double>(table.rows[1][3]), 0.006);
    EXPECT_DOUBLE_EQ(std::get<double>(table.rows[1][4]), 2.0);
    EXPECT_DOUBLE_EQ(std::get<double>(table.rows[1][6]), 3.0);
    double p99 = std::get<double>(table.rows[1][5]);
    EXPECT_GE(p99, 2.5);
    EXPECT_LE(p99, 3.0);

    auto by_max = syscall_table(rows, SyscallSort::kMax, 1, false);
    ASSERT_EQ(by_max.rows.size(), 1u);
    EXPECT_EQ(std::get<std::string>(by_max.rows[0][0]), "read");
    auto by_errors = syscall_table(rows, SyscallSort::kErrors, 0, true);
    EXPECT_EQ(by_errors.columns[0], "pid");
    EXPECT_EQ(std::get<std::string>(by_errors.rows[0][2]), "read");
}

TEST(SyscallTable, UnknownSortFieldIsAUsageError) {
    EXPECT_EQ(parse_syscall_sort("p99"), SyscallSort::kP99);
    try {
        parse_syscall_sort("speed");
        FAIL();
    } catch (const UserError& error) {
        EXPECT_EQ(error.exit_code(), 2);
        EXPECT_NE(std::string(error.what()).find("count, errors"), std::string::npos);
    }
}

TEST(SyscallTable, ErrorsByErrnoMostFrequentFirst) {
    auto table = syscall_error_table({{0, "", "read", 11, 2}, {0, "", "openat", 2, 7}}, false);
    ASSERT_EQ(table.rows.size(), 2u);
    EXPECT_EQ(std::get<std::string>(table.rows[0][0]), "openat");
    EXPECT_EQ(std::get<std::string>(table.rows[0][1]), "ENOENT");
    EXPECT_EQ(std::get<uint64_t>(table.rows[0][2]), 7u);
}
