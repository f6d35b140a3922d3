#include "report/histogram.h"

#include <gtest/gtest.h>

using bpfscope::report::log2_slot;
using bpfscope::report::log2_slot_high;
using bpfscope::report::log2_slot_low;
using bpfscope::report::Log2Histogram;
using bpfscope::report::occupied_slots;

TEST(Log2Slot, BoundariesArePowersOfTwo) {
    EXPECT_EQ(log2_slot(0), 0u);
    EXPECT_EQ(log2_slot(1), 1u);
    EXPECT_EQ(log2_slot(2), 2u);
    EXPECT_EQ(log2_slot(3), 2u);
    EXPECT_EQ(log2_slot(4), 3u);
    EXPECT_EQ(log2_slot(1023), 10u);
    EXPECT_EQ(log2_slot(1024), 11u);
    EXPECT_EQ(log2_slot(UINT64_MAX), 64u);
    for (unsigned slot = 1; slot < 64; slot++) {
        EXPECT_EQ(log2_slot(log2_slot_low(slot)), slot);
        EXPECT_EQ(log2_slot(log2_slot_high(slot) - 1), slot);
    }
}

TEST(Log2Histogram, RecordTracksCountSumMinMax) {
    Log2Histogram h;
    for (uint64_t v : {5, 7, 100, 3}) h.record(v);
    EXPECT_EQ(h.count, 4u);
    EXPECT_EQ(h.sum, 115u);
    EXPECT_EQ(h.min, 3u);
    EXPECT_EQ(h.max, 100u);
    EXPECT_DOUBLE_EQ(h.mean(), 28.75);
    EXPECT_EQ(h.slots[log2_slot(5)], 2u);  // 5 and 7 share [4, 8)
}

TEST(Log2Histogram, PercentileStaysInsideTheRightBucket) {
    Log2Histogram h;
    for (int i = 0; i < 90; i++) h.record(1000);   // [512, 1024)
    for (int i = 0; i < 10; i++) h.record(40000);  // [32768, 65536)
    double p50 = h.percentile(0.5);
    EXPECT_GE(p50, 512);
    EXPECT_LT(p50, 1024);
    EXPECT_GE(p50, 1000);  // the true minimum tightens the bucket's lower edge
    double p99 = h.percentile(0.99);
    EXPECT_GE(p99, 32768);
    EXPECT_LE(p99, 40000);
    EXPECT_DOUBLE_EQ(h.percentile(1.0), 40000);
    EXPECT_DOUBLE_EQ(h.percentile(0.0), 1000);
}

TEST(Log2Histogram, PercentileOfSingleValueIsThatValue) {
    Log2Histogram h;
    for (int i = 0; i < 7; i++) h.record(2000000);
    EXPECT_DOUBLE_EQ(h.percentile(0.5), 2000000);
    EXPECT_DOUBLE_EQ(h.percentile(0.9), 2000000);
}

TEST(Log2Histogram, EmptyHistogramHasZeroPercentiles) {
    Log2Histogram h;
    EXPECT_EQ(h.percentile(0.5), 0.0);
    EXPECT_EQ(h.mean(), 0.0);
}

TEST(Log2Histogram, RescalePreservesCounts) {
    Log2Histogram h;
    h.unit = "ns";
    for (uint64_t v : {2'100'000, 2'500'000, 3'000'000}) h.record(v);
    auto ms = h.rescaled(1'000'000, "ms");
    EXPECT_EQ(ms.unit, "ms");
    EXPECT_EQ(ms.count, 3u);
    EXPECT_EQ(ms.min, 2u);
    EXPECT_EQ(ms.max, 3u);
    uint64_t total = 0;
    for (auto c : ms.slots) total += c;
    EXPECT_EQ(total, 3u);
}

TEST(Log2Histogram, MergeAddsEverything) {
    Log2Histogram a, b;
    a.record(10);
    b.record(1000);
    b.record(1);
    a.merge(b);
    EXPECT_EQ(a.count, 3u);
    EXPECT_EQ(a.min, 1u);
    EXPECT_EQ(a.max, 1000u);
    EXPECT_EQ(a.sum, 1011u);
}

TEST(FineSlot, QuarterOctaveBoundaries) {
    using bpfscope::report::fine_slot;
    using bpfscope::report::fine_slot_high;
    using bpfscope::report::fine_slot_low;
    // The documented rule (README "Percentiles are estimates"): values below 4
    // have their own slot; each power of two [2^k, 2^(k+1)), k >= 2, is split
    // into four equal quarters, numbered on from 4. So [2^k, 2^(k+1)) starts
    // at slot 4 + 4 * (k - 2), and quarter q of it is [2^k + q * 2^(k-2), ...).
    auto quarter_slot = [](unsigned k, unsigned quarter) { return 4 + 4 * (k - 2) + quarter; };
    for (uint64_t v = 0; v < 4; v++) EXPECT_EQ(fine_slot(v), v);
    for (unsigned k = 2; k < 64; k++) {
        const uint64_t power = uint64_t(1) << k, quarter_width = power / 4;
        for (unsigned quarter = 0; quarter < 4; quarter++) {
            const uint64_t low = power + quarter * quarter_width;
            EXPECT_EQ(fine_slot(low), quarter_slot(k, quarter)) << "2^" << k << " q" << quarter;
            EXPECT_EQ(fine_slot(low + quarter_width - 1), quarter_slot(k, quarter))
                << "2^" << k << " q" << quarter;
        }
    }
    EXPECT_EQ(fine_slot(8), 8u);  // [8, 10): first quarter of 2^3
    EXPECT_EQ(fine_slot(9), 8u);
    EXPECT_EQ(fine_slot(10), 9u);  // [10, 12)
    // The last slot is the top quarter of 2^63; the BPF side keeps 256 slots.
    const unsigned last = quarter_slot(63, 3);
    EXPECT_EQ(fine_slot(UINT64_MAX), last);
    EXPECT_LT(last, bpfscope::report::kFineSlots);
    for (unsigned slot = 0; slot < last; slot++) {
        EXPECT_EQ(fine_slot(fine_slot_low(slot)), slot) << slot;
        EXPECT_EQ(fine_slot(fine_slot_high(slot) - 1), slot) << slot;
        EXPECT_EQ(fine_slot_high(slot), fine_slot_low(slot + 1));
    }
    EXPECT_EQ(fine_slot_high(last), UINT64_MAX);
}

TEST(Log2Histogram, FineSlotsMakePercentilesAccurate) {
    Log2Histogram h;
    h.unit = "ms";
    h.ns_per_unit = 1e6;
    h.fine_ns.assign(bpfscope::report::kFineSlots, 0);
    // 50 sleeps of about 2.06 ms: the log2 bucket [2, 4) ms alone would say ~3 ms.
    h.min_ns = 2'060'000;
    h.max_ns = 2'109'000;
    for (int i = 0; i < 50; i++) {
        uint64_t ns = 2'060'000 + uint64_t(i) * 1000;
        h.record(ns / 1'000'000);
        h.fine_ns[bpfscope::report::fine_slot(ns)]++;
    }
    EXPECT_NEAR(h.percentile(0.5), 2.06, 0.1);
    EXPECT_NEAR(h.percentile(0.99), 2.1, 0.15);
}

TEST(Log2Histogram, OccupiedSlotsSpanFirstToLastNonEmptySlot) {
    EXPECT_FALSE(occupied_slots({}).has_value());
    EXPECT_FALSE(occupied_slots({0, 0, 0}).has_value());
    auto single = occupied_slots({0, 0, 5, 0});
    ASSERT_TRUE(single.has_value());
    EXPECT_EQ(single->first, 2u);
    EXPECT_EQ(single->last, 2u);
    auto gap = occupied_slots({1, 0, 0, 3, 0, 0});  // empty slots inside stay in the range
    ASSERT_TRUE(gap.has_value());
    EXPECT_EQ(gap->first, 0u);
    EXPECT_EQ(gap->last, 3u);
}
