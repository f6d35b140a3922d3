#pragma once
// Log2 histograms as the BPF side fills them (bpf/bits.bpf.h uses the same
// slot rule), plus the statistics derived from them.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bpfscope::report {

// Slot 0 holds the value 0; slot i >= 1 holds [2^(i-1), 2^i).
constexpr unsigned kLog2Slots = 65;
unsigned log2_slot(uint64_t value);
uint64_t log2_slot_low(unsigned slot);   // inclusive lower bound
uint64_t log2_slot_high(unsigned slot);  // exclusive upper bound (saturates at UINT64_MAX)

// Quarter-octave slots (4 per power of two; values 0..3 exact), the finer
// buckets the BPF side keeps in ns so percentiles are within a few percent.
constexpr unsigned kFineSlots = 256;
unsigned fine_slot(uint64_t value);
uint64_t fine_slot_low(unsigned slot);
uint64_t fine_slot_high(unsigned slot);

struct Log2Histogram {
    std::string unit;             // unit of every value below ("ns", "us", "ms", ...)
    std::vector<uint64_t> slots;  // size kLog2Slots (trailing zeros allowed to be trimmed)
    uint64_t count = 0;
    uint64_t sum = 0;
    uint64_t min = 0;  // meaningful only when count > 0
    uint64_t max = 0;
    // Optional: fine_slot() buckets of the raw values in ns; percentile() uses
    // them when present. ns_per_unit converts `unit` to ns (1000 for us).
    std::vector<uint64_t> fine_ns;
    double ns_per_unit = 1;
    uint64_t min_ns = 0,
             max_ns = 0;  // exact extremes for the fine path (0, 0: derive from min/max)

    void record(uint64_t value);  // for user-space producers and tests
    double mean() const { return count ? double(sum) / double(count) : 0.0; }
    // Estimated from the buckets (the fine ones when present): linear
    // interpolation inside the bucket that holds the q-th value, clamped to
    // [min, max]. q in [0, 1]. Result in `unit`.
    double percentile(double q) const;
    // Converts every figure to a coarser unit by integer division (ns -> us: 1000).
    Log2Histogram rescaled(uint64_t divisor, std::string new_unit) const;
    void merge(const Log2Histogram& other);
};

// The first and last slot that hold a count (the range a writer prints, empty
// slots inside it included); nullopt when every slot is empty.
struct SlotRange {
    unsigned first = 0, last = 0;
};
std::optional<SlotRange> occupied_slots(const std::vector<uint64_t>& slots);

}  // namespace bpfscope::report
