#pragma once
// The per-syscall table syscount prints (and its error breakdown), built from
// figures already summed over CPUs: sorting, --top, percentiles.
#include <cstdint>
#include <string>
#include <vector>

#include "report/model.h"

namespace bpfscope {

struct SyscallFigures {
    uint32_t tgid = 0;  // 0: all processes together
    std::string comm;
    std::string name;  // syscall name
    uint64_t count = 0, errors = 0, timed = 0, total_ns = 0, max_ns = 0;
    std::vector<uint64_t> fine_ns;  // report::fine_slot() buckets of the timed calls

    double p99_ns() const;
};

struct SyscallErrorFigures {
    uint32_t tgid = 0;
    std::string comm;
    std::string name;
    int err = 0;
    uint64_t count = 0;
};

enum class SyscallSort { kCount, kErrors, kTotal, kAverage, kP99, kMax };
inline constexpr const char* kSyscallSortFields = "count, errors, total, avg, p99, max";
// Throws UserError naming the valid fields.
SyscallSort parse_syscall_sort(const std::string& field);

// Columns: [pid comm] syscall count errors total_ms avg_us p99_us max_us.
// Sorted by `sort` (descending, then by name), at most `top` rows (0: all).
report::Table syscall_table(std::vector<SyscallFigures> rows, SyscallSort sort, unsigned top,
                            bool per_process);
// Columns: [pid comm] syscall errno count, most frequent first.
report::Table syscall_error_table(std::vector<SyscallErrorFigures> rows, bool per_process);

}  // namespace bpfscope
