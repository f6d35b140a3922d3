#include "report/folded.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include <fmt/format.h>

namespace bpfscope::report {

namespace {

// ';' separates frames and '\n' separates stacks: neither may appear in a name.
void append_clean_name(std::string& out, std::string_view name) {
    if (name.empty()) {
        out += "[unknown]";
        return;
    }
    for (char c : name) {
        out += (c == ';') ? ':' : (c == '\n' || c == '\r') ? ' ' : c;
    }
}

}  // namespace

std::string folded_frame_name(const StackFrame& frame, bool annotate_frames) {
    std::string name;
    if (frame.kind == StackFrame::Kind::kSeparator) {
        append_clean_name(name, frame.name.empty() ? std::string_view("-") : frame.name);
        return name;
    }
    append_clean_name(name, frame.name);
    if (annotate_frames) {
        if (frame.kind == StackFrame::Kind::kKernel) {
            name += "_[k]";
        } else if (frame.inlined) {
            name += "_[i]";
        }
    }
    return name;
}

std::string format_count(double value) {
    if (value == std::floor(value) && std::fabs(value) < 9.0e15) {
        return fmt::format("{}", static_cast<int64_t>(value));
    }
    std::string text = fmt::format("{:.6f}", value);
    while (!text.empty() && text.back() == '0') text.pop_back();
    if (!text.empty() && text.back() == '.')
        text.pop_back();
    return text;
}

std::string to_folded(const StackProfile& profile) {
    return to_folded(profile, {});
}

std::string to_folded(const StackProfile& profile, const FoldedWriteOptions& options) {
    // std::map: aggregates equal stacks and sorts them in one structure.
    std::map<std::string, uint64_t> totals;
    std::string key;
    for (const StackSample& sample : profile.samples) {
        key.clear();
        if (options.include_comm && !sample.comm.empty()) {
            append_clean_name(key, sample.comm);
        }
        for (const StackFrame& frame : sample.frames) {
            if (!key.empty())
                key += ';';
            key += folded_frame_name(frame, options.annotate_frames);
        }
        if (key.empty())
            continue;  // no comm and no frames: nothing to draw
        uint64_t& total = totals[key];
        total = total > UINT64_MAX - sample.value ? UINT64_MAX : total + sample.value;
    }
    std::string out;
    for (const auto& [stack, value] : totals) {
        out += stack;
        out += ' ';
        out += fmt::format("{}", value);
        out += '\n';
    }
    return out;
}

namespace {

uint64_t hash_name(std::string_view name) {
    const char* p = name.data();
    size_t n = name.size();
    uint64_t hash = 0x9e3779b97f4a7c15ULL ^ n;
    while (n >= 8) {
        uint64_t word;
        std::memcpy(&word, p, 8);
        hash = (hash ^ word) * 0xff51afd7ed558ccdULL;
        hash ^= hash >> 32;
        p += 8;
        n -= 8;
    }
    uint64_t tail = 0;
    std::memcpy(&tail, p, n);
    hash = (hash ^ tail) * 0xc4ceb9fe1a85ec53ULL;
    return hash ^ (hash >> 29);
}

}  // namespace

void FoldedStacks::grow() {
    size_t capacity = slots_.empty() ? 4096 : slots_.size() * 2;
    slots_.assign(capacity, 0);
    size_t mask = capacity - 1;
    for (uint32_t id = 0; id < names.size(); id++) {
        size_t slot = name_hashes_[id] & mask;
        while (slots_[slot] != 0) slot = (slot + 1) & mask;
        slots_[slot] = id + 1;
    }
}

uint32_t FoldedStacks::intern(std::string_view name) {
    if ((names.size() + 1) * 2 > slots_.size())
        grow();
    uint64_t hash = hash_name(name);
    size_t mask = slots_.size() - 1;
    size_t slot = hash & mask;
    while (uint32_t entry = slots_[slot]) {
        uint32_t id = entry - 1;
        if (name_hashes_[id] == hash && names[id] == name)
            return id;
        slot = (slot + 1) & mask;
    }
    const std::string& stored = name_storage_.emplace_back(name);
    auto id = static_cast<uint32_t>(names.size());
    names.push_back(stored);
    name_hashes_.push_back(hash);
    slots_[slot] = id + 1;
    return id;
}

double FoldedStacks::total() const {
    double sum = 0;
    for (const Stack& stack : stacks) sum += stack.count;
    return sum;
}

double FoldedStacks::total2() const {
    double sum = 0;
    for (const Stack& stack : stacks) sum += stack.count2;
    return sum;
}

FoldedStacks folded_stacks_from_profile(const StackProfile& profile,
                                        const FoldedWriteOptions& options) {
    FoldedStacks stacks;
    std::string name;
    for (const StackSample& sample : profile.samples) {
        FoldedStacks::Stack stack;
        stack.first = static_cast<uint32_t>(stacks.frames.size());
        if (options.include_comm && !sample.comm.empty()) {
            name.clear();
            append_clean_name(name, sample.comm);
            stacks.frames.push_back(stacks.intern(name));
        }
        for (const StackFrame& frame : sample.frames) {
            stacks.frames.push_back(
                stacks.intern(folded_frame_name(frame, options.annotate_frames)));
        }
        stack.depth = static_cast<uint32_t>(stacks.frames.size() - stack.first);
        if (stack.depth == 0)
            continue;
        stack.count = static_cast<double>(sample.value);
        stack.exact_count = sample.value;
        stacks.stacks.push_back(stack);
        stacks.lines++;
    }
    return stacks;
}

namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t';
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

struct ParsedCount {
    double value = 0;
    uint64_t exact = 0;  // nearest integer, saturated at UINT64_MAX
    bool fractional = false;
    bool saturated = false;
};

// digits[.digits] -> the nearest integer, exactly (ties round up, as llround).
void parse_exact_count(std::string_view number, ParsedCount& count) {
    size_t dot = number.find('.');
    std::string_view whole = number.substr(0, dot);
    uint64_t value = 0;
    for (char c : whole) {
        auto digit = static_cast<uint64_t>(c - '0');
        if (value > (UINT64_MAX - digit) / 10) {
            count.exact = UINT64_MAX;
            count.saturated = true;
            count.fractional = false;
            return;
        }
        value = value * 10 + digit;
    }
    if (dot != std::string_view::npos) {
        std::string_view fraction = number.substr(dot + 1);
        count.fractional = fraction.find_first_not_of('0') != std::string_view::npos;
        if (!fraction.empty() && fraction[0] >= '5') {
            if (value == UINT64_MAX)
                count.saturated = true;
            else
                value++;
        }
    }
    count.exact = value;
}

// Splits "STACK WS COUNT" at the end of `line`. COUNT = digits[.digits*].
bool split_trailing_count(std::string_view& line, ParsedCount& count) {
    size_t end = line.size();
    size_t pos = end;
    while (pos > 0 && (is_digit(line[pos - 1]) || line[pos - 1] == '.')) pos--;
    std::string_view number = line.substr(pos);
    if (number.empty() || !is_digit(number[0]))
        return false;
    size_t dot = number.find('.');
    if (dot != std::string_view::npos && number.find('.', dot + 1) != std::string_view::npos) {
        return false;
    }
    if (pos == 0 || !is_space(line[pos - 1]))
        return false;
    // Integer counts are the common case: avoid strtod.
    count = ParsedCount{};
    if (dot == std::string_view::npos && number.size() <= 18) {
        uint64_t value = 0;
        for (char c : number) value = value * 10 + static_cast<uint64_t>(c - '0');
        count.value = static_cast<double>(value);
        count.exact = value;
    } else {
        count.value = std::strtod(std::string(number).c_str(), nullptr);
        parse_exact_count(number, count);
    }
    size_t stack_end = pos;
    while (stack_end > 0 && is_space(line[stack_end - 1])) stack_end--;
    line = line.substr(0, stack_end);
    return true;
}

}  // namespace

void parse_folded(std::string_view text, std::string_view source_name, FoldedColumn column,
                  FoldedStacks& stacks) {
    size_t line_number = 0;
    size_t start = 0;
    std::vector<std::string_view> previous_frames;  // views into `text`
    std::vector<uint32_t> previous_ids;
    while (start < text.size()) {
        const char* newline =
            static_cast<const char*>(std::memchr(text.data() + start, '\n', text.size() - start));
        size_t end = newline ? static_cast<size_t>(newline - text.data()) : text.size();
        std::string_view line = text.substr(start, end - start);
        start = end + 1;
        line_number++;
        while (!line.empty() && (line.back() == '\r' || is_space(line.back()))) {
            line.remove_suffix(1);
        }
        if (line.empty())
            continue;
        stacks.lines++;

        ParsedCount first;
        ParsedCount second;
        std::string_view stack_text = line;
        bool ok = split_trailing_count(stack_text, second);
        bool two_counts = false;
        if (ok) {
            std::string_view maybe_stack = stack_text;
            if (split_trailing_count(maybe_stack, first) && !maybe_stack.empty()) {
                stack_text = maybe_stack;
                two_counts = true;
            }
        }
        if (!ok || stack_text.empty()) {
            if (stacks.bad_lines++ == 0) {
                stacks.first_bad_line = fmt::format(
                    "{}:{}: {}", source_name, line_number,
                    line.size() > 80 ? std::string(line.substr(0, 80)) + "..." : std::string(line));
            }
            continue;
        }
        FoldedStacks::Stack stack;
        stack.first = static_cast<uint32_t>(stacks.frames.size());
        if (two_counts) {
            stack.count = first.value;
            stack.count2 = second.value;
            stacks.differential = true;
        } else if (column == FoldedColumn::kAfter) {
            stack.count2 = second.value;
        } else {
            stack.count = second.value;
            stack.exact_count = second.exact;
            stack.fractional = second.fractional;
            stack.saturated = second.saturated;
        }
        size_t frame_start = 0;
        size_t depth = 0;
        bool same_prefix = true;
        while (true) {
            size_t semicolon = stack_text.find(';', frame_start);
            std::string_view frame = stack_text.substr(
                frame_start, semicolon == std::string_view::npos ? std::string_view::npos
                                                                 : semicolon - frame_start);
            // Folded files are usually sorted: a line mostly repeats the
            // previous line's leading frames, whose ids are already known.
            uint32_t id;
            if (same_prefix && depth < previous_frames.size() && previous_frames[depth] == frame) {
                id = previous_ids[depth];
            } else {
                same_prefix = false;
                id = stacks.intern(frame);
                if (depth < previous_frames.size()) {
                    previous_frames[depth] = frame;
                    previous_ids[depth] = id;
                } else {
                    previous_frames.push_back(frame);
                    previous_ids.push_back(id);
                }
            }
            stacks.frames.push_back(id);
            depth++;
            if (semicolon == std::string_view::npos)
                break;
            frame_start = semicolon + 1;
        }
        stack.depth = static_cast<uint32_t>(stacks.frames.size() - stack.first);
        previous_frames.resize(depth);
        previous_ids.resize(depth);
        stacks.stacks.push_back(stack);
    }
}

}  // namespace bpfscope::report
