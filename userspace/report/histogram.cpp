#include "report/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace bpfscope::report {

unsigned log2_slot(uint64_t value) { return value == 0 ? 0 : unsigned(std::bit_width(value)); }

uint64_t log2_slot_low(unsigned slot) { return slot == 0 ? 0 : uint64_t(1) << (slot - 1); }

uint64_t log2_slot_high(unsigned slot) {
    if (slot >= 64) return std::numeric_limits<uint64_t>::max();
    return uint64_t(1) << slot;
}

void Log2Histogram::record(uint64_t value) {
    if (slots.size() < kLog2Slots) slots.resize(kLog2Slots, 0);
    slots[log2_slot(value)]++;
    min = count == 0 ? value : std::min(min, value);
    max = count == 0 ? value : std::max(max, value);
    count++;
    sum += value;
}

double Log2Histogram::percentile(double q) const {
    uint64_t total = 0;
    for (uint64_t c : slots) total += c;
    if (total == 0) return 0.0;
    q = std::clamp(q, 0.0, 1.0);
    if (q == 0.0 && count > 0) return double(min);
    // Rank of the wanted value among `total` (1-based, at least 1).
    double rank = std::max(1.0, std::ceil(q * double(total)));
    uint64_t seen = 0;
    for (unsigned slot = 0; slot < slots.size(); slot++) {
        uint64_t in_slot = slots[slot];
        if (in_slot == 0) continue;
        if (double(seen + in_slot) >= rank) {
            double low = double(log2_slot_low(slot));
            double high = double(log2_slot_high(slot));
            if (count > 0) {  // the true extremes tighten the end buckets
                low = std::max(low, double(min));
                high = std::min(high, double(max) + 1.0);
                if (high < low) high = low;
            }
            double fraction = (rank - double(seen)) / double(in_slot);
            double estimate = low + fraction * (high - low);
            if (count > 0) estimate = std::clamp(estimate, double(min), double(max));
            return estimate;
        }
        seen += in_slot;
    }
    return count > 0 ? double(max) : 0.0;
}

Log2Histogram Log2Histogram::rescaled(uint64_t divisor, std::string new_unit) const {
    Log2Histogram out;
    out.unit = std::move(new_unit);
    out.slots.assign(kLog2Slots, 0);
    if (divisor <= 1) {
        out = *this;
        out.slots.resize(kLog2Slots, 0);
        return out;
    }
    // Bucket boundaries do not divide exactly; move each bucket by its lower
    // bound so counts are preserved (the estimate error stays within a bucket).
    for (unsigned slot = 0; slot < slots.size(); slot++) {
        if (slots[slot] == 0) continue;
        out.slots[log2_slot(log2_slot_low(slot) / divisor)] += slots[slot];
    }
    out.count = count;
    out.sum = sum / divisor;
    out.min = min / divisor;
    out.max = max / divisor;
    return out;
}

void Log2Histogram::merge(const Log2Histogram& other) {
    if (slots.size() < kLog2Slots) slots.resize(kLog2Slots, 0);
    for (unsigned slot = 0; slot < other.slots.size() && slot < kLog2Slots; slot++)
        slots[slot] += other.slots[slot];
    if (other.count > 0) {
        min = count == 0 ? other.min : std::min(min, other.min);
        max = count == 0 ? other.max : std::max(max, other.max);
    }
    count += other.count;
    sum += other.sum;
}

}  // namespace bpfscope::report
