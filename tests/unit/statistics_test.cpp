#include "core/statistics.h"

#include <gtest/gtest.h>

#include <random>

using namespace bpfscope;

namespace {

// Latency-like samples: a lognormal body around `median_ns` with a few slow outliers.
std::vector<std::vector<double>> synthetic_runs(double median_ns, int runs, int reads,
                                                uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::lognormal_distribution<double> body(std::log(median_ns), 0.08);
    std::uniform_real_distribution<double> unit(0, 1);
    std::vector<std::vector<double>> out(static_cast<size_t>(runs));
    for (auto& run : out) {
        for (int i = 0; i < reads; i++) {
            double value = body(rng);
            if (unit(rng) < 0.01)
                value *= 20;  // preemption-like outlier
            run.push_back(value);
        }
    }
    return out;
}

const std::vector<Statistic> kMedian = {{0.5}};

}  // namespace

TEST(MemcgStatistics, QuantileInterpolatesBetweenRanks) {
    std::vector<double> sorted = {1, 2, 3, 4};
    EXPECT_DOUBLE_EQ(quantile_of_sorted(sorted, 0.0), 1);
    EXPECT_DOUBLE_EQ(quantile_of_sorted(sorted, 1.0), 4);
    EXPECT_DOUBLE_EQ(quantile_of_sorted(sorted, 0.5), 2.5);
    std::vector<double> values = {4, 1, 3, 2};
    EXPECT_DOUBLE_EQ(Statistic{0.5}.of(values), 2.5);
    EXPECT_DOUBLE_EQ(Statistic{Statistic::kMean}.of(values), 2.5);
}

TEST(MemcgStatistics, SummaryOfKnownSample) {
    std::vector<uint64_t> values;
    for (uint64_t v = 1; v <= 101; v++) values.push_back(v);
    auto s = summarize(values);
    EXPECT_EQ(s.count, 101u);
    EXPECT_DOUBLE_EQ(s.p50, 51);
    EXPECT_DOUBLE_EQ(s.p90, 91);
    EXPECT_DOUBLE_EQ(s.p99, 100);
    EXPECT_DOUBLE_EQ(s.mean, 51);
    EXPECT_DOUBLE_EQ(s.min, 1);
    EXPECT_DOUBLE_EQ(s.max, 101);
}

TEST(MemcgBootstrap, EqualDistributionsGiveAnIntervalAroundZero) {
    auto a = synthetic_runs(5000, 3, 1000, 1);
    auto b = synthetic_runs(5000, 3, 1000, 2);
    auto ci = bootstrap_difference(a, b, kMedian)[0];
    EXPECT_LE(ci.low, 0.0);
    EXPECT_GE(ci.high, 0.0);
    EXPECT_LT(std::fabs(ci.estimate), 100.0);  // 2% of the median
}

TEST(MemcgBootstrap, ShiftedDistributionGivesAPositiveInterval) {
    auto a = synthetic_runs(5000, 3, 1000, 3);
    auto b = synthetic_runs(6000, 3, 1000, 4);
    auto ci = bootstrap_difference(a, b, kMedian)[0];
    EXPECT_GT(ci.low, 0.0);
    EXPECT_NEAR(ci.estimate, 1000.0, 150.0);
    EXPECT_LE(ci.low, ci.estimate);
    EXPECT_GE(ci.high, ci.estimate);
}

TEST(MemcgBootstrap, FasterBGivesANegativeInterval) {
    auto a = synthetic_runs(8000, 2, 800, 5);
    auto b = synthetic_runs(6000, 2, 800, 6);
    auto ci = bootstrap_difference(a, b, kMedian)[0];
    EXPECT_LT(ci.high, 0.0);
    EXPECT_NEAR(ci.estimate, -2000.0, 250.0);
}

TEST(MemcgBootstrap, FixedSeedIsReproducible) {
    auto a = synthetic_runs(5000, 3, 500, 7);
    auto b = synthetic_runs(5100, 3, 500, 8);
    auto first = bootstrap_difference(a, b, kMedian)[0];
    auto second = bootstrap_difference(a, b, kMedian)[0];
    EXPECT_EQ(first.low, second.low);
    EXPECT_EQ(first.high, second.high);
    BootstrapOptions other;
    other.seed = 12345;
    auto third = bootstrap_difference(a, b, kMedian, other)[0];
    EXPECT_EQ(first.estimate, third.estimate);  // the point estimate does not depend on the seed
}

TEST(MemcgBootstrap, RunToRunVariationWidensTheInterval) {
    // Same reads, but B's runs disagree with each other by +-10%: resampling
    // runs must make the interval wider than for consistent runs.
    auto a = synthetic_runs(5000, 3, 1000, 9);
    auto consistent = synthetic_runs(5000, 3, 1000, 10);
    auto scattered = consistent;
    for (double& v : scattered[0]) v *= 0.9;
    for (double& v : scattered[2]) v *= 1.1;
    auto narrow = bootstrap_difference(a, consistent, kMedian)[0];
    auto wide = bootstrap_difference(a, scattered, kMedian)[0];
    EXPECT_GT(wide.high - wide.low, 2 * (narrow.high - narrow.low));
}

TEST(MemcgStatistics, RangeAndMedian) {
    EXPECT_EQ(range_of({}), 0.0);
    EXPECT_EQ(range_of({3}), 0.0);
    EXPECT_EQ(range_of({3, 9, 5}), 6.0);
    EXPECT_EQ(median_of({3, 9, 5}), 5.0);
}
