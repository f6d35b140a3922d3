#pragma once
// Folded stacks: one line per distinct stack, "root;...;leaf COUNT", the format
// flamegraph.pl, inferno, speedscope and friends read. This header has the
// writer (StackProfile -> folded text) and the parser (folded text -> stacks
// ready to be laid out as a flame graph).
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "report/stack_profile.h"

namespace bpfscope::report {

struct FoldedWriteOptions {
    bool annotate_frames = false;  // kernel frames "name_[k]", inlined frames "name_[i]"
    bool include_comm = true;      // the process name as the root frame
};

// "comm;root;...;leaf value\n" lines: equal stacks aggregated, lines sorted.
// Frame names never contain ';' or newlines (they are replaced).
std::string to_folded(const StackProfile& profile, const FoldedWriteOptions& options);
std::string to_folded(const StackProfile& profile);

// The name a frame has in folded output and in the flame graph.
std::string folded_frame_name(const StackFrame& frame, bool annotate_frames);

// Counts as folded text writes them: integers without a decimal point,
// fractions with up to 6 decimals.
std::string format_count(double value);

// Parsed folded stacks. Frame names are interned: a stack is a run of ids in
// `frames`. Two-column input ("stack before after", as difffolded.pl writes)
// and --diff of two files fill both counts.
struct FoldedStacks {
    struct Stack {
        uint32_t first = 0;  // index of the root frame in `frames`
        uint32_t depth = 0;
        double count = 0;   // the only count, or the "before" count of a diff
        double count2 = 0;  // the "after" count of a diff
        // `count` exactly, as the integer nearest to what was written (doubles
        // lose integers above 2^53): what integer outputs (pprof) write.
        uint64_t exact_count = 0;
        bool fractional = false;  // `count` had a fraction (exact_count is rounded)
        bool saturated = false;   // `count` was above 2^64-1 (exact_count is 2^64-1)
    };
    std::vector<std::string_view> names;  // id -> name (views into name_storage)
    std::vector<uint32_t> frames;
    std::vector<Stack> stacks;
    bool differential = false;  // some line had two counts, or two files were diffed

    // Malformed input, never silently dropped: the caller reports it.
    size_t lines = 0;
    size_t bad_lines = 0;
    std::string first_bad_line;  // "FILE:LINE: text" of the first bad line

    uint32_t intern(std::string_view name);
    std::string_view name(uint32_t id) const { return names[id]; }
    double total() const;   // sum of count
    double total2() const;  // sum of count2

  private:
    // Open addressing (interning is the hot loop of parsing): slot = id + 1,
    // 0 = empty; capacity a power of two, at most half full.
    void grow();
    std::deque<std::string> name_storage_;
    std::vector<uint64_t> name_hashes_;
    std::vector<uint32_t> slots_;
};

// The profile's samples as parsed stacks (what parsing to_folded() output
// would give, without the text round trip), for rendering a flame graph.
FoldedStacks folded_stacks_from_profile(const StackProfile& profile,
                                        const FoldedWriteOptions& options);

enum class FoldedColumn { kOnly, kBefore, kAfter };

// Parses folded text and appends its stacks. Grammar per line (flamegraph.pl's):
// STACK WS COUNT [WS COUNT2], COUNT = digits[.digits]; frames split on ';' and
// may contain spaces. Blank lines are skipped; anything else that does not
// match is counted in bad_lines. `column` says which count a one-count line
// fills (for --diff BEFORE AFTER).
void parse_folded(std::string_view text, std::string_view source_name, FoldedColumn column,
                  FoldedStacks& stacks);

}  // namespace bpfscope::report
