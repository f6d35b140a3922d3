#include "report/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace bpfscope::report {

unsigned log2_slot(uint64_t value) {
    return value == 0 ? 0 : unsigned(std::bit_width(value));
}

uint64_t log2_slot_low(unsigned slot) {
    return slot == 0 ? 0 : uint64_t(1) << (slot - 1);
}

uint64_t log2_slot_high(unsigned slot) {
    if (slot >= 64)
        return std::numeric_limits<uint64_t>::max();
    return uint64_t(1) << slot;
}

unsigned fine_slot(uint64_t value) {
    if (value < 4)
        return unsigned(value);
    unsigned top = unsigned(std::bit_width(value)) - 1;
    return 4 + (top - 2) * 4 + unsigned((value >> (top - 2)) & 3);
}

uint64_t fine_slot_low(unsigned slot) {
    if (slot < 4)
        return slot;
    unsigned top = (slot - 4) / 4 + 2, quarter = (slot - 4) % 4;
    return uint64_t(4 + quarter) << (top - 2);
}

uint64_t fine_slot_high(unsigned slot) {
    if (slot < 4)
        return slot + 1;
    if (slot + 1 >= 4 + 62 * 4)
        return std::numeric_limits<uint64_t>::max();
    return fine_slot_low(slot + 1);
}

namespace {
// The q-th value of a bucketed distribution, interpolated inside its bucket.
template <typename Low, typename High>
double bucket_percentile(const std::vector<uint64_t>& buckets, double q, double min, double max,
                         bool bounded, Low low_of, High high_of) {
    uint64_t total = 0;
    for (uint64_t c : buckets) total += c;
    if (total == 0)
        return 0.0;
    double rank = std::max(1.0, std::ceil(q * double(total)));
    uint64_t seen = 0;
    for (unsigned slot = 0; slot < buckets.size(); slot++) {
        uint64_t in_slot = buckets[slot];
        if (in_slot == 0)
            continue;
        if (double(seen + in_slot) >= rank) {
            double low = double(low_of(slot)), high = double(high_of(slot));
            if (bounded) {  // the true extremes tighten the end buckets
                low = std::max(low, min);
                high = std::min(high, max + (max == std::floor(max) ? 1.0 : 0.0));
                if (high < low)
                    high = low;
            }
            double estimate = low + (rank - double(seen)) / double(in_slot) * (high - low);
            return bounded ? std::clamp(estimate, min, max) : estimate;
        }
        seen += in_slot;
    }
    return max;
}
}  // namespace

void Log2Histogram::record(uint64_t value) {
    if (slots.size() < kLog2Slots)
        slots.resize(kLog2Slots, 0);
    slots[log2_slot(value)]++;
    min = count == 0 ? value : std::min(min, value);
    max = count == 0 ? value : std::max(max, value);
    count++;
    sum += value;
}

double Log2Histogram::percentile(double q) const {
    q = std::clamp(q, 0.0, 1.0);
    bool bounded = count > 0;
    if (!fine_ns.empty()) {
        bool exact = max_ns > 0;
        double low = exact ? double(min_ns) : double(min) * ns_per_unit;
        double high = exact ? double(max_ns) : (double(max) + 1) * ns_per_unit;
        if (q == 0.0 && bounded)
            return low / ns_per_unit;
        return bucket_percentile(fine_ns, q, low, high, bounded, fine_slot_low, fine_slot_high) /
               ns_per_unit;
    }
    if (q == 0.0 && bounded)
        return double(min);
    return bucket_percentile(slots, q, double(min), double(max), bounded, log2_slot_low,
                             log2_slot_high);
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
        if (slots[slot] == 0)
            continue;
        out.slots[log2_slot(log2_slot_low(slot) / divisor)] += slots[slot];
    }
    out.fine_ns = fine_ns;
    out.ns_per_unit = ns_per_unit * double(divisor);
    out.min_ns = min_ns;
    out.max_ns = max_ns;
    out.count = count;
    out.sum = sum / divisor;
    out.min = min / divisor;
    out.max = max / divisor;
    return out;
}

void Log2Histogram::merge(const Log2Histogram& other) {
    if (slots.size() < kLog2Slots)
        slots.resize(kLog2Slots, 0);
    for (unsigned slot = 0; slot < other.slots.size() && slot < kLog2Slots; slot++)
        slots[slot] += other.slots[slot];
    if (fine_ns.size() < other.fine_ns.size())
        fine_ns.resize(other.fine_ns.size(), 0);
    for (size_t slot = 0; slot < other.fine_ns.size(); slot++) fine_ns[slot] += other.fine_ns[slot];
    if (other.count > 0) {
        min_ns = count == 0 ? other.min_ns : std::min(min_ns, other.min_ns);
        max_ns = std::max(max_ns, other.max_ns);
        min = count == 0 ? other.min : std::min(min, other.min);
        max = count == 0 ? other.max : std::max(max, other.max);
    }
    count += other.count;
    sum += other.sum;
}

std::optional<SlotRange> occupied_slots(const std::vector<uint64_t>& slots) {
    std::optional<SlotRange> range;
    for (unsigned slot = 0; slot < slots.size(); slot++) {
        if (slots[slot] == 0)
            continue;
        if (!range)
            range = SlotRange{slot, slot};
        range->last = slot;
    }
    return range;
}

}  // namespace bpfscope::report
