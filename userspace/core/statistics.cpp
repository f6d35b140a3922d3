#include "core/statistics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace bpfscope {

double quantile_of_sorted(const std::vector<double>& sorted, double q) {
    if (sorted.empty())
        return 0.0;
    q = std::clamp(q, 0.0, 1.0);
    double position = q * double(sorted.size() - 1);
    size_t below = size_t(std::floor(position));
    size_t above = std::min(below + 1, sorted.size() - 1);
    double fraction = position - double(below);
    return sorted[below] + fraction * (sorted[above] - sorted[below]);
}

SampleSummary summarize(const std::vector<double>& values) {
    SampleSummary summary;
    if (values.empty())
        return summary;
    std::vector<double> sorted = values;
    std::sort(sorted.begin(), sorted.end());
    summary.count = sorted.size();
    summary.p50 = quantile_of_sorted(sorted, 0.50);
    summary.p90 = quantile_of_sorted(sorted, 0.90);
    summary.p99 = quantile_of_sorted(sorted, 0.99);
    summary.mean = std::accumulate(sorted.begin(), sorted.end(), 0.0) / double(sorted.size());
    summary.min = sorted.front();
    summary.max = sorted.back();
    return summary;
}

SampleSummary summarize(const std::vector<uint64_t>& values) {
    return summarize(std::vector<double>(values.begin(), values.end()));
}

double Statistic::of(std::vector<double>& values) const {
    if (values.empty())
        return 0.0;
    if (quantile == kMean)
        return std::accumulate(values.begin(), values.end(), 0.0) / double(values.size());
    // Same interpolation as quantile_of_sorted, with two selections instead of a sort.
    double position = std::clamp(quantile, 0.0, 1.0) * double(values.size() - 1);
    size_t below = size_t(std::floor(position));
    std::nth_element(values.begin(), values.begin() + long(below), values.end());
    double low = values[below];
    if (below + 1 >= values.size())
        return low;
    double high = *std::min_element(values.begin() + long(below) + 1, values.end());
    return low + (position - double(below)) * (high - low);
}

namespace {

std::vector<double> pooled(const std::vector<std::vector<double>>& runs) {
    std::vector<double> all;
    for (const auto& run : runs) all.insert(all.end(), run.begin(), run.end());
    return all;
}

void resample(const std::vector<std::vector<double>>& runs, size_t max_draws, std::mt19937_64& rng,
              std::vector<double>& out) {
    out.clear();
    std::uniform_int_distribution<size_t> pick_run(0, runs.size() - 1);
    for (size_t r = 0; r < runs.size(); r++) {
        const auto& run = runs[pick_run(rng)];
        if (run.empty())
            continue;
        std::uniform_int_distribution<size_t> pick_read(0, run.size() - 1);
        size_t draws = std::min(run.size(), max_draws);
        for (size_t i = 0; i < draws; i++) out.push_back(run[pick_read(rng)]);
    }
}

}  // namespace

std::vector<Interval> bootstrap_difference(const std::vector<std::vector<double>>& a_runs,
                                           const std::vector<std::vector<double>>& b_runs,
                                           const std::vector<Statistic>& statistics,
                                           const BootstrapOptions& options) {
    std::vector<Interval> intervals(statistics.size());
    std::vector<double> a_all = pooled(a_runs), b_all = pooled(b_runs);
    if (a_all.empty() || b_all.empty())
        return intervals;
    for (size_t s = 0; s < statistics.size(); s++)
        intervals[s].estimate = statistics[s].of(b_all) - statistics[s].of(a_all);

    std::mt19937_64 rng(options.seed);
    std::vector<std::vector<double>> differences(statistics.size());
    std::vector<double> a_sample, b_sample;
    for (int i = 0; i < options.iterations; i++) {
        resample(a_runs, options.max_draws_per_run, rng, a_sample);
        resample(b_runs, options.max_draws_per_run, rng, b_sample);
        if (a_sample.empty() || b_sample.empty())
            continue;
        for (size_t s = 0; s < statistics.size(); s++)
            differences[s].push_back(statistics[s].of(b_sample) - statistics[s].of(a_sample));
    }
    double tail = (1.0 - options.confidence) / 2.0;
    for (size_t s = 0; s < statistics.size(); s++) {
        auto& d = differences[s];
        if (d.empty())
            continue;
        std::sort(d.begin(), d.end());
        intervals[s].low = quantile_of_sorted(d, tail);
        intervals[s].high = quantile_of_sorted(d, 1.0 - tail);
    }
    return intervals;
}

double range_of(const std::vector<double>& values) {
    if (values.size() < 2)
        return 0.0;
    auto [low, high] = std::minmax_element(values.begin(), values.end());
    return *high - *low;
}

double median_of(std::vector<double> values) {
    if (values.empty())
        return 0.0;
    std::sort(values.begin(), values.end());
    return quantile_of_sorted(values, 0.5);
}

std::vector<Difference> judge_differences(const std::vector<std::vector<double>>& a_runs,
                                          const std::vector<std::vector<double>>& b_runs,
                                          const std::vector<Statistic>& statistics,
                                          const DifferenceOptions& options) {
    auto intervals = bootstrap_difference(a_runs, b_runs, statistics, options.bootstrap);
    std::vector<double> a_all, b_all;
    for (const auto& run : a_runs) a_all.insert(a_all.end(), run.begin(), run.end());
    for (const auto& run : b_runs) b_all.insert(b_all.end(), run.begin(), run.end());
    auto per_run = [](const std::vector<std::vector<double>>& runs, Statistic statistic) {
        std::vector<double> values;
        for (auto run : runs) values.push_back(statistic.of(run));
        return values;
    };
    std::vector<Difference> differences;
    for (size_t s = 0; s < statistics.size(); s++) {
        Difference d;
        d.a = statistics[s].of(a_all);
        d.b = statistics[s].of(b_all);
        d.diff = d.b - d.a;
        d.ci = intervals[s];
        d.spread = std::max(range_of(per_run(a_runs, statistics[s])),
                            range_of(per_run(b_runs, statistics[s])));
        d.spread_known = a_runs.size() > 1 || b_runs.size() > 1;
        bool ci_excludes_zero = d.ci.low > 0 || d.ci.high < 0;
        bool beyond_spread = std::fabs(d.diff) > d.spread;
        bool big_enough = d.a != 0 && std::fabs(d.diff) / std::fabs(d.a) >= options.min_effect;
        d.significant = ci_excludes_zero && beyond_spread && big_enough;
        if (!ci_excludes_zero)
            d.reason = "the confidence interval contains 0";
        else if (!beyond_spread)
            d.reason = "the difference is within the run-to-run spread";
        else if (!big_enough)
            d.reason = fmt::format("below the minimum effect of {:.0f}%", options.min_effect * 100);
        differences.push_back(std::move(d));
    }
    return differences;
}

}  // namespace bpfscope
