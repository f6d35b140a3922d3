#pragma once
// Statistics for A/B comparisons (memcg compare, stat compare): exact
// percentiles, a hierarchical bootstrap of the difference between two sets of
// runs, and the one rule that calls a difference significant.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace bpfscope {

// Linear interpolation between closest ranks of a sorted sample (q in [0, 1]).
double quantile_of_sorted(const std::vector<double>& sorted, double q);

struct SampleSummary {
    uint64_t count = 0;
    double p50 = 0, p90 = 0, p99 = 0, mean = 0, min = 0, max = 0;
};
SampleSummary summarize(const std::vector<double>& values);
SampleSummary summarize(const std::vector<uint64_t>& values);

// A statistic of a sample: a quantile (0..1) or, with kMean, the mean.
struct Statistic {
    static constexpr double kMean = -1.0;
    double quantile = 0.5;
    double of(std::vector<double>& values) const;  // reorders values
};

struct Interval {
    double estimate = 0;  // statistic(B) - statistic(A) on the pooled samples
    double low = 0, high = 0;
};

struct BootstrapOptions {
    int iterations = 2000;
    double confidence = 0.95;
    uint64_t seed = 0x6d656d6367;  // fixed: the same files give the same verdict
    // Draws per run and iteration are capped (a smaller resample only widens
    // the interval, so the cap errs on the side of "no difference").
    size_t max_draws_per_run = 4000;
};

// Percentile bootstrap interval of statistic(B) - statistic(A) for each
// statistic. Each side is a list of runs; every iteration resamples the runs
// (run-to-run variation) and then the reads inside each chosen run.
std::vector<Interval> bootstrap_difference(const std::vector<std::vector<double>>& a_runs,
                                           const std::vector<std::vector<double>>& b_runs,
                                           const std::vector<Statistic>& statistics,
                                           const BootstrapOptions& options = {});

struct DifferenceOptions {
    // A relative difference below this is never called: drift between invocations
    // on a shared machine is a few percent.
    double min_effect = 0.05;
    BootstrapOptions bootstrap;
};

// One statistic of A against B, and whether the difference is called.
struct Difference {
    double a = 0, b = 0;        // the statistic of A's and of B's pooled samples
    double diff = 0;            // b - a
    Interval ci;                // bootstrap interval of the difference
    double spread = 0;          // the larger run-to-run range of the statistic (A's or B's)
    bool spread_known = false;  // a side has two runs or more
    bool significant = false;
    std::string reason;  // why not significant ("" when it is)
};

// The verdict rule: a difference is called only when the bootstrap interval
// excludes 0, it is larger than the run-to-run spread, and it is at least
// min_effect of A. Runs are lists of samples (one sample per run is fine:
// per-run figures such as a command's task-clock).
std::vector<Difference> judge_differences(const std::vector<std::vector<double>>& a_runs,
                                          const std::vector<std::vector<double>>& b_runs,
                                          const std::vector<Statistic>& statistics,
                                          const DifferenceOptions& options = {});

// max - min of the values (0 for fewer than two values).
double range_of(const std::vector<double>& values);
double median_of(std::vector<double> values);

}  // namespace bpfscope
