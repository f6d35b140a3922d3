#include "report/bcc_text_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace bpfscope::report {

std::vector<uint64_t> bcc_log2_slots(const Log2Histogram& histogram) {
    // Ours: slot 0 = {0}, slot s >= 1 = [2^(s-1), 2^s). Theirs: slot 0 = {0, 1},
    // slot i >= 1 = [2^i, 2^(i+1)) = our slot i + 1.
    const auto& ours = histogram.slots;
    std::vector<uint64_t> theirs(kLog2Slots - 1, 0);
    for (size_t s = 0; s < ours.size(); ++s) {
        size_t i = s <= 1 ? 0 : s - 1;
        if (i < theirs.size())
            theirs[i] += ours[s];
    }
    return theirs;
}

namespace {

// print_stars(): `width` columns of '*' scaled to the largest count, '+' past it.
void append_stars(std::string& out, uint64_t value, uint64_t value_max, int width) {
    uint64_t stars = std::min(value, value_max) * uint64_t(width) / value_max;
    out.append(stars, '*');
    out.append(size_t(width) - stars, ' ');
    if (value > value_max)
        out += '+';
}

}  // namespace

std::string bcc_log2_histogram(const std::vector<uint64_t>& slots, const std::string& val_type) {
    int idx_max = -1;
    uint64_t value_max = 0;
    for (size_t i = 0; i < slots.size(); ++i) {
        if (slots[i] > 0)
            idx_max = int(i);
        value_max = std::max(value_max, slots[i]);
    }
    if (idx_max < 0)
        return {};
    // Tables that reach past slot 32 get wider bounds and half as many stars.
    const bool narrow = idx_max <= 32;
    const int stars = narrow ? 40 : 20;
    const int width = narrow ? 10 : 20;
    std::string out = fmt::format("{:{}}{:<{}} : count    distribution\n", "", narrow ? 5 : 15,
                                  val_type, narrow ? 19 : 29);
    for (int i = 0; i <= idx_max; ++i) {
        // [2^i, 2^(i+1) - 1]; slot 0 reads "0 -> 1".
        uint64_t low = uint64_t(1) << i;
        uint64_t high = i >= 63 ? UINT64_MAX : (uint64_t(1) << (i + 1)) - 1;
        if (low == high)
            low -= 1;
        out += fmt::format("{:>{}} -> {:<{}} : {:<8} |", low, width, high, width, slots[i]);
        append_stars(out, slots[i], value_max, stars);
        out += "|\n";
    }
    return out;
}

std::string bcc_singular_unit(const std::string& unit) {
    if (unit == "ns" || unit == "us" || unit == "ms")
        return unit.substr(0, 1) + "sec";
    return unit;
}

std::string bcc_plural_unit(const std::string& unit) {
    std::string singular = bcc_singular_unit(unit);
    return singular == unit ? unit : singular + "s";
}

BccStackParts bcc_stack_parts(const StackSample& sample) {
    BccStackParts parts;
    for (const auto& frame : sample.frames) {
        if (frame.kind == StackFrame::Kind::kSeparator || frame.inlined)
            continue;  // libbpf-tools prints one line per return address
        bool kernel = frame.kind == StackFrame::Kind::kKernel;
        std::string name = frame.name;
        if (name == "[missing user stack]")
            name = "[Missed User Stack]";
        else if (name == "[missing kernel stack]")
            name = "[Missed Kernel Stack]";
        (kernel ? parts.kernel : parts.user).push_back(std::move(name));
        (kernel ? parts.has_kernel : parts.has_user) = true;
    }
    return parts;
}

namespace {

uint64_t whole(double value) {
    return value <= 0 ? 0 : uint64_t(std::llround(value));
}

std::vector<const StackSample*> ordered(const StackProfile& profile, bool largest_first) {
    std::vector<const StackSample*> samples;
    for (const auto& sample : profile.samples)
        if (whole(sample.value) > 0)
            samples.push_back(&sample);
    std::stable_sort(samples.begin(), samples.end(), [&](const auto* a, const auto* b) {
        return largest_first ? a->value > b->value : a->value < b->value;
    });
    return samples;
}

}  // namespace

std::string bcc_stacks_text(const StackProfile& profile, const BccStackOptions& options) {
    std::string out;
    for (const auto* sample : ordered(profile, options.largest_first)) {
        BccStackParts parts = bcc_stack_parts(*sample);
        for (auto it = parts.kernel.rbegin(); it != parts.kernel.rend(); ++it)
            out += "    " + *it + "\n";
        if (options.delimiter && parts.has_kernel && parts.has_user)
            out += "    --\n";
        for (auto it = parts.user.rbegin(); it != parts.user.rend(); ++it)
            out += "    " + *it + "\n";
        out += fmt::format("    {:<16} {} ({})\n", "-", sample->comm,
                           options.show_tid ? sample->tid : sample->pid);
        out += fmt::format("        {}\n\n", whole(sample->value));
    }
    return out;
}

std::string bcc_folded_text(const StackProfile& profile, const BccStackOptions& options) {
    std::string out;
    for (const auto* sample : ordered(profile, options.largest_first)) {
        BccStackParts parts = bcc_stack_parts(*sample);
        out += sample->comm;
        for (const auto& frame : parts.user) out += ";" + frame;
        if (options.delimiter && parts.has_kernel && parts.has_user)
            out += ";-";
        for (const auto& frame : parts.kernel) out += ";" + frame;
        out += fmt::format(" {}\n", whole(sample->value));
    }
    return out;
}

}  // namespace bpfscope::report
