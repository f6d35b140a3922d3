#pragma once
// libbpf-tools' text formats, byte for byte, for the drop-in mode (a tool run
// as `runqlat`, `offcputime`, ... through its build/bin symlink): the log2
// table of trace_helpers.c's print_log2_hist ("usecs : count distribution"
// with the stars column), the multi-line stacks of offcputime and profile
// ("    frame" lines, "    -                comm (pid)", the value) and
// profile's folded lines. The drop-in entries (userspace/tools/compat/) pick
// the pieces a tool prints; docs/adding-a-tool.md says how to add one.
#include <cstdint>
#include <string>
#include <vector>

#include "report/histogram.h"
#include "report/stack_profile.h"

namespace bpfscope::report {

// libbpf-tools' log2 slots (bits.bpf.h log2l): slot 0 holds 0 and 1, slot
// i >= 1 holds [2^i, 2^(i+1)). Ours (histogram.h) keep 0 apart, so theirs
// are an exact regrouping of ours.
std::vector<uint64_t> bcc_log2_slots(const Log2Histogram& histogram);

// print_log2_hist(vals, n, val_type): the header and every slot from 0 to the
// last non-empty one; "" when every slot is empty (libbpf-tools prints nothing).
std::string bcc_log2_histogram(const std::vector<uint64_t>& bcc_slots, const std::string& val_type);

// libbpf-tools' unit names: print_log2_hist's val_type for a unit of ours.
// runqlat says "usecs"/"msecs", funclatency "nsec"/"usec"/"msec".
std::string bcc_plural_unit(const std::string& unit);    // "us" -> "usecs"
std::string bcc_singular_unit(const std::string& unit);  // "us" -> "usec"

struct BccStackOptions {
    bool delimiter = false;     // profile -d: "--" (multi-line) or "-" (folded) between the parts
    bool show_tid = false;      // offcputime prints the thread id, profile the process id
    bool largest_first = true;  // profile sorts by count, largest first; else largest last
};

// One block per stack: kernel frames leaf first, then user frames leaf first,
// "    -                comm (id)", "        value" and a blank line.
std::string bcc_stacks_text(const StackProfile& profile, const BccStackOptions& options);
// profile -f: "comm;user root..leaf;kernel root..leaf count" a line.
std::string bcc_folded_text(const StackProfile& profile, const BccStackOptions& options);

// The stack parts of a sample as libbpf-tools names them, each root first:
// "[missing user stack]" is their "[Missed User Stack]", and so on.
struct BccStackParts {
    std::vector<std::string> user, kernel;
    bool has_user = false, has_kernel = false;
};
BccStackParts bcc_stack_parts(const StackSample& sample);

}  // namespace bpfscope::report
